//! The aggregation circuit's Fiat–Shamir transcript, computed natively.
//!
//! Poseidon over BN254 Fr, width 3, rate 2, 8 full and 57 partial rounds (snark-verifier-sdk's
//! spec). Points enter as the 88-bit limbs (3 per coordinate) of their canonical coordinates: the
//! circuit loads coordinates in exactly that form and range-checks them below p, so the limbs are
//! unique and both sides absorb the same words.
//!
//!   vkHash = H(VK_DOMAIN, ℓ, α, β, γ, δ, IC₀, …, IC_ℓ)
//!   sponge  ← CHALLENGE_DOMAIN, N, ℓ, vkHash, then per proof i: Aᵢ, Bᵢ, Cᵢ, xᵢ₁..xᵢℓ
//!   r₁ = 1,  rᵢ = (i−1)-th squeeze mod 2¹²⁸  (i ≥ 2)
//!
//! G2 coordinates go c0 then c1, x then y. The sponge absorbs everything before the first squeeze,
//! so no challenge exists before every proof and input is fixed.
//!
//! The native sponge is snark-verifier's, a separate implementation from halo2-base's in-circuit
//! `PoseidonSponge` (same constants, same padding rule); a test checks they agree.

use halo2_base::halo2_proofs::halo2curves::bn256::{Fq as HaloFq, Fr as HaloFr, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_base::utils::{decompose_biguint, fe_to_biguint};
use num_bigint::BigUint;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::util::hash::Poseidon;

use super::convert::{G16Proof, Vk};

/// Limb size and count of the circuit's Fq elements (snark-verifier-sdk's choice, 3 × 88 ≥ 254).
pub const LIMB_BITS: usize = 88;
/// Limbs per Fq element.
pub const NUM_LIMBS: usize = 3;
/// Poseidon: width, rate, full and partial rounds.
pub const T: usize = 3;
/// Poseidon's rate: field elements absorbed per permutation.
pub const RATE: usize = 2;
/// Poseidon's full rounds.
pub const R_F: usize = 8;
/// Poseidon's partial rounds.
pub const R_P: usize = 57;
/// Bits of each challenge rᵢ (i ≥ 2): the batch test's soundness error is 2⁻¹²⁸ per check.
pub const CHALLENGE_BITS: usize = 128;

/// Domain tags: the key's hash and the challenges can never be each other's, nor another
/// protocol's sponge output. ASCII, 16 bytes, read as a big-endian integer.
pub fn vk_domain() -> HaloFr {
    HaloFr::from_u128(u128::from_be_bytes(*b"zkbatch.agg.vk.1"))
}

/// The challenge sponge's domain tag, `zkbatch.agg.ch.1` read the same way.
pub fn challenge_domain() -> HaloFr {
    HaloFr::from_u128(u128::from_be_bytes(*b"zkbatch.agg.ch.1"))
}

/// An Fq element's [`NUM_LIMBS`] limbs of [`LIMB_BITS`] bits, least significant first, as Fr.
pub fn fq_limbs(x: &HaloFq) -> Vec<HaloFr> {
    decompose_biguint::<HaloFr>(&fe_to_biguint(x), NUM_LIMBS, LIMB_BITS)
}

/// A G1 point's words: x's limbs, then y's.
pub fn g1_limbs(p: &G1Affine) -> Vec<HaloFr> {
    [p.x, p.y].iter().flat_map(fq_limbs).collect()
}

/// A G2 point's words: the limbs of x.c0, x.c1, y.c0, y.c1 in that order.
pub fn g2_limbs(p: &G2Affine) -> Vec<HaloFr> {
    [p.x.c0, p.x.c1, p.y.c0, p.y.c1].iter().flat_map(fq_limbs).collect()
}

/// What the key's hash absorbs (after the domain tag and ℓ).
pub fn vk_words(vk: &Vk) -> Vec<HaloFr> {
    let mut words = g1_limbs(&vk.alpha);
    for p in [&vk.beta, &vk.gamma, &vk.delta] {
        words.extend(g2_limbs(p));
    }
    for p in &vk.ic {
        words.extend(g1_limbs(p));
    }
    words
}

type Sponge = Poseidon<HaloFr, HaloFr, T, RATE>;

fn sponge() -> Sponge {
    Sponge::new::<R_F, R_P, 0>(&NativeLoader)
}

/// The verifying key's hash: instance 0 of the aggregation circuit.
pub fn vk_hash(vk: &Vk) -> HaloFr {
    let mut h = sponge();
    h.update(&[vk_domain(), HaloFr::from((vk.ic.len() - 1) as u64)]);
    h.update(&vk_words(vk));
    h.squeeze()
}

/// The low [`CHALLENGE_BITS`] bits of a squeezed value.
pub fn truncate(c: &HaloFr) -> HaloFr {
    let low = fe_to_biguint(c) & ((BigUint::from(1u8) << CHALLENGE_BITS) - 1u8);
    let low: u128 = low.try_into().expect("masked to 128 bits");
    HaloFr::from_u128(low)
}

/// The challenges r₁..r_N (r₁ = 1) of a batch of `proofs` with their `inputs` under `vk`, as the
/// circuit derives them. Callers go through [`AggregationInput::challenges`], whose input is
/// checked (a key with inputs, one input vector per proof).
///
/// [`AggregationInput::challenges`]: super::input::AggregationInput::challenges
pub(crate) fn challenges(vk: &Vk, proofs: &[G16Proof], inputs: &[Vec<HaloFr>]) -> Vec<HaloFr> {
    let mut h = sponge();
    h.update(&[challenge_domain(), HaloFr::from(proofs.len() as u64), HaloFr::from((vk.ic.len() - 1) as u64), vk_hash(vk)]);
    for (proof, x) in proofs.iter().zip(inputs) {
        h.update(&g1_limbs(&proof.a));
        h.update(&g2_limbs(&proof.b));
        h.update(&g1_limbs(&proof.c));
        h.update(x);
    }
    let mut r = vec![HaloFr::ONE];
    r.extend((1..proofs.len()).map(|_| truncate(&h.squeeze())));
    r
}
