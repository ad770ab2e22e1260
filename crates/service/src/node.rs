//! A node: the database, the HTTP API (listening before the keys are loaded, so `/healthz` answers
//! and `/readyz` says what is loading), the proving keys, the workers and their heartbeat, and the
//! relay role, started in that order and stopped in reverse (a drain).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use zkbatch_prover::msm::available_memory;
use zkbatch_relayer::store::{Store, StoreError};
use zkbatch_relayer::{RelayRole, StartError as RelayStartError};

use crate::aggregate;
use crate::api;
use crate::circuits::{Circuits, LoadError};
use crate::config::{Config, ConfigError, Role};
use crate::jobs::Jobs;
use crate::metrics::Metrics;
use crate::shared::Node;
use crate::worker;

/// Why a node did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database cannot be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A circuit or its key cannot be loaded, or the keys do not fit.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The relay role cannot start.
    #[error("relay role: {0}")]
    Relay(#[from] RelayStartError),
    /// The aggregate role cannot start.
    #[error("aggregate role: {0}")]
    Aggregate(#[from] aggregate::AggregateError),
    /// The HTTP listener cannot bind.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Loading the keys panicked or was cancelled.
    #[error("loading the proving keys stopped: {0}")]
    Loading(String),
}

/// A running node.
pub struct Service {
    /// Where the HTTP API listens (the port the OS chose, for port 0).
    pub addr: SocketAddr,
    /// The job table (tests count its rows).
    pub jobs: Jobs,
    /// This node's id in leases and reports.
    pub node_id: String,
    node: Arc<Node>,
    stop_work: watch::Sender<bool>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
    heartbeat: Option<JoinHandle<()>>,
    submitter: Option<JoinHandle<()>>,
}

/// `HOSTNAME-PID`: unique per process on a machine, and per machine in a cluster.
fn default_node_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!("{host}-{}", std::process::id())
}

/// Workers when the configuration names none: every proof is itself parallel, so a few per
/// machine saturate it (half the cores, at least one, at most 8), and no more than half the memory
/// left after the keys holds for proofs of the largest circuit (the memory a proof took at load,
/// measured on a warm-up proof).
fn default_workers(circuits: &Circuits) -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let by_cores = (cores / 2).clamp(1, 8);
    let per_proof = circuits.by_id.values().filter_map(|c| c.loaded().map(|l| l.bytes_per_proof)).max().unwrap_or(1).max(1);
    let by_memory = available_memory().map_or(by_cores, |m| ((m / 2) / per_proof).max(1) as usize);
    by_cores.min(by_memory)
}

impl Service {
    /// Opens the database, listens, loads the keys, starts the relay role and the workers; returns
    /// once the node is ready (`/readyz`), or with why it cannot be.
    pub async fn start(config: Config) -> Result<Service, StartError> {
        config.validate()?;
        let store = Store::open(&config.database).await?;
        let circuits = if config.has(Role::Prove) { Some(Circuits::open(&config)?) } else { None };
        let budget = match config.key_memory_mb {
            Some(mb) => Some(mb << 20),
            None => available_memory(),
        };
        if let (Some(circuits), Some(budget)) = (&circuits, budget) {
            circuits.check_budget(budget)?;
        }
        let node_id = config.node_id.clone().unwrap_or_else(default_node_id);
        let (stop_work, _) = watch::channel(false);
        let (shutdown, stopping) = watch::channel(false);
        let listen = config.listen;
        let node = Arc::new(Node {
            config,
            node_id: node_id.clone(),
            jobs: Jobs::new(store.clone()),
            circuits,
            relay: OnceLock::new(),
            metrics: Metrics::default(),
            ready: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            workers: AtomicUsize::new(0),
            key_bytes: AtomicU64::new(0),
            work: Notify::new(),
            finished: Notify::new(),
            stopping,
        });
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|source| StartError::Listen { addr: listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: listen, source })?;
        let server = zkbatch_relayer::serve(listener, api::router(node.clone()), shutdown.subscribe());
        tracing::info!(%addr, node = %node_id, roles = ?node.config.roles, "listening; loading the proving keys");
        let mut service =
            Service { addr, jobs: node.jobs.clone(), node_id, node: node.clone(), stop_work, shutdown, server, workers: Vec::new(), heartbeat: None, submitter: None };
        match service.load_and_run().await {
            Ok(()) => Ok(service),
            Err(e) => {
                service.stop().await;
                Err(e)
            }
        }
    }

    async fn load_and_run(&mut self) -> Result<(), StartError> {
        let node = self.node.clone();
        if node.circuits.is_some() {
            let loading = node.clone();
            tokio::task::spawn_blocking(move || loading.circuits.as_ref().map_or(Ok(()), Circuits::load_keys))
                .await
                .map_err(|e| StartError::Loading(e.to_string()))??;
        }
        let circuits = node.circuits.as_ref();
        let key_bytes: u64 = circuits.map_or(0, |c| c.by_id.values().filter_map(|c| c.loaded().map(|l| l.key_bytes)).sum());
        node.key_bytes.store(key_bytes, Ordering::Relaxed);
        if node.config.has(Role::Relay) {
            let vks = circuits.map(Circuits::verifying_keys).unwrap_or_default();
            let role = RelayRole::new(node.config.relay_config()?, node.jobs.store().clone(), &vks).await?;
            self.submitter = Some(role.spawn_submitter(self.shutdown.subscribe()));
            let routes = role.routes();
            let _ = node.relay.set((role, routes));
        }
        if node.config.has(Role::Aggregate) {
            let vks = circuits.map(Circuits::verifying_keys).unwrap_or_default();
            let loading = node.clone();
            let aggregated = tokio::task::spawn_blocking(move || aggregate::load(&loading.config, &vks))
                .await
                .map_err(|e| StartError::Loading(e.to_string()))??;
            self.workers.push(tokio::spawn(aggregate::run(node.clone(), aggregated, self.stop_work.subscribe())));
        }
        if let Some(circuits) = circuits {
            let workers = node.config.workers.unwrap_or_else(|| default_workers(circuits));
            node.workers.store(workers, Ordering::Relaxed);
            for _ in 0..workers {
                self.workers.push(tokio::spawn(worker::run(node.clone(), self.stop_work.subscribe())));
            }
            // Until the drain is over: jobs still in flight keep their leases.
            self.heartbeat = Some(tokio::spawn(worker::heartbeat(node.clone(), self.shutdown.subscribe())));
        }
        node.ready.store(true, Ordering::Relaxed);
        tracing::info!(node = %node.node_id, workers = node.workers.load(Ordering::Relaxed), key_mb = key_bytes >> 20, "ready");
        Ok(())
    }

    /// Drains: no new claims; jobs in flight finish within `drain_timeout_ms` (else their leases
    /// are given back for other nodes); then the HTTP server and the relay role stop.
    pub async fn stop(mut self) {
        let _ = self.stop_work.send(true);
        let deadline = Duration::from_millis(self.node.config.drain_timeout_ms);
        let workers = std::mem::take(&mut self.workers);
        let drained = tokio::time::timeout(deadline, async {
            for w in workers {
                let _ = w.await;
            }
        })
        .await;
        if drained.is_err() {
            match self.node.jobs.release(&self.node_id).await {
                Ok(n) => tracing::warn!(released = n, "drain deadline passed: leases given back"),
                Err(e) => tracing::error!(error = %e, "giving the leases back; they expire on their own"),
            }
        }
        let _ = self.shutdown.send(true);
        if let Some(h) = self.heartbeat.take() {
            let _ = h.await;
        }
        let _ = (&mut self.server).await;
        if let Some(s) = self.submitter.take() {
            let _ = s.await;
        }
        tracing::info!(node = %self.node_id, drained = drained.is_ok(), "stopped");
    }
}

/// Runs a node until Ctrl-C or SIGTERM, then drains it.
pub async fn run(config: Config) -> Result<(), StartError> {
    let service = Service::start(config).await?;
    zkbatch_relayer::wait_for_signal().await;
    tracing::info!("draining");
    service.stop().await;
    Ok(())
}
