//! zkbatch-relayer: accepts Groth16 proofs over HTTP, verifies them off-chain, queues them
//! durably (SQLite), and submits them on-chain in batches through the `ProofRegistry` contract,
//! each proof exactly once.
//!
//! - [`api`]: the HTTP service (axum): `POST /v1/proofs`, `GET /v1/proofs/{id}`, `/metrics`, `/healthz`.
//! - [`store`]: the durable queue and the record of every transaction, written before it is broadcast.
//! - [`submitter`]: batches, gas model, signing, fees, confirmations, retries, reconciliation.
//! - [`chain`]: the registry's bindings, calldata, and RPC error classification.
//! - [`deploy`]: compiles generated verifiers with solc and deploys them and the registry.
//! - [`config`]: `relayer.toml`.

pub mod aggregate;
pub mod api;
pub mod chain;
pub mod client;
pub mod config;
pub mod deploy;
pub mod metrics;
pub mod proof;
pub mod service;
pub mod store;
pub mod submitter;

pub use config::Config;
pub use service::{run, Relayer};
