//! From zkbatch's arkworks types to the halo2curves types halo2-ecc works with.
//!
//! Both libraries hold canonical integers for Fq and Fr, and Fq2 as c0 + c1·u, so the conversion
//! goes through the integer (the swapped (c1, c0) order is the EVM precompiles' alone). Points
//! are rebuilt with `from_xy`, which checks the curve equation, so an arkworks point built
//! unchecked cannot reach the circuit off its curve.

use ark_ec::AffineRepr;
use ark_ff::PrimeField;
use halo2_base::halo2_proofs::halo2curves::bn256::{Fq as HaloFq, Fq2 as HaloFq2, Fr as HaloFr, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::CurveAffine;
use halo2_base::utils::{biguint_to_fe, fe_to_biguint};
use num_bigint::BigUint;
use zkbatch_prover::{Fr, Proof, VerifyingKey};

use super::error::AggregationError;

/// A Groth16 verifying key in halo2curves types; `ic` is IC₀..IC_ℓ (arkworks' `gamma_abc_g1`).
#[derive(Clone, Debug, PartialEq)]
pub struct Vk {
    /// α in G1.
    pub alpha: G1Affine,
    /// β in G2.
    pub beta: G2Affine,
    /// γ in G2.
    pub gamma: G2Affine,
    /// δ in G2.
    pub delta: G2Affine,
    /// IC₀..IC_ℓ in G1: the constant term, then one point per public input.
    pub ic: Vec<G1Affine>,
}

/// A Groth16 proof in halo2curves types.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct G16Proof {
    /// A in G1.
    pub a: G1Affine,
    /// B in G2 (in the prime-order subgroup when made by [`proof`]).
    pub b: G2Affine,
    /// C in G1.
    pub c: G1Affine,
}

/// An arkworks scalar as halo2's (the same field, so any value converts).
pub fn fr(x: &Fr) -> HaloFr {
    let n: BigUint = x.into_bigint().into();
    biguint_to_fe(&n)
}

/// A halo2 scalar as arkworks' (the inverse of [`fr`]).
pub fn fr_to_ark(x: &HaloFr) -> Fr {
    Fr::from(fe_to_biguint(x))
}

fn fq(x: &ark_bn254::Fq) -> HaloFq {
    let n: BigUint = x.into_bigint().into();
    biguint_to_fe(&n)
}

fn fq2(x: &ark_bn254::Fq2) -> HaloFq2 {
    HaloFq2 { c0: fq(&x.c0), c1: fq(&x.c1) }
}

/// A point arkworks computed (finite, on the curve by construction; the identity maps to halo2's).
pub fn g1_from_ark(p: &ark_bn254::G1Affine) -> G1Affine {
    match p.xy() {
        Some((x, y)) => G1Affine { x: fq(&x), y: fq(&y) },
        None => <G1Affine as halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine>::identity(),
    }
}

/// A G1 point the circuit can load; refuses the point at infinity and a point off the curve,
/// naming it by `what`.
pub fn g1(p: &ark_bn254::G1Affine, what: &str) -> Result<G1Affine, AggregationError> {
    let (x, y) = p.xy().ok_or_else(|| AggregationError::Infinity { what: what.into() })?;
    Option::from(G1Affine::from_xy(fq(&x), fq(&y))).ok_or_else(|| AggregationError::NotOnCurve { what: what.into() })
}

/// A G2 point, refused unless in the prime-order subgroup: the circuit checks only the curve
/// equation (as Nebra's does), and halo2-ecc's Miller loop assumes order r.
pub fn g2(p: &ark_bn254::G2Affine, what: &str) -> Result<G2Affine, AggregationError> {
    let (x, y) = p.xy().ok_or_else(|| AggregationError::Infinity { what: what.into() })?;
    let point = Option::from(G2Affine::from_xy(fq2(&x), fq2(&y)))
        .ok_or_else(|| AggregationError::NotOnCurve { what: what.into() })?;
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(AggregationError::NotInSubgroup { what: what.into() });
    }
    Ok(point)
}

/// The verifying key's points, each checked as [`g1`] and [`g2`] check them; refuses a key with
/// no public inputs (the circuit folds at least one).
pub fn vk(vk: &VerifyingKey) -> Result<Vk, AggregationError> {
    if vk.gamma_abc_g1.len() < 2 {
        return Err(AggregationError::NoPublicInputs);
    }
    Ok(Vk {
        alpha: g1(&vk.alpha_g1, "vk.alpha")?,
        beta: g2(&vk.beta_g2, "vk.beta")?,
        gamma: g2(&vk.gamma_g2, "vk.gamma")?,
        delta: g2(&vk.delta_g2, "vk.delta")?,
        ic: vk.gamma_abc_g1.iter().enumerate().map(|(j, p)| g1(p, &format!("vk.IC[{j}]"))).collect::<Result<_, _>>()?,
    })
}

/// The proof in `slot`, its points checked as [`g1`] and [`g2`] check them (errors name the slot).
pub fn proof(p: &Proof, slot: usize) -> Result<G16Proof, AggregationError> {
    Ok(G16Proof {
        a: g1(&p.a, &format!("proof {slot}: A"))?,
        b: g2(&p.b, &format!("proof {slot}: B"))?,
        c: g1(&p.c, &format!("proof {slot}: C"))?,
    })
}
