//! circom circuits: zkbatch's prover against plain ark-groth16 with the circom reduction, on the same
//! snarkjs zkey and witness, side by side in one process; run by `make bench-circom`
//! (scripts/bench-circom.sh), which adds snarkjs's figures and prints the table.
//!
//!     cargo bench -p zkbatch-prover --bench circom -- NAME ZKEY WTNS RUNS [WASM INPUT] [NAME …]
//!
//! For each circuit: converting the zkey, loading the converted key from the cache format,
//! computing the witness with the .wasm (when given), then RUNS proofs each of zkbatch's
//! `Prover::prove_assignment`, `CircomProver::prove` (the same plus the proof's self-check, what
//! `zkbatch prove --zkey` runs) and `Groth16::<Bn254, CircomReduction>::create_proof_with_reduction_and_matrices`,
//! interleaved so that the machine's noise falls on all three alike. Prints one JSON line per
//! circuit (medians in ms), prefixed `RESULT `.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_bn254::Bn254;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_prover::circom::{wasm::WitnessCalculator, wtns, zkey, CircomProver};
use zkbatch_prover::CircomReduction;
use zkbatch_prover::{Fr, Prover, ProvingKey};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let v = f();
    (v, ms(start.elapsed()))
}

struct Case {
    name: String,
    zkey: PathBuf,
    wtns: PathBuf,
    runs: usize,
    wasm: Option<(PathBuf, PathBuf)>,
}

fn parse_args() -> Vec<Case> {
    // cargo passes --bench (and criterion-style flags) through; the cases are the rest.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let mut cases = Vec::new();
    let mut i = 0;
    while i + 3 < args.len() {
        let runs = args[i + 3].parse().expect("RUNS is a number");
        let wasm = match args.get(i + 4) {
            Some(w) if w.ends_with(".wasm") => Some((PathBuf::from(w), PathBuf::from(args.get(i + 5).expect("INPUT after WASM")))),
            _ => None,
        };
        cases.push(Case { name: args[i].clone(), zkey: args[i + 1].clone().into(), wtns: args[i + 2].clone().into(), runs, wasm: wasm.clone() });
        i += if wasm.is_some() { 6 } else { 4 };
    }
    cases
}

fn bench(case: &Case) -> serde_json::Value {
    let bytes = std::fs::read(&case.zkey).expect("read zkey");
    let (key, convert_ms) = timed(|| zkey::from_bytes(&bytes, &case.zkey).expect("convert zkey"));
    let pk_bytes = key.to_bytes().expect("encode key");
    let (key, load_ms) = timed(|| ProvingKey::from_bytes(&pk_bytes, Path::new("cached.pk")).expect("load key"));
    let z = wtns::read(&case.wtns).expect("read wtns");

    let witness_ms = case.wasm.as_ref().map(|(wasm, input)| {
        let calc = WitnessCalculator::from_file(wasm).expect("compile wasm");
        let runs: Vec<f64> = (0..3)
            .map(|_| {
                let (w, t) = timed(|| calc.calculate_json(input).expect("witness"));
                assert_eq!(w, z, "the .wasm's witness differs from the .wtns");
                t
            })
            .collect();
        median(runs)
    });

    let constraints = key.r1cs.num_constraints();
    let (prover, prepare_ms) = timed(|| Prover::new(Arc::new(key.clone())).expect("prover"));
    let engine = prover.engine().name();
    let circom_prover = CircomProver::new(Prover::new(Arc::new(key.clone())).expect("prover"), &case.zkey);
    let matrices = [key.r1cs.a.clone(), key.r1cs.b.clone()];
    let mut rng = StdRng::seed_from_u64(7);

    let (mut ours, mut checked, mut ark) = (Vec::new(), Vec::new(), Vec::new());
    let (mut qap, mut msm) = (Vec::new(), Vec::new());
    // One warm-up round, untimed (page faults, rayon's threads).
    for round in 0..=case.runs {
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let ((proof, report), t_ours) = timed(|| prover.prove_assignment(&z, r, s).expect("zkbatch proof"));
        let (theirs, t_ark) = timed(|| {
            Groth16::<Bn254, CircomReduction>::create_proof_with_reduction_and_matrices(
                &key.groth16,
                r,
                s,
                &matrices,
                key.r1cs.num_instance,
                constraints,
                &z,
            )
            .expect("ark-groth16 proof")
        });
        assert_eq!(proof, theirs, "zkbatch and ark-groth16 disagree");
        let (_, t_checked) = timed(|| circom_prover.prove(&z, &case.wtns, &mut rng).expect("checked proof"));
        if round > 0 {
            ours.push(t_ours);
            ark.push(t_ark);
            checked.push(t_checked);
            qap.push(ms(report.qap));
            msm.push(ms(report.msm()));
        }
    }
    serde_json::json!({
        "circuit": case.name, "constraints": constraints, "engine": engine, "runs": case.runs,
        "zkbatch_ms": median(ours), "zkbatch_checked_ms": median(checked), "ark_ms": median(ark),
        "qap_ms": median(qap), "msm_ms": median(msm),
        "convert_ms": convert_ms, "cached_load_ms": load_ms, "prepare_ms": prepare_ms, "witness_wasm_ms": witness_ms,
    })
}

fn main() {
    let cases = parse_args();
    if cases.is_empty() {
        eprintln!("usage: cargo bench -p zkbatch-prover --bench circom -- NAME ZKEY WTNS RUNS [WASM INPUT] …");
        eprintln!("(make bench-circom sets up the circuits and runs this with snarkjs beside it)");
        return;
    }
    for case in &cases {
        let result = bench(case);
        eprintln!(
            "{}: zkbatch {:.1} ms (with self-check {:.1} ms), ark-groth16 {:.1} ms; convert {:.0} ms, cached load {:.0} ms",
            case.name, result["zkbatch_ms"].as_f64().unwrap_or(0.0), result["zkbatch_checked_ms"].as_f64().unwrap_or(0.0),
            result["ark_ms"].as_f64().unwrap_or(0.0), result["convert_ms"].as_f64().unwrap_or(0.0), result["cached_load_ms"].as_f64().unwrap_or(0.0)
        );
        println!("RESULT {result}");
    }
}
