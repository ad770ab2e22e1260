//! Proving time, our pipeline against plain `ark_groth16::Groth16::create_proof_with_reduction`,
//! on the same key, witness and randomness, side by side in one run:
//!
//!     cargo bench -p zkbatch-prover --bench prove
//!
//! Circuits: the depth-20 Poseidon Merkle circuit (5,361 constraints) and a depth-265 one
//! (65,386 constraints, the largest that fits a 2^16 evaluation domain). Provers: zkbatch with its
//! default MSM engine and, where that engine uses AVX-512 IFMA, zkbatch with the same engine on
//! scalar arithmetic (`zkbatch-scalar`), and ark-groth16. Ends with a table of the ratios (ours /
//! ark-groth16; below 1.0 is faster), read from criterion's own estimates.

use std::path::PathBuf;
use std::sync::Arc;

use ark_bn254::Bn254;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{BenchmarkId, Criterion};
use zkbatch_prover::circuits::{MerkleCircuit, MerkleWitness};
use zkbatch_prover::msm::CpuMsm;
use zkbatch_prover::{Fr, Prover, ProvingKey};

const DEPTHS: [usize; 2] = [20, 265];

fn bench(c: &mut Criterion) {
    for depth in DEPTHS {
        let mut rng = StdRng::seed_from_u64(depth as u64);
        let key = ProvingKey::setup("bench", MerkleCircuit::blank(depth), &mut rng).expect("setup");
        let constraints = key.r1cs.num_constraints();
        let key = Arc::new(key);
        let prover = Prover::new(key.clone()).expect("prover");
        println!("merkle-{depth}: {constraints} constraints, MSM engine {}", prover.engine().name());
        let scalar = CpuMsm::default().uses_ifma().then(|| {
            let scalar = Prover::with_engine(key, Box::new(CpuMsm::default().scalar_arithmetic())).expect("prover");
            println!("merkle-{depth}: zkbatch-scalar's MSM engine {}", scalar.engine().name());
            scalar
        });
        let circuit = MerkleCircuit::new(MerkleWitness::random(depth, &mut rng));
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));

        let mut group = c.benchmark_group(format!("prove-merkle-{depth}"));
        group.sample_size(10);
        group.bench_function(BenchmarkId::new("zkbatch", constraints), |b| {
            b.iter(|| prover.prove_with_randomness(circuit.clone(), r, s).expect("prove"))
        });
        if let Some(scalar) = &scalar {
            group.bench_function(BenchmarkId::new("zkbatch-scalar", constraints), |b| {
                b.iter(|| scalar.prove_with_randomness(circuit.clone(), r, s).expect("prove"))
            });
        }
        group.bench_function(BenchmarkId::new("ark-groth16", constraints), |b| {
            b.iter(|| {
                Groth16::<Bn254>::create_proof_with_reduction(circuit.clone(), &prover.key().groth16, r, s).expect("prove")
            })
        });
        group.finish();
    }
}

/// Where criterion writes its results: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else
/// the workspace's `target/criterion` (criterion's own order).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(target) => PathBuf::from(target).join("criterion"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion"),
    }
}

/// criterion's point estimate of the mean, in seconds.
fn mean_seconds(group: &str, function: &str) -> Option<(f64, String)> {
    let dir = criterion_dir().join(group).join(function);
    let param = std::fs::read_dir(&dir).ok()?.filter_map(|e| e.ok()).find(|e| e.path().join("new/estimates.json").exists())?;
    let text = std::fs::read_to_string(param.path().join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some((v["mean"]["point_estimate"].as_f64()? / 1e9, param.file_name().to_string_lossy().into_owned()))
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
    println!("\n| circuit | constraints | prover | time | ark-groth16 | ratio (prover / ark) |\n|---|---|---|---|---|---|");
    for depth in DEPTHS {
        let group = format!("prove-merkle-{depth}");
        let Some((theirs, n)) = mean_seconds(&group, "ark-groth16") else { continue };
        for prover in ["zkbatch", "zkbatch-scalar"] {
            if let Some((ours, _)) = mean_seconds(&group, prover) {
                println!("| merkle-{depth} | {n} | {prover} | {:.1} ms | {:.1} ms | {:.2} |", ours * 1e3, theirs * 1e3, ours / theirs);
            }
        }
    }
}
