//! Groth16 verification with arkworks' verifier, behind checks that name what is wrong.

use ark_bn254::{Bn254, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use ark_groth16::Groth16;
use rand::RngCore;

use crate::{Fr, Proof, VerifyingKey};

type G2Prepared = <Bn254 as Pairing>::G2Prepared;

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

/// A verifying key prepared once (e(α, β) computed, γ and δ's Miller-loop lines precomputed) for
/// verifying many proofs: preparing costs about as much as a pairing, so a service or a folder
/// of proofs prepares its key once rather than per proof.
#[derive(Clone, Debug)]
pub struct PreparedKey {
    pvk: ark_groth16::PreparedVerifyingKey<Bn254>,
    /// −β's Miller-loop lines, for the batch check (γ's and δ's are in `pvk`).
    neg_beta: G2Prepared,
}

impl PreparedKey {
    /// Prepares `vk`, at about the cost of one pairing.
    pub fn new(vk: &VerifyingKey) -> PreparedKey {
        PreparedKey { pvk: ark_groth16::prepare_verifying_key(vk), neg_beta: (-vk.beta_g2).into() }
    }

    /// The key this was prepared from.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.pvk.vk
    }

    /// Ok(()) only if `proof` is valid for `public` under this key.
    pub fn verify(&self, proof: &Proof, public: &[Fr]) -> Result<(), VerifyError> {
        self.check_input_count(public)?;
        match Groth16::<Bn254>::verify_proof(&self.pvk, proof, public) {
            Ok(true) => Ok(()),
            _ => Err(VerifyError::Invalid),
        }
    }
}

impl PreparedKey {
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
        if proofs.iter().any(|(_, x)| self.check_input_count(x).is_err()) {
            return false;
        }
        let challenges: Vec<Fr> = proofs.iter().map(|_| Fr::from((u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()))).collect();
        let Some((g1, mut g2)) = batch_pairs(&self.pvk.vk, proofs, &challenges) else { return false };
        g2.extend([self.neg_beta.clone(), self.pvk.gamma_g2_neg_pc.clone(), self.pvk.delta_g2_neg_pc.clone()]);
        product_is_one(g1, g2)
    }
}

/// The G1 side of the batch equation (N points rᵢ·Aᵢ, then R·α, L and C*) and the N proofs' B
/// points prepared; `None` when the lengths disagree.
fn batch_pairs(vk: &VerifyingKey, proofs: &[(&Proof, &[Fr])], challenges: &[Fr]) -> Option<(Vec<G1Affine>, Vec<G2Prepared>)> {
    let n = vk.gamma_abc_g1.len().checked_sub(1)?;
    if proofs.len() != challenges.len() || proofs.iter().any(|(_, x)| x.len() != n) {
        return None;
    }
    let sum: Fr = challenges.iter().sum();
    let mut scalars = vec![Fr::zero(); n + 1];
    scalars[0] = sum;
    for ((_, x), r) in proofs.iter().zip(challenges) {
        for (s, v) in scalars[1..].iter_mut().zip(x.iter()) {
            *s += *r * v;
        }
    }
    let l = G1Projective::msm_unchecked(&vk.gamma_abc_g1, &scalars);
    let cs: Vec<G1Affine> = proofs.iter().map(|(p, _)| p.c).collect();
    let c_star = G1Projective::msm_unchecked(&cs, challenges);
    let mut g1: Vec<G1Projective> = proofs.iter().zip(challenges).map(|((p, _), r)| p.a * r).collect();
    g1.extend([vk.alpha_g1 * sum, l, c_star]);
    let g2 = proofs.iter().map(|(p, _)| G2Prepared::from(p.b)).collect();
    Some((G1Projective::normalize_batch(&g1), g2))
}

/// Whether the random-linear-combination equation of N Groth16 proofs of one key holds for
/// these challenges:
///
///   Πᵢ e(rᵢ·Aᵢ, Bᵢ) · e(R·α, −β) · e(L, −γ) · e(C*, −δ) = 1,
///   R = Σ rᵢ,  C* = Σ rᵢ·Cᵢ,  L = R·IC₀ + Σⱼ (Σᵢ rᵢ·xᵢⱼ)·ICⱼ,
///
/// one multi-pairing of N + 3 pairs, the equation the on-chain batch verifier checks. It holds for
/// valid proofs whatever the rᵢ; for an invalid one it holds with probability ≤ 2⁻¹²⁸ over
/// challenges the prover cannot choose. Inputs and challenges of the wrong length: `false`.
pub fn batch_holds(vk: &VerifyingKey, proofs: &[Proof], inputs: &[Vec<Fr>], challenges: &[Fr]) -> bool {
    if proofs.len() != inputs.len() {
        return false;
    }
    let pairs: Vec<(&Proof, &[Fr])> = proofs.iter().zip(inputs).map(|(p, x)| (p, x.as_slice())).collect();
    let Some((g1, mut g2)) = batch_pairs(vk, &pairs, challenges) else { return false };
    let neg: [G2Affine; 3] = [-vk.beta_g2, -vk.gamma_g2, -vk.delta_g2];
    g2.extend(neg.map(G2Prepared::from));
    product_is_one(g1, g2)
}

/// Whether Πᵢ e(g1ᵢ, g2ᵢ) = 1: one multi-Miller loop and one final exponentiation.
fn product_is_one(g1: Vec<G1Affine>, g2: Vec<G2Prepared>) -> bool {
    // `PairingOutput` is written additively: its zero is the target group's identity.
    Bn254::final_exponentiation(Bn254::multi_miller_loop(g1, g2)).is_some_and(|r| r.is_zero())
}

/// Ok(()) only if `proof` is valid for `public` under `vk` (one proof; see [`PreparedKey`] for many).
pub fn verify(vk: &VerifyingKey, proof: &Proof, public: &[Fr]) -> Result<(), VerifyError> {
    PreparedKey::new(vk).verify(proof, public)
}
