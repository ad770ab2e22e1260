//! A batch of independent affine additions, eight at a time.

use std::arch::x86_64::*;

use ark_ff::{AdditiveGroup, Field, Zero};

use super::field::{enter, Fq2x8, Fq8, Lanes};
use crate::msm::affine::{Batch, Xy, DOUBLE};
use crate::msm::prefetch::prefetch;

/// Independent chains of prefix products (see [`add_batch`]).
const CHAINS: usize = 4;

/// Reusable memory for the kernel: the prefix products of the current batch.
#[derive(Default)]
pub(in crate::msm) struct Scratch {
    fq: Vec<Fq8>,
    fq2: Vec<Fq2x8>,
}

/// Eight elements of a field side by side, as the kernel runs on them, with the buffer of
/// [`Scratch`] that keeps their prefix products.
pub(in crate::msm) trait Kernel: Lanes {
    /// This field's prefix-product buffer.
    fn prefix(scratch: &mut Scratch) -> &mut Vec<Self>;
}

impl Kernel for Fq8 {
    fn prefix(scratch: &mut Scratch) -> &mut Vec<Fq8> {
        &mut scratch.fq
    }
}

impl Kernel for Fq2x8 {
    fn prefix(scratch: &mut Scratch) -> &mut Vec<Fq2x8> {
        &mut scratch.fq2
    }
}

/// Gather offsets (in words) of eight consecutive items `stride` words apart.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn strided(stride: usize) -> __m512i {
    let s = stride as i64;
    _mm512_set_epi64(7 * s, 6 * s, 5 * s, 4 * s, 3 * s, 2 * s, s, 0)
}

/// See [`super::add_batch`]; here the checks are done and `L` is the field's lanes type.
///
/// # Safety
///
/// The CPU has AVX-512F and IFMA; the batch's `tags`, `points` and `dens` have equal lengths;
/// every tag's bucket is in range and no two tags name the same bucket.
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) unsafe fn add_batch<L: Kernel>(
    buckets: &mut [Xy<L::Element>],
    batch: Batch<'_, L::Element>,
    scratch: &mut Scratch,
) -> bool {
    let Batch { tags, points, dens } = batch;
    let m = tags.len();
    if m == 0 {
        return true;
    }
    // Words: an element has L::WORDS, a point twice that (x, then y: `Xy` is repr(C)).
    let (words, point_words) = (L::WORDS, 2 * L::WORDS);
    debug_assert_eq!(std::mem::size_of::<Xy<L::Element>>(), 8 * point_words);
    let groups = m.div_ceil(8);
    let live = |g: usize| -> __mmask8 { (0xffu16 >> (8 - (m - 8 * g).min(8))) as __mmask8 };
    let one = enter(L::Element::ONE);
    // SAFETY: (all gathers of `dens` and `points` below) a live lane of group g is entry 8g + l,
    // which exists; the CPU has the features (the caller's promise).
    let dens_at = |g: usize| unsafe { L::gather(dens[8 * g..].as_ptr().cast(), strided(words), live(g), &one) };

    // Forward: prefix[g] = the product, lane by lane, of the denominators of the groups before
    // g in its chain. A multiplication's latency is several times its throughput, so groups take
    // turns over CHAINS independent chains instead of forming one.
    let prefix = L::prefix(scratch);
    prefix.clear();
    // SAFETY: the CPU has the features.
    let mut products = [unsafe { L::from_elements(&[one; 8]) }; CHAINS];
    for g in 0..groups {
        let product = &mut products[g % CHAINS];
        prefix.push(*product);
        // SAFETY: the CPU has the features.
        *product = unsafe { product.mul(&dens_at(g)) };
    }

    // One inversion for all chains' lanes' products (Montgomery's trick again, in scalar code).
    // SAFETY: the CPU has the features.
    let mut lane_products: Vec<L::Element> = products.iter().flat_map(|p| unsafe { p.canonical().to_elements() }).collect();
    if lane_products.iter().any(|p| p.is_zero()) {
        return false;
    }
    ark_ff::batch_inversion(&mut lane_products);
    // arkworks reads x·2^260 as 16x, so its inverse is x⁻¹/16 (x⁻¹·2^252 as words): times 256
    // puts it in the lanes' domain.
    let scale = L::Element::from(256u64);
    let mut invs: [L; CHAINS] = std::array::from_fn(|c| {
        let lanes: [L::Element; 8] = std::array::from_fn(|l| lane_products[8 * c + l] * scale);
        // SAFETY: the CPU has the features.
        unsafe { L::from_elements(&lanes) }
    });

    // Backward: each group's inverses, then its additions.
    let bucket_base = buckets.as_mut_ptr().cast::<u64>();
    for g in (0..groups).rev() {
        let start = 8 * g;
        let lanes = live(g);
        if g >= 1 {
            for &t in &tags[start - 8..start] {
                prefetch(&buckets[(t & !DOUBLE) as usize]);
            }
        }
        let mut offsets = [0u64; 8];
        let mut double: __mmask8 = 0;
        for (l, &t) in tags[start..(start + 8).min(m)].iter().enumerate() {
            offsets[l] = u64::from(t & !DOUBLE) * point_words as u64;
            double |= u8::from(t & DOUBLE != 0) << l;
        }
        // SAFETY: eight u64s make one __m512i.
        let offset = unsafe { std::mem::transmute::<[u64; 8], __m512i>(offsets) };
        let y = _mm512_set1_epi64(words as i64);
        let point_base = points[start..].as_ptr().cast::<u64>();
        // SAFETY: live lanes are entries of `points`, and distinct in-range buckets (the caller's
        // promise); the CPU has the features.
        unsafe {
            let inv = &mut invs[g % CHAINS];
            let inv_g = inv.mul(&prefix[g]);
            *inv = inv.mul(&dens_at(g));
            let zero = L::Element::ZERO;
            let px = L::gather(point_base, strided(point_words), lanes, &zero);
            let py = L::gather(point_base, _mm512_add_epi64(strided(point_words), y), lanes, &zero);
            let cx = L::gather(bucket_base, offset, lanes, &zero);
            let cy = L::gather(bucket_base, _mm512_add_epi64(offset, y), lanes, &zero);
            // Bounds (see `Lanes`): canonical inputs are below p, products below 2p.
            let mut num = py.sub_plus(&cy, 1);
            if double != 0 {
                // The tangent's slope 3x² / 2y (both BN254 curves have a = 0).
                let xx = cx.square();
                num = L::select(double, &xx.add(&xx).canonical().add(&xx), &num);
            }
            let lambda = num.mul(&inv_g);
            let x3 = lambda.square().sub_plus(&cx, 1).sub_plus(&px, 1).canonical();
            let y3 = lambda.mul(&cx.sub_plus(&x3, 1)).sub_plus(&cy, 1).canonical();
            x3.scatter(bucket_base, offset, lanes);
            y3.scatter(bucket_base, _mm512_add_epi64(offset, y), lanes);
        }
    }
    true
}
