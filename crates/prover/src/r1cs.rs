//! The constraint system of a circuit, `A·z ∘ B·z = C·z`, as sparse row-major matrices.

use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::Fr;

/// A circuit's constraint matrices; variables are numbered instance first (the constant 1 at 0),
/// then witness.
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct R1cs {
    /// Instance variables, the constant 1 included.
    pub num_instance: usize,
    /// Witness (private) variables.
    pub num_witness: usize,
    /// A's rows, one per constraint, each a list of (coefficient, variable index).
    pub a: Matrix<Fr>,
    /// B's rows, laid out as A's.
    pub b: Matrix<Fr>,
    /// C's rows, laid out as A's; may be empty under the circom reduction (a zkey holds no C).
    pub c: Matrix<Fr>,
}

impl R1cs {
    /// Synthesises the constraints exactly as ark-groth16's generator does, so that the matrices
    /// match a key it generates for the same circuit.
    pub fn from_circuit<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<R1cs, SynthesisError> {
        let cs = ConstraintSystem::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        circuit.generate_constraints(cs.clone())?;
        cs.finalize();
        let mut matrices = cs.to_matrices()?;
        let [a, b, c]: [Matrix<Fr>; 3] = matrices
            .remove(R1CS_PREDICATE_LABEL)
            .unwrap_or_else(|| vec![Vec::new(), Vec::new(), Vec::new()])
            .try_into()
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        Ok(R1cs { num_instance: cs.num_instance_variables(), num_witness: cs.num_witness_variables(), a, b, c })
    }

    /// Constraints, that is rows of A.
    pub fn num_constraints(&self) -> usize {
        self.a.len()
    }

    /// All variables, the constant 1 included: the length of a full assignment.
    pub fn num_variables(&self) -> usize {
        self.num_instance + self.num_witness
    }

    /// Public inputs, the constant 1 excluded.
    pub fn num_public(&self) -> usize {
        self.num_instance - 1
    }
}
