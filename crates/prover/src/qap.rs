//! R1CS-to-QAP: from a full assignment, the scalars the H query is multiplied by.
//!
//! Two reductions, and a proving key is only valid with the one its H points were made for:
//!
//! - [`Reduction::Libsnark`], ark-groth16's default (keys from `zkbatch setup`): the coefficients of
//!   h(x) = (A(x)·B(x) − C(x)) / Z(x), the instance copied into extra rows of A so public inputs
//!   are bound.
//! - [`Reduction::Circom`], snarkjs's (keys from a `.zkey`): the same extra A rows, but C is taken
//!   as A∘B on the domain, and the H points are [L₂ᵢ₊₁(τ)/δ], the Lagrange bases of the 2n-th
//!   roots of unity at the odd ones. P = A·B − C = H·Z has degree < 2n and vanishes on the n-th
//!   (even) roots, so its values at the odd roots ω₂ₙ^(2i+1) alone give P(τ): those values are
//!   the scalars, one per point, with no division by Z and no final inverse FFT.

use ark_ff::{FftField, Field, One, PrimeField, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::gr1cs::{ConstraintSystemRef, Matrix, SynthesisError};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Valid, Validate};
use rayon::prelude::*;

use crate::r1cs::R1cs;
use crate::Fr;

/// Why the R1CS-to-QAP step refused a circuit or an assignment.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QapError {
    /// The assignment breaks the constraint with this (0-based) index, the first that fails.
    #[error("the witness does not satisfy constraint {0} of the circuit")]
    Unsatisfied(usize),
    /// No BN254 FFT domain (at most 2²⁸ points) holds this many rows or points.
    #[error("the circuit is too large for BN254's FFT domains ({0} rows)")]
    TooLarge(usize),
    /// The assignment's length is not the circuit's number of variables.
    #[error("the assignment has {got} variables, the circuit {expected}")]
    AssignmentLength {
        /// Variables in the circuit, the constant 1 included.
        expected: usize,
        /// Values in the assignment given.
        got: usize,
    },
}

/// Which R1CS-to-QAP reduction a proving key's H points were made for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// ark-groth16's default (libsnark's): H points are powers of τ times Z(τ)/δ.
    #[default]
    Libsnark,
    /// circom/snarkjs's: H points are Lagrange bases on the odd 2n-th roots of unity.
    Circom,
}

impl Reduction {
    /// How many H points a key with this reduction has on a domain of `n` points.
    pub fn h_len(self, n: usize) -> usize {
        match self {
            Reduction::Libsnark => n - 1,
            Reduction::Circom => n,
        }
    }

    /// The reduction's short name: `libsnark` or `circom`.
    pub fn name(self) -> &'static str {
        match self {
            Reduction::Libsnark => "libsnark",
            Reduction::Circom => "circom",
        }
    }
}

// Stored as one byte in key files; ark-serialize's derive does not cover enums.
impl CanonicalSerialize for Reduction {
    fn serialize_with_mode<W: std::io::Write>(&self, writer: W, compress: Compress) -> Result<(), SerializationError> {
        let tag: u8 = match self {
            Reduction::Libsnark => 0,
            Reduction::Circom => 1,
        };
        tag.serialize_with_mode(writer, compress)
    }

    fn serialized_size(&self, _: Compress) -> usize {
        1
    }
}

impl Valid for Reduction {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl CanonicalDeserialize for Reduction {
    fn deserialize_with_mode<R: std::io::Read>(reader: R, compress: Compress, validate: Validate) -> Result<Self, SerializationError> {
        match u8::deserialize_with_mode(reader, compress, validate)? {
            0 => Ok(Reduction::Libsnark),
            1 => Ok(Reduction::Circom),
            _ => Err(SerializationError::InvalidData),
        }
    }
}

/// The evaluation domain of a circuit: rows are constraints plus one per instance variable.
pub(crate) fn domain(r1cs: &R1cs) -> Result<Radix2EvaluationDomain<Fr>, QapError> {
    let rows = r1cs.num_constraints() + r1cs.num_instance;
    Radix2EvaluationDomain::new(rows).ok_or(QapError::TooLarge(rows))
}

fn row_dot(row: &[(Fr, usize)], z: &[Fr]) -> Fr {
    row.iter().map(|(coeff, i)| if coeff.is_one() { z[*i] } else { *coeff * z[*i] }).sum()
}

/// The scalars for the H query under `reduction` (at least as many as the key's H points).
pub(crate) fn h_scalars(
    reduction: Reduction,
    r1cs: &R1cs,
    domain: &Radix2EvaluationDomain<Fr>,
    z: &[Fr],
) -> Result<Vec<Fr>, QapError> {
    match reduction {
        Reduction::Libsnark => h_coefficients(r1cs, domain, z),
        Reduction::Circom => h_odd_evaluations(r1cs, domain, z),
    }
}

/// A·z, B·z and C·z (when the key has a C matrix), each one value per domain point.
type RowValues = (Vec<Fr>, Vec<Fr>, Option<Vec<Fr>>);

/// A·z, B·z and (if the circuit has a C matrix) C·z on the domain's first rows, the instance in
/// A's extra rows; refuses an assignment that breaks a constraint, naming the first one, rather
/// than making a proof that fails.
fn evaluate_rows(
    r1cs: &R1cs,
    n: usize,
    z: &[Fr],
) -> Result<RowValues, QapError> {
    if z.len() != r1cs.num_variables() {
        return Err(QapError::AssignmentLength { expected: r1cs.num_variables(), got: z.len() });
    }
    let m = r1cs.num_constraints();
    let evaluate = |rows: &[Vec<(Fr, usize)>]| {
        let mut v = vec![Fr::zero(); n];
        v[..rows.len()].par_iter_mut().zip(rows).for_each(|(out, row)| *out = row_dot(row, z));
        v
    };
    let has_c = !r1cs.c.is_empty();
    let (mut a, (b, c)) = rayon::join(
        || evaluate(&r1cs.a),
        || rayon::join(|| evaluate(&r1cs.b), || has_c.then(|| evaluate(&r1cs.c))),
    );
    if let Some(c) = &c {
        if let Some(i) = (0..m).into_par_iter().find_first(|&i| a[i] * b[i] != c[i]) {
            return Err(QapError::Unsatisfied(i));
        }
    }
    a[m..m + r1cs.num_instance].copy_from_slice(&z[..r1cs.num_instance]);
    Ok((a, b, c))
}

/// A·z, B·z and C·z (the product of the first two where the key has no C matrix: C = A∘B holds
/// on the domain when the witness satisfies the constraints) moved from the domain to its coset by
/// `offset`: an inverse FFT, then an FFT on the coset. Both reductions start so.
fn on_coset(
    r1cs: &R1cs,
    domain: &Radix2EvaluationDomain<Fr>,
    z: &[Fr],
    offset: Fr,
) -> Result<(Radix2EvaluationDomain<Fr>, [Vec<Fr>; 3]), QapError> {
    let n = domain.size();
    let (a, b, c) = evaluate_rows(r1cs, n, z)?;
    let c = c.unwrap_or_else(|| a.par_iter().zip(&b).map(|(a, b)| *a * b).collect());
    let coset = domain.get_coset(offset).ok_or(QapError::TooLarge(n))?;
    let mut abc = [a, b, c];
    let [a, b, c] = &mut abc;
    let shift = |v: &mut Vec<Fr>| {
        domain.ifft_in_place(v);
        coset.fft_in_place(v);
    };
    rayon::join(|| shift(a), || rayon::join(|| shift(b), || shift(c)));
    Ok((coset, abc))
}

/// h's coefficients under the libsnark reduction (the domain's size of them; the last is zero).
pub(crate) fn h_coefficients(
    r1cs: &R1cs,
    domain: &Radix2EvaluationDomain<Fr>,
    z: &[Fr],
) -> Result<Vec<Fr>, QapError> {
    let (coset, [mut a, b, c]) = on_coset(r1cs, domain, z, Fr::GENERATOR)?;
    // Z(x) = xⁿ − 1 is the same constant at every point of the coset.
    let z_inv = domain
        .evaluate_vanishing_polynomial(Fr::GENERATOR)
        .inverse()
        .ok_or(QapError::TooLarge(domain.size()))?;
    a.par_iter_mut().zip(&b).zip(&c).for_each(|((a, b), c)| *a = (*a * b - c) * z_inv);
    coset.ifft_in_place(&mut a);
    Ok(a)
}

/// The circom reduction: A·B − C evaluated at the odd 2n-th roots of unity ω₂ₙ^(2i+1), i < n.
///
/// Evaluating on the coset ω₂ₙ·H is an inverse FFT, a scaling of coefficient j by ω₂ₙʲ and an FFT.
/// C's interpolant comes from the products of A's and B's values where the key has no C matrix,
/// so a zkey proves as well.
pub(crate) fn h_odd_evaluations(
    r1cs: &R1cs,
    domain: &Radix2EvaluationDomain<Fr>,
    z: &[Fr],
) -> Result<Vec<Fr>, QapError> {
    let n = domain.size();
    let shift = Radix2EvaluationDomain::<Fr>::new(2 * n).ok_or(QapError::TooLarge(2 * n))?.group_gen();
    let (_, [mut a, b, c]) = on_coset(r1cs, domain, z, shift)?;
    a.par_iter_mut().zip(&b).zip(&c).for_each(|((a, b), c)| *a = *a * b - c);
    Ok(a)
}

/// Scalars as the MSMs take them.
pub(crate) fn to_bigints(v: &[Fr]) -> Vec<crate::ScalarBigInt> {
    v.par_iter().map(|s| s.into_bigint()).collect()
}

/// The circom/snarkjs reduction for plain ark-groth16, `Groth16::<Bn254, CircomReduction>`: to make
/// keys for it with arkworks' generator (as the tests do) and as the baseline our prover is
/// benchmarked against. ark-circom has the same, but depending on it pulls in wasmer.
pub struct CircomReduction;

impl ark_groth16::r1cs_to_qap::R1CSToQAP for CircomReduction {
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        ark_groth16::r1cs_to_qap::LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        use ark_groth16::r1cs_to_qap::evaluate_constraint;
        let domain = D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        let (mut a, mut b) = (vec![F::zero(); n], vec![F::zero(); n]);
        a[..num_constraints]
            .par_iter_mut()
            .zip(&mut b[..num_constraints])
            .zip(&matrices[0])
            .zip(&matrices[1])
            .for_each(|(((a, b), at), bt)| {
                *a = evaluate_constraint(at, full_assignment);
                *b = evaluate_constraint(bt, full_assignment);
            });
        a[num_constraints..num_constraints + num_inputs].clone_from_slice(&full_assignment[..num_inputs]);
        let mut c: Vec<F> = a.par_iter().zip(&b).map(|(a, b)| *a * b).collect();
        let shift = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?.element(1);
        for v in [&mut a, &mut b, &mut c] {
            domain.ifft_in_place(v);
            D::distribute_powers_and_mul_by_const(v, shift, F::one());
            domain.fft_in_place(v);
        }
        a.par_iter_mut().zip(&b).zip(&c).for_each(|((a, b), c)| *a = *a * b - c);
        Ok(a)
    }

    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        // max_power is n − 1. The inverse FFT of τ⁰…τ²ⁿ⁻¹ over the 2n-th roots is Lⱼ(τ) for
        // every j; the odd ones, over δ, are the H points (see the module's comment).
        let mut scalars: Vec<F> = (0..2 * max_power + 2).into_par_iter().map(|i| delta_inverse * t.pow([i as u64])).collect();
        let domain = D::new(scalars.len()).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        domain.ifft_in_place(&mut scalars);
        Ok(scalars.into_par_iter().skip(1).step_by(2).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_poly::{DenseUVPolynomial, Polynomial};
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_ff::UniformRand;

    /// The odd-root evaluations are those of the interpolants' A·B − C, computed directly.
    #[test]
    fn circom_reduction_evaluates_at_odd_roots() {
        let mut rng = StdRng::seed_from_u64(3);
        // x·y = t, t·x = u; z = [1, u, x, y, t]
        let (x, y) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let t = x * y;
        let u = t * x;
        let z = vec![Fr::one(), u, x, y, t];
        let one = Fr::one();
        let r1cs = R1cs {
            num_instance: 2,
            num_witness: 3,
            a: vec![vec![(one, 2)], vec![(one, 4)]],
            b: vec![vec![(one, 3)], vec![(one, 2)]],
            c: vec![vec![(one, 4)], vec![(one, 1)]],
        };
        let domain = domain(&r1cs).unwrap();
        let n = domain.size();
        let h = h_odd_evaluations(&r1cs, &domain, &z).unwrap();
        let mut without_c = r1cs.clone();
        without_c.c.clear();
        assert_eq!(h_odd_evaluations(&without_c, &domain, &z).unwrap(), h);

        let interpolate = |mut v: Vec<Fr>| {
            domain.ifft_in_place(&mut v);
            ark_poly::univariate::DensePolynomial::from_coefficients_vec(v)
        };
        let (a, b, _) = evaluate_rows(&r1cs, n, &z).unwrap();
        let c: Vec<Fr> = a.iter().zip(&b).map(|(a, b)| *a * b).collect();
        let (pa, pb, pc) = (interpolate(a), interpolate(b), interpolate(c));
        let w = Radix2EvaluationDomain::<Fr>::new(2 * n).unwrap().group_gen();
        for (i, hi) in h.iter().enumerate() {
            let x = w.pow([2 * i as u64 + 1]);
            assert_eq!(*hi, pa.evaluate(&x) * pb.evaluate(&x) - pc.evaluate(&x), "point {i}");
        }

        let mut bad = z.clone();
        bad[1] += one;
        assert_eq!(h_odd_evaluations(&r1cs, &domain, &bad), Err(QapError::Unsatisfied(1)));
    }
}
