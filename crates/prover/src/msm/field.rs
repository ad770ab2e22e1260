//! Field arithmetic for the batch-affine hot loop: branch-free subtraction, BN254 base-field
//! multiplication with `mulx`/`adcx`/`adox`, and [`MsmField`], the fields the engine runs over
//! with the vector kernel each has.
//!
//! arkworks computes `a − b` as "if b > a, add p; subtract": a branch on the operands' values,
//! which on random field elements goes either way with equal odds and is mispredicted about half
//! the time (in isolation, on this project's machine: about 10 ns per subtraction, against 2 ns
//! without the branch). An affine bucket addition does six subtractions. Subtracting and then
//! adding `p` masked by the borrow gives the same result with no branch.
//!
//! arkworks multiplies with its own x86-64 assembly only when the whole build is compiled for
//! BMI2 and ADX (`-C target-feature=+bmi2,+adx`, which a portable binary is not); otherwise with
//! portable code that LLVM cannot compile to `mulx` and two interleaved carry chains, and that
//! it calls out of line. An affine addition is five multiplications and a squaring, so this
//! module has its own Montgomery multiplication for BN254's base field, inlined, in assembly,
//! chosen at run time where the CPU has BMI2 and ADX (every x86-64 CPU since 2015), and
//! arkworks' multiplication everywhere else.

use ark_ff::{AdditiveGroup, Field, Fp, MontBackend, MontConfig, QuadExtConfig, QuadExtField};

/// A base field the batch-affine engine runs over: BN254's Fq (G1) and Fq2 (G2). Its vector
/// kernel is chosen by type, here, not looked up at run time.
pub(super) trait MsmField: BranchlessSub + Field<BasePrimeField = ark_bn254::Fq> {
    /// Eight elements side by side, for the AVX-512 IFMA kernel.
    #[cfg(target_arch = "x86_64")]
    type Lanes: super::ifma::Kernel<Element = Self>;
}

impl MsmField for ark_bn254::Fq {
    #[cfg(target_arch = "x86_64")]
    type Lanes = super::ifma::Fq8;
}

impl MsmField for ark_bn254::Fq2 {
    #[cfg(target_arch = "x86_64")]
    type Lanes = super::ifma::Fq2x8;
}

/// Subtraction without a data-dependent branch, and the fastest multiplication there is.
pub(super) trait BranchlessSub: Field {
    /// `self − other`, equal to `self - other`, without a data-dependent branch.
    fn sub_branchless(&self, other: &Self) -> Self;

    /// `self · other`, equal to `self * other`.
    fn mul_fast(&self, other: &Self) -> Self;

    /// `self²`, equal to `self.square()`.
    fn square_fast(&self) -> Self {
        self.mul_fast(self)
    }
}

/// BN254's base-field modulus, then −p⁻¹ mod 2^64 (Montgomery's constant).
#[cfg(target_arch = "x86_64")]
static BN254_FQ: [u64; 5] = {
    let p = <ark_bn254::FqConfig as MontConfig<4>>::MODULUS.0;
    [p[0], p[1], p[2], p[3], <ark_bn254::FqConfig as MontConfig<4>>::INV]
};

/// Whether the CPU has `mulx` (BMI2) and `adcx`/`adox` (ADX). The standard library caches the
/// answer: after the first call this is a load and a test.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_adx() -> bool {
    std::arch::is_x86_feature_detected!("bmi2") && std::arch::is_x86_feature_detected!("adx")
}

/// `t += rdx · [src]` over four words, `t` in `t0..t3`, its carry out in `hi`: the two carry
/// chains interleaved, `adox` for the low halves and `adcx` for the high ones.
#[cfg(target_arch = "x86_64")]
macro_rules! mul_add_4 {
    ($src:literal) => {
        concat!(
            "xor {z:e}, {z:e}\n",
            "mulx {hi}, {lo}, qword ptr [", $src, " + 0]\n",
            "adox {t0}, {lo}\n",
            "adcx {t1}, {hi}\n",
            "mulx {hi}, {lo}, qword ptr [", $src, " + 8]\n",
            "adox {t1}, {lo}\n",
            "adcx {t2}, {hi}\n",
            "mulx {hi}, {lo}, qword ptr [", $src, " + 16]\n",
            "adox {t2}, {lo}\n",
            "adcx {t3}, {hi}\n",
            "mulx {hi}, {lo}, qword ptr [", $src, " + 24]\n",
            "adox {t3}, {lo}\n",
            "adcx {hi}, {z}\n",
            "adox {hi}, {z}\n",
        )
    };
}

/// One CIOS round for the word of b at byte offset `$b`: t += a · b[i] (the top word to `acc`),
/// then m = t0 · (−p⁻¹) mod 2^64 and t = (t + m · p) / 2^64.
#[cfg(target_arch = "x86_64")]
macro_rules! cios_round {
    ($b:literal) => {
        concat!(
            "mov rdx, qword ptr [{b} + ", stringify!($b), "]\n",
            mul_add_4!("{a}"),
            "mov {acc}, {hi}\n",
            "mov rdx, {t0}\n",
            "imul rdx, qword ptr [{m} + 32]\n",
            mul_add_4!("{m}"),
            "mov {t0}, {t1}\n",
            "mov {t1}, {t2}\n",
            "mov {t2}, {t3}\n",
            "lea {t3}, [{hi} + {acc}]",
        )
    };
}

/// Montgomery product a · b · 2^−256 mod p of two canonical BN254 base-field elements in
/// Montgomery form: CIOS with the "no-carry" shortcut (p's top word is below 2^62, so no sixth
/// word is needed), two carry chains interleaved with `adcx`/`adox`, then one conditional
/// subtraction.
///
/// # Safety
///
/// The CPU must have BMI2 and ADX ([`has_adx`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn bn254_fq_mul(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let (t0, t1, t2, t3): (u64, u64, u64, u64);
    // SAFETY: reads 4 words at `a` and `b` and 5 at `BN254_FQ`; writes only its own registers.
    unsafe {
        std::arch::asm!(
            "xor {t0:e}, {t0:e}",
            "xor {t1:e}, {t1:e}",
            "xor {t2:e}, {t2:e}",
            "xor {t3:e}, {t3:e}",
            cios_round!(0),
            cios_round!(8),
            cios_round!(16),
            cios_round!(24),
            a = in(reg) a.as_ptr(),
            b = in(reg) b.as_ptr(),
            m = in(reg) BN254_FQ.as_ptr(),
            t0 = out(reg) t0,
            t1 = out(reg) t1,
            t2 = out(reg) t2,
            t3 = out(reg) t3,
            acc = out(reg) _,
            z = out(reg) _,
            lo = out(reg) _,
            hi = out(reg) _,
            out("rdx") _,
            options(pure, readonly, nostack),
        );
    }
    // t < 2p: subtract p once if t ≥ p, without a branch.
    let t = [t0, t1, t2, t3];
    let mut r = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = t[i].overflowing_sub(BN254_FQ[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        r[i] = d;
        borrow = b1 | b2;
    }
    let keep = 0u64.wrapping_sub(u64::from(borrow));
    std::array::from_fn(|i| (t[i] & keep) | (r[i] & !keep))
}

impl<T: MontConfig<N>, const N: usize> BranchlessSub for Fp<MontBackend<T, N>, N> {
    #[inline(always)]
    fn sub_branchless(&self, other: &Self) -> Self {
        // Both operands are canonical (below p), as arkworks keeps them; so is the result.
        let (a, b) = (&self.0 .0, &other.0 .0);
        let mut r = [0u64; N];
        let mut borrow = false;
        for i in 0..N {
            let (d, b1) = a[i].overflowing_sub(b[i]);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            r[i] = d;
            borrow = b1 | b2;
        }
        let mask = 0u64.wrapping_sub(u64::from(borrow));
        let mut carry = false;
        for (i, m) in T::MODULUS.0.iter().enumerate() {
            let (s, c1) = r[i].overflowing_add(m & mask);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            r[i] = s;
            carry = c1 | c2;
        }
        Fp(ark_ff::BigInt(r), std::marker::PhantomData)
    }

    #[inline(always)]
    fn mul_fast(&self, other: &Self) -> Self {
        #[cfg(target_arch = "x86_64")]
        if N == 4 && T::MODULUS.0[..] == BN254_FQ[..4] && has_adx() {
            let (a, b): (&[u64; 4], &[u64; 4]) = (self.0 .0[..].try_into().unwrap(), other.0 .0[..].try_into().unwrap());
            // SAFETY: `has_adx` checked the CPU.
            let r = unsafe { bn254_fq_mul(a, b) };
            let mut out = [0u64; N];
            out.copy_from_slice(&r);
            return Fp(ark_ff::BigInt(out), std::marker::PhantomData);
        }
        *self * other
    }
}

impl<P: QuadExtConfig> BranchlessSub for QuadExtField<P>
where
    P::BaseField: BranchlessSub,
{
    #[inline(always)]
    fn sub_branchless(&self, other: &Self) -> Self {
        QuadExtField::new(self.c0.sub_branchless(&other.c0), self.c1.sub_branchless(&other.c1))
    }

    /// Karatsuba: three base-field multiplications.
    #[inline(always)]
    fn mul_fast(&self, other: &Self) -> Self {
        let v0 = self.c0.mul_fast(&other.c0);
        let v1 = self.c1.mul_fast(&other.c1);
        let c1 = (self.c0 + self.c1).mul_fast(&(other.c0 + other.c1)).sub_branchless(&v0).sub_branchless(&v1);
        let mut c0 = v1;
        P::mul_base_field_by_nonresidue_in_place(&mut c0);
        QuadExtField::new(v0 + c0, c1)
    }

    /// Complex squaring: two base-field multiplications.
    #[inline(always)]
    fn square_fast(&self) -> Self {
        let (a0, a1) = (self.c0, self.c1);
        let mut nr_a1 = a1;
        P::mul_base_field_by_nonresidue_in_place(&mut nr_a1);
        let v2 = a0.mul_fast(&a1);
        let v0 = a0.sub_branchless(&a1).mul_fast(&a0.sub_branchless(&nr_a1)) + v2;
        let mut nr_v2 = v2;
        P::mul_base_field_by_nonresidue_in_place(&mut nr_v2);
        QuadExtField::new(v0 + nr_v2, v2.double())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fq2};
    use ark_ff::{One, UniformRand, Zero};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn equals_arkworks_subtraction() {
        let mut rng = StdRng::seed_from_u64(11);
        let edge = [Fq::zero(), Fq::one(), -Fq::one(), -Fq::from(2u64), Fq::from(2u64)];
        for a in edge {
            for b in edge {
                assert_eq!(a.sub_branchless(&b), a - b);
            }
        }
        for _ in 0..10_000 {
            let (a, b) = (Fq::rand(&mut rng), Fq::rand(&mut rng));
            assert_eq!(a.sub_branchless(&b), a - b);
            assert_eq!(a.sub_branchless(&a), Fq::zero());
            let (a, b) = (Fq2::rand(&mut rng), Fq2::rand(&mut rng));
            assert_eq!(a.sub_branchless(&b), a - b);
        }
    }

    #[test]
    fn equals_arkworks_multiplication() {
        let mut rng = StdRng::seed_from_u64(12);
        #[cfg(target_arch = "x86_64")]
        println!("mulx/adx multiplication: {}", has_adx());
        // Raw Montgomery words at the edges: 0, 1, 2, p − 1, p − 2, 2^255 mod p-ish words.
        let p = BN254_FQ_MODULUS;
        let raw = |w: [u64; 4]| Fq::new_unchecked(ark_ff::BigInt(w));
        let mut edge = vec![raw([0; 4]), raw([1, 0, 0, 0]), raw([2, 0, 0, 0]), raw([p[0] - 1, p[1], p[2], p[3]])];
        edge.push(raw([p[0] - 2, p[1], p[2], p[3]]));
        edge.push(raw([u64::MAX, u64::MAX, u64::MAX, p[3] - 1]));
        edge.push(raw([0, 0, 0, p[3]]));
        edge.extend([Fq::one(), -Fq::one(), Fq::from(2u64)]);
        for a in &edge {
            for b in &edge {
                assert_eq!(a.mul_fast(b), *a * b, "{a:?} · {b:?}");
            }
            assert_eq!(a.square_fast(), a.square());
        }
        for _ in 0..100_000 {
            let (a, b) = (Fq::rand(&mut rng), Fq::rand(&mut rng));
            assert_eq!(a.mul_fast(&b), a * b);
            assert_eq!(a.square_fast(), a.square());
        }
        for _ in 0..10_000 {
            let (a, b) = (Fq2::rand(&mut rng), Fq2::rand(&mut rng));
            assert_eq!(a.mul_fast(&b), a * b);
            assert_eq!(a.square_fast(), a.square());
            // Another field takes arkworks' multiplication.
            let (a, b) = (ark_bn254::Fr::rand(&mut rng), ark_bn254::Fr::rand(&mut rng));
            assert_eq!(a.mul_fast(&b), a * b);
        }
    }

    const BN254_FQ_MODULUS: [u64; 4] = <ark_bn254::FqConfig as MontConfig<4>>::MODULUS.0;
}
