//! The circuits zkbatch can set up and prove natively, named by an id stored in proving keys.

pub mod merkle;

use std::fmt;
use std::str::FromStr;

use ark_std::rand::Rng;

pub use merkle::{MerkleCircuit, MerkleInputError, MerkleInputJson, MerkleWitness};

/// Which circuit, with its size parameters. Written as `merkle-20` (depth 20).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitSpec {
    Merkle { depth: usize },
}

/// Deep enough for any real tree, shallow enough that a typo does not set up a giant circuit.
pub const MAX_MERKLE_DEPTH: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CircuitError {
    #[error("unknown circuit {0:?}; known circuits: merkle-DEPTH (e.g. merkle-20)")]
    Unknown(String),
    #[error("merkle depth must be 1..={MAX_MERKLE_DEPTH}, got {0}")]
    Depth(usize),
    #[error("not a valid input: {0}")]
    Json(String),
    #[error(transparent)]
    Input(#[from] MerkleInputError),
}

impl fmt::Display for CircuitSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CircuitSpec::Merkle { depth } => write!(f, "merkle-{depth}"),
        }
    }
}

impl FromStr for CircuitSpec {
    type Err = CircuitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let depth = s
            .strip_prefix("merkle-")
            .and_then(|d| d.parse::<usize>().ok())
            .ok_or_else(|| CircuitError::Unknown(s.to_string()))?;
        if !(1..=MAX_MERKLE_DEPTH).contains(&depth) {
            return Err(CircuitError::Depth(depth));
        }
        Ok(CircuitSpec::Merkle { depth })
    }
}

impl CircuitSpec {
    /// The circuit without values, for setup.
    pub fn blank(&self) -> MerkleCircuit {
        match *self {
            CircuitSpec::Merkle { depth } => MerkleCircuit::blank(depth),
        }
    }

    /// The circuit for one `input.json`, every value checked.
    pub fn from_input_json(&self, json: &str) -> Result<MerkleCircuit, CircuitError> {
        match *self {
            CircuitSpec::Merkle { depth } => {
                let input: MerkleInputJson = serde_json::from_str(json).map_err(|e| CircuitError::Json(e.to_string()))?;
                Ok(MerkleCircuit::new(input.to_witness(depth)?))
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
        }
    }
}
