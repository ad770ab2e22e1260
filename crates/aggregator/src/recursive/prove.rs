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
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zkbatch_solgen::evm::{hex_bytes, unhex};
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;

use super::circuit::{self, Stage};
use super::keys::{AggregationKey, Shape};
use super::params::KzgParams;
use super::{AggregationInput, HaloFr};

/// An aggregate proof and the public instances it is for: `[vkHash, x₁₁..x_Nℓ]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregateProof {
    pub instances: Vec<HaloFr>,
    pub proof: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    #[error("the key is for {key_slots} proofs of {key_inputs} inputs; the batch has {slots} of {inputs} (pad it first)")]
    Shape { key_slots: usize, key_inputs: usize, slots: usize, inputs: usize },
    #[error("halo2 prover: {0}")]
    Prover(String),
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
/// verifier makes, but for instances it reduces mod r: see [`super::evm`]).
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

/// An aggregate proof as `zkbatch aggregate` writes it (and the checked-in fixture holds it):
/// instances as 0x-prefixed 32-byte big-endian hex, the proof as 0x-prefixed hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateProofJson {
    pub shape: Shape,
    /// instances[0], repeated for readers: the Poseidon hash of the Groth16 verifying key.
    #[serde(rename = "vkHash")]
    pub vk_hash: String,
    pub instances: Vec<String>,
    pub proof: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofJsonError {
    #[error("instance {index}: {reason}")]
    Instance { index: usize, reason: String },
    #[error("proof: {0}")]
    Proof(String),
    #[error("{got} instances for {shape:?}, which has {expected}")]
    Count { shape: Shape, expected: usize, got: usize },
    #[error("vkHash {vk_hash} differs from instance 0")]
    VkHash { vk_hash: String },
}

/// An Fr's canonical little-endian bytes.
pub fn fr_le_bytes(x: &HaloFr) -> [u8; 32] {
    x.to_repr()
}

/// An Fr's 32 big-endian bytes (an EVM word).
pub fn fr_be_bytes(x: &HaloFr) -> [u8; 32] {
    let mut be = fr_le_bytes(x);
    be.reverse();
    be
}

/// An Fr as 32-byte big-endian hex.
pub fn fr_hex(x: &HaloFr) -> String {
    hex_bytes(&fr_be_bytes(x))
}

/// Parses 32-byte big-endian hex, refusing values ≥ r (the EVM verifier would reduce them).
pub fn parse_fr(s: &str) -> Result<HaloFr, String> {
    let bytes = unhex(s).filter(|_| s.starts_with("0x")).ok_or("expected 0x-prefixed hex")?;
    let be: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| format!("{} bytes, expected 32", b.len()))?;
    let mut le = be;
    le.reverse();
    Option::from(HaloFr::from_repr(le)).ok_or_else(|| "not below the BN254 scalar field order r".to_string())
}

impl AggregateProof {
    pub fn to_json(&self, shape: Shape) -> AggregateProofJson {
        let instances: Vec<String> = self.instances.iter().map(fr_hex).collect();
        AggregateProofJson { shape, vk_hash: instances.first().cloned().unwrap_or_default(), instances, proof: hex_bytes(&self.proof) }
    }
}

impl AggregateProofJson {
    /// The proof, every instance checked canonical and counted against the shape.
    pub fn parse(&self) -> Result<AggregateProof, ProofJsonError> {
        let expected = self.shape.num_instances();
        if self.instances.len() != expected {
            return Err(ProofJsonError::Count { shape: self.shape, expected, got: self.instances.len() });
        }
        if self.instances.first() != Some(&self.vk_hash) {
            return Err(ProofJsonError::VkHash { vk_hash: self.vk_hash.clone() });
        }
        let instances = self
            .instances
            .iter()
            .enumerate()
            .map(|(index, s)| parse_fr(s).map_err(|reason| ProofJsonError::Instance { index, reason }))
            .collect::<Result<_, _>>()?;
        let proof = unhex(&self.proof)
            .filter(|_| self.proof.starts_with("0x"))
            .ok_or_else(|| ProofJsonError::Proof("expected 0x-prefixed hex".into()))?;
        Ok(AggregateProof { instances, proof })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json() -> AggregateProofJson {
        let proof = AggregateProof { instances: vec![HaloFr::from(7u64), HaloFr::from(8u64), HaloFr::from(9u64)], proof: vec![1, 2, 3] };
        proof.to_json(Shape { k: 20, slots: 1, inputs: 2 })
    }

    #[test]
    fn json_round_trips_and_refuses_what_the_chain_would_misread() {
        let good = json();
        assert_eq!(good.parse().unwrap().instances[2], HaloFr::from(9u64));
        assert_eq!(good.proof, "0x010203");

        let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
        let mut bad = good.clone();
        bad.instances[1] = r.into();
        assert_eq!(bad.parse(), Err(ProofJsonError::Instance { index: 1, reason: "not below the BN254 scalar field order r".into() }));
        let mut bad = good.clone();
        bad.instances.pop();
        assert!(matches!(bad.parse(), Err(ProofJsonError::Count { expected: 3, got: 2, .. })));
        let mut bad = good.clone();
        bad.vk_hash = bad.instances[1].clone();
        assert!(matches!(bad.parse(), Err(ProofJsonError::VkHash { .. })));
        let mut bad = good.clone();
        bad.proof = "010203".into();
        assert!(matches!(bad.parse(), Err(ProofJsonError::Proof(_))));
        let mut bad = good;
        bad.instances[2] = "0x09".into();
        assert!(matches!(bad.parse(), Err(ProofJsonError::Instance { index: 2, .. })));
    }
}
