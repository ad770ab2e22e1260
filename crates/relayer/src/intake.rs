//! What the relayer accepts: a proof as clients post it (snarkjs JSON), parsed, checked and
//! verified against its circuit's key before it may be queued, in the chain's encoding.

use serde::{Deserialize, Serialize};
use zkbatch_evm::{EncodeError, EvmProof};
use zkbatch_prover::snarkjs::{public_from_json, ProofJson};
use zkbatch_prover::verify::{PreparedKey, VerifyError};
use zkbatch_prover::{Fr, Proof};

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
    /// The client's own name for this submission (1 to 256 characters): a retry with the same
    /// `client_id` and proof gets the first answer's record, never a second entry; the same
    /// `client_id` with another proof is refused (409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// The longest `client_id` taken.
pub const MAX_CLIENT_ID: usize = 256;

/// Why a posted proof is refused (each is a 400 naming the problem).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RejectReason {
    /// No circuit with that id is configured.
    #[error("unknown circuit {0:?}")]
    UnknownCircuit(String),
    /// `proof` is not a valid snarkjs proof (the message names the field).
    #[error("proof: {0}")]
    Proof(String),
    /// `public` is not a list of canonical field elements.
    #[error("public: {0}")]
    Public(String),
    /// The proof does not verify, or has the wrong input count.
    #[error("{0}")]
    Verify(#[from] VerifyError),
    /// The proof holds a point the verifier contracts refuse.
    #[error("proof: {0}")]
    Encode(#[from] EncodeError),
    /// `client_id` is empty or too long.
    #[error("client_id must be 1 to {MAX_CLIENT_ID} characters (got {0})")]
    ClientId(usize),
}

impl RejectReason {
    /// A short label for the rejected-proofs metric.
    pub fn label(&self) -> &'static str {
        match self {
            RejectReason::UnknownCircuit(_) => "unknown_circuit",
            RejectReason::ClientId(_) => "malformed_request",
            RejectReason::Proof(_) | RejectReason::Encode(_) => "malformed_proof",
            RejectReason::Public(_) => "malformed_public",
            RejectReason::Verify(VerifyError::InputCount { .. }) => "input_count",
            RejectReason::Verify(_) => "invalid",
        }
    }
}

/// Parses, checks (every coordinate canonical and on its curve, inputs below r) and verifies a
/// posted proof against the circuit's key; only a proof that passes may be queued. The relayer
/// itself runs the same steps with the pairing check in a micro-batch: [`parse`], the check,
/// [`encode`].
pub fn check(key: &PreparedKey, request: &ProofRequest) -> Result<EvmProof, RejectReason> {
    let (proof, public) = parse(key, request)?;
    key.verify(&proof, &public)?;
    encode(&proof, &public)
}

/// The proof and its public inputs, parsed and checked but for the pairing check: every
/// coordinate canonical and on its curve, every input below r, as many inputs as the key takes.
pub fn parse(key: &PreparedKey, request: &ProofRequest) -> Result<(Proof, Vec<Fr>), RejectReason> {
    if let Some(len) = request.client_id.as_ref().map(|c| c.chars().count()).filter(|n| !(1..=MAX_CLIENT_ID).contains(n)) {
        return Err(RejectReason::ClientId(len));
    }
    let proof = request.proof.to_proof().map_err(|e| RejectReason::Proof(e.to_string()))?;
    let public = public_from_json(&request.public).map_err(|e| RejectReason::Public(e.to_string()))?;
    key.check_input_count(&public)?;
    Ok((proof, public))
}

/// A verified proof in the chain's encoding (refused where the verifier contracts would refuse a
/// point).
pub fn encode(proof: &Proof, public: &[Fr]) -> Result<EvmProof, RejectReason> {
    Ok(EvmProof::new(proof, public)?)
}
