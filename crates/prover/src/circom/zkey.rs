//! snarkjs's Groth16 `.zkey` as a [`ProvingKey`] under the circom reduction.
//!
//! Sections: 1 header (protocol), 2 Groth16 header (moduli, nVars, nPublic, domain size, α₁, β₁,
//! β₂, γ₂, δ₁, δ₂), 3 IC, 4 A and B coefficients, 5 A points, 6 B points in G1, 7 B points in G2,
//! 8 C points (private signals), 9 H points, 10 contributions. Points are stored as affine
//! coordinates in Montgomery form (arkworks' own representation, so taken as is), infinity as
//! (0, 0); coefficients are stored as value·R in Montgomery form (value·R² in memory), which is
//! what snarkjs's prover multiplies by standard-form witness values.
//!
//! Every coordinate is checked canonical and every point on the curve; the verifying key's G2
//! points are checked to be in the subgroup. (G1 on BN254 has cofactor 1; G2 points of the
//! prover's queries outside the subgroup would only make proofs that do not verify.)

use std::path::Path;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{PrimeField, Zero};
use rayon::prelude::*;

use super::binfile::{self, montgomery_fq, Reader};
use super::error::{CircomError, FormatProblem};
use crate::qap::Reduction;
use crate::r1cs::R1cs;
use crate::ProvingKey;

const GROTH16: u32 = 1;

fn section_name(id: u32) -> &'static str {
    match id {
        1 => "header",
        2 => "Groth16 header",
        3 => "IC points",
        4 => "A and B coefficients",
        5 => "A points",
        6 => "B points in G1",
        7 => "B points in G2",
        8 => "C points",
        9 => "H points",
        10 => "contributions",
        _ => "unknown",
    }
}

/// Reads and converts a zkey file. The key's circuit id is `circom:<file stem>`.
pub fn read(path: &Path) -> Result<ProvingKey, CircomError> {
    from_bytes(&binfile::read_file(path)?, path)
}

/// Converts a zkey's bytes; `path` names the file in errors and the key's circuit id.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ProvingKey, CircomError> {
    let mut key = parse(bytes).map_err(CircomError::format(path))?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    key.circuit = format!("circom:{stem}");
    Ok(key)
}

struct Header {
    n_vars: usize,
    n_public: usize,
    domain_size: usize,
    alpha_g1: G1Affine,
    beta_g1: G1Affine,
    beta_g2: G2Affine,
    gamma_g2: G2Affine,
    delta_g1: G1Affine,
    delta_g2: G2Affine,
}

fn parse(bytes: &[u8]) -> Result<ProvingKey, FormatProblem> {
    let file = binfile::parse(bytes, b"zkey", "a snarkjs .zkey", section_name)?;
    if file.version != 1 {
        return Err(FormatProblem::Version { found: file.version, supported: 1 });
    }
    let protocol = file.section(1)?.u32()?;
    if protocol != GROTH16 {
        let name = match protocol {
            2 => "PLONK".to_string(),
            10 => "FFLONK".to_string(),
            other => format!("protocol-{other}"),
        };
        return Err(FormatProblem::Protocol(name));
    }
    let h = header(&mut file.section(2)?)?;

    let ic = g1_points(&mut file.section(3)?, h.n_public + 1)?;
    let n_private = h.n_vars.checked_sub(h.n_public + 1).ok_or_else(|| {
        FormatProblem::Invalid(format!("nPublic = {} leaves no room for the constant signal among nVars = {}", h.n_public, h.n_vars))
    })?;
    let (a_query, (b_g1_query, (b_g2_query, (l_query, h_query)))) = join_results(
        || g1_points(&mut file.section(5)?, h.n_vars),
        || {
            join_results(
                || g1_points(&mut file.section(6)?, h.n_vars),
                || {
                    join_results(
                        || g2_points(&mut file.section(7)?, h.n_vars),
                        || join_results(|| g1_points(&mut file.section(8)?, n_private), || g1_points(&mut file.section(9)?, h.domain_size)),
                    )
                },
            )
        },
    )?;
    let (a, b) = coefficients(&mut file.section(4)?, &h)?;
    let r1cs = R1cs { num_instance: h.n_public + 1, num_witness: n_private, a, b, c: Vec::new() };

    let groth16 = ark_groth16::ProvingKey::<Bn254> {
        vk: ark_groth16::VerifyingKey {
            alpha_g1: h.alpha_g1,
            beta_g2: h.beta_g2,
            gamma_g2: h.gamma_g2,
            delta_g2: h.delta_g2,
            gamma_abc_g1: ic,
        },
        beta_g1: h.beta_g1,
        delta_g1: h.delta_g1,
        a_query,
        b_g1_query,
        b_g2_query,
        h_query,
        l_query,
    };
    let key = ProvingKey { circuit: String::new(), groth16, r1cs, reduction: Reduction::Circom };
    key.check_shape().map_err(FormatProblem::Invalid)?;
    Ok(key)
}

fn join_results<A: Send, B: Send, E: Send>(
    a: impl FnOnce() -> Result<A, E> + Send,
    b: impl FnOnce() -> Result<B, E> + Send,
) -> Result<(A, B), E> {
    let (a, b) = rayon::join(a, b);
    Ok((a?, b?))
}

fn header(r: &mut Reader) -> Result<Header, FormatProblem> {
    r.modulus::<Fq>("base field")?;
    r.modulus::<Fr>("scalar field")?;
    let n_vars = r.u32()? as usize;
    let n_public = r.u32()? as usize;
    let domain_size = r.u32()? as usize;
    if !domain_size.is_power_of_two() {
        return Err(FormatProblem::Invalid(format!("the domain size {domain_size} is not a power of two")));
    }
    let mut g1 = |what: &str| -> Result<G1Affine, FormatProblem> { g1_point(r.take(64)?, what) };
    let alpha_g1 = g1("vk_alpha_1")?;
    let beta_g1 = g1("vk_beta_1")?;
    let beta_g2 = subgroup_g2(g2_point(r.take(128)?, "vk_beta_2")?, "vk_beta_2")?;
    let gamma_g2 = subgroup_g2(g2_point(r.take(128)?, "vk_gamma_2")?, "vk_gamma_2")?;
    let delta_g1 = g1_point(r.take(64)?, "vk_delta_1")?;
    let delta_g2 = subgroup_g2(g2_point(r.take(128)?, "vk_delta_2")?, "vk_delta_2")?;
    Ok(Header { n_vars, n_public, domain_size, alpha_g1, beta_g1, beta_g2, gamma_g2, delta_g1, delta_g2 })
}

fn fq(bytes: &[u8], what: &dyn Fn() -> String) -> Result<Fq, FormatProblem> {
    montgomery_fq(bytes).ok_or_else(|| FormatProblem::NotCanonical(what()))
}

fn g1_point(b: &[u8], what: &str) -> Result<G1Affine, FormatProblem> {
    let name = || what.to_string();
    let (x, y) = (fq(&b[..32], &name)?, fq(&b[32..64], &name)?);
    if x.is_zero() && y.is_zero() {
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(FormatProblem::NotOnCurve(name()));
    }
    Ok(p)
}

pub(super) fn g2_point(b: &[u8], what: &str) -> Result<G2Affine, FormatProblem> {
    let name = || what.to_string();
    let x = Fq2::new(fq(&b[..32], &name)?, fq(&b[32..64], &name)?);
    let y = Fq2::new(fq(&b[64..96], &name)?, fq(&b[96..128], &name)?);
    if x.is_zero() && y.is_zero() {
        return Ok(G2Affine::zero());
    }
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(FormatProblem::NotOnCurve(name()));
    }
    Ok(p)
}

pub(super) fn subgroup_g2(p: G2Affine, what: &str) -> Result<G2Affine, FormatProblem> {
    if p.is_in_correct_subgroup_assuming_on_curve() {
        Ok(p)
    } else {
        Err(FormatProblem::NotInSubgroup(what.to_string()))
    }
}

pub(super) fn g1_points(r: &mut Reader, count: usize) -> Result<Vec<G1Affine>, FormatProblem> {
    let what = r.what();
    let bytes = r.rest_exactly(count * 64)?;
    bytes.par_chunks_exact(64).enumerate().map(|(i, b)| g1_point(b, &format!("{what}[{i}]"))).collect()
}

fn g2_points(r: &mut Reader, count: usize) -> Result<Vec<G2Affine>, FormatProblem> {
    let what = r.what();
    let bytes = r.rest_exactly(count * 128)?;
    bytes.par_chunks_exact(128).enumerate().map(|(i, b)| g2_point(b, &format!("{what}[{i}]"))).collect()
}

type Rows = Vec<Vec<(Fr, usize)>>;

/// The A and B matrices. snarkjs appends one A row per instance variable (`1·zᵢ` at row
/// nConstraints + i) to bind the public inputs; the prover adds those itself, so they are checked
/// and dropped, which also tells how many constraints the circuit has (the header does not).
fn coefficients(r: &mut Reader, h: &Header) -> Result<(Rows, Rows), FormatProblem> {
    let count = r.u32()? as usize;
    let bytes = r.rest_exactly(count.checked_mul(44).ok_or_else(|| FormatProblem::Invalid("too many coefficients".into()))?)?;
    let mut rows: [Rows; 2] = [Vec::new(), Vec::new()];
    for (i, entry) in bytes.chunks_exact(44).enumerate() {
        let word = |k: usize| u32::from_le_bytes([entry[4 * k], entry[4 * k + 1], entry[4 * k + 2], entry[4 * k + 3]]) as usize;
        let (matrix, row, signal) = (word(0), word(1), word(2));
        let bad = |what: String| FormatProblem::Invalid(format!("coefficient {i} {what}"));
        if matrix > 1 {
            return Err(bad(format!("is for matrix {matrix}; a zkey has A (0) and B (1) only")));
        }
        if row >= h.domain_size {
            return Err(bad(format!("is in row {row}, beyond the domain's {} rows", h.domain_size)));
        }
        if signal >= h.n_vars {
            return Err(bad(format!("refers to signal {signal}, beyond nVars = {}", h.n_vars)));
        }
        // Stored as value·R (Montgomery of value·R): two Montgomery reductions give the value.
        let raw = binfile::bigint::<Fr>(&entry[12..44]).ok_or_else(|| FormatProblem::NotCanonical(format!("coefficient {i}")))?;
        let value = Fr::new_unchecked(Fr::new_unchecked(raw).into_bigint());
        let m = &mut rows[matrix];
        if m.len() <= row {
            m.resize(row + 1, Vec::new());
        }
        m[row].push((value, signal));
    }
    let [mut a, mut b] = rows;
    let instance = h.n_public + 1;
    let constraints = a.len().checked_sub(instance).filter(|&m| b.len() <= m).ok_or_else(|| {
        FormatProblem::Invalid("the A coefficients do not end with the rows that bind the public inputs".into())
    })?;
    for (i, row) in a[constraints..].iter().enumerate() {
        if row.len() != 1 || row[0] != (Fr::from(1u64), i) {
            return Err(FormatProblem::Invalid(format!(
                "row {} of A should bind public input {i} (1·signal {i}), as snarkjs writes it",
                constraints + i
            )));
        }
    }
    a.truncate(constraints);
    b.resize(constraints, Vec::new());
    Ok((a, b))
}
