//! The prove role's Prometheus metrics, each declared once with its HELP text.

use std::fmt::Write;

use zkbatch_relayer::metrics::{render_gauge, Counter, Histogram, Labeled};

use crate::memory;

/// Seconds, from a millisecond's proof to many minutes' queue wait.
const SECONDS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// The prove role's metrics.
#[derive(Default)]
pub(crate) struct Metrics {
    /// Job requests received over HTTP.
    pub(crate) received: Counter,
    /// Jobs queued.
    pub(crate) accepted: Counter,
    /// Requests answered with an existing job (same `client_id`, same request).
    pub(crate) replayed: Counter,
    /// Requests refused, by reason.
    pub(crate) rejected: Labeled,
    /// Jobs proved by this node.
    pub(crate) proved: Counter,
    /// Job attempts that failed on this node, by reason.
    pub(crate) failed: Labeled,
    /// Leases found expired by this node (their node died or hung).
    pub(crate) lease_expiries: Counter,
    /// Results dropped because the lease was lost before they were written.
    pub(crate) lost_leases: Counter,
    /// Aggregates proved by this node (the aggregate role).
    pub(crate) aggregates_proved: Counter,
    /// Aggregates this node could not prove (their proofs are batch-verified instead).
    pub(crate) aggregates_failed: Counter,
    /// Aggregate leases found expired by this node (their node died or hung).
    pub(crate) aggregate_expiries: Counter,
    /// Seconds an aggregate took to prove.
    pub(crate) aggregate_seconds: Phase,
    pub(crate) witness: Phase,
    pub(crate) qap: Phase,
    pub(crate) msm: Phase,
    pub(crate) prove: Phase,
    pub(crate) self_check: Phase,
    pub(crate) end_to_end: Phase,
}

/// A latency histogram (seconds).
pub(crate) struct Phase(pub(crate) Histogram);

impl Default for Phase {
    fn default() -> Self {
        Phase(Histogram::new(SECONDS))
    }
}

/// What the node reads at scrape time.
pub(crate) struct Gauges<'a> {
    pub(crate) by_status: &'a [(String, i64)],
    pub(crate) in_flight: usize,
    pub(crate) workers: usize,
    pub(crate) key_bytes: u64,
    pub(crate) ready: bool,
}

impl Metrics {
    /// The exposition text.
    pub(crate) fn render(&self, g: &Gauges<'_>) -> String {
        let mut s = String::new();
        self.received.render(&mut s, "zkbatch_jobs_received_total", "Job requests received over HTTP.");
        self.accepted.render(&mut s, "zkbatch_jobs_accepted_total", "Jobs queued.");
        self.replayed.render(&mut s, "zkbatch_jobs_replayed_total", "Requests answered with the job of an earlier request with the same client_id.");
        self.rejected.render(&mut s, "zkbatch_jobs_rejected_total", "reason", "Job requests refused (400, 409, 413, 429), by reason.");
        self.proved.render(&mut s, "zkbatch_jobs_proved_total", "Jobs proved by this node.");
        self.failed.render(&mut s, "zkbatch_jobs_failed_total", "reason", "Job attempts that failed on this node, by reason.");
        self.lease_expiries.render(&mut s, "zkbatch_jobs_lease_expiries_total", "Leases this node found expired (their node died or hung); the jobs were queued again or failed.");
        self.lost_leases.render(&mut s, "zkbatch_jobs_lost_leases_total", "Results this node dropped because its lease had been taken over.");
        self.aggregates_proved.render(&mut s, "zkbatch_aggregates_proved_total", "Aggregates this node proved (the aggregate role).");
        self.aggregates_failed.render(&mut s, "zkbatch_aggregates_failed_total", "Aggregates this node could not prove; their proofs are batch-verified instead.");
        self.aggregate_expiries.render(&mut s, "zkbatch_aggregate_lease_expiries_total", "Aggregate leases this node found expired (their node died or hung); the proofs were queued again.");
        self.aggregate_seconds.0.render(&mut s, "zkbatch_aggregate_seconds", "Seconds an aggregate took to prove on this node.");
        let queued = g.by_status.iter().find(|(s, _)| s == "queued").map_or(0, |(_, n)| *n);
        render_gauge(&mut s, "zkbatch_jobs_queue_depth", "Jobs queued, not yet claimed by any node.", queued);
        let _ = writeln!(s, "# HELP zkbatch_jobs Jobs in the database, by status.\n# TYPE zkbatch_jobs gauge");
        for (status, n) in g.by_status {
            let _ = writeln!(s, "zkbatch_jobs{{status=\"{status}\"}} {n}");
        }
        render_gauge(&mut s, "zkbatch_jobs_in_flight", "Jobs this node is proving now.", g.in_flight);
        render_gauge(&mut s, "zkbatch_workers", "Jobs this node proves at once, at most.", g.workers);
        render_gauge(&mut s, "zkbatch_ready", "1 once the proving keys are loaded.", u8::from(g.ready));
        render_gauge(&mut s, "zkbatch_key_memory_bytes", "Proving keys loaded (their files' size).", g.key_bytes);
        if let Some(rss) = memory::resident() {
            render_gauge(&mut s, "process_resident_memory_bytes", "Resident memory of this process.", rss);
        }
        if let Some(pss) = memory::proportional() {
            render_gauge(&mut s, "zkbatch_process_pss_bytes", "Proportional resident memory: pages shared with other processes (a mapped key image) divided among them.", pss);
        }
        self.witness.0.render(&mut s, "zkbatch_job_witness_seconds", "Witness generation per job.");
        self.qap.0.render(&mut s, "zkbatch_job_qap_seconds", "R1CS-to-QAP (FFTs) per job.");
        self.msm.0.render(&mut s, "zkbatch_job_msm_seconds", "The MSMs per job.");
        self.prove.0.render(&mut s, "zkbatch_job_prove_seconds", "Proving per job, witness to verified proof.");
        self.self_check.0.render(&mut s, "zkbatch_job_self_check_seconds", "Verifying each proof made before storing it (one pairing check).");
        self.end_to_end.0.render(&mut s, "zkbatch_job_latency_seconds", "From acceptance (queued) to proved.");
        s
    }
}
