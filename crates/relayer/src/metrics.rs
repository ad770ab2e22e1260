//! Prometheus metrics, rendered in the text exposition format by hand: a handful of counters and
//! histograms do not need a registry crate.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A cumulative histogram with fixed upper bounds.
pub struct Histogram {
    bounds: &'static [f64],
    inner: Mutex<HistogramData>,
}

#[derive(Default)]
struct HistogramData {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    pub const fn new(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, inner: Mutex::new(HistogramData { counts: Vec::new(), sum: 0.0, count: 0 }) }
    }

    pub fn observe(&self, v: f64) {
        let mut d = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if d.counts.is_empty() {
            d.counts = vec![0; self.bounds.len()];
        }
        for (i, b) in self.bounds.iter().enumerate() {
            if v <= *b {
                d.counts[i] += 1;
            }
        }
        d.sum += v;
        d.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let d = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (i, b) in self.bounds.iter().enumerate() {
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {}", d.counts.get(i).copied().unwrap_or(0));
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}\n{name}_sum {}\n{name}_count {}", d.count, d.sum, d.count);
    }
}

#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub struct Metrics {
    pub received: Counter,
    pub accepted: Counter,
    pub duplicates: Counter,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    pub throttled: Counter,
    pub rpc_errors: Counter,
    pub batches_sent: Counter,
    pub batches_confirmed: Counter,
    pub batches_reverted: Counter,
    pub replacements: Counter,
    pub proofs_confirmed: Counter,
    pub proofs_failed: Counter,
    pub batch_size: Histogram,
    pub gas_per_proof: Histogram,
    /// Seconds from a proof's acceptance to its confirmation.
    pub submission_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            received: Counter::default(),
            accepted: Counter::default(),
            duplicates: Counter::default(),
            rejected: Mutex::new(BTreeMap::new()),
            throttled: Counter::default(),
            rpc_errors: Counter::default(),
            batches_sent: Counter::default(),
            batches_confirmed: Counter::default(),
            batches_reverted: Counter::default(),
            replacements: Counter::default(),
            proofs_confirmed: Counter::default(),
            proofs_failed: Counter::default(),
            batch_size: Histogram::new(&[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0]),
            gas_per_proof: Histogram::new(&[40e3, 50e3, 60e3, 80e3, 100e3, 150e3, 200e3, 250e3, 300e3, 400e3]),
            submission_latency: Histogram::new(&[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0]),
        }
    }
}

impl Metrics {
    pub fn reject(&self, label: &'static str) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()).entry(label).or_default() += 1;
    }

    /// The exposition text; `queue_depth` and `by_status` come from the database at scrape time.
    pub fn render(&self, queue_depth: usize, by_status: &[(String, i64)]) -> String {
        let mut s = String::new();
        let counter = |s: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(&mut s, "zkbatch_relayer_proofs_received_total", "Proof submissions received over HTTP.", self.received.get());
        counter(&mut s, "zkbatch_relayer_proofs_accepted_total", "Proofs verified off-chain and queued.", self.accepted.get());
        counter(&mut s, "zkbatch_relayer_proofs_duplicate_total", "Submissions of a proof already accepted.", self.duplicates.get());
        let _ = writeln!(s, "# HELP zkbatch_relayer_proofs_rejected_total Proofs refused with 400, by reason.\n# TYPE zkbatch_relayer_proofs_rejected_total counter");
        for (label, v) in self.rejected.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(s, "zkbatch_relayer_proofs_rejected_total{{reason=\"{label}\"}} {v}");
        }
        counter(&mut s, "zkbatch_relayer_proofs_throttled_total", "Submissions answered 429 (queue full).", self.throttled.get());
        counter(&mut s, "zkbatch_relayer_proofs_confirmed_total", "Proofs confirmed on-chain.", self.proofs_confirmed.get());
        counter(&mut s, "zkbatch_relayer_proofs_failed_total", "Proofs failed after acceptance (refused on-chain).", self.proofs_failed.get());
        counter(&mut s, "zkbatch_relayer_rpc_errors_total", "RPC calls that failed or timed out.", self.rpc_errors.get());
        counter(&mut s, "zkbatch_relayer_batches_sent_total", "Batch transactions broadcast (first broadcast only).", self.batches_sent.get());
        counter(&mut s, "zkbatch_relayer_batches_confirmed_total", "Batch transactions confirmed.", self.batches_confirmed.get());
        counter(&mut s, "zkbatch_relayer_batches_reverted_total", "Batch transactions mined and reverted.", self.batches_reverted.get());
        counter(&mut s, "zkbatch_relayer_replacements_total", "Transactions replaced with bumped fees.", self.replacements.get());
        let _ = writeln!(s, "# HELP zkbatch_relayer_queue_depth Proofs queued, not yet in a transaction.\n# TYPE zkbatch_relayer_queue_depth gauge\nzkbatch_relayer_queue_depth {queue_depth}");
        let _ = writeln!(s, "# HELP zkbatch_relayer_proofs Proofs in the database, by status.\n# TYPE zkbatch_relayer_proofs gauge");
        for (status, n) in by_status {
            let _ = writeln!(s, "zkbatch_relayer_proofs{{status=\"{status}\"}} {n}");
        }
        self.batch_size.render(&mut s, "zkbatch_relayer_batch_size", "Proofs per confirmed batch transaction.");
        self.gas_per_proof.render(&mut s, "zkbatch_relayer_gas_per_proof", "Transaction gas used divided by its proofs.");
        self.submission_latency.render(&mut s, "zkbatch_relayer_submission_latency_seconds", "Seconds from acceptance to confirmation.");
        s
    }
}
