//! circom's `.r1cs`: the constraint system `A·z ∘ B·z = C·z` over the wires
//! `[1, public outputs, public inputs, private inputs, internal signals]`.
//!
//! Sections: 1 header (field, nWires, nPubOut, nPubIn, nPrvIn, nLabels, nConstraints),
//! 2 constraints (three linear combinations each: a u32 term count, then (u32 wire, value) pairs,
//! values in standard form), 3 wire-to-label map; a 4th and 5th (custom gates) are PLONK-only.

use std::path::Path;

use ark_bn254::Fr;

use super::binfile::{self, Reader};
use super::error::{CircomError, FormatProblem};
use crate::r1cs::R1cs;

fn section_name(id: u32) -> &'static str {
    match id {
        1 => "header",
        2 => "constraints",
        3 => "wire-to-label map",
        4 | 5 => "custom gates",
        _ => "unknown",
    }
}

/// A circom circuit's constraint system and the header counts it came with.
#[derive(Clone, Debug, PartialEq)]
pub struct CircomR1cs {
    /// All wires, the constant 1 included: the length of a full witness.
    pub n_wires: usize,
    /// Public outputs, the wires right after the constant 1.
    pub n_pub_out: usize,
    /// Public inputs, the wires after the public outputs.
    pub n_pub_in: usize,
    /// Private inputs, the wires after the public inputs; internal signals follow them.
    pub n_prv_in: usize,
    /// The header's nLabels: how many signals the circuit named, optimised-away ones included.
    pub n_labels: u64,
    /// Instance: the constant 1, the public outputs and the public inputs, in snarkjs's order.
    pub r1cs: R1cs,
}

impl CircomR1cs {
    /// Public signals, snarkjs's `nPublic`.
    pub fn n_public(&self) -> usize {
        self.n_pub_out + self.n_pub_in
    }
}

/// Reads a `.r1cs` file, as [`from_bytes`] does.
pub fn read(path: &Path) -> Result<CircomR1cs, CircomError> {
    from_bytes(&binfile::read_file(path)?, path)
}

/// Parses a `.r1cs` file's bytes; `path` names the file in errors. Refuses a version other than 1,
/// another field, counts that do not fit, and a term on a wire beyond nWires.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<CircomR1cs, CircomError> {
    parse(bytes).map_err(CircomError::format(path))
}

fn parse(bytes: &[u8]) -> Result<CircomR1cs, FormatProblem> {
    let file = binfile::parse(bytes, b"r1cs", "a circom .r1cs", section_name)?;
    if file.version != 1 {
        return Err(FormatProblem::Version { found: file.version, supported: 1 });
    }
    let mut h = file.section(1)?;
    h.modulus::<Fr>("scalar field")?;
    let n_wires = h.u32()? as usize;
    let n_pub_out = h.u32()? as usize;
    let n_pub_in = h.u32()? as usize;
    let n_prv_in = h.u32()? as usize;
    let n_labels = h.u64()?;
    let n_constraints = h.u32()? as usize;
    let num_instance = 1 + n_pub_out + n_pub_in;
    if num_instance + n_prv_in > n_wires {
        return Err(FormatProblem::Invalid(format!(
            "the header counts {num_instance} instance wires and {n_prv_in} private inputs, more than its {n_wires} wires"
        )));
    }

    let mut s = file.section(2)?;
    let mut matrices: [Vec<Vec<(Fr, usize)>>; 3] = Default::default();
    // A constraint takes at least 12 bytes (three term counts): a header that claims more
    // constraints than the section can hold must not make us allocate for them.
    for m in &mut matrices {
        m.reserve(n_constraints.min(s.remaining() / 12));
    }
    for constraint in 0..n_constraints {
        for (which, matrix) in ["A", "B", "C"].iter().zip(&mut matrices) {
            matrix.push(linear_combination(&mut s, n_wires, constraint, which)?);
        }
    }
    if s.remaining() != 0 {
        return Err(FormatProblem::Invalid(format!("the constraints section holds {} bytes beyond its {n_constraints} constraints", s.remaining())));
    }
    let [a, b, c] = matrices;
    let r1cs = R1cs { num_instance, num_witness: n_wires - num_instance, a, b, c };
    Ok(CircomR1cs { n_wires, n_pub_out, n_pub_in, n_prv_in, n_labels, r1cs })
}

fn linear_combination(s: &mut Reader, n_wires: usize, constraint: usize, which: &str) -> Result<Vec<(Fr, usize)>, FormatProblem> {
    let terms = s.u32()? as usize;
    let bytes = s.take(terms.checked_mul(36).ok_or_else(|| FormatProblem::Invalid("too many terms".into()))?)?;
    bytes
        .chunks_exact(36)
        .map(|t| {
            let wire = u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize;
            if wire >= n_wires {
                return Err(FormatProblem::Invalid(format!("constraint {constraint} ({which}) refers to wire {wire}, beyond the {n_wires} wires")));
            }
            let value = binfile::standard::<Fr>(&t[4..]).ok_or_else(|| FormatProblem::NotCanonical(format!("a coefficient of constraint {constraint} ({which})")))?;
            Ok((value, wire))
        })
        .collect()
}
