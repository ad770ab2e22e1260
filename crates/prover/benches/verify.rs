//! What a pairing check costs, one proof alone (ours, and ark-groth16's as the baseline) against a
//! batch of b proofs in one random-linear-combination check, side by side in one run, on one
//! thread (the relayer's intake runs each check on one thread of its pool):
//!
//!     cargo bench -p zkbatch-prover --bench verify
//!
//! squares-2 proofs (2 public inputs, as the relayer's load benchmark posts). Ends with a table
//! of milliseconds per check and per proof, from criterion's own estimates; the relayer's batch
//! sizing (`batch_cap` in crates/relayer/src/verifier.rs) is modelled on these costs. A "part" is
//! a check of some of a batch's proofs after the batch was checked once, as bisection makes them
//! ([`zkbatch_prover::verify::Batch`]: each proof's share of the work is not done again).

use std::path::PathBuf;
use std::sync::Arc;

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{BenchmarkId, Criterion};
use zkbatch_prover::circuits::SquaresCircuit;
use zkbatch_prover::verify::PreparedKey;
use zkbatch_prover::{Fr, Proof, Prover, ProvingKey};

const SIZES: [usize; 6] = [1, 2, 4, 8, 16, 64];
const PARTS: [usize; 5] = [1, 2, 4, 8, 16];

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    let key = ProvingKey::setup("squares-2", SquaresCircuit { inputs: 2, roots: None }, &mut rng).expect("setup");
    let prover = Prover::new(Arc::new(key)).expect("prover");
    let proofs: Vec<(Proof, Vec<Fr>)> = (0..64)
        .map(|_| {
            let (proof, public, _) = prover.prove(SquaresCircuit::random(2, &mut rng), &mut rng).expect("prove");
            (proof, public)
        })
        .collect();
    let key = PreparedKey::new(prover.key().verifying_key());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a thread");
    // Each check inside a one-thread pool (both sides pay its microsecond).
    let mut group = c.benchmark_group("verify");
    group.bench_function(BenchmarkId::new("alone", 1), |b| b.iter(|| pool.install(|| key.verify(&proofs[0].0, &proofs[0].1).expect("valid"))));
    // The baseline: ark-groth16's own check of one proof, with its own prepared key.
    let pvk = ark_groth16::prepare_verifying_key(prover.key().verifying_key());
    group.bench_function(BenchmarkId::new("arkworks", 1), |b| b.iter(|| pool.install(|| assert!(Groth16::<Bn254>::verify_proof(&pvk, &proofs[0].0, &proofs[0].1).expect("inputs")))));
    for n in SIZES {
        let batch: Vec<(&Proof, &[Fr])> = proofs[..n].iter().map(|(p, x)| (p, x.as_slice())).collect();
        group.bench_function(BenchmarkId::new("batch", n), |b| b.iter(|| pool.install(|| assert!(key.verify_batch(&batch, &mut rand::rngs::OsRng)))));
    }
    // A part of a batch of 64 already checked once: what each check of a bisection costs.
    let all: Vec<(&Proof, &[Fr])> = proofs.iter().map(|(p, x)| (p, x.as_slice())).collect();
    let mut checked = key.batch(&all, &mut rand::rngs::OsRng);
    assert!(pool.install(|| checked.holds(0..2)));
    for n in PARTS {
        group.bench_function(BenchmarkId::new("part", n), |b| b.iter(|| pool.install(|| assert!(checked.holds(0..n)))));
    }
    group.finish();
}

/// Criterion's mean estimate (ns) for one benchmark.
fn mean_ns(group: &str, function: &str, size: usize) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let path = dir.join("criterion").join(group).join(function).join(size.to_string()).join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    let Some(alone) = mean_ns("verify", "alone", 1) else { return };
    println!("\n| proofs | ms per check | ms per proof | per proof against alone |");
    println!("|---|---|---|---|");
    if let Some(t) = mean_ns("verify", "arkworks", 1) {
        println!("| 1 alone, ark-groth16's check (baseline) | {:.3} | {:.3} | {:.2} |", t / 1e6, t / 1e6, t / alone);
    }
    println!("| 1 alone | {:.3} | {:.3} | 1.00 |", alone / 1e6, alone / 1e6);
    for n in SIZES {
        if let Some(t) = mean_ns("verify", "batch", n) {
            println!("| {n} in a batch | {:.3} | {:.3} | {:.2} |", t / 1e6, t / 1e6 / n as f64, t / n as f64 / alone);
        }
    }
    for n in PARTS {
        if let Some(t) = mean_ns("verify", "part", n) {
            println!("| {n} in a part of a batch checked before | {:.3} | {:.3} | {:.2} |", t / 1e6, t / 1e6 / n as f64, t / n as f64 / alone);
        }
    }
}
