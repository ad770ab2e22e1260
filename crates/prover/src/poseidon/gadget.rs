//! Poseidon as R1CS: 3 constraints per S-box (x², x⁴, x⁵), linear layers folded into linear
//! combinations for free. t = 3 costs (8·3 + 57)·3 = 243 constraints.

use ark_ff::{Field, Zero};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

use super::{PoseidonError, PoseidonParams};
use crate::Fr;

/// A value in a circuit: a linear combination of variables and, when proving, its value.
///
/// The linear combination is only built when the constraint system records constraints (setup, or
/// proving that also builds matrices): a prover with cached matrices skips that work entirely.
#[derive(Clone, Debug)]
pub struct Signal {
    /// The linear combination; `None` where the constraint system records no constraints.
    pub lc: Option<LinearCombination<Fr>>,
    /// The value; `None` in setup, where values are unknown.
    pub value: Option<Fr>,
}

impl Signal {
    /// A fresh witness variable.
    pub fn witness(
        cs: &ConstraintSystemRef<Fr>,
        value: Option<Fr>,
    ) -> Result<Signal, SynthesisError> {
        let var = cs.new_witness_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
        Ok(Signal::from_variable(cs, var, value))
    }

    /// A fresh public input (instance) variable.
    pub fn input(cs: &ConstraintSystemRef<Fr>, value: Option<Fr>) -> Result<Signal, SynthesisError> {
        let var = cs.new_input_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
        Ok(Signal::from_variable(cs, var, value))
    }

    fn from_variable(cs: &ConstraintSystemRef<Fr>, var: Variable, value: Option<Fr>) -> Signal {
        let lc = cs.should_construct_matrices().then(|| LinearCombination::from(var));
        Signal { lc, value }
    }

    /// The constant `c`: no new variable, no constraint.
    pub fn constant(cs: &ConstraintSystemRef<Fr>, c: Fr) -> Signal {
        let lc = cs
            .should_construct_matrices()
            .then(|| LinearCombination::from((c, Variable::One)));
        Signal { lc, value: Some(c) }
    }

    /// `Σ coeffᵢ · signalᵢ`, with repeated variables merged so combinations stay small.
    pub fn combine<'a>(terms: impl IntoIterator<Item = (Fr, &'a Signal)>) -> Signal {
        let mut lc: Option<LinearCombination<Fr>> = Some(LinearCombination::new());
        let mut value = Some(Fr::zero());
        for (coeff, s) in terms {
            lc = match (lc, &s.lc) {
                (Some(mut acc), Some(l)) => {
                    acc.0.extend(l.0.iter().map(|(c, v)| (coeff * c, *v)));
                    Some(acc)
                }
                _ => None,
            };
            value = value.zip(s.value).map(|(acc, v)| acc + coeff * v);
        }
        if let Some(lc) = lc.as_mut() {
            lc.compactify();
        }
        Signal { lc, value }
    }

    /// `self + other`, with no constraint.
    pub fn add(&self, other: &Signal) -> Signal {
        Signal::combine([(Fr::ONE, self), (Fr::ONE, other)])
    }

    /// `self − other`, with no constraint.
    pub fn sub(&self, other: &Signal) -> Signal {
        Signal::combine([(Fr::ONE, self), (-Fr::ONE, other)])
    }

    /// A new witness equal to `self · other`, with the one constraint that makes it so.
    pub fn mul(&self, cs: &ConstraintSystemRef<Fr>, other: &Signal) -> Result<Signal, SynthesisError> {
        let product = Signal::witness(cs, self.value.zip(other.value).map(|(a, b)| a * b))?;
        enforce(cs, self, other, &product)?;
        Ok(product)
    }

    /// Enforces `self == other` (one constraint: `self · 1 = other`).
    pub fn enforce_equal(&self, cs: &ConstraintSystemRef<Fr>, other: &Signal) -> Result<(), SynthesisError> {
        enforce(cs, self, &Signal::constant(cs, Fr::ONE), other)
    }

    /// Enforces `self ∈ {0, 1}`.
    pub fn enforce_boolean(&self, cs: &ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let minus_one = self.sub(&Signal::constant(cs, Fr::ONE));
        enforce(cs, self, &minus_one, &Signal::constant(cs, Fr::zero()))
    }
}

/// Enforces `a · b = c`.
pub fn enforce(
    cs: &ConstraintSystemRef<Fr>,
    a: &Signal,
    b: &Signal,
    c: &Signal,
) -> Result<(), SynthesisError> {
    if !cs.should_construct_matrices() {
        return Ok(());
    }
    let lc = |s: &Signal| s.lc.clone().ok_or(SynthesisError::MissingCS);
    let (a, b, c) = (lc(a)?, lc(b)?, lc(c)?);
    cs.enforce_r1cs_constraint(|| a, || b, || c)
}

fn pow5(cs: &ConstraintSystemRef<Fr>, x: &Signal) -> Result<Signal, SynthesisError> {
    let x2 = x.mul(cs, x)?;
    let x4 = x2.mul(cs, &x2)?;
    x4.mul(cs, x)
}

/// Why the Poseidon gadget failed.
#[derive(Debug, thiserror::Error)]
pub enum GadgetError {
    /// A number of inputs Poseidon does not take (1 to 5).
    #[error(transparent)]
    Poseidon(#[from] PoseidonError),
    /// The constraint system refused a variable or constraint.
    #[error(transparent)]
    Synthesis(#[from] SynthesisError),
}

impl From<GadgetError> for SynthesisError {
    fn from(e: GadgetError) -> Self {
        match e {
            GadgetError::Synthesis(e) => e,
            GadgetError::Poseidon(_) => SynthesisError::Unsatisfiable,
        }
    }
}

/// Poseidon of 1 to 5 signals, the same function as [`super::hash`].
pub fn hash(cs: &ConstraintSystemRef<Fr>, inputs: &[Signal]) -> Result<Signal, GadgetError> {
    let params = PoseidonParams::for_width(inputs.len() + 1)?;
    let t = params.width;
    let mut state = Vec::with_capacity(t);
    state.push(Signal::constant(cs, Fr::zero()));
    state.extend_from_slice(inputs);
    for r in 0..params.rounds() {
        for (i, lane) in state.iter_mut().enumerate() {
            *lane = lane.add(&Signal::constant(cs, params.constant(r, i)));
        }
        if params.is_full_round(r) {
            for lane in state.iter_mut() {
                *lane = pow5(cs, lane)?;
            }
        } else {
            state[0] = pow5(cs, &state[0])?;
        }
        state = (0..t)
            .map(|i| Signal::combine((0..t).map(|j| (params.mds(i, j), &state[j]))))
            .collect();
    }
    Ok(state.swap_remove(0))
}
