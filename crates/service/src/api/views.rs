//! The API's bodies as types: the handlers answer with them, and the OpenAPI document
//! (`/v1/openapi.json`) is derived from them and from the handlers' annotations.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /v1/jobs`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// The circuit's id in the node's configuration (`GET /v1/circuits`).
    pub circuit: String,
    /// The circuit's input.json: circom's (an object of signals, numbers as decimal or 0x-hex
    /// strings), or the built-in circuit's.
    #[schema(value_type = Object)]
    pub input: Value,
    /// Whether the proof goes on-chain (a node with the relay role submits it).
    #[serde(default)]
    pub submit: bool,
    /// An idempotency key (1 to 256 characters): the same key and request again answers with the
    /// first job (200), with another request 409.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// A job was queued (202).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobAccepted {
    /// The job's id.
    pub(crate) id: String,
    /// `queued`.
    pub(crate) status: String,
}

/// What went wrong, naming the problem.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// The message.
    pub(crate) error: String,
}

/// A job.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobView {
    /// Its id.
    pub(crate) id: String,
    /// Its circuit.
    pub(crate) circuit: String,
    /// `queued`, `proving`, `proved` or `failed`.
    pub(crate) status: String,
    /// Whether its proof goes on-chain.
    pub(crate) submit: bool,
    /// Leases taken on it (1 unless a node died or an attempt failed).
    pub(crate) attempts: i64,
    /// When it was accepted (ms since the epoch).
    pub(crate) created_ms: i64,
    /// The client's idempotency key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_id: Option<String>,
    /// Why it failed (the witness generator's message), or why earlier attempts did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// snarkjs proof.json, once proved.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) proof: Option<Value>,
    /// public.json (decimal strings), once proved.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub(crate) public: Option<Value>,
    /// Phase timings (ms: witness, qap, msm_*, total), the MSM engine, the node and attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) report: Option<Value>,
    /// The node proving it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) node: Option<String>,
    /// When its last lease was taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) started_ms: Option<i64>,
    /// When it was proved or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) finished_ms: Option<i64>,
    /// With `submit`, the proof's way on-chain, as `GET /v1/proofs/{id}` shows it: `id`,
    /// `status` (queued, batched, submitted, confirmed, finalized, failed), `tx_hash`, `block`, `batch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) chain: Option<Value>,
}

/// `GET /v1/jobs`: jobs per status, and the newest jobs (without proofs).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobList {
    /// Jobs per status.
    pub(crate) counts: std::collections::BTreeMap<String, i64>,
    /// The newest jobs, newest first.
    pub(crate) jobs: Vec<JobView>,
}

/// A configured circuit.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CircuitView {
    /// Its id.
    pub(crate) id: String,
    /// `circom` or `builtin`.
    pub(crate) kind: String,
    /// Whether it has a verifier, so jobs may ask for `submit`.
    pub(crate) relayable: bool,
    /// Whether its proving key is loaded.
    pub(crate) loaded: bool,
    /// Constraints, once loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) constraints: Option<usize>,
    /// Public inputs, once loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) public_inputs: Option<usize>,
    /// The proving key's size in bytes, once loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) key_bytes: Option<u64>,
    /// Memory one proof takes beside the key (bytes), once loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proof_memory_bytes: Option<u64>,
    /// Whether `proof_memory_bytes` was measured on a warm-up proof (else estimated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) proof_memory_measured: Option<bool>,
    /// The MSM engine, once loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) engine: Option<String>,
}

/// `GET /v1/circuits`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CircuitList {
    /// By id.
    pub(crate) circuits: Vec<CircuitView>,
}

/// `GET /healthz`: the node is alive and reaches its database.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// true.
    pub(crate) ok: bool,
    /// The node's id.
    pub(crate) node: String,
}

/// `GET /readyz`: whether the node's keys are loaded (and its roles running).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Readiness {
    /// Whether it is ready.
    pub(crate) ready: bool,
    /// The node's id.
    pub(crate) node: String,
    /// Its roles.
    pub(crate) roles: Vec<String>,
    /// Circuits whose keys are still loading.
    pub(crate) loading: Vec<String>,
}
