//! Groth16 verification: one proof (the equation arkworks checks, behind checks that name what
//! is wrong), and many proofs of one key at once by a random linear combination ([`batch`]).
//!
//! - `pairing`: the one Miller loop and final exponentiation every check ends in;
//! - `batch`: the random-linear-combination check and [`Batch`], whose parts are checked
//!   again cheaply when the whole fails;
//! - `fixed_base`: precomputed multiples of the key's IC points and α, which every check
//!   multiplies by inputs or challenges.

mod batch;
mod fixed_base;
mod pairing;

use ark_bn254::Bn254;
use ark_ec::CurveGroup;
use rand::RngCore;

pub use batch::{batch_holds, Batch};
use fixed_base::FixedBase;
use pairing::G2Prepared;

use crate::{Fr, Proof, VerifyingKey};

/// Keys with more public inputs than this get no tables (67.5 KiB per input): their L is an MSM,
/// cheap per input at that size.
const MAX_TABLED_INPUTS: usize = 64;

/// Why a proof was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// The number of public inputs given is not the number the key takes (or the key has no IC).
    #[error("the verifying key takes {expected} public inputs, {got} were given")]
    InputCount {
        /// Public inputs the key takes: its IC points less one.
        expected: usize,
        /// Public inputs given.
        got: usize,
    },
    /// The pairing check fails: the proof is not valid for these inputs under this key.
    #[error("the proof does not verify against these public inputs and verifying key")]
    Invalid,
}

/// A verifying key prepared once for verifying many proofs: e(α, β) computed, −β's, −γ's and
/// −δ's Miller-loop lines precomputed, and tables of multiples of the IC points and of α for keys
/// of up to 64 public inputs (67.5 KiB per point). Preparing costs a few pairings (about half a
/// millisecond per table), so a service or a folder of proofs prepares its key once rather than
/// per proof.
#[derive(Clone, Debug)]
pub struct PreparedKey {
    pvk: ark_groth16::PreparedVerifyingKey<Bn254>,
    neg_beta: G2Prepared,
    /// One table per IC point, or none.
    ic: Vec<FixedBase>,
    alpha: Option<FixedBase>,
}

impl PreparedKey {
    /// Prepares `vk` with its tables.
    pub fn new(vk: &VerifyingKey) -> PreparedKey {
        let mut key = PreparedKey::untabled(vk);
        if vk.gamma_abc_g1.len() <= MAX_TABLED_INPUTS + 1 {
            key.ic = vk.gamma_abc_g1.iter().map(|p| FixedBase::new(*p)).collect();
            key.alpha = Some(FixedBase::new(vk.alpha_g1));
        }
        key
    }

    /// Prepares `vk` for a single proof: no tables.
    fn untabled(vk: &VerifyingKey) -> PreparedKey {
        PreparedKey { pvk: ark_groth16::prepare_verifying_key(vk), neg_beta: (-vk.beta_g2).into(), ic: Vec::new(), alpha: None }
    }

    /// The key this was prepared from.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.pvk.vk
    }

    /// Ok(()) only if `proof` is valid for `public` under this key.
    pub fn verify(&self, proof: &Proof, public: &[Fr]) -> Result<(), VerifyError> {
        self.check_input_count(public)?;
        if self.holds_alone(proof, &G2Prepared::from(proof.b), public) {
            Ok(())
        } else {
            Err(VerifyError::Invalid)
        }
    }

    /// Groth16's equation for one proof with B's lines prepared, as arkworks checks it:
    /// e(A, B) · e(L, −γ) · e(C, −δ) = e(α, β), L = IC₀ + Σⱼ xⱼ·ICⱼ. The input count must be
    /// the key's.
    fn holds_alone(&self, proof: &Proof, b: &G2Prepared, public: &[Fr]) -> bool {
        let pvk = &self.pvk;
        let ic = &pvk.vk.gamma_abc_g1;
        let l = fixed_base::combine(self.ic.get(1..).unwrap_or_default(), ic.get(1..).unwrap_or_default(), public) + ic.first().copied().unwrap_or_default();
        let pairs = [(proof.a, b), (l.into_affine(), &pvk.gamma_g2_neg_pc), (proof.c, &pvk.delta_g2_neg_pc)];
        pairing::product(pairs).is_some_and(|e| e.0 == pvk.alpha_g1_beta_g2)
    }

    /// The number of public inputs the key takes, checked as [`PreparedKey::verify`] checks it.
    pub fn check_input_count(&self, public: &[Fr]) -> Result<(), VerifyError> {
        let ic = &self.pvk.vk.gamma_abc_g1;
        let expected = ic.len().saturating_sub(1);
        if public.len() != expected || ic.is_empty() {
            return Err(VerifyError::InputCount { expected, got: public.len() });
        }
        Ok(())
    }

    /// Whether every one of `proofs` (each with its public inputs) is valid, in one
    /// multi-pairing: [`batch_holds`] with challenges of 128 bits drawn from `rng` for this call
    /// alone. A batch with an invalid proof passes with probability at most 2⁻¹²⁸ over the
    /// challenges, so they must come from a source the proofs' authors cannot see or influence
    /// (never from the proofs). N proofs cost N + 3 Miller loops and one final exponentiation,
    /// against 3 and one each alone. An empty batch holds.
    pub fn verify_batch(&self, proofs: &[(&Proof, &[Fr])], rng: &mut impl RngCore) -> bool {
        self.batch(proofs, rng).holds(0..proofs.len())
    }

    /// `proofs` made ready for checks of any run of them ([`Batch::holds`]), with challenges of
    /// 128 bits drawn from `rng` (as [`PreparedKey::verify_batch`] draws them), for finding the
    /// bad proofs in a batch that failed without paying again for what every check shares.
    pub fn batch<'a>(&'a self, proofs: &'a [(&'a Proof, &'a [Fr])], rng: &mut impl RngCore) -> Batch<'a> {
        Batch::new(self, proofs, rng)
    }
}

/// A verifying key with one of α, β, γ, δ at the point at infinity: no setup makes one, and with γ or
/// δ there the pairing with it is 1 whatever the proof holds, so proofs of any public inputs
/// verify (with α or β there, e(α, β) = 1 and the equation loses its anchor).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the verifying key's {0} is the point at infinity, which makes proofs of any public inputs verify; no setup makes such a key: regenerate or re-export it")]
pub struct DegenerateKey(pub &'static str);

/// Refuses a degenerate key ([`DegenerateKey`]); otherwise returns the public inputs (0-based)
/// whose IC point is at infinity: such an input is unconstrained (any value verifies), which a
/// circuit may intend but a caller should warn about.
pub fn check_key(vk: &VerifyingKey) -> Result<Vec<usize>, DegenerateKey> {
    use ark_ec::AffineRepr;
    let points = [("α (vk_alpha_1)", vk.alpha_g1.is_zero()), ("β (vk_beta_2)", vk.beta_g2.is_zero()), ("γ (vk_gamma_2)", vk.gamma_g2.is_zero()), ("δ (vk_delta_2)", vk.delta_g2.is_zero())];
    if let Some((name, _)) = points.iter().find(|(_, zero)| *zero) {
        return Err(DegenerateKey(name));
    }
    Ok(vk.gamma_abc_g1.iter().skip(1).enumerate().filter(|(_, p)| p.is_zero()).map(|(i, _)| i).collect())
}

/// Ok(()) only if `proof` is valid for `public` under `vk` (one proof; see [`PreparedKey`] for many).
pub fn verify(vk: &VerifyingKey, proof: &Proof, public: &[Fr]) -> Result<(), VerifyError> {
    PreparedKey::untabled(vk).verify(proof, public)
}
