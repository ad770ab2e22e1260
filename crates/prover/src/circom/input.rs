//! `input.json` for circom's witness generator: an object of input signals, each a number or a
//! (nested) array of numbers. Numbers are JSON integers or strings, decimal or `0x` hex, as
//! snarkjs takes them; a negative value −v means p − v, as in circom. Unlike snarkjs, a value ≥ the
//! field's modulus is refused rather than silently reduced: it is almost always a bug upstream.

use ark_ff::{BigInteger, PrimeField};
use num_bigint::BigUint;
use serde_json::Value;

use crate::Fr;

/// What is wrong with an `input.json`; [`CircomError::Input`](super::CircomError::Input) adds
/// the path.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum InputProblem {
    /// The text is not JSON; serde_json's message.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// The top level is not an object (an array or a bare value).
    #[error("must be a JSON object mapping input signal names to values")]
    NotObject,
    /// A value is neither a JSON integer nor a string of a decimal or `0x`-hex integer.
    #[error("{signal}: {value} is not an integer (give decimal or 0x-hex integers, as strings for values above 2^53)")]
    NotNumber {
        /// Where it is, e.g. `pathElements[3]`.
        signal: String,
        /// The value as JSON.
        value: String,
    },
    /// A value's magnitude is ≥ the scalar field's modulus: refused, not reduced.
    #[error("{signal} = {value} is not below the BN254 scalar field's modulus {modulus}")]
    NotCanonical {
        /// Where it is, e.g. `pathElements[3]`.
        signal: String,
        /// The value as the file writes it.
        value: String,
        /// The modulus, in decimal.
        modulus: String,
    },
    /// The named signal is not an input of the circuit, as its witness generator reports.
    #[error("{0} is not an input signal of the circuit")]
    UnknownSignal(String),
    /// A signal is given another number of values than the circuit takes.
    #[error("{signal} takes {expected} values, the file gives {got}")]
    ValueCount {
        /// The signal's name.
        signal: String,
        /// Values the circuit takes.
        expected: usize,
        /// Values the file gives.
        got: usize,
    },
    /// Fewer input values are given than the circuit takes; circom does not say which are missing.
    #[error("gives {set} of the circuit's {total} input values: an input signal is missing (circom's witness generator does not say which)")]
    Missing {
        /// Input values given.
        set: usize,
        /// Input values the circuit takes.
        total: usize,
    },
}

/// One input signal: its name and its values, flattened in row-major order as circom lays out arrays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    /// The signal's name, the key in `input.json`.
    pub name: String,
    /// Its values: one for a number, an array's flattened row-major.
    pub values: Vec<Fr>,
}

/// The input signals of `input.json`'s `text`. Refuses anything but an object of integers and
/// (nested) arrays of integers, and a value ≥ the field's modulus.
pub fn parse(text: &str) -> Result<Vec<Signal>, InputProblem> {
    let value: Value = serde_json::from_str(text).map_err(|e| InputProblem::Json(e.to_string()))?;
    let Value::Object(map) = value else { return Err(InputProblem::NotObject) };
    map.into_iter()
        .map(|(name, value)| {
            let mut values = Vec::new();
            flatten(&value, &mut name.clone(), &mut values)?;
            Ok(Signal { name, values })
        })
        .collect()
}

/// `label` is the path to `value` (e.g. `pathElements[3]`), for errors.
fn flatten(value: &Value, label: &mut String, out: &mut Vec<Fr>) -> Result<(), InputProblem> {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = label.len();
                label.push_str(&format!("[{i}]"));
                flatten(item, label, out)?;
                label.truncate(len);
            }
            Ok(())
        }
        other => {
            out.push(number(other, label)?);
            Ok(())
        }
    }
}

fn number(value: &Value, label: &str) -> Result<Fr, InputProblem> {
    let not_number = || InputProblem::NotNumber { signal: label.to_string(), value: value.to_string() };
    let (negative, magnitude) = match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(v), _) => (false, BigUint::from(v)),
            (None, Some(v)) => (true, BigUint::from(v.unsigned_abs())),
            _ => return Err(not_number()),
        },
        Value::String(s) => {
            let s = s.trim();
            let (negative, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s),
            };
            let parsed = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
                Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => BigUint::parse_bytes(hex.as_bytes(), 16),
                Some(_) => None,
                None if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => BigUint::parse_bytes(digits.as_bytes(), 10),
                None => None,
            };
            (negative, parsed.ok_or_else(not_number)?)
        }
        _ => return Err(not_number()),
    };
    let modulus = BigUint::from_bytes_le(&Fr::MODULUS.to_bytes_le());
    if magnitude >= modulus {
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Err(InputProblem::NotCanonical { signal: label.to_string(), value, modulus: modulus.to_string() });
    }
    let v = Fr::from_le_bytes_mod_order(&magnitude.to_bytes_le());
    Ok(if negative { -v } else { v })
}

/// circom's input signal hash: 64-bit FNV-1a of the name, as (high, low) halves.
pub fn fnv_hash(name: &str) -> (u32, u32) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ((h >> 32) as u32, h as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_strings_hex_negatives_and_nested_arrays() {
        let s = parse(r#"{"a": 5, "b": ["7", "0x10", "-1"], "m": [[1, 2], [3, 4]]}"#).unwrap();
        let get = |n: &str| s.iter().find(|x| x.name == n).unwrap().values.clone();
        assert_eq!(get("a"), vec![Fr::from(5u64)]);
        assert_eq!(get("b"), vec![Fr::from(7u64), Fr::from(16u64), -Fr::from(1u64)]);
        assert_eq!(get("m"), (1..=4u64).map(Fr::from).collect::<Vec<_>>());
    }

    #[test]
    fn refuses_out_of_range_and_non_numbers() {
        let p = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        let err = parse(&format!(r#"{{"x": ["1", "{p}"]}}"#)).unwrap_err();
        assert!(matches!(&err, InputProblem::NotCanonical { signal, .. } if signal == "x[1]"), "{err}");
        assert!(matches!(parse(r#"{"x": 1.5}"#), Err(InputProblem::NotNumber { .. })));
        assert!(matches!(parse(r#"{"x": "12a"}"#), Err(InputProblem::NotNumber { .. })));
        assert!(matches!(parse(r#"{"x": {"y": 1}}"#), Err(InputProblem::NotNumber { .. })));
        assert!(matches!(parse("[1]"), Err(InputProblem::NotObject)));
        assert!(matches!(parse("{"), Err(InputProblem::Json(_))));
    }

    #[test]
    fn fnv_matches_circom() {
        // circom_runtime's fnvHash("pathElements") and fnvHash("in").
        assert_eq!(fnv_hash("pathElements"), (0x4099_e7b7, 0x11de_8b07));
        assert_eq!(fnv_hash("in"), (0x08b7_3807, 0xb55c_4bbe));
    }
}
