//! Prometheus metrics, rendered in the text exposition format by hand: a handful of counters and
//! histograms do not need a registry crate. Each of the relayer's metrics is declared once, in
//! `metrics!`, with its documentation as its HELP line. [`Counter`], [`Labeled`] and [`Histogram`]
//! are public for the proving service's metrics (zkbatch-service).

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
    /// A histogram with these bucket upper bounds (ascending; `+Inf` is added).
    pub const fn new(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, inner: Mutex::new(HistogramData { counts: Vec::new(), sum: 0.0, count: 0 }) }
    }

    /// Counts one observation.
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

    /// Appends the histogram's HELP, TYPE and series to `out`.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let d = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (i, b) in self.bounds.iter().enumerate() {
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {}", d.counts.get(i).copied().unwrap_or(0));
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}\n{name}_sum {}\n{name}_count {}", d.count, d.sum, d.count);
    }
}

/// A monotonic counter.
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    /// Appends the counter's HELP, TYPE and value to `out`.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", self.get());
    }
}

/// A counter per label value (e.g. refusals by reason), one series each.
#[derive(Default)]
pub struct Labeled(Mutex<BTreeMap<&'static str, u64>>);

impl Labeled {
    /// Adds one to `label`'s count.
    pub fn inc(&self, label: &'static str) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(label).or_default() += 1;
    }
    /// Appends the counter's HELP and TYPE and a series `name{key="label"}` per label to `out`.
    pub fn render(&self, out: &mut String, name: &str, key: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (label, v) in self.0.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "{name}{{{key}=\"{label}\"}} {v}");
        }
    }
}

/// Appends a gauge's HELP, TYPE and value to `out`.
pub fn render_gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
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
            rejected: Labeled,
            $( #[doc = $hhelp] pub(crate) $hfield: Histogram, )*
        }

        impl Default for Metrics {
            fn default() -> Self {
                Metrics {
                    $( $cfield: Counter::default(), )*
                    rejected: Labeled::default(),
                    $( $hfield: Histogram::new($bounds), )*
                }
            }
        }

        impl Metrics {
            /// The exposition text; `queue_depth` and `by_status` come from the database at
            /// scrape time.
            pub(crate) fn render(&self, queue_depth: usize, by_status: &[(String, i64)]) -> String {
                let mut s = String::new();
                $( self.$cfield.render(&mut s, $cname, $chelp.trim()); )*
                self.rejected.render(&mut s, "zkbatch_relayer_proofs_rejected_total", "reason", "Proofs refused with 400, by reason.");
                render_gauge(&mut s, "zkbatch_relayer_queue_depth", "Proofs queued, not yet in a transaction.", queue_depth);
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
        self.rejected.inc(label);
    }
}
