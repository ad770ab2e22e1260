//! circom's witness file, `.wtns` (version 2): section 1 the field (u32 byte size, modulus) and the
//! value count, section 2 the values, standard form, little-endian. The values are the full
//! assignment `[1, public…, private…]` in the wire order of the circuit's `.r1cs`.

use std::path::Path;

use ark_ff::{BigInteger, PrimeField};
use rayon::prelude::*;

use super::binfile;
use super::error::{CircomError, FormatProblem};
use crate::Fr;

fn section_name(id: u32) -> &'static str {
    match id {
        1 => "header",
        2 => "witness values",
        _ => "unknown",
    }
}

/// Reads a `.wtns` file's values, as [`from_bytes`] does.
pub fn read(path: &Path) -> Result<Vec<Fr>, CircomError> {
    from_bytes(&binfile::read_file(path)?, path)
}

/// The values of a `.wtns` file's bytes; `path` names the file in errors. Refuses a version other
/// than 2, another field, a values section of another length than the count, and a value ≥ the
/// modulus.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Vec<Fr>, CircomError> {
    parse(bytes).map_err(CircomError::format(path))
}

fn parse(bytes: &[u8]) -> Result<Vec<Fr>, FormatProblem> {
    let file = binfile::parse(bytes, b"wtns", "a circom .wtns", section_name)?;
    if file.version != 2 {
        return Err(FormatProblem::Version { found: file.version, supported: 2 });
    }
    let mut h = file.section(1)?;
    h.modulus::<Fr>("scalar field")?;
    let count = h.u32()? as usize;
    let values = file.section(2)?.rest_exactly(count * 32)?;
    values
        .par_chunks_exact(32)
        .enumerate()
        .map(|(i, v)| binfile::standard::<Fr>(v).ok_or_else(|| FormatProblem::NotCanonical(format!("witness value {i}"))))
        .collect()
}

/// The bytes of a `.wtns` file holding `witness`, as circom's witness generator writes it.
pub fn to_bytes(witness: &[Fr]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 32 * witness.len());
    out.extend_from_slice(b"wtns");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(4u64 + 32 + 4).to_le_bytes());
    out.extend_from_slice(&32u32.to_le_bytes());
    out.extend_from_slice(&Fr::MODULUS.to_bytes_le());
    out.extend_from_slice(&(witness.len() as u32).to_le_bytes());
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(32 * witness.len() as u64).to_le_bytes());
    for v in witness {
        out.extend_from_slice(&v.into_bigint().to_bytes_le());
    }
    out
}

/// Writes `witness` to `path` as a `.wtns` file (see [`to_bytes`]).
pub fn write(path: &Path, witness: &[Fr]) -> Result<(), CircomError> {
    std::fs::write(path, to_bytes(witness)).map_err(|source| CircomError::Io { path: path.to_path_buf(), source })
}
