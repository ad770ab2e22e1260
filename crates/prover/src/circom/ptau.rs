//! snarkjs powers-of-tau files (`.ptau`, e.g. the Hermez / Perpetual Powers of Tau ceremonies):
//! the powers [τⁱ]G1 and [τ]G2 a KZG setup is made of.
//!
//! Layout (iden3 binary container, magic `ptau`): section 1 the header (n8, the base-field
//! modulus, `power`, the ceremony's power), section 2 the 2^(power+1) − 1 points [τⁱ]G1, section 3
//! the 2^power points [τⁱ]G2, every coordinate 32 bytes little-endian in Montgomery form (as
//! `.zkey` stores them). Only what a KZG setup needs is read and checked: the first 2^k G1
//! powers and [τ]G2, each on its curve, the first of each the generator, and that they are
//! powers of one τ (one random linear combination of consecutive powers, two pairings).

use std::path::Path;

use ark_bn254::{Bn254, Fq, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, VariableBaseMSM};
use ark_ff::UniformRand;

use super::binfile::{self, Reader};
use super::zkey::{g1_points, g2_point, subgroup_g2};
use super::error::{CircomError, FormatProblem};

/// The first 2^k powers of τ in G1 and [τ]G2.
pub struct Powers {
    /// The file's own power: it holds 2^power G2 and 2^(power+1) − 1 G1 powers.
    pub power: u32,
    /// [τⁱ]G1 for i below 2^k, the generator first.
    pub tau_g1: Vec<G1Affine>,
    /// [τ]G2, checked to be in the subgroup.
    pub tau_g2: G2Affine,
}

fn section_name(id: u32) -> &'static str {
    match id {
        1 => "header",
        2 => "tauG1 points",
        3 => "tauG2 points",
        _ => "section",
    }
}

/// Reads the first 2^k powers from a `.ptau` file.
pub fn read_powers(path: &Path, k: u32) -> Result<Powers, CircomError> {
    powers_from_bytes(&binfile::read_file(path)?, k).map_err(CircomError::format(path))
}

/// The first 2^k powers from a `.ptau` file's bytes. Refuses a file of fewer than 2^k powers or
/// over 2^28, first powers other than the generators, and points that are not powers of one τ.
pub fn powers_from_bytes(bytes: &[u8], k: u32) -> Result<Powers, FormatProblem> {
    let file = binfile::parse(bytes, b"ptau", "a snarkjs powers-of-tau (.ptau)", section_name)?;
    if file.version != 1 {
        return Err(FormatProblem::Version { found: file.version, supported: 1 });
    }
    let mut header = file.section(1)?;
    header.modulus::<Fq>("base field")?;
    let power = header.u32()?;
    if power < k || power > 28 {
        return Err(FormatProblem::Invalid(format!("it holds 2^{power} powers; 2^{k} are needed")));
    }
    let n = 1usize << k;
    let tau_g1 = g1_points(&mut Reader::new(file.section(2)?.take(n * 64)?, "tauG1 points"), n)?;
    let mut g2 = file.section(3)?;
    let tau_g2 = [g2_point(g2.take(128)?, "tauG2[0]")?, g2_point(g2.take(128)?, "tauG2[1]")?];
    if tau_g1[0] != G1Affine::generator() || tau_g2[0] != G2Affine::generator() {
        return Err(FormatProblem::Invalid("its first powers are not the generators".into()));
    }
    let tau_g2 = subgroup_g2(tau_g2[1], "tauG2[1]")?;
    if tau_g1.iter().any(|p| p.is_zero()) || !consecutive_powers(&tau_g1, tau_g2) {
        return Err(FormatProblem::Invalid("its G1 and G2 points are not powers of one τ".into()));
    }
    Ok(Powers { power, tau_g1, tau_g2 })
}

/// e(Σ ρⁱ·[τⁱ⁺¹]G1, G2) = e(Σ ρⁱ·[τⁱ]G1, [τ]G2) for a random ρ: every point is τ times the one
/// before it (a wrong point passes with probability about n/r).
fn consecutive_powers(g: &[G1Affine], tau_g2: G2Affine) -> bool {
    if g.len() < 2 {
        return true;
    }
    let rho = Fr::rand(&mut rand::thread_rng());
    let mut weights = Vec::with_capacity(g.len() - 1);
    let mut w = Fr::from(1u64);
    for _ in 1..g.len() {
        weights.push(w);
        w *= rho;
    }
    let lo = G1Projective::msm(&g[..g.len() - 1], &weights).ok();
    let hi = G1Projective::msm(&g[1..], &weights).ok();
    match (lo, hi) {
        (Some(lo), Some(hi)) => Bn254::pairing(hi, G2Affine::generator()) == Bn254::pairing(lo, tau_g2),
        _ => false,
    }
}
