//! R1CS-to-QAP: from a full assignment, the coefficients of h(x) = (A(x)·B(x) − C(x)) / Z(x).
//!
//! This is the libsnark reduction ark-groth16 uses by default (the instance is copied into extra
//! rows of A so public inputs are bound), computed with the same FFTs but with the three
//! independent transforms run in parallel. The circom/snarkjs reduction joins it with the circom issue.

use ark_ff::{FftField, Field, One, PrimeField, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use rayon::prelude::*;

use crate::r1cs::R1cs;
use crate::Fr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QapError {
    #[error("the witness does not satisfy constraint {0} of the circuit")]
    Unsatisfied(usize),
    #[error("the circuit is too large for BN254's FFT domains ({0} rows)")]
    TooLarge(usize),
    #[error("the assignment has {got} variables, the circuit {expected}")]
    AssignmentLength { expected: usize, got: usize },
}

/// The evaluation domain of a circuit: rows are constraints plus one per instance variable.
pub fn domain(r1cs: &R1cs) -> Result<Radix2EvaluationDomain<Fr>, QapError> {
    let rows = r1cs.num_constraints() + r1cs.num_instance;
    Radix2EvaluationDomain::new(rows).ok_or(QapError::TooLarge(rows))
}

fn row_dot(row: &[(Fr, usize)], z: &[Fr]) -> Fr {
    row.iter().map(|(coeff, i)| if coeff.is_one() { z[*i] } else { *coeff * z[*i] }).sum()
}

/// h's coefficients (the domain's size of them; the last is zero). Refuses an assignment that does
/// not satisfy the constraints, naming the first broken one, rather than making a proof that fails.
pub fn h_coefficients(
    r1cs: &R1cs,
    domain: &Radix2EvaluationDomain<Fr>,
    z: &[Fr],
) -> Result<Vec<Fr>, QapError> {
    if z.len() != r1cs.num_variables() {
        return Err(QapError::AssignmentLength { expected: r1cs.num_variables(), got: z.len() });
    }
    let n = domain.size();
    let m = r1cs.num_constraints();
    let evaluate = |rows: &[Vec<(Fr, usize)>]| {
        let mut v = vec![Fr::zero(); n];
        v[..m].par_iter_mut().zip(rows).for_each(|(out, row)| *out = row_dot(row, z));
        v
    };
    let (mut a, (mut b, mut c)) = rayon::join(|| evaluate(&r1cs.a), || rayon::join(|| evaluate(&r1cs.b), || evaluate(&r1cs.c)));
    if let Some(i) = (0..m).into_par_iter().find_first(|&i| a[i] * b[i] != c[i]) {
        return Err(QapError::Unsatisfied(i));
    }
    a[m..m + r1cs.num_instance].copy_from_slice(&z[..r1cs.num_instance]);

    let coset = domain.get_coset(Fr::GENERATOR).ok_or(QapError::TooLarge(n))?;
    let to_coset = |v: &mut Vec<Fr>| {
        domain.ifft_in_place(v);
        coset.fft_in_place(v);
    };
    rayon::join(|| to_coset(&mut a), || rayon::join(|| to_coset(&mut b), || to_coset(&mut c)));

    // Z(x) = xⁿ − 1 is the same constant at every point of the coset.
    let z_inv = domain
        .evaluate_vanishing_polynomial(Fr::GENERATOR)
        .inverse()
        .ok_or(QapError::TooLarge(n))?;
    a.par_iter_mut().zip(&b).zip(&c).for_each(|((a, b), c)| *a = (*a * b - c) * z_inv);
    coset.ifft_in_place(&mut a);
    Ok(a)
}

/// Scalars as the MSMs take them.
pub fn to_bigints(v: &[Fr]) -> Vec<crate::ScalarBigInt> {
    v.par_iter().map(|s| s.into_bigint()).collect()
}
