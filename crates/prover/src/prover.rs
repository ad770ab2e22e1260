//! The proving pipeline: witness → R1CS-to-QAP (FFTs) → MSMs, each phase timed.
//!
//! Same algebra as `ark_groth16::Groth16::create_proof_with_reduction`, so for the same key,
//! witness and randomness (r, s) the proof is identical; it differs in where the time goes:
//! constraint matrices come from the key instead of being rebuilt per proof, the QAP transforms run
//! concurrently, and every MSM goes through a pluggable [`Msm`] engine.

use std::sync::Arc;
use std::time::Instant;

use ark_bn254::{G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{UniformRand, Zero};
use ark_poly::Radix2EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSynthesizer, SynthesisError};
use ark_std::rand::Rng;

use crate::keys::{KeyPoints, ProvingKey};
use crate::mapped::MappedKey;
use crate::msm::{self, KeyBases, KeyG1, Msm, MsmError};
use crate::qap::{self, QapError};
use crate::report::ProofReport;
use crate::{witness, Fr, Proof};

/// Why a prover could not be made or a proof could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The circuit failed while its witness was generated.
    #[error("witness generation failed: {0}")]
    Synthesis(#[from] SynthesisError),
    /// The assignment is the wrong length or breaks a constraint, or the circuit is too large.
    #[error(transparent)]
    Qap(#[from] QapError),
    /// The proving key's parts do not fit together; says which (see [`ProvingKey::check_shape`]).
    #[error("the proving key is inconsistent: {0}")]
    Key(String),
    /// `ZKBATCH_MSM` or `ZKBATCH_MSM_TABLE_MB` holds a value that selects no MSM engine.
    #[error(transparent)]
    Msm(#[from] MsmError),
}

/// Proves with one proving key, loaded once, for as many proofs as the caller likes.
pub struct Prover {
    key: Arc<ProvingKey>,
    /// The key's points when they live in a key image instead of the key.
    mapped: Option<Arc<MappedKey>>,
    domain: Radix2EvaluationDomain<Fr>,
    engine: Box<dyn Msm>,
}

impl Prover {
    /// A prover with the MSM engine the environment selects (see [`msm::default_engine`]); refuses
    /// what [`Prover::with_engine`] refuses, and an unknown engine.
    pub fn new(key: Arc<ProvingKey>) -> Result<Prover, ProveError> {
        Prover::with_engine(key, msm::default_engine()?)
    }

    /// Fails on a key whose parts do not fit together (see [`ProvingKey::check_shape`]). Hands the
    /// engine the key's bases, for engines that precompute (see [`Msm::prepare`]): the prover
    /// keeps the key, and with it those slices, for as long as it keeps the engine.
    pub fn with_engine(key: Arc<ProvingKey>, engine: Box<dyn Msm>) -> Result<Prover, ProveError> {
        Prover::build(key, None, engine)
    }

    /// A prover whose key's points are read in place from a key image ([`MappedKey::open`] gives
    /// both), with the engine the environment selects.
    pub fn mapped(key: Arc<ProvingKey>, points: Arc<MappedKey>) -> Result<Prover, ProveError> {
        Prover::build(key, Some(points), msm::default_engine()?)
    }

    fn build(key: Arc<ProvingKey>, mapped: Option<Arc<MappedKey>>, mut engine: Box<dyn Msm>) -> Result<Prover, ProveError> {
        let points = mapped.as_ref().map_or_else(|| KeyPoints::of(&key), |m| m.points());
        key.check_shape_with(&points).map_err(ProveError::Key)?;
        let domain = qap::domain(&key.r1cs)?;
        engine.prepare(&KeyBases { a: &points.a[1..], b_g1: &points.b_g1[1..], b_g2: &points.b_g2[1..], h: points.h, l: points.l });
        Ok(Prover { key, mapped, domain, engine })
    }

    /// The key's points: its own, or its image's.
    fn points(&self) -> KeyPoints<'_> {
        self.mapped.as_ref().map_or_else(|| KeyPoints::of(&self.key), |m| m.points())
    }

    /// The proving key this prover proves with.
    pub fn key(&self) -> &ProvingKey {
        &self.key
    }

    /// The MSM engine every proof goes through.
    pub fn engine(&self) -> &dyn Msm {
        self.engine.as_ref()
    }

    /// A zero-knowledge proof with fresh randomness; also returns the public inputs.
    pub fn prove<C: ConstraintSynthesizer<Fr>, R: Rng>(
        &self,
        circuit: C,
        rng: &mut R,
    ) -> Result<(Proof, Vec<Fr>, ProofReport), ProveError> {
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));
        self.prove_with_randomness(circuit, r, s)
    }

    /// [`Prover::prove`] with the caller's r and s: ark-groth16's proof for the same key, witness
    /// and randomness. Refuses a witness that breaks a constraint, naming it.
    pub fn prove_with_randomness<C: ConstraintSynthesizer<Fr>>(
        &self,
        circuit: C,
        r: Fr,
        s: Fr,
    ) -> Result<(Proof, Vec<Fr>, ProofReport), ProveError> {
        let start = Instant::now();
        let z = witness::assignment(circuit)?;
        let witness_time = start.elapsed();
        tracing::debug!(phase = "witness", ms = witness_time.as_secs_f64() * 1e3);
        let (proof, mut report) = self.prove_assignment(&z, r, s)?;
        report.witness = witness_time;
        report.total = start.elapsed();
        let public = z[1..self.key.r1cs.num_instance].to_vec();
        report.log(&self.key.circuit);
        Ok((proof, public, report))
    }

    /// Proves from a full assignment `z = [1, public…, private…]` (for witnesses made elsewhere).
    pub fn prove_assignment(&self, z: &[Fr], r: Fr, s: Fr) -> Result<(Proof, ProofReport), ProveError> {
        let pk = &self.key.groth16;
        let points = self.points();
        let num_instance = self.key.r1cs.num_instance;
        let mut report = ProofReport { engine: self.engine.name(), constraints: self.key.r1cs.num_constraints(), ..Default::default() };
        let start = Instant::now();

        let h = qap::h_scalars(self.key.reduction, &self.key.r1cs, &self.domain, z)?;
        let h = qap::to_bigints(&h[..points.h.len()]);
        let assignment = qap::to_bigints(&z[1..]);
        report.qap = start.elapsed();
        tracing::debug!(phase = "qap", ms = report.qap.as_secs_f64() * 1e3);

        let timed = |phase: &'static str, slot: &mut std::time::Duration, f: &dyn Fn() -> G1Projective| {
            let t = Instant::now();
            let v = f();
            *slot = t.elapsed();
            tracing::debug!(phase, ms = slot.as_secs_f64() * 1e3);
            v
        };
        let g_a = pk.vk.alpha_g1.into_group()
            + points.a[0]
            + pk.delta_g1 * r
            + timed("msm_a", &mut report.msm_a, &|| self.engine.key_g1(KeyG1::A, &points.a[1..], &assignment));
        let g1_b = if r.is_zero() {
            G1Projective::zero()
        } else {
            pk.beta_g1.into_group()
                + points.b_g1[0]
                + pk.delta_g1 * s
                + timed("msm_b_g1", &mut report.msm_b_g1, &|| self.engine.key_g1(KeyG1::BG1, &points.b_g1[1..], &assignment))
        };
        let t = Instant::now();
        let g2_b: G2Projective = pk.vk.beta_g2.into_group()
            + points.b_g2[0]
            + pk.vk.delta_g2 * s
            + self.engine.key_g2(&points.b_g2[1..], &assignment);
        report.msm_b_g2 = t.elapsed();
        tracing::debug!(phase = "msm_b_g2", ms = report.msm_b_g2.as_secs_f64() * 1e3);
        let h_acc = timed("msm_h", &mut report.msm_h, &|| self.engine.key_g1(KeyG1::H, points.h, &h));
        let l_acc = timed("msm_l", &mut report.msm_l, &|| self.engine.key_g1(KeyG1::L, points.l, &assignment[num_instance - 1..]));

        let g_c = g_a * s + g1_b * r - pk.delta_g1 * (r * s) + l_acc + h_acc;
        report.total = start.elapsed();
        Ok((Proof { a: g_a.into_affine(), b: g2_b.into_affine(), c: g_c.into_affine() }, report))
    }
}
