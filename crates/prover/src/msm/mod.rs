//! Multi-scalar multiplication engines. MSMs are most of Groth16's proving time; the pipeline calls
//! them only through [`Msm`], so faster engines (tuned CPU, CUDA) slot in without touching it.

use ark_bn254::{G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::VariableBaseMSM;

use crate::ScalarBigInt;

/// Computes `Σ scalarsᵢ · basesᵢ` over G1 and G2. `bases` and `scalars` have equal lengths.
pub trait Msm: Send + Sync {
    /// A short name, reported in proof reports and logs.
    fn name(&self) -> &'static str;
    fn g1(&self, bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective;
    fn g2(&self, bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective;
}

/// arkworks' parallel Pippenger: the baseline every other engine is measured against.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArkworksMsm;

impl Msm for ArkworksMsm {
    fn name(&self) -> &'static str {
        "cpu-arkworks"
    }

    fn g1(&self, bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
        debug_assert_eq!(bases.len(), scalars.len());
        G1Projective::msm_bigint(bases, scalars)
    }

    fn g2(&self, bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
        debug_assert_eq!(bases.len(), scalars.len());
        G2Projective::msm_bigint(bases, scalars)
    }
}

/// The engine used when none is chosen: the best one available on this machine.
pub fn default_engine() -> Box<dyn Msm> {
    Box::new(ArkworksMsm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{PrimeField, UniformRand};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    use crate::Fr;

    #[test]
    fn matches_naive_sum() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = 37;
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let g1: Vec<G1Affine> = (0..n).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        let g2: Vec<G2Affine> = (0..n).map(|_| G2Projective::rand(&mut rng).into_affine()).collect();
        let big: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        let naive1: G1Projective = g1.iter().zip(&scalars).map(|(b, s)| *b * s).sum();
        let naive2: G2Projective = g2.iter().zip(&scalars).map(|(b, s)| *b * s).sum();
        assert_eq!(ArkworksMsm.g1(&g1, &big), naive1);
        assert_eq!(ArkworksMsm.g2(&g2, &big), naive2);
        assert_eq!(ArkworksMsm.g1(&[G1Projective::generator().into_affine()], &[Fr::from(0u64).into_bigint()]), G1Projective::default());
    }
}
