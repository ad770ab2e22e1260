//! The aggregate role: claims N queued proofs of a circuit in `aggregate` mode under a lease,
//! proves one halo2 aggregate of them (padded with its last proof when the oldest waited
//! `max_wait_ms`), and records the registry call for the relay role. The lease is renewed while
//! the proof runs (minutes); a node that dies leaves it to expire, and the proofs go back to the
//! queue for the next aggregate (every node's aggregate loop expires leases). A batch that cannot
//! be aggregated (a proof outside what the circuit takes, a prover error) fails, and its proofs are
//! batch-verified instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::U256;
use tokio::sync::watch;
use zkbatch_aggregator::recursive::keys::{self, AggregationKey};
use zkbatch_aggregator::recursive::params::{self, KzgParams};
use zkbatch_aggregator::recursive::shape::Shape;
use zkbatch_aggregator::recursive::{check_native, padding, prove, AggregationInput};
use zkbatch_evm::bindings::AggregatedProofRegistry;
use zkbatch_evm::EvmProof;
use zkbatch_prover::{Fr, Proof, VerifyingKey};
use zkbatch_relayer::config::AggregateTarget;
use zkbatch_relayer::store::{ClaimedAggregate, Store};

use crate::config::{AggregateConfig, Config};
use crate::shared::Node;

/// How long an idle aggregate loop waits before looking at the queue again.
const POLL: Duration = Duration::from_millis(500);

/// Why the aggregate role cannot start.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    /// A circuit's verifying key is not at hand.
    #[error("circuit {0:?}: the aggregate role needs its verifying key: give vk (verification_key.json), or run the prove role on this node")]
    NoVerifyingKey(String),
    /// A verifying key cannot be read.
    #[error("circuit {id:?}: {source}")]
    VerifyingKey {
        /// The circuit.
        id: String,
        /// Why (boxed: the error is large, and rare).
        source: Box<zkbatch_prover::snarkjs::FileError>,
    },
    /// No cache directory for the keys and parameters.
    #[error("the aggregate role needs a cache directory for its keys: set cache_dir (or ZKBATCH_CACHE_DIR, XDG_CACHE_HOME or HOME)")]
    NoCacheDir,
    /// KZG parameters cannot be read or made.
    #[error("KZG parameters (k = {k}): {source}")]
    Params {
        /// The circuit size.
        k: u32,
        /// Why.
        source: params::ParamsError,
    },
    /// An aggregation key cannot be read or made.
    #[error("aggregation key for N = {slots}, k = {k}: {source}")]
    Key {
        /// N.
        slots: usize,
        /// The circuit size.
        k: u32,
        /// Why.
        source: keys::KeyError,
    },
}

/// One circuit the role aggregates: its Groth16 key, where its aggregates go, and the aggregation
/// key and parameters for its shape.
pub(crate) struct AggregateCircuit {
    id: String,
    /// Aggregate mode (every queued proof is the workers'), or auto (only those the relay routed).
    undecided: bool,
    vk: VerifyingKey,
    target: AggregateTarget,
    shape: Shape,
    params: Arc<KzgParams>,
    key: AggregationKey,
}

/// The KZG parameters for 2^k rows from the configured source (a .ptau is converted once and
/// cached in `cache`, under the name `zkbatch aggregate --ptau` gives it).
fn kzg_params(config: &AggregateConfig, cache: &Path, k: u32) -> Result<KzgParams, params::ParamsError> {
    if let Some(path) = &config.params {
        return params::read(path, k);
    }
    if let Some(ptau) = &config.ptau {
        return params::from_ptau_cached(ptau, cache, k);
    }
    tracing::warn!(k, "aggregate role: the INSECURE test KZG setup (its τ is public: anyone can forge an aggregate its verifier accepts); for local chains only");
    params::insecure_cached(cache, k)
}

/// Loads (on first start: makes, minutes per shape, and caches) what every aggregated circuit
/// needs. `given`: verifying keys the prove role derived from its proving keys.
pub(crate) fn load(config: &Config, given: &std::collections::HashMap<String, VerifyingKey>) -> Result<Vec<Arc<AggregateCircuit>>, AggregateError> {
    let Some(settings) = &config.aggregate else { return Ok(Vec::new()) };
    let cache: PathBuf = config.cache_dir.clone().or_else(zkbatch_prover::keys::KeyCache::default_dir).ok_or(AggregateError::NoCacheDir)?;
    let mut srs_by_k: std::collections::HashMap<u32, Arc<KzgParams>> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for c in &config.circuits {
        let Some(target) = &c.aggregate else { continue };
        let vk = match (given.get(&c.id), &c.vk) {
            (Some(vk), _) => vk.clone(),
            (None, Some(path)) => zkbatch_prover::snarkjs::read_verifying_key(path).map_err(|source| AggregateError::VerifyingKey { id: c.id.clone(), source: Box::new(source) })?,
            (None, None) => return Err(AggregateError::NoVerifyingKey(c.id.clone())),
        };
        let inputs = vk.gamma_abc_g1.len().saturating_sub(1);
        let k = settings.k.unwrap_or_else(|| Shape::default_k(target.slots));
        let shape = Shape { k, slots: target.slots, inputs };
        let params = match srs_by_k.get(&k) {
            Some(p) => p.clone(),
            None => {
                let p = Arc::new(kzg_params(settings, &cache, k).map_err(|source| AggregateError::Params { k, source })?);
                srs_by_k.insert(k, p.clone());
                p
            }
        };
        let started = Instant::now();
        tracing::info!(circuit = %c.id, slots = shape.slots, inputs, k, "aggregate role: loading the aggregation key (made and cached on first use: minutes)");
        let (key, made) = keys::cached(&cache, &params, shape, |phase| tracing::info!(circuit = %c.id, phase, "aggregation keygen"))
            .map_err(|source| AggregateError::Key { slots: shape.slots, k, source })?;
        tracing::info!(circuit = %c.id, made, seconds = started.elapsed().as_secs_f64(), "aggregation key ready");
        let undecided = c.mode == zkbatch_relayer::config::SubmitMode::Aggregate;
        out.push(Arc::new(AggregateCircuit { id: c.id.clone(), undecided, vk, target: target.clone(), shape, params, key }));
    }
    Ok(out)
}

/// Claims and proves aggregates until `stop` holds true (the aggregate in hand is finished, or
/// its lease given back when the node stops first).
pub(crate) async fn run(node: Arc<Node>, circuits: Vec<Arc<AggregateCircuit>>, mut stop: watch::Receiver<bool>) {
    let store = node.jobs.store().clone();
    let lease_ms = node.config.lease.duration_ms;
    let every = Duration::from_millis(node.config.lease.heartbeat_ms);
    let mut last_seen: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        // A sign of life per circuit, which the relay role's auto mode reads.
        if last_seen.is_none_or(|t| t.elapsed() >= every) {
            for circuit in circuits.iter() {
                if let Err(e) = store.aggregate_node_seen(&node.node_id, &circuit.id, None).await {
                    tracing::warn!(circuit = %circuit.id, error = %e, "recording this aggregate node's sign of life");
                }
            }
            last_seen = Some(Instant::now());
        }
        match store.expire_aggregates().await {
            Ok(0) => {}
            Ok(n) => {
                node.metrics.aggregate_expiries.add(n);
                tracing::warn!(expired = n, "aggregate leases expired (their node died or hung): their proofs are queued again");
            }
            Err(e) => tracing::warn!(error = %e, "expiring aggregate leases"),
        }
        let mut worked = false;
        for circuit in circuits.iter() {
            match store.claim_aggregate(&circuit.id, circuit.target.slots, circuit.target.max_wait_ms, circuit.undecided, &node.node_id, lease_ms).await {
                Ok(Some(claimed)) => {
                    aggregate(&node, &store, circuit, claimed, stop.clone()).await;
                    worked = true;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(circuit = %circuit.id, error = %e, "claiming proofs to aggregate"),
            }
        }
        if !worked {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// The claimed proofs back as (proof, inputs), each checked.
fn decode(claimed: &ClaimedAggregate) -> Result<Vec<(Proof, Vec<Fr>)>, String> {
    claimed
        .proofs
        .iter()
        .map(|q| {
            let p = EvmProof::from_bytes(&q.data).ok_or_else(|| format!("stored proof {} is malformed", q.key))?;
            p.to_proof().map_err(|e| format!("stored proof {}: {e}", q.key))
        })
        .collect()
}

/// `AggregatedProofRegistry.submit(instances, proof)` for the claimed proofs, or why there is none.
fn prove_call(circuit: &AggregateCircuit, claimed: &ClaimedAggregate) -> Result<Vec<u8>, String> {
    let batch = padding::pad(&decode(claimed)?, circuit.shape.slots).map_err(|e| e.to_string())?;
    if !check_native(&circuit.vk, &batch).map_err(|e| e.to_string())? {
        return Err("the batch fails the aggregation circuit's check natively".into());
    }
    let input = AggregationInput::new(&circuit.vk, &batch).map_err(|e| e.to_string())?;
    let proof = prove::prove(&circuit.params, &circuit.key, &input).map_err(|e| e.to_string())?;
    let instances = proof.instance_words().iter().map(|w| U256::from_be_bytes(*w)).collect();
    Ok(alloy_sol_types::SolCall::abi_encode(&AggregatedProofRegistry::submitCall { instances, proof: proof.proof.clone().into() }))
}

/// Proves one claimed aggregate, renewing its lease meanwhile, and records what came of it.
async fn aggregate(node: &Arc<Node>, store: &Store, circuit: &Arc<AggregateCircuit>, claimed: ClaimedAggregate, mut stop: watch::Receiver<bool>) {
    let (id, worker, lease_ms) = (claimed.id, node.node_id.clone(), node.config.lease.duration_ms);
    tracing::info!(aggregate = id, circuit = %circuit.id, proofs = claimed.proofs.len(), slots = circuit.shape.slots, k = circuit.shape.k, "aggregating");
    let started = Instant::now();
    // The proof runs on a blocking thread; the key and parameters are shared with it by Arc.
    let job = {
        let (circuit, claimed) = (circuit.clone(), claimed.clone());
        tokio::task::spawn_blocking(move || prove_call(&circuit, &claimed))
    };
    tokio::pin!(job);
    let every = Duration::from_millis(node.config.lease.heartbeat_ms);
    let result = loop {
        tokio::select! {
            done = &mut job => break done,
            _ = tokio::time::sleep(every) => {
                if let Err(e) = store.aggregate_node_seen(&worker, &circuit.id, None).await {
                    tracing::warn!(aggregate = id, error = %e, "recording this aggregate node's sign of life");
                }
                match store.renew_aggregate(id, &worker, lease_ms).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(aggregate = id, "aggregate lease lost (expired and taken back): the proof will be dropped"),
                    Err(e) => tracing::warn!(aggregate = id, error = %e, "renewing the aggregate lease"),
                }
            }
            _ = stop.changed() => {
                if *stop.borrow() {
                    // Draining: the proof cannot be cut short, so its lease is given back now and
                    // the proofs are aggregated by another node (or this one after a restart).
                    match store.release_aggregates(&worker).await {
                        Ok(n) => tracing::warn!(aggregate = id, released = n, "stopping mid-aggregate: lease given back"),
                        Err(e) => tracing::error!(aggregate = id, error = %e, "giving the aggregate lease back; it expires on its own"),
                    }
                    return;
                }
            }
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let outcome = match result {
        Ok(Ok(calldata)) => store.aggregate_ready(id, &worker, &calldata).await.map(|written| (written, None)),
        Ok(Err(reason)) => store.aggregate_failed(id, Some(&worker), &reason).await.map(|_| (true, Some(reason))),
        Err(panic) => store.aggregate_failed(id, Some(&worker), &format!("the aggregate prover stopped: {panic}")).await.map(|_| (true, Some(panic.to_string()))),
    };
    match outcome {
        Ok((true, None)) => {
            if let Err(e) = store.aggregate_node_seen(&worker, &circuit.id, Some((seconds * 1e3) as i64)).await {
                tracing::warn!(aggregate = id, error = %e, "recording the aggregation time");
            }
            node.metrics.aggregates_proved.inc();
            node.metrics.aggregate_seconds.0.observe(seconds);
            tracing::info!(aggregate = id, seconds, "aggregate proved; the relay role submits it");
            if let Some((role, _)) = node.relay.get() {
                role.notify();
            }
        }
        Ok((true, Some(reason))) => {
            node.metrics.aggregates_failed.inc();
            tracing::warn!(aggregate = id, reason, "aggregate failed: its proofs are batch-verified instead");
        }
        Ok((false, _)) => {
            node.metrics.lost_leases.inc();
            tracing::warn!(aggregate = id, "aggregate lease lost before the proof was written: dropped (its proofs are in another aggregate)");
        }
        Err(e) => tracing::error!(aggregate = id, error = %e, "recording an aggregate; its lease expires and it is proved again"),
    }
}
