//! snarkjs's JSON files: `proof.json`, `public.json` and `verification_key.json` (Groth16, "bn128").
//!
//! Reading validates everything a verifier relies on: every coordinate canonical (< the base-field
//! modulus), every public input canonical (< the scalar-field modulus), every point on its curve and,
//! for G2, in the prime-order subgroup. Each refusal names the field at fault.

use std::fs;
use std::path::{Path, PathBuf};

use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_ff::{One, Zero};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::field::{parse_decimal, to_decimal, FieldError};
use crate::{Fr, Proof, VerifyingKey};

/// Why the content of a snarkjs proof, verifying key or public-input list is refused.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The `protocol` field is not `"groth16"`; holds the value found.
    #[error("protocol is {0:?}, expected \"groth16\"")]
    Protocol(String),
    /// The `curve` field is not `"bn128"`; holds the value found.
    #[error("curve is {0:?}, expected \"bn128\" (BN254)")]
    Curve(String),
    /// A coordinate or public input is not a canonical decimal field element.
    #[error("{what}: {source}")]
    Field {
        /// Where it is, e.g. `pi_a[0]`, `vk_beta_2[1][0]` or `public input 3`.
        what: String,
        /// What is wrong with the value.
        source: FieldError,
    },
    /// The named point (e.g. `pi_a`, `IC[2]`) is not on its curve.
    #[error("{0} is not a point on the curve")]
    NotOnCurve(String),
    /// The named G2 point is on the curve but outside the prime-order subgroup.
    #[error("{0} is not in the prime-order subgroup")]
    NotInSubgroup(String),
    /// The named point's third (projective) coordinate is neither 1 nor 0 (infinity).
    #[error("{0} has a projective coordinate other than 1 (or 0 for infinity); write affine points")]
    NotAffine(String),
    /// `IC` does not have `nPublic` + 1 points.
    #[error("IC has {ic} points, but nPublic = {n_public} needs one more than that")]
    IcLength {
        /// Points in `IC`.
        ic: usize,
        /// `nPublic` as the file gives it.
        n_public: usize,
    },
    /// The verifying key has α, β, γ or δ at infinity.
    #[error(transparent)]
    Degenerate(#[from] crate::verify::DegenerateKey),
}

/// Why a snarkjs JSON file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON of the expected shape (or, when writing, the value could not be encoded).
    #[error("{path}: not valid JSON of the expected shape: {source}")]
    Json {
        /// The file at fault.
        path: PathBuf,
        /// What serde_json refused.
        source: serde_json::Error,
    },
    /// The JSON has the expected shape but its content is refused.
    #[error("{path}: {source}")]
    Format {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with the content.
        source: FormatError,
    },
}

const PROTOCOL: &str = "groth16";
const CURVE: &str = "bn128";

/// `proof.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofJson {
    /// A, in G1: decimal `[x, y, z]` with z `"1"`, or `"0"` for the point at infinity.
    pub pi_a: [String; 3],
    /// B, in G2: `[x, y, z]` with each coordinate an Fq2 element `[c0, c1]`, z `["1", "0"]` or zero.
    pub pi_b: [[String; 2]; 3],
    /// C, in G1, written as `pi_a` is.
    pub pi_c: [String; 3],
    /// `"groth16"`; anything else is refused.
    pub protocol: String,
    /// `"bn128"` (BN254); anything else is refused.
    pub curve: String,
}

/// `verification_key.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyingKeyJson {
    /// `"groth16"`; anything else is refused.
    pub protocol: String,
    /// `"bn128"` (BN254); anything else is refused.
    pub curve: String,
    /// Public inputs, the constant 1 excluded; `IC` has one point more.
    #[serde(rename = "nPublic")]
    pub n_public: usize,
    /// α, in G1, written as [`ProofJson::pi_a`] is.
    pub vk_alpha_1: [String; 3],
    /// β, in G2, written as [`ProofJson::pi_b`] is.
    pub vk_beta_2: [[String; 2]; 3],
    /// γ, in G2, written as [`ProofJson::pi_b`] is.
    pub vk_gamma_2: [[String; 2]; 3],
    /// δ, in G2, written as [`ProofJson::pi_b`] is.
    pub vk_delta_2: [[String; 2]; 3],
    /// e(α, β), which snarkjs precomputes; written for compatibility, not trusted when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vk_alphabeta_12: Option<serde_json::Value>,
    /// The G1 points the public inputs weight (`gamma_abc_g1`), the constant 1's first.
    #[serde(rename = "IC")]
    pub ic: Vec<[String; 3]>,
}

/// `public.json`: the public signals as decimal strings.
pub type PublicJson = Vec<String>;

fn check_header(protocol: &str, curve: &str) -> Result<(), FormatError> {
    if protocol != PROTOCOL {
        return Err(FormatError::Protocol(protocol.to_string()));
    }
    if curve != CURVE {
        return Err(FormatError::Curve(curve.to_string()));
    }
    Ok(())
}

fn fq(what: &str, s: &str) -> Result<Fq, FormatError> {
    parse_decimal(s).map_err(|source| FormatError::Field { what: what.to_string(), source })
}

fn g1_from_json(what: &str, p: &[String; 3]) -> Result<G1Affine, FormatError> {
    let z = fq(&format!("{what}[2]"), &p[2])?;
    if z.is_zero() {
        return Ok(G1Affine::zero());
    }
    if !z.is_one() {
        return Err(FormatError::NotAffine(what.to_string()));
    }
    let point = G1Affine::new_unchecked(fq(&format!("{what}[0]"), &p[0])?, fq(&format!("{what}[1]"), &p[1])?);
    if !point.is_on_curve() {
        return Err(FormatError::NotOnCurve(what.to_string()));
    }
    Ok(point)
}

fn fq2(what: &str, c: &[String; 2]) -> Result<Fq2, FormatError> {
    Ok(Fq2::new(fq(&format!("{what}[0]"), &c[0])?, fq(&format!("{what}[1]"), &c[1])?))
}

fn g2_from_json(what: &str, p: &[[String; 2]; 3]) -> Result<G2Affine, FormatError> {
    let z = fq2(&format!("{what}[2]"), &p[2])?;
    if z.is_zero() {
        return Ok(G2Affine::zero());
    }
    if !z.is_one() {
        return Err(FormatError::NotAffine(what.to_string()));
    }
    let point = G2Affine::new_unchecked(fq2(&format!("{what}[0]"), &p[0])?, fq2(&format!("{what}[1]"), &p[1])?);
    if !point.is_on_curve() {
        return Err(FormatError::NotOnCurve(what.to_string()));
    }
    if !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(FormatError::NotInSubgroup(what.to_string()));
    }
    Ok(point)
}

fn g1_to_json(p: &G1Affine) -> [String; 3] {
    match p.xy() {
        Some((x, y)) => [to_decimal(&x), to_decimal(&y), "1".into()],
        None => ["0".into(), "1".into(), "0".into()],
    }
}

fn fq2_to_json(c: &Fq2) -> [String; 2] {
    [to_decimal(&c.c0), to_decimal(&c.c1)]
}

fn g2_to_json(p: &G2Affine) -> [[String; 2]; 3] {
    match p.xy() {
        Some((x, y)) => [fq2_to_json(&x), fq2_to_json(&y), ["1".into(), "0".into()]],
        None => [["0".into(), "0".into()], ["1".into(), "0".into()], ["0".into(), "0".into()]],
    }
}

impl ProofJson {
    /// The proof as snarkjs writes it, points in affine form.
    pub fn from_proof(proof: &Proof) -> Self {
        ProofJson {
            pi_a: g1_to_json(&proof.a),
            pi_b: g2_to_json(&proof.b),
            pi_c: g1_to_json(&proof.c),
            protocol: PROTOCOL.into(),
            curve: CURVE.into(),
        }
    }

    /// The proof; refuses another protocol or curve, non-canonical coordinates, points off their
    /// curve or not affine, and a B outside the prime-order subgroup.
    pub fn to_proof(&self) -> Result<Proof, FormatError> {
        check_header(&self.protocol, &self.curve)?;
        Ok(Proof {
            a: g1_from_json("pi_a", &self.pi_a)?,
            b: g2_from_json("pi_b", &self.pi_b)?,
            c: g1_from_json("pi_c", &self.pi_c)?,
        })
    }
}

impl VerifyingKeyJson {
    /// The key as snarkjs writes it, e(α, β) included.
    pub fn from_vk(vk: &VerifyingKey) -> Self {
        let ab = Bn254::pairing(vk.alpha_g1, vk.beta_g2).0;
        let fq6 = |c: &ark_bn254::Fq6| serde_json::json!([fq2_to_json(&c.c0), fq2_to_json(&c.c1), fq2_to_json(&c.c2)]);
        VerifyingKeyJson {
            protocol: PROTOCOL.into(),
            curve: CURVE.into(),
            n_public: vk.gamma_abc_g1.len().saturating_sub(1),
            vk_alpha_1: g1_to_json(&vk.alpha_g1),
            vk_beta_2: g2_to_json(&vk.beta_g2),
            vk_gamma_2: g2_to_json(&vk.gamma_g2),
            vk_delta_2: g2_to_json(&vk.delta_g2),
            vk_alphabeta_12: Some(serde_json::json!([fq6(&ab.c0), fq6(&ab.c1)])),
            ic: vk.gamma_abc_g1.iter().map(g1_to_json).collect(),
        }
    }

    /// The verifying key; refuses what [`ProofJson::to_proof`] refuses, an `IC` whose length
    /// does not match `nPublic`, and a degenerate key ([`crate::verify::check_key`]; an IC point at
    /// infinity is only warned about).
    pub fn to_vk(&self) -> Result<VerifyingKey, FormatError> {
        check_header(&self.protocol, &self.curve)?;
        // checked: nPublic comes from the file, and usize::MAX + 1 must be a refusal, not a panic.
        if self.n_public.checked_add(1) != Some(self.ic.len()) {
            return Err(FormatError::IcLength { ic: self.ic.len(), n_public: self.n_public });
        }
        let vk = VerifyingKey {
            alpha_g1: g1_from_json("vk_alpha_1", &self.vk_alpha_1)?,
            beta_g2: g2_from_json("vk_beta_2", &self.vk_beta_2)?,
            gamma_g2: g2_from_json("vk_gamma_2", &self.vk_gamma_2)?,
            delta_g2: g2_from_json("vk_delta_2", &self.vk_delta_2)?,
            gamma_abc_g1: self
                .ic
                .iter()
                .enumerate()
                .map(|(i, p)| g1_from_json(&format!("IC[{i}]"), p))
                .collect::<Result<_, _>>()?,
        };
        for input in crate::verify::check_key(&vk)? {
            tracing::warn!(input, "IC[{}] is the point at infinity: public input {input} is unconstrained, any value of it verifies", input + 1);
        }
        Ok(vk)
    }
}

/// The public inputs as decimal strings, for `public.json`.
pub fn public_to_json(public: &[Fr]) -> PublicJson {
    public.iter().map(to_decimal).collect()
}

/// The public inputs; refuses any that is not a canonical scalar, naming it by its index.
pub fn public_from_json(public: &PublicJson) -> Result<Vec<Fr>, FormatError> {
    public
        .iter()
        .enumerate()
        .map(|(i, s)| parse_decimal(s).map_err(|source| FormatError::Field { what: format!("public input {i}"), source }))
        .collect()
}

/// Reads a JSON file as `T`, unchecked beyond its shape (for a client that forwards it).
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    let text = fs::read_to_string(path).map_err(|source| FileError::Io { path: path.into(), source })?;
    serde_json::from_str(&text).map_err(|source| FileError::Json { path: path.into(), source })
}

/// Writes pretty JSON, as snarkjs does.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), FileError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| FileError::Json { path: path.into(), source })?;
    fs::write(path, text + "\n").map_err(|source| FileError::Io { path: path.into(), source })
}

fn in_file<T>(path: &Path, r: Result<T, FormatError>) -> Result<T, FileError> {
    r.map_err(|source| FileError::Format { path: path.into(), source })
}

/// Reads and checks a `proof.json` (see [`ProofJson::to_proof`]).
pub fn read_proof(path: &Path) -> Result<Proof, FileError> {
    in_file(path, read_json::<ProofJson>(path)?.to_proof())
}

/// Reads and checks a `verification_key.json` (see [`VerifyingKeyJson::to_vk`]).
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, FileError> {
    in_file(path, read_json::<VerifyingKeyJson>(path)?.to_vk())
}

/// Reads and checks a `public.json` (see [`public_from_json`]).
pub fn read_public(path: &Path) -> Result<Vec<Fr>, FileError> {
    in_file(path, public_from_json(&read_json(path)?))
}

/// Writes `proof.json` as snarkjs does.
pub fn write_proof(path: &Path, proof: &Proof) -> Result<(), FileError> {
    write_json(path, &ProofJson::from_proof(proof))
}

/// Writes `verification_key.json` as snarkjs does.
pub fn write_verifying_key(path: &Path, vk: &VerifyingKey) -> Result<(), FileError> {
    write_json(path, &VerifyingKeyJson::from_vk(vk))
}

/// Writes `public.json` as snarkjs does.
pub fn write_public(path: &Path, public: &[Fr]) -> Result<(), FileError> {
    write_json(path, &public_to_json(public))
}
