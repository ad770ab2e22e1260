//! BN254's Fq and Fq2, eight elements at a time: [`Fq8`] (five 52-bit limbs, one vector per limb)
//! and [`Fq2x8`] (two of them), behind the [`Lanes`] trait the batch kernel is written against.

use std::arch::x86_64::*;

use ark_bn254::{Fq, Fq2};
use ark_ff::{BigInt, Field, MontConfig};

const MASK: u64 = (1 << 52) - 1;

/// p in 52-bit limbs, least significant first.
const P: [u64; 5] = limbs52(<ark_bn254::FqConfig as MontConfig<4>>::MODULUS.0);

/// −p⁻¹ mod 2^52.
const P_INV: u64 = {
    // Newton's iteration for p⁻¹ mod 2^64 (each step doubles the correct low bits; p is odd).
    let p = <ark_bn254::FqConfig as MontConfig<4>>::MODULUS.0[0];
    let mut inv = 1u64;
    let mut i = 0;
    while i < 6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(p.wrapping_mul(inv)));
        i += 1;
    }
    inv.wrapping_neg() & MASK
};

const fn limbs52(w: [u64; 4]) -> [u64; 5] {
    [w[0] & MASK, (w[0] >> 52 | w[1] << 12) & MASK, (w[1] >> 40 | w[2] << 24) & MASK, (w[2] >> 28 | w[3] << 36) & MASK, w[3] >> 16]
}

/// k·p in 52-bit limbs, normalised (k ≤ 8: p < 2^254, so k·p fits five limbs).
const fn multiple_of_p(k: u64) -> [u64; 5] {
    let mut r = [0u64; 5];
    let mut carry = 0u64;
    let mut i = 0;
    while i < 5 {
        let v = P[i] * k + carry;
        r[i] = if i < 4 { v & MASK } else { v };
        carry = v >> 52;
        i += 1;
    }
    r
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn splat(v: u64) -> __m512i {
    _mm512_set1_epi64(v as i64)
}

/// 16 and 1/16 mod p.
const SIXTEEN: Fq = ark_ff::MontFp!("16");
const INV_SIXTEEN: Fq = ark_ff::MontFp!("12312136615409592312513603231707217237391675025980025810262583815737939742328");

/// An arkworks element (`x · 2^256` as words) in the lanes' domain (`x · 2^260`), still as an
/// arkworks value: its words are what the kernel reads. For Fq and Fq2 alike, a multiplication by
/// an Fq constant.
#[inline]
pub(in crate::msm) fn enter<F: Field<BasePrimeField = Fq>>(x: F) -> F {
    x.mul_by_base_prime_field(&SIXTEEN)
}

/// The inverse of [`enter`].
#[inline]
pub(in crate::msm) fn leave<F: Field<BasePrimeField = Fq>>(x: F) -> F {
    x.mul_by_base_prime_field(&INV_SIXTEEN)
}

/// What the batch kernel needs of eight field elements side by side. Values are in the lanes'
/// domain (see the module above) and their limbs normalised; each method states the bounds it
/// needs and gives. Every method needs AVX-512F and IFMA ([`super::available`]).
pub(crate) trait Lanes: Copy {
    type Element: Field<BasePrimeField = Fq>;
    /// 64-bit words of one element as arkworks stores it.
    const WORDS: usize;

    /// Eight elements whose words start at word offsets `offset` from `base`; lanes not in `live`
    /// get `fill`.
    ///
    /// # Safety
    ///
    /// The CPU has the features, and every live lane's words are readable.
    unsafe fn gather(base: *const u64, offset: __m512i, live: __mmask8, fill: &Self::Element) -> Self;

    /// Writes the live lanes (canonical) at word offsets `offset` from `base`.
    ///
    /// # Safety
    ///
    /// The CPU has the features, every live lane's words are writable, and no two overlap.
    unsafe fn scatter(self, base: *mut u64, offset: __m512i, live: __mmask8);

    /// # Safety
    ///
    /// The CPU has the features.
    unsafe fn from_elements(xs: &[Self::Element; 8]) -> Self;

    /// The lanes as arkworks elements (their words; canonical input gives canonical elements).
    ///
    /// # Safety
    ///
    /// The CPU has the features.
    unsafe fn to_elements(self) -> [Self::Element; 8];

    /// Product, below 2p, of inputs below 4p.
    ///
    /// # Safety
    ///
    /// The CPU has the features.
    unsafe fn mul(&self, other: &Self) -> Self;

    /// Square, below 2p, of an input below 2p.
    ///
    /// # Safety
    ///
    /// The CPU has the features.
    unsafe fn square(&self) -> Self;

    /// Sum, unreduced.
    ///
    /// # Safety
    ///
    /// The CPU has the features.
    unsafe fn add(&self, other: &Self) -> Self;

    /// `self − other + k·p`; `other` must be at most `k·p`.
    ///
    /// # Safety
    ///
    /// The CPU has the features.
    unsafe fn sub_plus(&self, other: &Self, k: u64) -> Self;

    /// The canonical representative (below p) of a value below 4p.
    ///
    /// # Safety
    ///
    /// The CPU has the features.
    unsafe fn canonical(self) -> Self;

    /// Lanes of `a` where `mask` is set, of `b` elsewhere.
    ///
    /// # Safety
    ///
    /// The CPU has the features.
    unsafe fn select(mask: __mmask8, a: &Self, b: &Self) -> Self;
}

/// Eight elements of Fq, one per lane: limb `k` of element `l` is lane `l` of vector `k`.
#[derive(Clone, Copy)]
pub(crate) struct Fq8([__m512i; 5]);

impl Fq8 {
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn from_words(w: [__m512i; 4]) -> Fq8 {
        let m = splat(MASK);
        Fq8([
            _mm512_and_si512(w[0], m),
            _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64::<52>(w[0]), _mm512_slli_epi64::<12>(w[1])), m),
            _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64::<40>(w[1]), _mm512_slli_epi64::<24>(w[2])), m),
            _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64::<28>(w[2]), _mm512_slli_epi64::<36>(w[3])), m),
            _mm512_srli_epi64::<16>(w[3]),
        ])
    }

    /// The inverse of [`Fq8::from_words`] for a normalised value below 2^256.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn to_words(self) -> [__m512i; 4] {
        let r = self.0;
        [
            _mm512_or_si512(r[0], _mm512_slli_epi64::<52>(r[1])),
            _mm512_or_si512(_mm512_srli_epi64::<12>(r[1]), _mm512_slli_epi64::<40>(r[2])),
            _mm512_or_si512(_mm512_srli_epi64::<24>(r[2]), _mm512_slli_epi64::<28>(r[3])),
            _mm512_or_si512(_mm512_srli_epi64::<36>(r[3]), _mm512_slli_epi64::<16>(r[4])),
        ]
    }

    /// Montgomery product `a · b / 2^260 mod p`: below 2p for inputs below 8p ((8p)² / 2^260 < p,
    /// plus at most p from the reduction).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn mont_mul(&self, b: &Fq8) -> Fq8 {
        let a = &self.0;
        let zero = _mm512_setzero_si512();
        let p = P.map(|l| splat(l));
        let p_inv = splat(P_INV);
        let (mut t0, mut t1, mut t2, mut t3, mut t4) = (zero, zero, zero, zero, zero);
        // Operand scanning: each round adds a · bᵢ and the multiple m·p that clears the lowest
        // limb, then drops that limb. Limbs are not carried between rounds: five rounds of at most
        // four 52-bit halves per limb stay far below 2^64.
        for &bi in &b.0 {
            let mut t5 = zero;
            t0 = _mm512_madd52lo_epu64(t0, a[0], bi);
            t1 = _mm512_madd52hi_epu64(t1, a[0], bi);
            t1 = _mm512_madd52lo_epu64(t1, a[1], bi);
            t2 = _mm512_madd52hi_epu64(t2, a[1], bi);
            t2 = _mm512_madd52lo_epu64(t2, a[2], bi);
            t3 = _mm512_madd52hi_epu64(t3, a[2], bi);
            t3 = _mm512_madd52lo_epu64(t3, a[3], bi);
            t4 = _mm512_madd52hi_epu64(t4, a[3], bi);
            t4 = _mm512_madd52lo_epu64(t4, a[4], bi);
            t5 = _mm512_madd52hi_epu64(t5, a[4], bi);
            let m = _mm512_madd52lo_epu64(zero, t0, p_inv);
            t0 = _mm512_madd52lo_epu64(t0, m, p[0]);
            t1 = _mm512_madd52hi_epu64(t1, m, p[0]);
            t1 = _mm512_madd52lo_epu64(t1, m, p[1]);
            t2 = _mm512_madd52hi_epu64(t2, m, p[1]);
            t2 = _mm512_madd52lo_epu64(t2, m, p[2]);
            t3 = _mm512_madd52hi_epu64(t3, m, p[2]);
            t3 = _mm512_madd52lo_epu64(t3, m, p[3]);
            t4 = _mm512_madd52hi_epu64(t4, m, p[3]);
            t4 = _mm512_madd52lo_epu64(t4, m, p[4]);
            t5 = _mm512_madd52hi_epu64(t5, m, p[4]);
            // t0's low 52 bits are zero now; what is above them carries into t1.
            t0 = _mm512_add_epi64(t1, _mm512_srli_epi64::<52>(t0));
            t1 = t2;
            t2 = t3;
            t3 = t4;
            t4 = t5;
        }
        Fq8([t0, t1, t2, t3, t4]).carried()
    }

    /// Propagates carries (signed: limbs may be negative after a subtraction) so that every limb
    /// but the top one is below 2^52; the top one keeps the sign.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn carried(self) -> Fq8 {
        let m = splat(MASK);
        let mut r = self.0;
        for k in 0..4 {
            r[k + 1] = _mm512_add_epi64(r[k + 1], _mm512_srai_epi64::<52>(r[k]));
            r[k] = _mm512_and_si512(r[k], m);
        }
        Fq8(r)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn plus(&self, other: &Fq8) -> Fq8 {
        Fq8(std::array::from_fn(|i| _mm512_add_epi64(self.0[i], other.0[i]))).carried()
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn minus_plus(&self, other: &Fq8, k: u64) -> Fq8 {
        let kp = multiple_of_p(k);
        Fq8(std::array::from_fn(|i| _mm512_add_epi64(_mm512_sub_epi64(self.0[i], other.0[i]), splat(kp[i])))).carried()
    }

    /// Subtracts `k·p` in the lanes where that leaves a non-negative value.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn reduce_by(self, k: u64) -> Fq8 {
        let kp = multiple_of_p(k);
        let s = Fq8(std::array::from_fn(|i| _mm512_sub_epi64(self.0[i], splat(kp[i])))).carried();
        let negative = _mm512_cmplt_epi64_mask(s.0[4], _mm512_setzero_si512());
        Fq8(std::array::from_fn(|i| _mm512_mask_blend_epi64(negative, s.0[i], self.0[i])))
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn blend(mask: __mmask8, a: &Fq8, b: &Fq8) -> Fq8 {
        Fq8(std::array::from_fn(|i| _mm512_mask_blend_epi64(mask, b.0[i], a.0[i])))
    }
}

impl Lanes for Fq8 {
    type Element = Fq;
    const WORDS: usize = 4;

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn gather(base: *const u64, offset: __m512i, live: __mmask8, fill: &Fq) -> Fq8 {
        let w = std::array::from_fn(|k| {
            let at = _mm512_add_epi64(offset, splat(k as u64));
            // SAFETY: the caller vouches for the live lanes; masked-off lanes are not read.
            unsafe { _mm512_mask_i64gather_epi64::<8>(splat(fill.0 .0[k]), live, at, base.cast()) }
        });
        Fq8::from_words(w)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn scatter(self, base: *mut u64, offset: __m512i, live: __mmask8) {
        for (k, w) in self.to_words().into_iter().enumerate() {
            let at = _mm512_add_epi64(offset, splat(k as u64));
            // SAFETY: as the caller vouches.
            unsafe { _mm512_mask_i64scatter_epi64::<8>(base.cast(), live, at, w) };
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn from_elements(xs: &[Fq; 8]) -> Fq8 {
        Fq8::from_words(std::array::from_fn(|k| {
            let words: [u64; 8] = std::array::from_fn(|l| xs[l].0 .0[k]);
            // SAFETY: eight u64s make one __m512i.
            unsafe { std::mem::transmute::<[u64; 8], __m512i>(words) }
        }))
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn to_elements(self) -> [Fq; 8] {
        // SAFETY: an __m512i is eight u64s.
        let words: [[u64; 8]; 4] = self.to_words().map(|w| unsafe { std::mem::transmute::<__m512i, [u64; 8]>(w) });
        std::array::from_fn(|l| Fq::new_unchecked(BigInt(std::array::from_fn(|k| words[k][l]))))
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn mul(&self, other: &Fq8) -> Fq8 {
        self.mont_mul(other)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn square(&self) -> Fq8 {
        self.mont_mul(self)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn add(&self, other: &Fq8) -> Fq8 {
        self.plus(other)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn sub_plus(&self, other: &Fq8, k: u64) -> Fq8 {
        self.minus_plus(other, k)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn canonical(self) -> Fq8 {
        self.reduce_by(2).reduce_by(1)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn select(mask: __mmask8, a: &Fq8, b: &Fq8) -> Fq8 {
        Fq8::blend(mask, a, b)
    }
}

/// Eight elements of Fq2 = Fq[u]/(u² + 1): their c0 and c1 parts.
#[derive(Clone, Copy)]
pub(crate) struct Fq2x8 {
    c0: Fq8,
    c1: Fq8,
}

// Fq2's words as gathered and scattered: c0's four, then c1's.
const _: () = assert!(std::mem::size_of::<Fq2>() == 64);
const _: () = assert!(std::mem::offset_of!(Fq2, c0) == 0 && std::mem::offset_of!(Fq2, c1) == 32);

impl Lanes for Fq2x8 {
    type Element = Fq2;
    const WORDS: usize = 8;

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn gather(base: *const u64, offset: __m512i, live: __mmask8, fill: &Fq2) -> Fq2x8 {
        // SAFETY: as the caller vouches (c1's words follow c0's).
        unsafe {
            Fq2x8 {
                c0: Fq8::gather(base, offset, live, &fill.c0),
                c1: Fq8::gather(base, _mm512_add_epi64(offset, splat(4)), live, &fill.c1),
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn scatter(self, base: *mut u64, offset: __m512i, live: __mmask8) {
        // SAFETY: as the caller vouches.
        unsafe {
            self.c0.scatter(base, offset, live);
            self.c1.scatter(base, _mm512_add_epi64(offset, splat(4)), live);
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn from_elements(xs: &[Fq2; 8]) -> Fq2x8 {
        // SAFETY: the CPU has the features.
        unsafe { Fq2x8 { c0: Fq8::from_elements(&xs.map(|x| x.c0)), c1: Fq8::from_elements(&xs.map(|x| x.c1)) } }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn to_elements(self) -> [Fq2; 8] {
        // SAFETY: the CPU has the features.
        let (c0, c1) = unsafe { (self.c0.to_elements(), self.c1.to_elements()) };
        std::array::from_fn(|l| Fq2::new(c0[l], c1[l]))
    }

    /// Karatsuba: (a0 + a1·u)(b0 + b1·u) = (a0·b0 − a1·b1) + ((a0 + a1)(b0 + b1) − a0·b0 − a1·b1)·u.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn mul(&self, other: &Fq2x8) -> Fq2x8 {
        let v0 = self.c0.mont_mul(&other.c0);
        let v1 = self.c1.mont_mul(&other.c1);
        // Inputs below 4p: the sums are below 8p, which the multiplication takes.
        let s = self.c0.plus(&self.c1).mont_mul(&other.c0.plus(&other.c1));
        // v0, v1, s < 2p: c0 < 4p, c1 < 6p before reduction.
        Fq2x8 { c0: v0.minus_plus(&v1, 2).reduce_by(2), c1: s.minus_plus(&v0, 2).minus_plus(&v1, 2).reduce_by(4).reduce_by(2) }
    }

    /// (a0 + a1·u)² = (a0 + a1)(a0 − a1) + 2·a0·a1·u.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn square(&self) -> Fq2x8 {
        let c0 = self.c0.plus(&self.c1).mont_mul(&self.c0.minus_plus(&self.c1, 2));
        let v = self.c0.mont_mul(&self.c1);
        Fq2x8 { c0, c1: v.plus(&v).reduce_by(2) }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn add(&self, other: &Fq2x8) -> Fq2x8 {
        Fq2x8 { c0: self.c0.plus(&other.c0), c1: self.c1.plus(&other.c1) }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn sub_plus(&self, other: &Fq2x8, k: u64) -> Fq2x8 {
        Fq2x8 { c0: self.c0.minus_plus(&other.c0, k), c1: self.c1.minus_plus(&other.c1, k) }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn canonical(self) -> Fq2x8 {
        Fq2x8 { c0: self.c0.reduce_by(2).reduce_by(1), c1: self.c1.reduce_by(2).reduce_by(1) }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn select(mask: __mmask8, a: &Fq2x8, b: &Fq2x8) -> Fq2x8 {
        Fq2x8 { c0: Fq8::blend(mask, &a.c0, &b.c0), c1: Fq8::blend(mask, &a.c1, &b.c1) }
    }
}

#[cfg(test)]
mod tests {
    use super::super::available;
    use super::*;
    use ark_ff::{AdditiveGroup, UniformRand};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn constants() {
        assert_eq!(P_INV.wrapping_mul(P[0]) & MASK, MASK, "p · (−p⁻¹) ≡ −1 mod 2^52");
        assert_eq!(leave(enter(Fq::from(12345u64))), Fq::from(12345u64));
        assert_eq!(leave(Fq::from(16u64)), Fq::from(1u64));
    }

    /// Products, squares, sums and differences of random elements and of 0, 1, −1, in the
    /// lanes' domain, equal arkworks' once made canonical and brought back.
    fn equals_arkworks<L: Lanes>(random: impl Fn(&mut StdRng) -> L::Element) {
        if !available() {
            eprintln!("skipped: this CPU has no AVX-512 IFMA");
            return;
        }
        let mut rng = StdRng::seed_from_u64(52);
        let (zero, one) = (L::Element::ZERO, L::Element::ONE);
        for round in 0..200 {
            let mut a: [L::Element; 8] = std::array::from_fn(|_| random(&mut rng));
            let b: [L::Element; 8] = std::array::from_fn(|_| random(&mut rng));
            if round == 0 {
                a = [zero, one, -one, -one, zero, -one, one.double(), -one];
            }
            // SAFETY: `available()` was checked.
            let got = unsafe {
                let (va, vb) = (L::from_elements(&a.map(enter)), L::from_elements(&b.map(enter)));
                let back = |v: L| v.canonical().to_elements().map(leave);
                (back(va.mul(&vb)), back(va.square()), back(va.sub_plus(&vb, 1)), back(va.add(&vb)), back(L::select(0b1010_0101, &va, &vb)))
            };
            for l in 0..8 {
                assert_eq!(got.0[l], a[l] * b[l], "product, lane {l}");
                assert_eq!(got.1[l], a[l].square(), "square, lane {l}");
                assert_eq!(got.2[l], a[l] - b[l], "difference, lane {l}");
                assert_eq!(got.3[l], a[l] + b[l], "sum, lane {l}");
                assert_eq!(got.4[l], if 0b1010_0101 & (1 << l) != 0 { a[l] } else { b[l] }, "select, lane {l}");
            }
        }
    }

    #[test]
    fn fq_arithmetic_equals_arkworks() {
        equals_arkworks::<Fq8>(Fq::rand);
    }

    #[test]
    fn fq2_arithmetic_equals_arkworks() {
        equals_arkworks::<Fq2x8>(Fq2::rand);
    }

    /// Multiplication's input bound is where the kernel leans on it: operands just below 4p
    /// (8p for Fq) still give products below 2p that reduce correctly.
    #[test]
    fn products_of_unreduced_inputs() {
        if !available() {
            return;
        }
        let mut rng = StdRng::seed_from_u64(53);
        let x: [Fq; 8] = std::array::from_fn(|_| Fq::rand(&mut rng));
        let y: [Fq; 8] = std::array::from_fn(|_| Fq::rand(&mut rng));
        // SAFETY: `available()` was checked.
        unsafe {
            let zero = Fq8::from_elements(&[Fq::from(0u64); 8]);
            let (vx, vy) = (Fq8::from_elements(&x.map(enter)), Fq8::from_elements(&y.map(enter)));
            for k in 1..=3u64 {
                let raised = vx.sub_plus(&zero, k);
                assert_eq!(raised.canonical().to_elements().map(leave), x, "x + {k}p made canonical");
                let product = raised.mul(&vy.sub_plus(&zero, 3)).canonical().to_elements().map(leave);
                assert_eq!(product, std::array::from_fn(|l| x[l] * y[l]), "(x + {k}p)(y + 3p)");
            }
            let x2: [Fq2; 8] = std::array::from_fn(|l| Fq2::new(x[l], y[l]));
            let v = Fq2x8::from_elements(&x2.map(enter));
            let zero2 = Fq2x8::from_elements(&[Fq2::from(0u64); 8]);
            let raised = v.sub_plus(&zero2, 3);
            assert_eq!(raised.mul(&raised).canonical().to_elements().map(leave), x2.map(|e| e.square()), "(x + 3p)² in Fq2");
        }
    }
}
