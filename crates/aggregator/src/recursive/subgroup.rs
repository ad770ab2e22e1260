//! G2 subgroup membership, in the circuit and natively: Q ∈ G2 ⇔ ψ(Q) = [6x²]Q.
//!
//! ψ is the twist's untwist–Frobenius–twist endomorphism, ψ(x, y) = (c₂·x̄, c₃·ȳ) with
//! c₂ = ξ^((p−1)/3), c₃ = ξ^((p−1)/2), ξ = 9 + u and x̄ the conjugate; on G2 it acts as [p], and
//! p ≡ 6x² (mod r) for BN curves (p − r = 6x²), so every Q in G2 satisfies the equation. El Housni,
//! Guillevic and Piellard (eprint 2022/352, §4.3) show no other point of the twist does for BN254:
//! it is the test arkworks runs natively ([`super::convert::g2`] refuses with it), so the circuit
//! and the native filter apply one criterion.
//!
//! Why the circuit needs it: the twist's points have order r times a divisor of its cofactor, and
//! halo2-ecc's Miller loop adds multiples of B with incomplete formulas it does not check (its
//! adds are `is_strict = false`, correct only for points of order r). A B outside G2 would leave
//! the aggregate only as sound as the machine that filtered it natively.
//!
//! The key's β, γ, δ are not checked here: the key is pinned by its hash (instance 0), which the
//! registry compares with a key registered after the native checks.

use halo2_base::halo2_proofs::halo2curves::bn256::{Fq2, Fr, G2Affine, BN_X, FROBENIUS_COEFF_FQ12_C1, G2};
use halo2_base::halo2_proofs::halo2curves::group::Curve;
use halo2_base::utils::{biguint_to_fe, BigPrimeField};
use halo2_base::Context;
use halo2_ecc::bn254::pairing::twisted_frobenius;
use halo2_ecc::bn254::{Fp2Chip, FqPoint};
use halo2_ecc::ecc::{get_naf, EcPoint, EccChip};
use halo2_ecc::fields::FieldChip;
use num_bigint::BigUint;

/// 6x², x the BN254 parameter: 127 bits.
pub const SIX_X_SQUARED: u128 = 6 * (BN_X as u128) * (BN_X as u128);

/// (c₂, c₃): ψ's coefficients, ξ^((p−1)/3) and ξ^((p−1)/2) (halo2-ecc's Miller loop uses the same
/// pair for its Frobenius of Q).
pub fn psi_coefficients() -> (Fq2, Fq2) {
    let c2 = FROBENIUS_COEFF_FQ12_C1[1] * FROBENIUS_COEFF_FQ12_C1[1];
    (c2, c2 * FROBENIUS_COEFF_FQ12_C1[1])
}

/// ψ(Q), natively. `q` is finite.
pub fn psi(q: &G2Affine) -> G2Affine {
    let (c2, c3) = psi_coefficients();
    let mut x = q.x;
    let mut y = q.y;
    x.conjugate();
    y.conjugate();
    G2Affine { x: x * c2, y: y * c3 }
}

/// Whether ψ(Q) = [6x²]Q, natively: the equation the circuit constrains, for tests.
pub fn holds(q: &G2Affine) -> bool {
    let scalar: Fr = biguint_to_fe(&BigUint::from(SIX_X_SQUARED));
    let scaled = (G2::from(*q) * scalar).to_affine();
    scaled == psi(q)
}

/// 6x² in non-adjacent form, most significant digit first (the first is 1): 40 non-zero digits
/// in 127 against 70 set bits, so 39 additions or subtractions after the doublings.
fn digits() -> Vec<i8> {
    let mut naf = get_naf(vec![SIX_X_SQUARED as u64, (SIX_X_SQUARED >> 64) as u64]);
    while naf.last() == Some(&0) {
        naf.pop();
    }
    naf.reverse();
    naf
}

type G2Point<F> = EcPoint<F, FqPoint<F>>;

/// Constrains ψ(Q) = [6x²]Q for a point `q` already constrained on the twist.
///
/// [6x²]Q by signed double-and-add from the top digit: every partial value is [m]Q with
/// 2 ≤ m < 2¹²⁸ < r, so for Q in G2 no step meets the formulas' exceptions (equal x in an addition,
/// y = 0 in a doubling). Each addition is strict (it constrains the x coordinates apart): for a Q
/// outside G2 an exceptional step leaves the circuit unsatisfied rather than its slope free, and
/// every satisfied step is the group operation, so the result is [6x²]Q.
pub fn assert_in_g2<F: BigPrimeField>(ctx: &mut Context<F>, fp2: &Fp2Chip<F>, q: &G2Point<F>) {
    let ecc = EccChip::new(fp2);
    let digits = digits();
    let mut acc = q.clone();
    for digit in &digits[1..] {
        acc = ecc.double(ctx, acc);
        acc = match digit {
            1 => ecc.add_unequal(ctx, acc, q.clone(), true),
            -1 => ecc.sub_unequal(ctx, acc, q.clone(), true),
            _ => acc,
        };
    }
    let (c2, c3) = psi_coefficients();
    let c2 = fp2.load_constant(ctx, c2);
    let c3 = fp2.load_constant(ctx, c3);
    let psi_q = twisted_frobenius(&ecc, ctx, q.clone(), c2, c3);
    ecc.assert_equal(ctx, acc, psi_q);
}

#[cfg(test)]
mod tests {
    use halo2_base::gates::circuit::CircuitBuilderStage;
    use halo2_base::halo2_proofs::dev::MockProver;
    use halo2_base::halo2_proofs::halo2curves::bn256::{Fq, Fr as HaloFr};
    use halo2_base::halo2_proofs::halo2curves::ff::Field;
    use halo2_base::halo2_proofs::halo2curves::CurveAffine;
    use halo2_ecc::bn254::FpChip;
    use halo2_ecc::fields::vector::FieldVector;

    use super::super::circuit::{builder, MINIMUM_ROWS};
    use super::super::transcript::{LIMB_BITS, NUM_LIMBS};
    use super::*;

    /// A point of the twist outside G2: found by trying x = 1, 2, ….
    fn outside_g2() -> G2Affine {
        (1u64..)
            .find_map(|x| {
                let x = Fq2 { c0: Fq::from(x), c1: Fq::ZERO };
                let y = Option::<Fq2>::from((x.square() * x + G2Affine::b()).sqrt())?;
                let p = Option::<G2Affine>::from(G2Affine::from_xy(x, y))?;
                (!holds(&p)).then_some(p)
            })
            .expect("the twist has points outside G2")
    }

    fn in_g2(seed: u64) -> G2Affine {
        (G2Affine::generator() * HaloFr::from(seed) * HaloFr::from(0x5eed_u64)).to_affine()
    }

    /// Loads `q` as the circuit loads a proof's B and checks it: whether MockProver accepts. Witness
    /// generation that stops on an exceptional step (a panic) counts as refused.
    fn accepted(q: G2Affine) -> bool {
        std::panic::catch_unwind(|| {
            let k = 15;
            let mut b = builder(CircuitBuilderStage::Mock, k);
            let range = b.range_chip();
            let fp = FpChip::<HaloFr>::new(&range, LIMB_BITS, NUM_LIMBS);
            let fp2 = Fp2Chip::<HaloFr>::new(&fp);
            let ctx = b.main(0);
            let x = fp2.load_private_reduced(ctx, q.x);
            let y = fp2.load_private_reduced(ctx, q.y);
            let point = EcPoint::new(FieldVector::from(x), FieldVector::from(y));
            assert_in_g2(ctx, &fp2, &point);
            b.calculate_params(Some(MINIMUM_ROWS));
            MockProver::run(k as u32, &b, vec![vec![]]).unwrap().verify().is_ok()
        })
        .unwrap_or(false)
    }

    #[test]
    fn the_native_test_is_arkworks_subgroup_test() {
        for p in [in_g2(1), in_g2(2), outside_g2()] {
            let ark = ark_bn254::G2Affine::new_unchecked(fq2_to_ark(&p.x), fq2_to_ark(&p.y));
            assert!(ark.is_on_curve());
            assert_eq!(holds(&p), ark.is_in_correct_subgroup_assuming_on_curve());
        }
        assert!(holds(&in_g2(3)));
        // A point of G2 plus one of the cofactor's part is outside.
        let mixed = (G2::from(in_g2(4)) + G2::from(outside_g2()) * HaloFr::from(7u64)).to_affine();
        assert!(!holds(&mixed));
    }

    fn fq2_to_ark(x: &Fq2) -> ark_bn254::Fq2 {
        let fq = |a: &Fq| ark_bn254::Fq::from(halo2_base::utils::fe_to_biguint(a));
        ark_bn254::Fq2::new(fq(&x.c0), fq(&x.c1))
    }

    #[test]
    fn the_circuit_accepts_g2_and_refuses_the_rest_of_the_twist() {
        assert!(accepted(in_g2(1)), "a point of G2");
        assert!(accepted(G2Affine::generator()), "the generator");
        assert!(!accepted(outside_g2()), "a twist point outside G2");
        let mixed = (G2::from(in_g2(4)) + G2::from(outside_g2())).to_affine();
        assert!(!accepted(mixed), "G2 plus a cofactor part");
    }

    #[test]
    fn the_digits_are_six_x_squared() {
        let d = digits();
        assert_eq!(d[0], 1);
        let value = d.iter().fold(0i128, |acc, &digit| 2 * acc + i128::from(digit));
        assert_eq!(value as u128, SIX_X_SQUARED);
        assert_eq!(SIX_X_SQUARED, 147946756881789318990833708069417712966);
        assert!(d.windows(2).all(|w| w[0] == 0 || w[1] == 0), "non-adjacent");
    }
}
