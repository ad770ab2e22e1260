//! zkbatch-service: `zkbatch serve`, proving as a service. An app posts a circuit's inputs over
//! HTTP and gets a proof back, or gets it on-chain; many nodes of one role share one PostgreSQL
//! database (one node: SQLite).
//!
//! - [`config`]: `zkbatch.toml`, the roles, circuits, workers, leases and limits.
//! - `circuits`: each circuit's input check (before a job is queued) and prover (its key loaded
//!   before the node is ready), the memory budget for keys.
//! - [`jobs`]: the durable job table: an exact queue bound, idempotent `client_id`s, leases that
//!   fence results, the hand-off to the relay queue in the proof's own transaction.
//! - `aggregate`: the aggregate role: N queued proofs claimed with a lease, one halo2 aggregate
//!   proved, the registry call recorded for the relay role.
//! - `worker`: the workers that claim and prove jobs, and the heartbeat that renews leases and
//!   returns expired ones.
//! - `api`: the HTTP API (axum), its OpenAPI document (`/v1/openapi.json`) and the page that shows
//!   it (`/docs`, Swagger UI embedded in the binary).
//! - `metrics`: Prometheus metrics; `memory`, this process's memory as Linux reports it.
//! - [`client`]: a client for the API (`zkbatch prove --remote`, `zkbatch jobs`).
//! - `shared`: what the API, the workers and the heartbeat share.
//! - `node`: a node started ([`Service`]) and drained ([`Service::stop`], [`run`]).
//!
//! The relay role is zkbatch-relayer's [`RelayRole`](zkbatch_relayer::RelayRole) over the same
//! database and listener; the jobs table is in the relayer's migrations, one history per database.

#![forbid(unsafe_code)]

mod aggregate;
mod api;
mod circuits;
pub mod client;
pub mod config;
pub mod jobs;
mod memory;
mod metrics;
mod node;
mod shared;
mod worker;

pub use api::JobRequest;
pub use circuits::{InputError, LoadError};
pub use config::{Config, Role};
pub use node::{run, Service, StartError};
