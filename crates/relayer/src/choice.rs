//! Choosing how a circuit's waiting proofs go on-chain when its mode is `auto`: the mode with the
//! lowest gas per proof that meets the circuit's latency bound (`max_latency_s`).
//!
//! What it weighs, per mode: gas per transaction as a line in N (a [`Fit`]: fixed + N × per
//! proof), replaced by the gas `eth_estimateGas` found for that N on the deployed contracts once
//! the relay has estimated one; for aggregate, the gas of the last aggregate sent for the circuit
//! (else its configured figure), the aggregation time the aggregate nodes measured for the shape
//! (else the configured estimate), and whether an aggregate node is alive. Every decision is
//! logged with its reason and counted per mode.

use std::collections::HashMap;

/// Gas per transaction as a line in the number of proofs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Fit {
    /// Gas per transaction (21,000, the registry's fixed work).
    pub(crate) fixed: f64,
    /// Gas per proof.
    pub(crate) per_proof: f64,
}

impl Fit {
    fn gas(&self, n: usize) -> f64 {
        self.fixed + self.per_proof * n as f64
    }
}

/// The modes `auto` chooses among.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Chosen {
    /// One `verify` per proof.
    Single,
    /// One `verifyBatch` per batch.
    Batch,
    /// The aggregate nodes' halo2 proof.
    Aggregate,
}

impl Chosen {
    /// The mode's name, as logged and counted.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Chosen::Single => "single",
            Chosen::Batch => "batch",
            Chosen::Aggregate => "aggregate",
        }
    }
}

/// What the aggregate nodes offer for a circuit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct AggregateOffer {
    /// N: proofs per aggregate (fewer are padded, and pay for N).
    pub(crate) slots: usize,
    /// Gas of one aggregate's transaction.
    pub(crate) gas: f64,
    /// Seconds to prove one, as measured by an aggregate node (or configured); `None`: unknown.
    pub(crate) prove_s: Option<f64>,
    /// Whether an aggregate node for the circuit was seen recently.
    pub(crate) alive: bool,
}

/// The waiting proofs and what each mode offers for them.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Options {
    /// Proofs waiting (at most a batch's worth).
    pub(crate) n: usize,
    /// How long the oldest has waited (s).
    pub(crate) waited_s: f64,
    /// The circuit's latency bound (s), if it has one.
    pub(crate) max_latency_s: Option<f64>,
    /// Single verification's gas (always possible).
    pub(crate) single: Fit,
    /// Batch verification's, when the circuit has a batch verifier.
    pub(crate) batch: Option<Fit>,
    /// Gas measured by `eth_estimateGas` at exact N, per mode; preferred to the fits.
    pub(crate) measured: HashMap<(Chosen, usize), f64>,
    /// Aggregation, when the circuit has an aggregate registry.
    pub(crate) aggregate: Option<AggregateOffer>,
}

/// A decision and why.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Decision {
    /// The mode.
    pub(crate) chosen: Chosen,
    /// Its expected gas per proof.
    pub(crate) gas_per_proof: f64,
    /// Why, in words (logged).
    pub(crate) reason: String,
}

/// The mode with the lowest gas per proof among those that meet the latency bound; single
/// verification when nothing else is possible (it is never refused: a proof waits for no worker).
pub(crate) fn decide(o: &Options) -> Decision {
    let n = o.n.max(1);
    let per_proof = |mode: Chosen, fit: &Fit| o.measured.get(&(mode, n)).copied().unwrap_or_else(|| fit.gas(n)) / n as f64;
    let mut candidates: Vec<(Chosen, f64)> = vec![(Chosen::Single, per_proof(Chosen::Single, &o.single))];
    if let Some(fit) = &o.batch {
        candidates.push((Chosen::Batch, per_proof(Chosen::Batch, fit)));
    }
    let mut notes = Vec::new();
    match &o.aggregate {
        None => {}
        Some(a) if !a.alive => notes.push("no aggregate node alive".to_string()),
        Some(a) => {
            let gas = o.measured.get(&(Chosen::Aggregate, a.slots)).copied().unwrap_or(a.gas) / n.min(a.slots) as f64;
            match (a.prove_s, o.max_latency_s) {
                (Some(p), Some(bound)) if o.waited_s + p > bound => {
                    notes.push(format!("an aggregate takes {p:.0} s: past the {bound:.0} s bound for proofs that waited {:.0} s", o.waited_s))
                }
                (None, Some(bound)) => notes.push(format!("the aggregation time is not measured yet, and the bound is {bound:.0} s")),
                _ => candidates.push((Chosen::Aggregate, gas)),
            }
        }
    }
    let (chosen, gas_per_proof) = candidates.iter().copied().fold((Chosen::Single, f64::INFINITY), |best, c| if c.1 < best.1 { c } else { best });
    let others: Vec<String> = candidates.iter().filter(|c| c.0 != chosen).map(|(m, g)| format!("{} {g:.0}", m.as_str())).collect();
    let mut reason = format!("{:.0} gas per proof for {n}", gas_per_proof);
    if !others.is_empty() {
        reason += &format!(" (against {})", others.join(", "));
    }
    if !notes.is_empty() {
        reason += &format!("; not aggregate: {}", notes.join("; "));
    }
    Decision { chosen, gas_per_proof, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures of BENCHMARKS.md, rounded: single about 250k a proof, batch 232k + 61k a proof,
    /// an N = 8 aggregate about 500k a transaction, 10 minutes to prove.
    fn options(n: usize) -> Options {
        Options {
            n,
            waited_s: 5.0,
            max_latency_s: Some(900.0),
            single: Fit { fixed: 43_000.0, per_proof: 226_000.0 },
            batch: Some(Fit { fixed: 232_000.0, per_proof: 61_000.0 }),
            measured: HashMap::new(),
            aggregate: Some(AggregateOffer { slots: 8, gas: 500_000.0, prove_s: Some(600.0), alive: true }),
        }
    }

    #[test]
    fn each_branch_of_the_model() {
        // One proof: single beats batch (269k against 293k), and a padded aggregate pays for 8.
        let d = decide(&options(1));
        assert_eq!(d.chosen, Chosen::Single, "{d:?}");
        // Eight: the aggregate's 62.5k a proof beats the batch's 90k.
        let d = decide(&options(8));
        assert_eq!((d.chosen, d.gas_per_proof), (Chosen::Aggregate, 62_500.0), "{d:?}");
        // Two: batch (177k) beats single (247.5k) and a padded aggregate (250k).
        assert_eq!(decide(&options(2)).chosen, Chosen::Batch);
        // The bound: proofs that waited 400 s cannot wait 600 more under a 900 s bound.
        let d = decide(&Options { waited_s: 400.0, ..options(8) });
        assert_eq!(d.chosen, Chosen::Batch, "{d:?}");
        assert!(d.reason.contains("past the 900 s bound"), "{}", d.reason);
        // No bound: the time does not matter.
        assert_eq!(decide(&Options { waited_s: 400.0, max_latency_s: None, ..options(8) }).chosen, Chosen::Aggregate);
        // No aggregate node alive.
        let mut o = options(8);
        o.aggregate = o.aggregate.map(|a| AggregateOffer { alive: false, ..a });
        let d = decide(&o);
        assert_eq!(d.chosen, Chosen::Batch);
        assert!(d.reason.contains("no aggregate node alive"), "{}", d.reason);
        // Not measured yet, with a bound: not chosen; without one: chosen.
        let mut o = options(8);
        o.aggregate = o.aggregate.map(|a| AggregateOffer { prove_s: None, ..a });
        assert_eq!(decide(&o).chosen, Chosen::Batch);
        o.max_latency_s = None;
        assert_eq!(decide(&o).chosen, Chosen::Aggregate);
        // No batch verifier and no aggregate registry: single, whatever N.
        assert_eq!(decide(&Options { batch: None, aggregate: None, ..options(8) }).chosen, Chosen::Single);
        // A measured figure replaces the fit: batch at N = 8 measured at 400k (50k a proof)
        // beats the aggregate's 62.5k.
        let mut o = options(8);
        o.measured.insert((Chosen::Batch, 8), 400_000.0);
        assert_eq!(decide(&o).chosen, Chosen::Batch);
        // A measured aggregate (the last one's gas) replaces the configured figure.
        let mut o = options(8);
        o.measured.insert((Chosen::Aggregate, 8), 800_000.0);
        assert_eq!(decide(&o).chosen, Chosen::Batch, "100k a proof now");
    }
}
