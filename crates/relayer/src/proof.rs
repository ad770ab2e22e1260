//! A proof as clients post it (snarkjs JSON), checked, and as the chain takes it (EVM words).

use alloy::primitives::{keccak256, B256, U256};
use serde::{Deserialize, Serialize};

use zkbatch_prover::snarkjs::{public_from_json, ProofJson};
use zkbatch_prover::verify::PreparedKey;

/// `POST /v1/proofs`'s body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofRequest {
    /// The circuit's id in the relayer's configuration.
    pub circuit: String,
    /// snarkjs `proof.json`.
    pub proof: ProofJson,
    /// snarkjs `public.json`: the public signals as decimal strings.
    pub public: Vec<String>,
}

/// Why a posted proof is refused (each is a 400 naming the problem).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RejectReason {
    #[error("unknown circuit {0:?}")]
    UnknownCircuit(String),
    #[error("proof: {0}")]
    Proof(String),
    #[error("public: {0}")]
    Public(String),
    #[error("{0}")]
    Verify(#[from] zkbatch_prover::verify::VerifyError),
    #[error("proof: {0}")]
    Encode(#[from] zkbatch_solgen::evm::EncodeError),
}

impl RejectReason {
    /// A short label for the rejected-proofs metric.
    pub fn label(&self) -> &'static str {
        match self {
            RejectReason::UnknownCircuit(_) => "unknown_circuit",
            RejectReason::Proof(_) | RejectReason::Encode(_) => "malformed_proof",
            RejectReason::Public(_) => "malformed_public",
            RejectReason::Verify(zkbatch_prover::verify::VerifyError::InputCount { .. }) => "input_count",
            RejectReason::Verify(_) => "invalid",
        }
    }
}

/// A proof that verified off-chain, in the registry's encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmProof {
    /// A.x A.y B.x1 B.x0 B.y1 B.y0 C.x C.y.
    pub words: [U256; 8],
    pub inputs: Vec<U256>,
}

impl EvmProof {
    /// keccak256 of the 8 proof words and the inputs, as `ProofRegistry` computes it for its
    /// `ProofVerified` event: the proof's public id.
    pub fn key(&self) -> B256 {
        keccak256(self.to_bytes())
    }

    /// The words and inputs, 32 bytes each, one after another (also the stored form).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().chain(&self.inputs).flat_map(|w| w.to_be_bytes::<32>()).collect()
    }

    /// The stored form back; None when the length is not 32 × (8 + n).
    pub fn from_bytes(bytes: &[u8]) -> Option<EvmProof> {
        if bytes.len() < 256 || bytes.len() % 32 != 0 {
            return None;
        }
        let mut all = bytes.chunks_exact(32).map(U256::from_be_slice);
        let words: [U256; 8] = std::array::from_fn(|_| all.next().unwrap_or_default());
        Some(EvmProof { words, inputs: all.collect() })
    }
}

/// Parses, checks (every coordinate canonical and on its curve, inputs below r) and verifies a
/// posted proof against the circuit's key; only a proof that passes may be queued.
pub fn check(key: &PreparedKey, request: &ProofRequest) -> Result<EvmProof, RejectReason> {
    let proof = request.proof.to_proof().map_err(|e| RejectReason::Proof(e.to_string()))?;
    let public = public_from_json(&request.public).map_err(|e| RejectReason::Public(e.to_string()))?;
    key.verify(&proof, &public)?;
    // The verifier contracts refuse the point at infinity; a proof holding one cannot go on-chain.
    zkbatch_solgen::evm::compress(&proof)?;
    let words = zkbatch_solgen::evm::proof_words(&proof).map(|w| U256::from_be_bytes(w));
    let inputs = zkbatch_solgen::evm::input_words(&public).into_iter().map(U256::from_be_bytes).collect();
    Ok(EvmProof { words, inputs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips_and_refuses_bad_lengths() {
        let p = EvmProof { words: std::array::from_fn(|i| U256::from(i + 1)), inputs: vec![U256::from(7), U256::MAX] };
        let bytes = p.to_bytes();
        assert_eq!(bytes.len(), 32 * 10);
        assert_eq!(EvmProof::from_bytes(&bytes), Some(p.clone()));
        assert_eq!(p.key(), keccak256(&bytes));
        assert_eq!(EvmProof::from_bytes(&bytes[..255]), None);
        assert_eq!(EvmProof::from_bytes(&bytes[..224]), None);
    }
}
