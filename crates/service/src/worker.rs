//! A node's workers, each proving one job at a time, and its heartbeat, which renews the node's
//! leases and hands expired ones (of nodes that died) back to the queue.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use zkbatch_evm::EvmProof;
use zkbatch_prover::snarkjs::{public_to_json, ProofJson};
use zkbatch_relayer::store::{now_ms, NewProof};

use crate::circuits::{ProveFailure, Proved};
use crate::jobs::{Claimed, Outcome};
use crate::shared::Node;

/// How long an idle worker waits before looking for jobs other nodes queued.
const POLL: Duration = Duration::from_millis(200);

/// Claims and proves jobs until `stop` holds true; the job in hand is finished first.
pub(crate) async fn run(node: Arc<Node>, mut stop: watch::Receiver<bool>) {
    let Some(circuits) = node.circuits.as_ref() else { return };
    let ids: Vec<String> = circuits.by_id.keys().cloned().collect();
    let lease_ms = node.config.lease.duration_ms;
    loop {
        if *stop.borrow() {
            return;
        }
        match node.jobs.claim(&node.node_id, &ids, lease_ms).await {
            Ok(Some(job)) => prove(&node, job).await,
            Ok(None) => {
                tokio::select! {
                    _ = node.work.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a job");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Proves one claimed job and records what came of it.
async fn prove(node: &Arc<Node>, job: Claimed) {
    let Some(circuit) = node.circuits.as_ref().and_then(|c| c.by_id.get(&job.circuit)).cloned() else { return };
    node.in_flight.fetch_add(1, Ordering::Relaxed);
    let (input, id) = (job.input.clone(), job.id.clone());
    let proving = tokio::task::spawn_blocking(move || match circuit.loaded() {
        Some(loaded) => circuit.prove(loaded, &input, &id),
        None => Err(ProveFailure::Witness("the circuit's proving key is not loaded".into())),
    })
    .await;
    let recorded = match proving {
        Ok(Ok(proved)) => record(node, &job, proved).await,
        Ok(Err(failure @ ProveFailure::Witness(_))) => {
            node.metrics.failed.inc("witness");
            tracing::info!(job = %job.id, error = %failure, "job failed");
            node.jobs.fail(&node.node_id, &job, &failure.to_string()).await
        }
        Ok(Err(failure @ ProveFailure::SelfCheck)) => {
            node.metrics.failed.inc("self_check");
            tracing::error!(job = %job.id, error = %failure, "proof refused by its own check");
            node.jobs.retry(&node.node_id, &job, &failure.to_string(), node.config.max_attempts).await
        }
        Err(panic) => {
            node.metrics.failed.inc("panic");
            tracing::error!(job = %job.id, error = %panic, "the prover panicked");
            node.jobs.retry(&node.node_id, &job, &format!("the prover stopped: {panic}"), node.config.max_attempts).await
        }
    };
    match recorded {
        Ok(true) => node.finished.notify_waiters(),
        Ok(false) => {
            node.metrics.lost_leases.inc();
            tracing::warn!(job = %job.id, "lease lost before the result was written: dropped (another node has the job)");
        }
        // The lease runs out and another node (or this one) proves the job again.
        Err(e) => tracing::error!(job = %job.id, error = %e, "recording a job's result"),
    }
    node.in_flight.fetch_sub(1, Ordering::Relaxed);
}

/// Writes a proved job (and, with `submit`, queues its proof for the chain in one transaction).
async fn record(node: &Arc<Node>, job: &Claimed, proved: Proved) -> Result<bool, zkbatch_relayer::store::StoreError> {
    let Proved { proof, public, report, self_check, vk_hash } = proved;
    let encoded = if job.submit {
        match EvmProof::new(&proof, &public) {
            Ok(evm) => Some((evm.key(), evm.statement(&vk_hash), evm.to_bytes())),
            Err(e) => {
                node.metrics.failed.inc("unsubmittable");
                return node.jobs.fail(&node.node_id, job, &format!("the proof cannot be submitted: {e}")).await;
            }
        }
    } else {
        None
    };
    let proof_json = json!(ProofJson::from_proof(&proof));
    let public_json = json!(public_to_json(&public));
    let mut report_json = json!(report);
    report_json["node"] = json!(node.node_id);
    report_json["attempt"] = json!(job.attempt);
    let relay = encoded.as_ref().map(|(key, statement, data)| NewProof { key: *key, statement: *statement, circuit: &job.circuit, data, client_id: None });
    let outcome = Outcome { proof: &proof_json, public: &public_json, report: &report_json, relay };
    let written = node.jobs.complete(&node.node_id, job, &outcome).await?;
    if written {
        let m = &node.metrics;
        m.proved.inc();
        m.witness.0.observe(report.witness.as_secs_f64());
        m.qap.0.observe(report.qap.as_secs_f64());
        m.msm.0.observe(report.msm().as_secs_f64());
        m.prove.0.observe(report.total.as_secs_f64());
        m.self_check.0.observe(self_check.as_secs_f64());
        m.end_to_end.0.observe((now_ms() - job.created_ms).max(0) as f64 / 1e3);
        if outcome.relay.is_some() {
            if let Some((role, _)) = node.relay.get() {
                role.notify();
            }
        }
    }
    Ok(written)
}

/// Renews this node's leases and expires others' until `stop` holds true.
pub(crate) async fn heartbeat(node: Arc<Node>, mut stop: watch::Receiver<bool>) {
    let every = Duration::from_millis(node.config.lease.heartbeat_ms);
    loop {
        if let Err(e) = node.jobs.heartbeat(&node.node_id, node.config.lease.duration_ms).await {
            tracing::warn!(error = %e, "renewing leases");
        }
        match node.jobs.expire_leases(node.config.max_attempts).await {
            Ok(0) => {}
            Ok(n) => {
                node.metrics.lease_expiries.add(n);
                node.work.notify_waiters();
                tracing::warn!(expired = n, "leases expired: jobs queued again (or failed after max_attempts)");
            }
            Err(e) => tracing::warn!(error = %e, "expiring leases"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}
