//! Witness generation: run a circuit to get its full assignment `[1, public…, private…]`.

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode};

use crate::Fr;

/// Synthesises `circuit` for its values only. Unlike ark-groth16's prover, no constraint matrices
/// are built: the proving key already holds them, so a proof pays for the witness alone.
pub(crate) fn assignment<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Vec<Fr>, SynthesisError> {
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
    circuit.generate_constraints(cs.clone())?;
    let mut full = cs.instance_assignment()?;
    full.extend(cs.witness_assignment()?);
    Ok(full)
}
