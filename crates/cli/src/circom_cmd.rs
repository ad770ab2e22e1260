//! `zkbatch prove --zkey`: circom circuits from the files circom and snarkjs users already have —
//! a snarkjs `.zkey`, and either circom's `.wasm` witness generator with an `input.json` (as
//! `snarkjs wtns calculate` takes) or a `.wtns` witness.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use zkbatch_prover::circom::{self, r1cs, wasm::WitnessCalculator, wtns, CircomProver};
use zkbatch_prover::keys::KeyCache;
use zkbatch_prover::pool::{self, PoolConfig};
use zkbatch_prover::{snarkjs, Fr, Proof, ProofReport, Prover};

/// The `prove` flags for circom circuits (used with `--zkey` in place of `--pk`).
#[derive(Args, Debug, Clone, Default)]
pub struct CircomArgs {
    /// A snarkjs Groth16 proving key (.zkey), in place of --pk. Converted once, then cached.
    #[arg(long, conflicts_with = "pk")]
    pub zkey: Option<PathBuf>,
    /// circom's witness generator (the .wasm from `circom --wasm`), run on --input.
    #[arg(long, requires_all = ["zkey", "input"], conflicts_with = "wtns")]
    pub wasm: Option<PathBuf>,
    /// A witness file (.wtns), in place of --wasm and --input.
    #[arg(long, requires = "zkey", conflicts_with = "input")]
    pub wtns: Option<PathBuf>,
    /// The circuit's .r1cs: checks the witness against every constraint and names a broken one
    /// (without it, a proof that does not verify is refused instead).
    #[arg(long, requires = "zkey")]
    pub r1cs: Option<PathBuf>,
    /// Where converted zkeys are cached [default: $XDG_CACHE_HOME/zkbatch or ~/.cache/zkbatch].
    #[arg(long, env = "ZKBATCH_CACHE_DIR", requires = "zkey")]
    pub cache_dir: Option<PathBuf>,
    /// Convert the zkey on every run instead of caching it.
    #[arg(long, requires = "zkey", conflicts_with = "cache_dir")]
    pub no_cache: bool,
}

impl CircomArgs {
    pub fn is_circom(&self) -> bool {
        self.zkey.is_some()
    }
}

/// Loads (or converts and caches) the zkey, attaching the .r1cs's C matrix when given.
fn load(args: &CircomArgs, zkey: &Path) -> Result<(CircomProver, bool)> {
    let start = Instant::now();
    let cache = if args.no_cache { None } else { args.cache_dir.clone().or_else(KeyCache::default_dir).map(KeyCache::new) };
    let (mut key, cached) = circom::cached_zkey(zkey, cache.as_ref())?;
    tracing::info!(zkey = %zkey.display(), cached, ms = start.elapsed().as_secs_f64() * 1e3, "proving key loaded");
    if let Some(path) = &args.r1cs {
        let circuit = r1cs::read(path)?;
        circom::attach_r1cs(&mut key, &circuit, path, zkey)?;
    }
    let prover = Prover::new(Arc::new(key)).with_context(|| format!("{}", zkey.display()))?;
    Ok((CircomProver::new(prover, zkey), cached))
}

/// One witness: computed by the generator from an input.json, or read from a .wtns.
fn witness(calc: Option<&WitnessCalculator>, source: &Path) -> Result<Vec<Fr>> {
    Ok(match calc {
        Some(calc) => calc.calculate_json(source)?,
        None => wtns::read(source)?,
    })
}

fn prove_one(prover: &CircomProver, calc: Option<&WitnessCalculator>, source: &Path) -> Result<(Proof, Vec<Fr>, ProofReport)> {
    let start = Instant::now();
    let z = witness(calc, source)?;
    let witness_time = start.elapsed();
    let (proof, public, mut report) = prover.prove(&z, source, &mut rand::thread_rng())?;
    report.witness = witness_time;
    report.total += witness_time;
    tracing::info!(
        input = %source.display(),
        total_ms = report.total.as_secs_f64() * 1e3,
        witness_ms = report.witness.as_secs_f64() * 1e3,
        qap_ms = report.qap.as_secs_f64() * 1e3,
        msm_ms = report.msm().as_secs_f64() * 1e3,
        "proof done"
    );
    Ok((proof, public, report))
}

/// `zkbatch prove --zkey …`: one input.json or .wtns, or a folder of input.json files.
pub fn prove(
    out: &crate::Output,
    args: &CircomArgs,
    input: Option<&Path>,
    proof_path: &Path,
    public_path: &Path,
    out_dir: Option<&Path>,
    jobs: usize,
) -> Result<()> {
    let Some(zkey) = args.zkey.as_deref() else { bail!("give --zkey") };
    let (source, calc) = match (&args.wasm, &args.wtns, input) {
        (Some(wasm), None, Some(input)) => (input, Some(WitnessCalculator::from_file(wasm)?)),
        (None, Some(wtns), None) => (wtns.as_path(), None),
        (None, None, _) => bail!("--zkey needs a witness: --wasm c.wasm --input input.json, or --wtns w.wtns"),
        _ => bail!("give either --wasm with --input, or --wtns"),
    };
    let (prover, cached) = load(args, zkey)?;

    if !source.is_dir() {
        let (proof, public, report) = prove_one(&prover, calc.as_ref(), source)?;
        snarkjs::write_proof(proof_path, &proof)?;
        snarkjs::write_public(public_path, &public)?;
        out.say(format!(
            "proved {} in {:.2?} (witness {:.2?}, qap {:.2?}, msm {:.2?}; engine {}; key {})\n  {}\n  {}",
            source.display(),
            report.total,
            report.witness,
            report.qap,
            report.msm(),
            report.engine,
            if cached { "from the cache" } else { "converted from the zkey" },
            proof_path.display(),
            public_path.display()
        ));
        out.result(json!({ "ok": true, "proof": proof_path, "public": public_path, "key_cached": cached,
            "report": serde_json::to_value(&report)? }));
        return Ok(());
    }

    let Some(calc) = calc else { bail!("{} is a folder: proving a folder takes --wasm and input.json files", source.display()) };
    let Some(out_dir) = out_dir else { bail!("{} is a folder: give --out for the proofs", source.display()) };
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut inputs: Vec<PathBuf> = fs::read_dir(source)
        .with_context(|| format!("cannot read {}", source.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    inputs.sort();
    if inputs.is_empty() {
        bail!("{} holds no *.json inputs", source.display());
    }
    let bar = out.progress(inputs.len() as u64, "proving");
    let start = Instant::now();
    let mut totals = ProofReport::default();
    let mut failures = Vec::new();
    let mut written = Vec::new();
    let config = PoolConfig::new(jobs);
    let names = inputs.clone();
    let stats = pool::run(config, inputs, |path| prove_one(&prover, Some(&calc), &path), |result| {
        let name = names[result.index].file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let saved = result.outcome.and_then(|(proof, public, report)| {
            let proof_file = out_dir.join(format!("{name}.proof.json"));
            snarkjs::write_proof(&proof_file, &proof)?;
            snarkjs::write_public(&out_dir.join(format!("{name}.public.json")), &public)?;
            Ok((proof_file, report))
        });
        match saved {
            Ok((file, report)) => {
                totals.accumulate(&report);
                written.push(json!({ "input": names[result.index], "proof": file }));
            }
            Err(err) => {
                bar.suspend(|| if !out.is_json() { eprintln!("error: {err:#}") });
                failures.push(json!({ "input": names[result.index], "error": format!("{err:#}") }));
            }
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    let elapsed = start.elapsed();
    let n = stats.completed.max(1) as u32;
    out.say(format!(
        "proved {} of {} inputs in {:.2?}: {:.2} proofs/s with {} jobs\n  per proof: witness {:.2?}, qap {:.2?}, msm {:.2?}, total {:.2?}\n  proofs in {}",
        stats.completed,
        stats.completed + stats.failed,
        elapsed,
        stats.completed as f64 / elapsed.as_secs_f64(),
        config.workers,
        totals.witness / n,
        totals.qap / n,
        totals.msm() / n,
        totals.total / n,
        out_dir.display()
    ));
    out.result(json!({ "ok": stats.failed == 0, "completed": stats.completed, "failed": stats.failed, "key_cached": cached,
        "seconds": elapsed.as_secs_f64(), "proofs": written, "failures": failures }));
    if stats.failed > 0 {
        bail!("{} of {} inputs failed", stats.failed, stats.completed + stats.failed);
    }
    Ok(())
}
