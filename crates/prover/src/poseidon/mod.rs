//! circomlib-compatible Poseidon over the BN254 scalar field, for t = 2..=6 (1 to 5 inputs).
//!
//! The parameters are circomlib's (x^5 S-box, 8 full rounds, circomlib's partial-round counts and
//! constants), so a hash computed here equals circomlibjs's `poseidon`, circomlib's `Poseidon(n)`
//! template and the Solidity contracts solgen generates. `gadget` is the same permutation as R1CS.

mod constants;
pub mod gadget;
pub mod optimized;

use std::sync::OnceLock;

use ark_ff::{Field, PrimeField, Zero};

use crate::Fr;

/// Full rounds, split evenly before and after the partial rounds.
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds for t = 2..=6, as circomlib sets them.
const PARTIAL_ROUNDS: [usize; 5] = [56, 57, 56, 60, 60];
/// Largest supported state width (5 inputs).
pub const MAX_WIDTH: usize = 6;

/// Why a Poseidon instance was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoseidonError {
    /// A number of inputs outside 1 to 5 (state width outside 2..=[`MAX_WIDTH`]); holds that number.
    #[error("poseidon takes 1 to {max} inputs, got {0}", max = MAX_WIDTH - 1)]
    Arity(usize),
}

/// The constants of one Poseidon instance (one state width `t`).
#[derive(Debug)]
pub struct PoseidonParams {
    /// State width `t`, 2..=[`MAX_WIDTH`]: the number of inputs plus one.
    pub width: usize,
    /// Rounds that apply the S-box to lane 0 only, as circomlib sets them for this width.
    pub partial_rounds: usize,
    /// `(FULL_ROUNDS + partial_rounds) * width` constants, round-major.
    pub round_constants: Vec<Fr>,
    /// Row-major `width × width` MDS matrix.
    pub mds: Vec<Fr>,
}

impl PoseidonParams {
    /// The parameters for state width `t` (inputs + 1), parsed once per process.
    pub fn for_width(t: usize) -> Result<&'static PoseidonParams, PoseidonError> {
        static PARAMS: [OnceLock<PoseidonParams>; MAX_WIDTH - 1] =
            [const { OnceLock::new() }; MAX_WIDTH - 1];
        if !(2..=MAX_WIDTH).contains(&t) {
            return Err(PoseidonError::Arity(t.saturating_sub(1)));
        }
        let i = t - 2;
        Ok(PARAMS[i].get_or_init(|| PoseidonParams {
            width: t,
            partial_rounds: PARTIAL_ROUNDS[i],
            round_constants: constants::ROUND_CONSTANTS[i].iter().map(|h| parse_hex(h)).collect(),
            mds: constants::MDS[i].iter().map(|h| parse_hex(h)).collect(),
        }))
    }

    /// All rounds, full and partial.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` applies the S-box to every lane (full) or to lane 0 only (partial).
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }

    /// The constant added to `lane` at the start of `round`.
    pub fn constant(&self, round: usize, lane: usize) -> Fr {
        self.round_constants[round * self.width + lane]
    }

    /// MDS entry (`row`, `col`): the weight of lane `col` in the new lane `row`.
    pub fn mds(&self, row: usize, col: usize) -> Fr {
        self.mds[row * self.width + col]
    }
}

/// The generated tables hold canonical 64-digit hex; they are checked by the test vectors.
fn parse_hex(h: &str) -> Fr {
    let bytes: Vec<u8> = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("generated constant is hex"))
        .collect();
    Fr::from_be_bytes_mod_order(&bytes)
}

fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// Poseidon hash of 1 to 5 field elements, as circomlibjs `poseidon(inputs)`.
pub fn hash(inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    let params = PoseidonParams::for_width(inputs.len() + 1)?;
    let t = params.width;
    let mut state = Vec::with_capacity(t);
    state.push(Fr::zero());
    state.extend_from_slice(inputs);
    let mut next = vec![Fr::zero(); t];
    for r in 0..params.rounds() {
        for (i, lane) in state.iter_mut().enumerate() {
            *lane += params.constant(r, i);
        }
        if params.is_full_round(r) {
            state.iter_mut().for_each(|lane| *lane = pow5(*lane));
        } else {
            state[0] = pow5(state[0]);
        }
        for (i, out) in next.iter_mut().enumerate() {
            *out = (0..t).map(|j| params.mds(i, j) * state[j]).sum();
        }
        std::mem::swap(&mut state, &mut next);
    }
    Ok(state[0])
}

/// Poseidon of two elements: a Merkle-tree node from its children.
pub fn hash2(left: Fr, right: Fr) -> Fr {
    hash(&[left, right]).expect("width 3 is supported")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unsupported_arity() {
        assert_eq!(hash(&[]), Err(PoseidonError::Arity(0)));
        assert_eq!(hash(&[Fr::zero(); 6]), Err(PoseidonError::Arity(6)));
    }

    #[test]
    fn known_answer_from_circomlibjs_readme() {
        // poseidon([1, 2]) as printed by circomlibjs (shared/vectors/README.md).
        let expected: Fr = "7853200120776062878684798364095072458815029376092732009249414926327459813530"
            .parse()
            .unwrap();
        assert_eq!(hash2(Fr::from(1u64), Fr::from(2u64)), expected);
    }
}
