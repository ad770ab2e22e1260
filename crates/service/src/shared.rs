//! What a node's API, workers and heartbeat share: the configuration, the job table, the
//! circuits, the relay role once it runs, the metrics and the node's live counts.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::OnceLock;

use axum::Router;
use tokio::sync::{watch, Notify};
use zkbatch_relayer::RelayRole;

use crate::circuits::Circuits;
use crate::config::Config;
use crate::jobs::Jobs;
use crate::metrics::Metrics;

/// What the API, the workers and the heartbeat share.
pub(crate) struct Node {
    pub(crate) config: Config,
    pub(crate) node_id: String,
    pub(crate) jobs: Jobs,
    /// The prove role's circuits.
    pub(crate) circuits: Option<Circuits>,
    /// The relay role's routes, once it runs.
    pub(crate) relay: OnceLock<(RelayRole, Router)>,
    pub(crate) metrics: Metrics,
    pub(crate) ready: AtomicBool,
    pub(crate) in_flight: AtomicUsize,
    pub(crate) workers: AtomicUsize,
    pub(crate) key_bytes: AtomicU64,
    /// Wakes idle workers when this node queues a job.
    pub(crate) work: Notify,
    /// Wakes long polls when this node ends a job (jobs other nodes end are polled for).
    pub(crate) finished: Notify,
    /// True once the node is stopping: long polls return at once.
    pub(crate) stopping: watch::Receiver<bool>,
}
