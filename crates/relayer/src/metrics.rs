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

impl HistogramData {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, b) in bounds.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    /// The series `name_bucket{LABELS le=…}`, `name_sum{LABELS}` and `name_count{LABELS}`;
    /// `labels` is empty or `key="value",`.
    fn write(&self, out: &mut String, bounds: &[f64], name: &str, labels: &str) {
        for (i, b) in bounds.iter().enumerate() {
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{b}\"}} {}", self.counts.get(i).copied().unwrap_or(0));
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", self.count);
        let labels = labels.trim_end_matches(',');
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}\n{name}_count{braces} {}", self.sum, self.count);
    }
}

impl Histogram {
    /// A histogram with these bucket upper bounds (ascending; `+Inf` is added).
    pub const fn new(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, inner: Mutex::new(HistogramData { counts: Vec::new(), sum: 0.0, count: 0 }) }
    }

    /// Counts one observation.
    pub fn observe(&self, v: f64) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).observe(self.bounds, v);
    }

    /// Appends the histogram's HELP, TYPE and series to `out`.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).write(out, self.bounds, name, "");
    }
}

/// A histogram per label value (e.g. gas per proof by submission mode), one set of series each.
pub struct LabeledHistogram {
    bounds: &'static [f64],
    inner: Mutex<BTreeMap<&'static str, HistogramData>>,
}

impl LabeledHistogram {
    /// A histogram per label with these bucket upper bounds (ascending; `+Inf` is added).
    pub const fn new(bounds: &'static [f64]) -> LabeledHistogram {
        LabeledHistogram { bounds, inner: Mutex::new(BTreeMap::new()) }
    }

    /// Counts one observation for `label`.
    pub fn observe(&self, label: &'static str, v: f64) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).entry(label).or_default().observe(self.bounds, v);
    }

    /// Appends the histogram's HELP and TYPE and the series of each label (`key="label"`) to `out`.
    pub fn render(&self, out: &mut String, name: &str, key: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (label, d) in self.inner.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            d.write(out, self.bounds, name, &format!("{key}=\"{label}\","));
        }
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
            /// Auto mode's decisions, by the mode chosen.
            pub(crate) decisions: Labeled,
            $( #[doc = $hhelp] pub(crate) $hfield: Histogram, )*
            /// Transaction gas used divided by its proofs, by submission mode.
            pub(crate) gas_per_proof: LabeledHistogram,
            /// The chain as this relayer's submitter last saw it.
            pub(crate) chain: ChainGauges,
        }

        impl Default for Metrics {
            fn default() -> Self {
                Metrics {
                    $( $cfield: Counter::default(), )*
                    rejected: Labeled::default(),
                    decisions: Labeled::default(),
                    $( $hfield: Histogram::new($bounds), )*
                    gas_per_proof: LabeledHistogram::new(GAS_PER_PROOF),
                    chain: ChainGauges::default(),
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
                self.decisions.render(&mut s, "zkbatch_relayer_mode_decisions_total", "mode", "Auto mode's decisions for due proofs, by the mode chosen (each logged with its reason).");
                render_gauge(&mut s, "zkbatch_relayer_queue_depth", "Proofs queued, not yet in a transaction.", queue_depth);
                let _ = writeln!(s, "# HELP zkbatch_relayer_proofs Proofs in the database, by status.\n# TYPE zkbatch_relayer_proofs gauge");
                for (status, n) in by_status {
                    let _ = writeln!(s, "zkbatch_relayer_proofs{{status=\"{status}\"}} {n}");
                }
                $( self.$hfield.render(&mut s, $hname, $hhelp.trim()); )*
                self.gas_per_proof.render(&mut s, "zkbatch_relayer_gas_per_proof", "mode", "Transaction gas used divided by its proofs, by submission mode (single, batch, aggregate).");
                self.chain.render(&mut s);
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
        /// Proofs whose successful transaction carried no `ProofVerified` event for them (marked failed).
        proofs_unverified: "zkbatch_relayer_proofs_unverified_total",
        /// Proofs whose batch's block reached `finality_depth`.
        proofs_finalized: "zkbatch_relayer_proofs_finalized_total",
        /// Confirmed batches whose block left the canonical chain (a reorg), then mined again, sent again or requeued.
        reorgs: "zkbatch_relayer_batches_reorged_total",
        /// Times the chain was found reset (its genesis block, or a final block, changed): batches it had confirmed are sent again.
        chain_resets: "zkbatch_relayer_chain_resets_total",
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
        /// Aggregates the aggregate registry refused before they were sent (their proofs are batch-verified instead).
        aggregates_refused: "zkbatch_relayer_aggregates_refused_total",
        /// Pairing checks run on posted proofs: a batch's, each half's when it failed, a proof's alone.
        verify_checks: "zkbatch_relayer_verify_checks_total",
    }
    histograms {
        /// Proofs per confirmed batch transaction.
        batch_size: "zkbatch_relayer_batch_size" = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0],
        /// Posted proofs verified together (1: alone).
        verify_batch_size: "zkbatch_relayer_verify_batch_size" = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0],
        /// Seconds a posted proof spends in its pairing check, waiting for a thread included.
        verify_seconds: "zkbatch_relayer_intake_verify_seconds" = &[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0],
        /// Seconds an accepted proof waits for its commit, the commit included.
        store_seconds: "zkbatch_relayer_intake_store_seconds" = &[0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0],
        /// Accepted proofs stored in one commit.
        commit_size: "zkbatch_relayer_intake_commit_size" = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
        /// Seconds from acceptance to confirmation.
        submission_latency: "zkbatch_relayer_submission_latency_seconds" = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0],
    }
}

/// Bucket bounds of gas per proof: from large batches (under 50k) to a single verification (about 230k).
const GAS_PER_PROOF: &[f64] = &[40e3, 50e3, 60e3, 80e3, 100e3, 150e3, 200e3, 250e3, 300e3, 400e3];

/// What the submitter last read from the chain, for alerts on a stalled relayer or an empty
/// signer: 0 until it has read them.
#[derive(Default)]
pub(crate) struct ChainGauges {
    /// The latest block number.
    pub(crate) head: AtomicU64,
    /// The block of the last batch this relayer saw confirmed; the head when it started.
    pub(crate) last_confirmed: AtomicU64,
    /// The signer and its balance in wei.
    pub(crate) signer: Mutex<Option<(String, u128)>>,
}

impl ChainGauges {
    fn render(&self, out: &mut String) {
        let head = self.head.load(Ordering::Relaxed);
        if head == 0 {
            return;
        }
        render_gauge(out, "zkbatch_relayer_chain_head_block", "The latest block number the relayer saw.", head);
        let confirmed = self.last_confirmed.load(Ordering::Relaxed);
        render_gauge(out, "zkbatch_relayer_last_confirmed_block", "The block of the last batch this relayer saw confirmed (the head when it started).", confirmed);
        if let Some((signer, wei)) = self.signer.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = writeln!(out, "# HELP zkbatch_relayer_signer_balance_ether The signer's balance (ether).\n# TYPE zkbatch_relayer_signer_balance_ether gauge");
            let _ = writeln!(out, "zkbatch_relayer_signer_balance_ether{{signer=\"{signer}\"}} {}", *wei as f64 / 1e18);
        }
    }
}

impl Metrics {
    /// Counts a proof refused with 400 for `label`.
    pub(crate) fn reject(&self, label: &'static str) {
        self.rejected.inc(label);
    }
}
