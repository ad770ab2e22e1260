//! Multiples of a fixed G1 point, precomputed so that a scalar multiplication is at most 64
//! mixed additions: a verifying key's IC points and α are multiplied by every proof's inputs and
//! every batch's challenges, where arkworks' MSM of two or three points costs about 50 µs a point
//! (a full double-and-add's worth). With the one-accumulator Miller loop this made a proof's check
//! 18 % cheaper than ark-groth16's (`make bench-verify`).

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;

use crate::Fr;

/// Bits per window: 16 multiples per window, 64 windows for a 254-bit scalar.
const WINDOW: usize = 4;
const WINDOWS: usize = 256 / WINDOW;
const MULTIPLES: usize = (1 << WINDOW) - 1;

/// d·16ʷ·P for every window w and digit d in 1..16: 960 affine points, 69,120 bytes (67.5 KiB).
#[derive(Clone, Debug)]
pub(super) struct FixedBase {
    multiples: Vec<G1Affine>,
}

impl FixedBase {
    /// About 960 additions and one batched inversion (half a millisecond).
    pub(super) fn new(p: G1Affine) -> FixedBase {
        let mut all = Vec::with_capacity(WINDOWS * MULTIPLES);
        let mut base = p.into_group();
        for _ in 0..WINDOWS {
            let mut m = base;
            for _ in 0..MULTIPLES {
                all.push(m);
                m += base;
            }
            // m is now 16·base: the next window's base.
            base = m;
        }
        FixedBase { multiples: G1Projective::normalize_batch(&all) }
    }

    /// Adds s·P to `acc`: one mixed addition per nonzero 4-bit digit of `s`.
    pub(super) fn add_multiple(&self, s: &Fr, acc: &mut G1Projective) {
        let bits = s.into_bigint();
        for (w, row) in self.multiples.chunks_exact(MULTIPLES).enumerate() {
            let digit = (bits.as_ref()[w * WINDOW / 64] >> (w * WINDOW % 64)) as usize & MULTIPLES;
            if let Some(m) = digit.checked_sub(1).and_then(|d| row.get(d)) {
                *acc += m;
            }
        }
    }
}

/// Σⱼ sⱼ·Pⱼ over the bases' tables, or over the bases themselves where no tables were built.
pub(super) fn combine(tables: &[FixedBase], bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    if tables.len() == bases.len() {
        let mut acc = G1Projective::default();
        for (t, s) in tables.iter().zip(scalars) {
            t.add_multiple(s, &mut acc);
        }
        return acc;
    }
    bases.iter().zip(scalars).map(|(p, s)| p.mul_bigint(s.into_bigint())).sum()
}

#[cfg(test)]
mod tests {
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    use super::*;

    #[test]
    fn multiples_from_the_table_are_scalar_multiplications() {
        let mut rng = StdRng::seed_from_u64(3);
        let bases: Vec<G1Affine> = (0..3).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        let tables: Vec<FixedBase> = bases.iter().map(|p| FixedBase::new(*p)).collect();
        let mut scalars: Vec<Vec<Fr>> = (0..20).map(|_| (0..3).map(|_| Fr::rand(&mut rng)).collect()).collect();
        scalars.push(vec![Fr::from(0u64), Fr::from(1u64), -Fr::from(1u64)]);
        scalars.push(vec![Fr::from(15u64), Fr::from(16u64), Fr::from(u128::MAX)]);
        for s in &scalars {
            let expected: G1Projective = bases.iter().zip(s).map(|(p, s)| *p * s).sum();
            assert_eq!(combine(&tables, &bases, s), expected, "{s:?}");
            assert_eq!(combine(&[], &bases, s), expected, "{s:?}");
        }
    }
}
