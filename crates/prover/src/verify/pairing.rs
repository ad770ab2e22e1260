//! The pairing product checks rest on: one Miller loop over all pairs, then one final
//! exponentiation.

use ark_bn254::{Bn254, Config, Fq12, G1Affine};
use ark_ec::bn::g2::EllCoeff;
use ark_ec::bn::BnConfig;
use ark_ec::pairing::{MillerLoopOutput, Pairing, PairingOutput};
use ark_ec::AffineRepr;
use ark_ff::{CyclotomicMultSubgroup, Field, One, Zero};

pub(super) type G2Prepared = <Bn254 as Pairing>::G2Prepared;

/// Πᵢ e(g1ᵢ, g2ᵢ); `None` only if a prepared point is malformed (see [`miller_loop`]).
pub(super) fn product<'a>(pairs: impl IntoIterator<Item = (G1Affine, &'a G2Prepared)>) -> Option<PairingOutput<Bn254>> {
    miller_loop(pairs).and_then(Bn254::final_exponentiation)
}

/// Whether Πᵢ e(g1ᵢ, g2ᵢ) = 1.
pub(super) fn product_is_one<'a>(pairs: impl IntoIterator<Item = (G1Affine, &'a G2Prepared)>) -> bool {
    // `PairingOutput` is written additively: its zero is the target group's identity.
    product(pairs).is_some_and(|r| r.is_zero())
}

/// Πᵢ of the Miller loops of (g1ᵢ, g2ᵢ) (pairs with a point at infinity contribute 1), with one
/// accumulator squared once per step for all pairs. arkworks' `multi_miller_loop` keeps one per
/// four pairs, to spread them over threads; on the one thread a check runs on, that costs a
/// loop's squarings again for every four pairs. `None` if a prepared point has fewer lines than
/// the loop has steps, which arkworks' own never do.
fn miller_loop<'a>(pairs: impl IntoIterator<Item = (G1Affine, &'a G2Prepared)>) -> Option<MillerLoopOutput<Bn254>> {
    type Lines<'a> = std::slice::Iter<'a, EllCoeff<Config>>;
    let mut pairs: Vec<(G1Affine, Lines<'a>)> = pairs.into_iter().filter(|(p, q)| !p.is_zero() && !q.is_zero()).map(|(p, q)| (p, q.ell_coeffs.iter())).collect();
    // One step's line through each pair's G2 point, evaluated at its G1 point (BN254's twist is
    // of type D: the line's first two coefficients are scaled by y and x).
    let lines = |f: &mut Fq12, pairs: &mut [(G1Affine, Lines<'a>)]| -> Option<()> {
        for (p, coeffs) in pairs {
            let (mut c0, mut c1, c2) = *coeffs.next()?;
            c0.mul_assign_by_fp(&p.y);
            c1.mul_assign_by_fp(&p.x);
            f.mul_by_034(&c0, &c1, &c2);
        }
        Some(())
    };
    let steps = Config::ATE_LOOP_COUNT;
    let mut f = Fq12::one();
    for i in (1..steps.len()).rev() {
        if i != steps.len() - 1 {
            f.square_in_place();
        }
        lines(&mut f, &mut pairs)?;
        if steps[i - 1] != 0 {
            lines(&mut f, &mut pairs)?;
        }
    }
    if Config::X_IS_NEGATIVE {
        f.cyclotomic_inverse_in_place();
    }
    // The two Frobenius-twisted additions that close the optimal ate loop.
    lines(&mut f, &mut pairs)?;
    lines(&mut f, &mut pairs)?;
    Some(MillerLoopOutput(f))
}

#[cfg(test)]
mod tests {
    use ark_bn254::{G1Projective, G2Affine, G2Projective};
    use ark_ec::CurveGroup;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    use super::*;

    /// Our one-accumulator loop gives arkworks' `multi_miller_loop` exactly (not only after the
    /// final exponentiation), for 0 to 9 pairs, points at infinity among them.
    #[test]
    fn the_miller_loop_is_arkworks_multi_miller_loop() {
        let mut rng = StdRng::seed_from_u64(7);
        for n in 0..10 {
            let mut g1: Vec<G1Affine> = (0..n).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
            let mut g2: Vec<G2Affine> = (0..n).map(|_| G2Projective::rand(&mut rng).into_affine()).collect();
            if n > 3 {
                g1[1] = G1Affine::zero();
                g2[3] = G2Affine::zero();
            }
            let prepared: Vec<G2Prepared> = g2.iter().map(|q| G2Prepared::from(*q)).collect();
            let ours = miller_loop(g1.iter().copied().zip(&prepared)).expect("arkworks' lines");
            assert_eq!(ours.0, Bn254::multi_miller_loop(g1, g2).0, "{n} pairs");
        }
    }
}
