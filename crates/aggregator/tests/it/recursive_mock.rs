//! The full aggregation circuit (pairing check included) under halo2's MockProver: satisfied by
//! valid batches, not satisfied by a bad proof, a swapped input or a proof of another statement.
//!
//! Each run builds 6.7 M (N = 1) or 8.4 M (N = 2) cells and takes 30–45 s with 3.4–4.4 GiB peak
//! on the project's 2-core machine (figures in docs/recursive-aggregation.md, "Status"), so they
//! run in CI, one at a time (a lock below: two at once would double the peak memory for no gain on
//! two cores). `make test-aggregation` runs only these, with their figures on stderr.
//! `ZKBATCH_AGG_K` overrides the number of rows (2^k; default 20).
//!
//! Every negative case keeps its points on their curves, so it fails at the circuit's last
//! constraint (the pairing product equal to 1), not at a debug assertion in witness generation.

use std::sync::Mutex;
use std::time::Instant;

use halo2_base::halo2_proofs::dev::MockProver;
use zkbatch_aggregator::recursive::circuit::{self, Stage};
use zkbatch_aggregator::recursive::padding::pad;
use zkbatch_aggregator::recursive::{check_native, AggregationInput};
use zkbatch_prover::{Fr, Proof, VerifyingKey};
use zkbatch_testing::keys::key_fixture;

fn k() -> usize {
    std::env::var("ZKBATCH_AGG_K").ok().and_then(|k| k.parse().ok()).unwrap_or(20)
}

fn batch(count: usize) -> (VerifyingKey, Vec<(Proof, Vec<Fr>)>) {
    let f = key_fixture(2);
    (f.prover.key().verifying_key().clone(), f.batch[..count].to_vec())
}

/// Builds the full circuit for `batch`, runs MockProver, reports the shape and times on stderr,
/// and returns whether it was satisfied.
fn satisfied(label: &str, vk: &VerifyingKey, batch: &[(Proof, Vec<Fr>)]) -> bool {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the others still run.
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let input = AggregationInput::new(vk, batch).expect("loadable batch");
    let k = k();
    let start = Instant::now();
    let (builder, params, _) = circuit::mock(&input, k, Stage::Full);
    let witness = start.elapsed();
    let stats = builder.statistics();
    let instances = circuit::instance_values(&builder);
    let start = Instant::now();
    let prover = MockProver::run(k as u32, &builder, instances).expect("MockProver runs");
    let run = start.elapsed();
    let start = Instant::now();
    // `verify`, as halo2-base's own tester uses: halo2-axiom's `verify_par` still runs the
    // "every queried cell assigned" check that `verify` turned off because halo2-lib's gates query
    // unassigned cells on purpose, so it reports millions of false failures here.
    let result = prover.verify();
    let verify = start.elapsed();
    eprintln!(
        "{label}: N = {}, k = {k}, advice cells {:?}, lookup cells {:?}, fixed {}, columns: advice {:?} lookup {:?} fixed {}; \
         witness {witness:.1?}, MockProver::run {run:.1?}, verify {verify:.1?}; satisfied: {}",
        batch.len(),
        stats.gate.total_advice_per_phase,
        stats.total_lookup_advice_per_phase,
        stats.gate.total_fixed,
        params.num_advice_per_phase,
        params.num_lookup_advice_per_phase,
        params.num_fixed,
        match &result {
            Ok(()) => "yes".to_string(),
            Err(failures) => format!("no ({} failures, first: {:?})", failures.len(), failures.first()),
        }
    );
    result.is_ok()
}

#[test]
fn one_valid_proof_satisfies() {
    let (vk, batch) = batch(1);
    assert!(satisfied("valid", &vk, &batch));
}

#[test]
fn two_valid_proofs_satisfy() {
    let (vk, batch) = batch(2);
    assert!(satisfied("valid", &vk, &batch));
}

/// Not in CI (45 s, 5.3 GiB peak at k = 20, for no case the others miss); `make test-aggregation`
/// runs it for the figures.
#[test]
#[ignore = "measurement: make test-aggregation"]
fn four_valid_proofs_satisfy() {
    let (vk, batch) = batch(4);
    assert!(satisfied("valid", &vk, &batch));
}

#[test]
fn a_negated_a_does_not_satisfy() {
    let (vk, mut batch) = batch(1);
    batch[0].0.a = -batch[0].0.a;
    assert_eq!(check_native(&vk, &batch), Ok(false));
    assert!(!satisfied("A negated", &vk, &batch));
}

#[test]
fn a_swapped_input_does_not_satisfy() {
    let (vk, mut batch) = batch(1);
    batch[0].1.swap(0, 1);
    assert_ne!(batch[0].1[0], batch[0].1[1]);
    assert!(!satisfied("inputs swapped", &vk, &batch));
}

#[test]
fn a_proof_of_another_statement_does_not_satisfy() {
    let (vk, mut batch) = batch(2);
    // Proof 0 with proof 1's inputs: a valid proof, of another statement.
    batch[0].1 = batch[1].1.clone();
    batch.truncate(1);
    assert!(!satisfied("another statement", &vk, &batch));
}

#[test]
fn an_abused_padded_slot_does_not_satisfy() {
    // One proof padded to two slots, the padded slot then replaced by a false proof: the case the
    // issue calls an abused pad, and a bad proof in a slot whose challenge rᵢ ≠ 1 (the scaled path).
    let (vk, batch) = batch(1);
    let mut padded = pad(&batch, 2).expect("fits");
    assert_eq!(check_native(&vk, &padded), Ok(true));
    padded[1].0.a = -padded[1].0.a;
    assert!(!satisfied("abused pad (A negated in slot 2)", &vk, &padded));
}
