//! The circuits zkbatch can set up and prove natively, named by an id stored in proving keys.

pub mod merkle;
pub mod squares;

use std::fmt;
use std::str::FromStr;

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::Rng;

use crate::Fr;

pub use merkle::{MerkleCircuit, MerkleInputError, MerkleInputJson, MerkleWitness};
pub use squares::{SquaresCircuit, SquaresInputJson};

/// Which circuit, with its size parameters. Written as `merkle-20` (depth 20) or `squares-4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitSpec {
    /// Poseidon Merkle-tree membership ([`MerkleCircuit`]), `merkle-DEPTH`.
    Merkle {
        /// Levels between leaf and root, 1..=[`MAX_MERKLE_DEPTH`].
        depth: usize,
    },
    /// Square roots of public values ([`SquaresCircuit`]), `squares-N`.
    Squares {
        /// Number of public inputs, 1..=[`MAX_SQUARES`].
        inputs: usize,
    },
}

/// Any circuit a [`CircuitSpec`] names.
#[derive(Clone, Debug)]
pub enum Circuit {
    /// A `merkle-DEPTH` circuit.
    Merkle(MerkleCircuit),
    /// A `squares-N` circuit.
    Squares(SquaresCircuit),
}

impl ConstraintSynthesizer<Fr> for Circuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        match self {
            Circuit::Merkle(c) => c.generate_constraints(cs),
            Circuit::Squares(c) => c.generate_constraints(cs),
        }
    }
}

/// Deep enough for any real tree, shallow enough that a typo does not set up a giant circuit.
pub const MAX_MERKLE_DEPTH: usize = 1024;
/// As many public inputs as any verifier would take.
pub const MAX_SQUARES: usize = 1024;

/// Why a circuit name, or an `input.json` for a circuit, was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CircuitError {
    /// Not `merkle-DEPTH` or `squares-N` with a whole-number size; holds the text given.
    #[error("unknown circuit {0:?}; known circuits: merkle-DEPTH (e.g. merkle-20), squares-N (e.g. squares-4)")]
    Unknown(String),
    /// `merkle-DEPTH` with a depth outside 1..=[`MAX_MERKLE_DEPTH`].
    #[error("merkle depth must be 1..={MAX_MERKLE_DEPTH}, got {0}")]
    Depth(usize),
    /// `squares-N` with N outside 1..=[`MAX_SQUARES`].
    #[error("squares takes 1..={MAX_SQUARES} inputs, got {0}")]
    Inputs(usize),
    /// A squares `input.json` whose `roots` has more or fewer entries than the circuit's inputs.
    #[error("the circuit takes {expected} roots, the input has {got}")]
    RootCount {
        /// Inputs the circuit takes (its N).
        expected: usize,
        /// Entries in `roots`.
        got: usize,
    },
    /// An entry of a squares `input.json`'s `roots` that is not a canonical field element.
    #[error("roots[{index}]: {source}")]
    Root {
        /// Position of the entry in `roots`.
        index: usize,
        /// Why the entry was refused.
        source: crate::field::FieldError,
    },
    /// The input is not JSON of the circuit's `input.json` shape; holds serde's message.
    #[error("not a valid input: {0}")]
    Json(String),
    /// A merkle `input.json` whose values do not make a valid witness.
    #[error(transparent)]
    Input(#[from] MerkleInputError),
}

impl fmt::Display for CircuitSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CircuitSpec::Merkle { depth } => write!(f, "merkle-{depth}"),
            CircuitSpec::Squares { inputs } => write!(f, "squares-{inputs}"),
        }
    }
}

impl FromStr for CircuitSpec {
    type Err = CircuitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || CircuitError::Unknown(s.to_string());
        let (name, size) = s.rsplit_once('-').ok_or_else(unknown)?;
        let size: usize = size.parse().map_err(|_| unknown())?;
        match name {
            "merkle" if (1..=MAX_MERKLE_DEPTH).contains(&size) => Ok(CircuitSpec::Merkle { depth: size }),
            "merkle" => Err(CircuitError::Depth(size)),
            "squares" if (1..=MAX_SQUARES).contains(&size) => Ok(CircuitSpec::Squares { inputs: size }),
            "squares" => Err(CircuitError::Inputs(size)),
            _ => Err(unknown()),
        }
    }
}

impl CircuitSpec {
    /// The circuit without values, for setup.
    pub fn blank(&self) -> Circuit {
        match *self {
            CircuitSpec::Merkle { depth } => Circuit::Merkle(MerkleCircuit::blank(depth)),
            CircuitSpec::Squares { inputs } => Circuit::Squares(SquaresCircuit { inputs, roots: None }),
        }
    }

    /// The circuit for one `input.json`, every value checked.
    pub fn from_input_json(&self, json: &str) -> Result<Circuit, CircuitError> {
        let parse = |e: serde_json::Error| CircuitError::Json(e.to_string());
        match *self {
            CircuitSpec::Merkle { depth } => {
                let input: MerkleInputJson = serde_json::from_str(json).map_err(parse)?;
                Ok(Circuit::Merkle(MerkleCircuit::new(input.to_witness(depth)?)))
            }
            CircuitSpec::Squares { inputs } => {
                let input: SquaresInputJson = serde_json::from_str(json).map_err(parse)?;
                if input.roots.len() != inputs {
                    return Err(CircuitError::RootCount { expected: inputs, got: input.roots.len() });
                }
                let roots = input
                    .roots
                    .iter()
                    .enumerate()
                    .map(|(index, d)| d.to_field::<Fr>().map_err(|source| CircuitError::Root { index, source }))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Circuit::Squares(SquaresCircuit::new(roots)))
            }
        }
    }

    /// A valid random `input.json`, for demos and benchmarks.
    pub fn random_input_json<R: Rng>(&self, rng: &mut R) -> String {
        match *self {
            CircuitSpec::Merkle { depth } => {
                let input = MerkleInputJson::from_witness(&MerkleWitness::random(depth, rng));
                serde_json::to_string_pretty(&input).expect("input serialises")
            }
            CircuitSpec::Squares { inputs } => {
                let roots = (0..inputs).map(|_| crate::field::Decimal::from(crate::field::random(rng))).collect();
                serde_json::to_string_pretty(&SquaresInputJson { roots }).expect("input serialises")
            }
        }
    }
}
