//! Many proofs of one key checked in one multi-pairing by a random linear combination, and the
//! parts of a batch that failed checked again without redoing what they share.

use std::ops::Range;

use ark_bn254::{G1Affine, G1Projective, G2Affine};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use rand::RngCore;

use super::fixed_base;
use super::pairing::{product_is_one, G2Prepared};
use super::PreparedKey;
use crate::{Fr, Proof, VerifyingKey};

/// Proofs of one key with their challenges and the work every check of them shares (each rᵢ·Aᵢ,
/// each Bᵢ's Miller-loop lines, and after the first check of a part, each rᵢ·Cᵢ) done once: a
/// check of k of them then costs k + 3 Miller-loop pairs and a final exponentiation, and of one
/// alone what [`PreparedKey::verify`] costs less Bᵢ's lines. Made by [`PreparedKey::batch`].
pub struct Batch<'a> {
    key: &'a PreparedKey,
    proofs: &'a [(&'a Proof, &'a [Fr])],
    challenges: Vec<Fr>,
    /// rᵢ·Aᵢ.
    a: Vec<G1Affine>,
    b: Vec<G2Prepared>,
    /// rᵢ·Cᵢ, computed when a part of the batch is first checked (the whole uses one MSM).
    c: Vec<G1Projective>,
}

impl<'a> Batch<'a> {
    /// `proofs` with challenges of 128 bits drawn from `rng`, never zero.
    pub(super) fn new(key: &'a PreparedKey, proofs: &'a [(&'a Proof, &'a [Fr])], rng: &mut impl RngCore) -> Batch<'a> {
        // Never zero: a zero challenge would drop its proof from every equation.
        let challenges: Vec<Fr> = proofs.iter().map(|_| Fr::from(((u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64())).max(1))).collect();
        let scaled: Vec<G1Projective> = proofs.iter().zip(&challenges).map(|((p, _), r)| p.a * r).collect();
        Batch {
            key,
            proofs,
            a: G1Projective::normalize_batch(&scaled),
            b: proofs.iter().map(|(p, _)| G2Prepared::from(p.b)).collect(),
            c: Vec::new(),
            challenges,
        }
    }

    /// Whether every proof in `part` is valid (`false` also when one has the wrong number of
    /// inputs or `part` runs past the batch), with the same soundness as
    /// [`PreparedKey::verify_batch`]; a part of one proof is checked exactly, as
    /// [`PreparedKey::verify`] checks it. An empty part holds.
    pub fn holds(&mut self, part: Range<usize>) -> bool {
        let Some(proofs) = self.proofs.get(part.clone()) else { return false };
        if proofs.is_empty() {
            return true;
        }
        if proofs.iter().any(|(_, x)| self.key.check_input_count(x).is_err()) {
            return false;
        }
        if let ([(proof, public)], Some(b)) = (proofs, self.b.get(part.start)) {
            return self.key.holds_alone(proof, b, public);
        }
        let r = &self.challenges[part.clone()];
        let c_star = if part.len() == self.proofs.len() {
            let cs: Vec<G1Affine> = proofs.iter().map(|(p, _)| p.c).collect();
            G1Projective::msm_unchecked(&cs, r)
        } else {
            if self.c.is_empty() {
                self.c = self.proofs.iter().zip(&self.challenges).map(|((p, _), r)| p.c * r).collect();
            }
            self.c[part.clone()].iter().sum()
        };
        let key = self.key;
        let (sum, scalars) = combined_inputs(&key.pvk.vk, proofs, r);
        let mut alpha = G1Projective::zero();
        match &key.alpha {
            Some(t) => t.add_multiple(&sum, &mut alpha),
            None => alpha = key.pvk.vk.alpha_g1 * sum,
        }
        let l = fixed_base::combine(&key.ic, &key.pvk.vk.gamma_abc_g1, &scalars);
        let fixed = [&key.neg_beta, &key.pvk.gamma_g2_neg_pc, &key.pvk.delta_g2_neg_pc];
        equation_holds(self.a[part.clone()].iter().copied().zip(&self.b[part]), [alpha, l, c_star], fixed)
    }
}

/// The random-linear-combination equation from its terms: Πᵢ e(rᵢ·Aᵢ, Bᵢ) · e(R·α, −β) ·
/// e(L, −γ) · e(C*, −δ) = 1, given the pairs (rᵢ·Aᵢ, Bᵢ), [R·α, L, C*] and the lines of −β, −γ, −δ.
fn equation_holds<'b>(
    scaled_a: impl Iterator<Item = (G1Affine, &'b G2Prepared)>,
    [alpha, l, c_star]: [G1Projective; 3],
    neg_beta_gamma_delta: [&'b G2Prepared; 3],
) -> bool {
    let g1 = G1Projective::normalize_batch(&[alpha, l, c_star]);
    product_is_one(scaled_a.chain(g1.into_iter().zip(neg_beta_gamma_delta)))
}

/// R = Σ rᵢ and the scalars of L = R·IC₀ + Σⱼ (Σᵢ rᵢ·xᵢⱼ)·ICⱼ, for proofs whose input counts are
/// the key's.
fn combined_inputs(vk: &VerifyingKey, proofs: &[(&Proof, &[Fr])], challenges: &[Fr]) -> (Fr, Vec<Fr>) {
    let sum: Fr = challenges.iter().sum();
    let mut scalars = vec![Fr::zero(); vk.gamma_abc_g1.len()];
    scalars[0] = sum;
    for ((_, x), r) in proofs.iter().zip(challenges) {
        for (s, v) in scalars[1..].iter_mut().zip(x.iter()) {
            *s += *r * v;
        }
    }
    (sum, scalars)
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
    let n = vk.gamma_abc_g1.len().saturating_sub(1);
    if proofs.len() != inputs.len() || proofs.len() != challenges.len() || vk.gamma_abc_g1.is_empty() || inputs.iter().any(|x| x.len() != n) {
        return false;
    }
    let pairs: Vec<(&Proof, &[Fr])> = proofs.iter().zip(inputs).map(|(p, x)| (p, x.as_slice())).collect();
    let (sum, scalars) = combined_inputs(vk, &pairs, challenges);
    let l = G1Projective::msm_unchecked(&vk.gamma_abc_g1, &scalars);
    let c_star = G1Projective::msm_unchecked(&proofs.iter().map(|p| p.c).collect::<Vec<_>>(), challenges);
    let scaled: Vec<G1Projective> = proofs.iter().zip(challenges).map(|(p, r)| p.a * r).collect();
    let b: Vec<G2Prepared> = proofs.iter().map(|p| G2Prepared::from(p.b)).collect();
    let neg: [G2Affine; 3] = [-vk.beta_g2, -vk.gamma_g2, -vk.delta_g2];
    let [beta, gamma, delta] = neg.map(G2Prepared::from);
    equation_holds(G1Projective::normalize_batch(&scaled).into_iter().zip(&b), [vk.alpha_g1 * sum, l, c_star], [&beta, &gamma, &delta])
}
