//! zkbatch-relayer: accepts Groth16 proofs over HTTP, verifies them off-chain, queues them
//! durably (SQLite, or PostgreSQL shared by several instances), and submits them on-chain in
//! batches through the `ProofRegistry` contract, each proof exactly once.
//!
//! - [`config`]: its settings, `relayer.toml`.
//! - `circuits`: the configured circuits' prepared verifying keys.
//! - `intake`: a posted proof, parsed, checked and verified before it may be queued.
//! - `api`: the HTTP service (axum): `POST /v1/proofs`, `GET /v1/proofs/{id}`, `/metrics`, `/healthz`.
//! - [`store`]: the durable queue and the record of every transaction, written before it is
//!   broadcast; its schema is versioned migrations (`migrations/`), applied at start.
//! - `batching`: the policy: when a batch closes, which proofs it takes, single or batch mode.
//! - `fees`: EIP-1559 fees for new and replacement transactions, within the cap.
//! - `tx`: the transaction lifecycle: sign, record, broadcast, confirm, replace, give up.
//! - `submitter`: the task that runs batching and the lifecycle in rounds.
//! - `service`: both tasks wired together ([`Relayer`], [`run`]); [`RelayRole`], the same over a
//!   database and a listener someone else holds (`zkbatch serve`).
//! - [`metrics`]: Prometheus metrics, each declared once, and the counter and histogram types
//!   the proving service's metrics use too.
//! - [`client`]: a client for the API (what `zkbatch submit` uses).
//!
//! The chain side (bindings, calldata, revert names, deployment) is zkbatch-evm's.

#![forbid(unsafe_code)]

mod api;
mod batching;
mod choice;
mod circuits;
pub mod client;
pub mod config;
mod fees;
pub mod intake;
pub mod metrics;
mod service;
mod shared;
pub mod store;
mod submitter;
mod tx;
mod verifier;
mod writer;

pub use config::Config;
pub use api::{admit, proof_json, PROMETHEUS_TEXT};
pub use service::{run, serve, wait_for_signal, RelayRole, Relayer, StartError};
