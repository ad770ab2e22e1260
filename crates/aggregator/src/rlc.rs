//! The random-linear-combination check of N Groth16 proofs of one key:
//!
//!   Πᵢ e(rᵢ·Aᵢ, Bᵢ) · e(R·α, −β) · e(L, −γ) · e(C*, −δ) = 1,
//!   R = Σ rᵢ,  C* = Σ rᵢ·Cᵢ,  L = R·IC₀ + Σⱼ (Σᵢ rᵢ·xᵢⱼ)·ICⱼ,
//!
//! one multi-pairing of N + 3 pairs, the same equation the on-chain batch verifier checks. It holds
//! for valid proofs whatever the rᵢ; for an invalid one it holds with probability ≤ 2⁻¹²⁸ over
//! challenges the prover cannot choose (`zkbatch_evm::batch_transcript`, or the aggregation
//! circuit's Poseidon transcript).

use ark_bn254::{Bn254, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use zkbatch_prover::{Fr, Proof, VerifyingKey};

/// Whether the batch equation holds for these proofs, inputs and challenges (all of one length;
/// every input vector of the key's length). Callers check lengths; here a mismatch is `false`.
pub fn holds(vk: &VerifyingKey, proofs: &[Proof], inputs: &[Vec<Fr>], challenges: &[Fr]) -> bool {
    let n = vk.gamma_abc_g1.len().saturating_sub(1);
    if vk.gamma_abc_g1.is_empty()
        || proofs.len() != inputs.len()
        || proofs.len() != challenges.len()
        || inputs.iter().any(|x| x.len() != n)
    {
        return false;
    }
    let sum: Fr = challenges.iter().sum();
    let mut folded = vec![Fr::zero(); n];
    for (x, r) in inputs.iter().zip(challenges) {
        for (s, v) in folded.iter_mut().zip(x) {
            *s += *r * v;
        }
    }
    let mut scalars = Vec::with_capacity(n + 1);
    scalars.push(sum);
    scalars.extend(folded);
    let l = G1Projective::msm_unchecked(&vk.gamma_abc_g1, &scalars);
    let cs: Vec<G1Affine> = proofs.iter().map(|p| p.c).collect();
    let c_star = G1Projective::msm_unchecked(&cs, challenges);

    let mut g1: Vec<G1Projective> = proofs.iter().zip(challenges).map(|(p, r)| p.a * r).collect();
    g1.extend([vk.alpha_g1 * sum, l, c_star]);
    let g1 = G1Projective::normalize_batch(&g1);
    let mut g2: Vec<G2Affine> = proofs.iter().map(|p| p.b).collect();
    g2.extend([-vk.beta_g2, -vk.gamma_g2, -vk.delta_g2]);
    Bn254::multi_pairing(g1, g2).is_zero()
}
