//! Batch-affine additions eight at a time with AVX-512 IFMA (`vpmadd52luq` / `vpmadd52huq`: eight
//! 52 × 52-bit products per instruction, low or high half, added into 64-bit lanes), for BN254's G1
//! (over Fq) and G2 (over Fq2).
//!
//! An Fq element is five 52-bit limbs, one vector per limb, so that lane `l` of every vector is
//! element `l` (`field`). Multiplication is Montgomery's with R = 2^260 (five 52-bit rounds), not
//! arkworks' R = 2^256, so values live in their own domain: `x · 2^260 mod p` where arkworks keeps
//! `x · 2^256`. [`enter`] and [`leave`] move an arkworks element across (a multiplication by 16 or
//! by 1/16, as arkworks sees it); subtraction, negation and equality do not care which domain a
//! value is in, which lets the batch-affine engine keep its bookkeeping in arkworks types.
//!
//! Which fields have a kernel is said by type: `MsmField::Lanes` names each one's lanes type
//! (`msm::field`). The speed-up is measured in BENCHMARKS.md ("MSM engines").

mod field;
mod kernel;

use ark_ff::AdditiveGroup;

use super::affine::{Batch, Xy, DOUBLE};
pub(super) use field::{enter, leave};
pub(in crate::msm) use field::{Fq2x8, Fq8};
pub(in crate::msm) use kernel::{Kernel, Scratch};

/// Whether this CPU can run the kernel. The standard library caches the answer.
#[inline]
pub(super) fn available() -> bool {
    is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512ifma")
}

/// Performs a batch of independent affine additions on points kept in the lanes' domain: entry
/// `j` adds `points[j]` into bucket `tags[j] & !DOUBLE` of `buckets`, its denominator being
/// `dens[j]` (x₂ − x₁, or 2y for a doubling, marked [`DOUBLE`], where the point equals the
/// bucket). Entries go eight at a time, one per lane: Montgomery's trick runs down each lane,
/// and one scalar inversion serves the eight lanes' products. Returns `false`, having changed
/// nothing, when a denominator is zero (only off-curve or non-canonical input gets there; the
/// caller finishes such a batch another way).
///
/// Buckets must be distinct and coordinates canonical. Panics if the CPU lacks IFMA (see
/// [`available`]) or a bucket is out of range.
pub(super) fn add_batch<L: Kernel>(buckets: &mut [Xy<L::Element>], batch: Batch<'_, L::Element>, scratch: &mut Scratch) -> bool {
    assert!(available(), "the IFMA kernel needs AVX-512 IFMA");
    assert!(batch.tags.len() == batch.points.len() && batch.tags.len() == batch.dens.len());
    assert!(batch.tags.iter().all(|&t| ((t & !DOUBLE) as usize) < buckets.len()), "bucket index out of range");
    // SAFETY: the CPU has the features and the buckets are in range (asserted above) and distinct
    // (the caller's contract, which batch_affine's BUSY state keeps).
    unsafe { kernel::add_batch::<L>(buckets, batch, scratch) }
}

/// Doubles every point of `points` (in the lanes' domain, none at infinity) `times` times, as
/// batches of affine doublings: `false` if a point has y = 0 (its double is infinity, which
/// affine coordinates cannot hold; on BN254's prime-order groups only invalid input gets there),
/// leaving `points` partly doubled.
pub(super) fn double_in_place<L: Kernel>(points: &mut [Xy<L::Element>], times: u32, scratch: &mut Scratch) -> bool {
    let tags: Vec<u32> = (0..points.len() as u32).map(|i| i | DOUBLE).collect();
    let mut dens = vec![L::Element::ZERO; points.len()];
    let mut before = points.to_vec();
    for _ in 0..times {
        before.copy_from_slice(points);
        for (d, p) in dens.iter_mut().zip(points.iter()) {
            *d = p.y.double();
        }
        if !add_batch::<L>(points, Batch { tags: &tags, points: &before, dens: &dens }, scratch) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
    use ark_ec::CurveGroup;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_bn254::{Fq, Fq2};
    use ark_std::UniformRand;

    use crate::msm::field::MsmField;

    fn enter_point<P: SWCurveConfig<BaseField: MsmField>>(p: &Affine<P>) -> Xy<P::BaseField> {
        Xy { x: enter(p.x), y: enter(p.y) }
    }

    fn leave_point<P: SWCurveConfig<BaseField: MsmField>>(p: &Xy<P::BaseField>) -> Affine<P> {
        Affine::new(leave(p.x), leave(p.y))
    }

    /// Batches of every length mod 8 (partial last groups), with doublings among them, against
    /// arkworks' additions; untouched buckets stay untouched; a zero denominator is refused and
    /// changes nothing.
    fn add_batch_equals_arkworks<P: SWCurveConfig<BaseField: MsmField>>() {
        if !available() {
            eprintln!("skipped: this CPU has no AVX-512 IFMA");
            return;
        }
        let mut rng = StdRng::seed_from_u64(54);
        let count = 300;
        let start: Vec<Affine<P>> = (0..count).map(|_| Projective::<P>::rand(&mut rng).into_affine()).collect();
        let mut scratch = Scratch::default();
        for m in [1, 2, 7, 8, 9, 15, 16, 17, 100, 256] {
            let mut buckets: Vec<Xy<P::BaseField>> = start.iter().map(enter_point).collect();
            let mut expected = start.clone();
            let (mut tags, mut points, mut dens) = (Vec::new(), Vec::new(), Vec::new());
            for j in 0..m {
                // Distinct buckets: 7 is coprime to the count.
                let b = (j * 7 + 3) % count;
                let double = j % 5 == 3;
                let p = if double { start[b] } else { Projective::<P>::rand(&mut rng).into_affine() };
                let (pe, be) = (enter_point(&p), buckets[b]);
                tags.push(b as u32 | if double { DOUBLE } else { 0 });
                dens.push(if double { pe.y.double() } else { pe.x - be.x });
                points.push(pe);
                expected[b] = (start[b] + p).into_affine();
            }
            let batch = Batch { tags: &tags, points: &points, dens: &dens };
            assert!(add_batch::<<P::BaseField as MsmField>::Lanes>(&mut buckets, batch, &mut scratch));
            let got: Vec<Affine<P>> = buckets.iter().map(leave_point).collect();
            assert_eq!(got, expected, "batch of {m}");
        }
        let mut buckets: Vec<Xy<P::BaseField>> = start.iter().map(enter_point).collect();
        let before = buckets.clone();
        let p = enter_point(&Projective::<P>::rand(&mut rng).into_affine());
        let dens = [p.x - buckets[0].x, P::BaseField::ZERO, p.x - buckets[2].x];
        let batch = Batch { tags: &[0, 1, 2], points: &[p, p, p], dens: &dens };
        assert!(!add_batch::<<P::BaseField as MsmField>::Lanes>(&mut buckets, batch, &mut scratch));
        assert_eq!(buckets, before);
    }

    #[test]
    fn doubling_in_place_equals_arkworks() {
        if !available() {
            return;
        }
        let mut rng = StdRng::seed_from_u64(56);
        let start: Vec<ark_bn254::G2Affine> = (0..19).map(|_| ark_bn254::G2Projective::rand(&mut rng).into_affine()).collect();
        let mut points: Vec<Xy<Fq2>> = start.iter().map(enter_point).collect();
        assert!(double_in_place::<Fq2x8>(&mut points, 5, &mut Scratch::default()));
        let expected: Vec<ark_bn254::G2Affine> = start.iter().map(|p| (*p * ark_bn254::Fr::from(32u64)).into_affine()).collect();
        assert_eq!(points.iter().map(leave_point).collect::<Vec<_>>(), expected);
        // y = 0 cannot be doubled in affine coordinates: refused.
        let mut flat = vec![Xy { x: enter(Fq::from(5u64)), y: Fq::ZERO }];
        assert!(!double_in_place::<Fq8>(&mut flat, 1, &mut Scratch::default()));
    }

    #[test]
    fn g1_batches_equal_arkworks() {
        add_batch_equals_arkworks::<ark_bn254::g1::Config>();
    }

    #[test]
    fn g2_batches_equal_arkworks() {
        add_batch_equals_arkworks::<ark_bn254::g2::Config>();
    }

    #[test]
    fn domain_round_trip() {
        let mut rng = StdRng::seed_from_u64(55);
        let (x, y) = (Fq::rand(&mut rng), Fq2::rand(&mut rng));
        assert_eq!(leave(enter(x)), x);
        assert_eq!(leave(enter(y)), y);
        assert_eq!(enter(Fq::from(1u64)).0 .0, field_words_of_r260());
    }

    /// 2^260 mod p as words: the lanes' one.
    fn field_words_of_r260() -> [u64; 4] {
        use num_bigint::BigUint;
        let p = BigUint::from_bytes_le(&ark_ff::BigInteger::to_bytes_le(&<Fq as ark_ff::PrimeField>::MODULUS));
        let r = (BigUint::from(1u8) << 260u32) % p;
        let mut words = [0u64; 4];
        for (w, d) in words.iter_mut().zip(r.to_u64_digits()) {
            *w = d;
        }
        words
    }
}
