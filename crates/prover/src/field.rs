//! Field elements as snarkjs and circom write them: decimal strings, canonical (< the modulus).

use std::fmt;

use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_std::rand::Rng;
use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use crate::Fr;

/// Why a decimal string is not a field element.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum FieldError {
    /// The text, as given, is empty or has a character other than the digits 0–9 (no sign, no hex).
    #[error("{0:?} is not a decimal integer")]
    NotDecimal(String),
    /// The value is at or above the field's modulus; it is refused, not reduced.
    #[error("{value} is not a canonical {field} element: it is ≥ the modulus {modulus}")]
    NotCanonical {
        /// The digits as given, surrounding whitespace trimmed.
        value: String,
        /// Which field: `"scalar field"` (Fr) or `"base field"` (Fq).
        field: &'static str,
        /// That field's modulus, in decimal.
        modulus: String,
    },
}

/// A decimal integer as found in JSON: a string (snarkjs) or a plain number (hand-written inputs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Decimal {
    /// A decimal string, as snarkjs writes every value.
    Text(String),
    /// A JSON number, for small values only (up to `u64::MAX`).
    Number(u64),
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decimal::Text(s) => f.write_str(s),
            Decimal::Number(n) => write!(f, "{n}"),
        }
    }
}

impl From<Fr> for Decimal {
    fn from(v: Fr) -> Self {
        Decimal::Text(to_decimal(&v))
    }
}

impl Decimal {
    /// The field element; refuses text that is not decimal or is ≥ the modulus (see [`parse_decimal`]).
    pub fn to_field<F: PrimeField>(&self) -> Result<F, FieldError> {
        match self {
            Decimal::Text(s) => parse_decimal(s),
            Decimal::Number(n) => Ok(F::from(*n)),
        }
    }
}

/// Parses a canonical decimal field element, refusing anything ≥ the modulus rather than reducing it.
pub fn parse_decimal<F: PrimeField>(s: &str) -> Result<F, FieldError> {
    let digits = s.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::NotDecimal(s.to_string()));
    }
    let value = BigUint::parse_bytes(digits.as_bytes(), 10).ok_or_else(|| FieldError::NotDecimal(s.to_string()))?;
    let modulus = BigUint::from_bytes_le(&F::MODULUS.to_bytes_le());
    if value >= modulus {
        return Err(FieldError::NotCanonical {
            value: digits.to_string(),
            field: field_name::<F>(),
            modulus: modulus.to_string(),
        });
    }
    Ok(F::from_le_bytes_mod_order(&value.to_bytes_le()))
}

/// The canonical decimal string of a field element, as snarkjs writes it.
pub fn to_decimal<F: PrimeField>(v: &F) -> String {
    BigUint::from_bytes_le(&v.into_bigint().to_bytes_le()).to_string()
}

fn field_name<F: PrimeField>() -> &'static str {
    if F::MODULUS.to_bytes_le() == Fr::MODULUS.to_bytes_le() {
        "scalar field"
    } else {
        "base field"
    }
}

/// A uniformly random scalar drawn from `rng`.
pub fn random<R: Rng>(rng: &mut R) -> Fr {
    Fr::rand(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fq;

    const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    const Q: &str = "21888242871839275222246405745257275088696311157297823662689037894645226208583";

    #[test]
    fn refuses_values_at_or_above_the_modulus() {
        assert!(matches!(parse_decimal::<Fr>(R), Err(FieldError::NotCanonical { field: "scalar field", .. })));
        assert!(matches!(parse_decimal::<Fq>(Q), Err(FieldError::NotCanonical { field: "base field", .. })));
        // r is a valid base-field element (r < q).
        assert!(parse_decimal::<Fq>(R).is_ok());
    }

    #[test]
    fn refuses_non_decimal_text() {
        for bad in ["", "0x10", "-1", "1e3", "12a"] {
            assert!(matches!(parse_decimal::<Fr>(bad), Err(FieldError::NotDecimal(_))), "{bad}");
        }
    }

    #[test]
    fn round_trips() {
        let v: Fr = parse_decimal("21888242871839275222246405745257275088548364400416034343698204186575808495616").unwrap();
        assert_eq!(v, -Fr::from(1u64));
        assert_eq!(to_decimal(&v), "21888242871839275222246405745257275088548364400416034343698204186575808495616");
    }
}
