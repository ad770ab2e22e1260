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

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("protocol is {0:?}, expected \"groth16\"")]
    Protocol(String),
    #[error("curve is {0:?}, expected \"bn128\" (BN254)")]
    Curve(String),
    #[error("{what}: {source}")]
    Field { what: String, source: FieldError },
    #[error("{0} is not a point on the curve")]
    NotOnCurve(String),
    #[error("{0} is not in the prime-order subgroup")]
    NotInSubgroup(String),
    #[error("{0} has a projective coordinate other than 1 (or 0 for infinity); write affine points")]
    NotAffine(String),
    #[error("IC has {ic} points, but nPublic = {n_public} needs {}", n_public + 1)]
    IcLength { ic: usize, n_public: usize },
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not valid JSON of the expected shape: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("{path}: {source}")]
    Format { path: PathBuf, source: FormatError },
}

const PROTOCOL: &str = "groth16";
const CURVE: &str = "bn128";

/// `proof.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofJson {
    pub pi_a: [String; 3],
    pub pi_b: [[String; 2]; 3],
    pub pi_c: [String; 3],
    pub protocol: String,
    pub curve: String,
}

/// `verification_key.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyingKeyJson {
    pub protocol: String,
    pub curve: String,
    #[serde(rename = "nPublic")]
    pub n_public: usize,
    pub vk_alpha_1: [String; 3],
    pub vk_beta_2: [[String; 2]; 3],
    pub vk_gamma_2: [[String; 2]; 3],
    pub vk_delta_2: [[String; 2]; 3],
    /// e(α, β), which snarkjs precomputes; written for compatibility, not trusted when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vk_alphabeta_12: Option<serde_json::Value>,
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
    pub fn from_proof(proof: &Proof) -> Self {
        ProofJson {
            pi_a: g1_to_json(&proof.a),
            pi_b: g2_to_json(&proof.b),
            pi_c: g1_to_json(&proof.c),
            protocol: PROTOCOL.into(),
            curve: CURVE.into(),
        }
    }

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

    pub fn to_vk(&self) -> Result<VerifyingKey, FormatError> {
        check_header(&self.protocol, &self.curve)?;
        if self.ic.len() != self.n_public + 1 {
            return Err(FormatError::IcLength { ic: self.ic.len(), n_public: self.n_public });
        }
        Ok(VerifyingKey {
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
        })
    }
}

pub fn public_to_json(public: &[Fr]) -> PublicJson {
    public.iter().map(to_decimal).collect()
}

pub fn public_from_json(public: &PublicJson) -> Result<Vec<Fr>, FormatError> {
    public
        .iter()
        .enumerate()
        .map(|(i, s)| parse_decimal(s).map_err(|source| FormatError::Field { what: format!("public input {i}"), source }))
        .collect()
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
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

pub fn read_proof(path: &Path) -> Result<Proof, FileError> {
    in_file(path, read_json::<ProofJson>(path)?.to_proof())
}

pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, FileError> {
    in_file(path, read_json::<VerifyingKeyJson>(path)?.to_vk())
}

pub fn read_public(path: &Path) -> Result<Vec<Fr>, FileError> {
    in_file(path, public_from_json(&read_json(path)?))
}

pub fn write_proof(path: &Path, proof: &Proof) -> Result<(), FileError> {
    write_json(path, &ProofJson::from_proof(proof))
}

pub fn write_verifying_key(path: &Path, vk: &VerifyingKey) -> Result<(), FileError> {
    write_json(path, &VerifyingKeyJson::from_vk(vk))
}

pub fn write_public(path: &Path, public: &[Fr]) -> Result<(), FileError> {
    write_json(path, &public_to_json(public))
}
