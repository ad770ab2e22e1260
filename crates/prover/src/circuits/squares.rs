//! `squares-N`: knowledge of square roots of N public values (xᵢ = wᵢ², one constraint each).
//! The smallest circuit with any number of public inputs, for verifier tests and gas benchmarks,
//! where the cost depends on the number of inputs and not on the circuit.

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::Rng;
use serde::{Deserialize, Serialize};

use crate::poseidon::gadget::{enforce, Signal};
use crate::{field, Fr};

/// The `squares-N` circuit: public xᵢ and private wᵢ with xᵢ = wᵢ².
#[derive(Clone, Debug)]
pub struct SquaresCircuit {
    /// N, the number of public inputs (and of roots); it alone fixes the constraints.
    pub inputs: usize,
    /// The private roots wᵢ; None for setup.
    pub roots: Option<Vec<Fr>>,
}

impl SquaresCircuit {
    /// The circuit proving knowledge of `roots`, one public input per root.
    pub fn new(roots: Vec<Fr>) -> Self {
        SquaresCircuit { inputs: roots.len(), roots: Some(roots) }
    }

    /// The circuit for `inputs` random roots, for tests and benchmarks.
    pub fn random<R: Rng>(inputs: usize, rng: &mut R) -> Self {
        SquaresCircuit::new((0..inputs).map(|_| field::random(rng)).collect())
    }

    /// The public inputs, the squares of the roots in order; `None` without roots.
    pub fn public_inputs(&self) -> Option<Vec<Fr>> {
        self.roots.as_ref().map(|r| r.iter().map(|w| *w * w).collect())
    }
}

/// `input.json`: `{"roots": ["…", …]}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SquaresInputJson {
    /// The private roots wᵢ, one per public input, as decimal integers.
    pub roots: Vec<field::Decimal>,
}

impl ConstraintSynthesizer<Fr> for SquaresCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        if self.roots.as_ref().is_some_and(|r| r.len() != self.inputs) {
            return Err(SynthesisError::Unsatisfiable);
        }
        let public = self.public_inputs();
        let squares = (0..self.inputs)
            .map(|i| Signal::input(&cs, public.as_ref().map(|p| p[i])))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, square) in squares.iter().enumerate() {
            let root = Signal::witness(&cs, self.roots.as_ref().map(|r| r[i]))?;
            enforce(&cs, &root, &root, square)?;
        }
        Ok(())
    }
}
