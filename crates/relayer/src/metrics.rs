//! Prometheus metrics, rendered in the text exposition format by hand: a handful of counters and
//! histograms do not need a registry crate. Each metric is declared once, in [`metrics!`], with
//! its documentation as its HELP line.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A cumulative histogram with fixed upper bounds.
pub(crate) struct Histogram {
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
    pub(crate) const fn new(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, inner: Mutex::new(HistogramData { counts: Vec::new(), sum: 0.0, count: 0 }) }
    }

    pub(crate) fn observe(&self, v: f64) {
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
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) fn inc(&self) {
        self.add(1);
    }
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Declares the metrics once each: a field documented by its Prometheus HELP line, its metric
/// name, and for histograms its bucket bounds. `Metrics`, its `Default` and its exposition come
/// from the one list.
macro_rules! metrics {
    (
        counters { $( #[doc = $chelp:literal] $cfield:ident: $cname:literal, )* }
        histograms { $( #[doc = $hhelp:literal] $hfield:ident: $hname:literal = $bounds:expr, )* }
    ) => {
        /// The relayer's metrics.
        pub(crate) struct Metrics {
            $( #[doc = $chelp] pub(crate) $cfield: Counter, )*
            /// Proofs refused with 400, by reason.
            rejected: Mutex<BTreeMap<&'static str, u64>>,
            $( #[doc = $hhelp] pub(crate) $hfield: Histogram, )*
        }

        impl Default for Metrics {
            fn default() -> Self {
                Metrics {
                    $( $cfield: Counter::default(), )*
                    rejected: Mutex::new(BTreeMap::new()),
                    $( $hfield: Histogram::new($bounds), )*
                }
            }
        }

        impl Metrics {
            /// The exposition text; `queue_depth` and `by_status` come from the database at
            /// scrape time.
            pub(crate) fn render(&self, queue_depth: usize, by_status: &[(String, i64)]) -> String {
                let mut s = String::new();
                $( let _ = writeln!(s, "# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}", $cname, $chelp.trim(), self.$cfield.get()); )*
                let rejected = "zkbatch_relayer_proofs_rejected_total";
                let _ = writeln!(s, "# HELP {rejected} Proofs refused with 400, by reason.\n# TYPE {rejected} counter");
                for (label, v) in self.rejected.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    let _ = writeln!(s, "{rejected}{{reason=\"{label}\"}} {v}");
                }
                let _ = writeln!(s, "# HELP zkbatch_relayer_queue_depth Proofs queued, not yet in a transaction.\n# TYPE zkbatch_relayer_queue_depth gauge\nzkbatch_relayer_queue_depth {queue_depth}");
                let _ = writeln!(s, "# HELP zkbatch_relayer_proofs Proofs in the database, by status.\n# TYPE zkbatch_relayer_proofs gauge");
                for (status, n) in by_status {
                    let _ = writeln!(s, "zkbatch_relayer_proofs{{status=\"{status}\"}} {n}");
                }
                $( self.$hfield.render(&mut s, $hname, $hhelp.trim()); )*
                s
            }
        }
    };
}

metrics! {
    counters {
        /// Proof submissions received over HTTP.
        received: "zkbatch_relayer_proofs_received_total",
        /// Proofs verified off-chain and queued.
        accepted: "zkbatch_relayer_proofs_accepted_total",
        /// Submissions of a proof already accepted.
        duplicates: "zkbatch_relayer_proofs_duplicate_total",
        /// Submissions answered 429 (queue full).
        throttled: "zkbatch_relayer_proofs_throttled_total",
        /// Proofs confirmed on-chain.
        proofs_confirmed: "zkbatch_relayer_proofs_confirmed_total",
        /// Proofs failed after acceptance (refused on-chain).
        proofs_failed: "zkbatch_relayer_proofs_failed_total",
        /// RPC calls that failed or timed out.
        rpc_errors: "zkbatch_relayer_rpc_errors_total",
        /// Batch transactions broadcast (first broadcast only).
        batches_sent: "zkbatch_relayer_batches_sent_total",
        /// Batch transactions confirmed.
        batches_confirmed: "zkbatch_relayer_batches_confirmed_total",
        /// Batch transactions mined and reverted.
        batches_reverted: "zkbatch_relayer_batches_reverted_total",
        /// Transactions replaced with bumped fees.
        replacements: "zkbatch_relayer_replacements_total",
    }
    histograms {
        /// Proofs per confirmed batch transaction.
        batch_size: "zkbatch_relayer_batch_size" = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0],
        /// Transaction gas used divided by its proofs.
        gas_per_proof: "zkbatch_relayer_gas_per_proof" = &[40e3, 50e3, 60e3, 80e3, 100e3, 150e3, 200e3, 250e3, 300e3, 400e3],
        /// Seconds from acceptance to confirmation.
        submission_latency: "zkbatch_relayer_submission_latency_seconds" = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0],
    }
}

impl Metrics {
    /// Counts a proof refused with 400 for `label`.
    pub(crate) fn reject(&self, label: &'static str) {
        *self.rejected.lock().unwrap_or_else(|p| p.into_inner()).entry(label).or_default() += 1;
    }
}
