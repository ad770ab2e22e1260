//! Proving and verifying aggregate proofs (SHPLONK over KZG, Keccak transcript: the form the
//! snark-verifier EVM verifier reads).
//!
//! The prover verifies its own proof before returning it: a stale cached key or mismatched
//! parameters come out as [`ProveError::SelfCheck`], never as a proof the chain would reject.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_base::halo2_proofs::plonk::{create_proof, verify_proof, VerifyingKey};
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr as HaloFr;
use rand::rngs::OsRng;
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;

use super::circuit::{self, Stage};
use super::input::AggregationInput;
use super::keys::AggregationKey;
use super::params::KzgParams;
use super::proof::AggregateProof;

/// Why no aggregate proof came out.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The batch does not have the key's shape.
    #[error("the key is for {key_slots} proofs of {key_inputs} inputs; the batch has {slots} of {inputs} (pad it first)")]
    Shape {
        /// The key's slots.
        key_slots: usize,
        /// The key's inputs per proof.
        key_inputs: usize,
        /// The batch's proofs.
        slots: usize,
        /// The batch's inputs per proof.
        inputs: usize,
    },
    /// halo2's prover failed (its error type carries no source to keep).
    #[error("halo2 prover: {0}")]
    Prover(String),
    /// The proof does not verify against its own key.
    #[error("the aggregate proof does not verify against its own key: the cached key or the KZG parameters do not match this circuit (delete the key cache), or the batch is invalid")]
    SelfCheck,
}

/// Builds the witness for `input` with `key`'s layout (the "witness" phase: seconds).
pub fn witness(key: &AggregationKey, input: &AggregationInput) -> Result<BaseCircuitBuilder<HaloFr>, ProveError> {
    let shape = key.shape();
    if input.len() != shape.slots || input.inputs_per_proof() != shape.inputs {
        return Err(ProveError::Shape {
            key_slots: shape.slots,
            key_inputs: shape.inputs,
            slots: input.len(),
            inputs: input.inputs_per_proof(),
        });
    }
    let mut builder = BaseCircuitBuilder::prover(key.header.config.clone(), key.header.break_points.clone());
    circuit::build(&mut builder, input, Stage::Full);
    Ok(builder)
}

/// Proves a built witness (the "proving" phase: minutes) and checks the proof.
pub fn prove_witness(params: &KzgParams, key: &AggregationKey, builder: BaseCircuitBuilder<HaloFr>) -> Result<AggregateProof, ProveError> {
    let instances = circuit::instance_values(&builder).concat();
    let mut transcript = TranscriptWriterBuffer::<_, G1Affine, _>::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<_>, _, _, EvmTranscript<G1Affine, _, _, _>, _>(
        params,
        &key.pk,
        &[builder],
        &[&[&instances]],
        OsRng,
        &mut transcript,
    )
    .map_err(|e| ProveError::Prover(format!("{e:?}")))?;
    let proof = AggregateProof { instances, proof: transcript.finalize() };
    if !verify(params, key.vk(), &proof) {
        return Err(ProveError::SelfCheck);
    }
    Ok(proof)
}

/// [`witness`] then [`prove_witness`].
pub fn prove(params: &KzgParams, key: &AggregationKey, input: &AggregationInput) -> Result<AggregateProof, ProveError> {
    let builder = witness(key, input)?;
    prove_witness(params, key, builder)
}

/// Whether `proof` verifies natively against the aggregation circuit's `vk` (the check the EVM
/// verifier makes, but for instances it reduces mod r: see [`super::solidity`]).
pub fn verify(params: &KzgParams, vk: &VerifyingKey<G1Affine>, proof: &AggregateProof) -> bool {
    let mut transcript = TranscriptReadBuffer::<_, G1Affine, _>::init(proof.proof.as_slice());
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<_>, _, EvmTranscript<G1Affine, _, _, _>, _>(
        params.verifier_params(),
        vk,
        SingleStrategy::new(params),
        &[&[&proof.instances]],
        &mut transcript,
    )
    .is_ok()
}

