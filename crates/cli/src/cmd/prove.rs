//! `zkbatch prove`: one input or a folder of them, with a built-in circuit's key (`--pk`) or a
//! circom circuit's snarkjs zkey (`--zkey`, with circom's `.wasm` and an input.json, or a `.wtns`).
//! Both go through one runner: the single proof, or the folder with a bounded pool of workers.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use zkbatch_prover::circom::{self, r1cs, wasm::WitnessCalculator, wtns, CircomProver};
use zkbatch_prover::circuits::CircuitSpec;
use zkbatch_prover::keys::KeyCache;
use zkbatch_prover::pool::{self, PoolConfig};
use zkbatch_prover::{snarkjs, Fr, Proof, ProofReport, Prover, ProvingKey};
use zkbatch_service::client::JobClient;

use crate::files::json_inputs;
use crate::output::{describe, Output};
use crate::opts::CacheOpts;

/// `zkbatch prove`'s arguments.
#[derive(Args)]
pub(crate) struct ProveArgs {
    /// The proving key written by `zkbatch setup`.
    #[arg(long, required_unless_present_any = ["zkey", "remote"])]
    pk: Option<PathBuf>,
    /// An input.json, or a folder of them.
    #[arg(long, required_unless_present = "wtns")]
    input: Option<PathBuf>,
    /// For one input: where to write proof.json.
    #[arg(long, default_value = "proof.json")]
    proof: PathBuf,
    /// For one input: where to write public.json.
    #[arg(long, default_value = "public.json")]
    public: PathBuf,
    /// For a folder of inputs: the folder for the proofs (created if missing).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Proofs proved at once (each proof also uses every core); at most this many are in memory.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    #[command(flatten)]
    circom: CircomArgs,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The `prove` flags for proving on a `zkbatch serve` node instead of here.
#[derive(Args, Debug, Clone, Default)]
struct RemoteArgs {
    /// A `zkbatch serve` node's URL: the inputs are posted there as jobs and the proofs fetched.
    #[arg(long, env = "ZKBATCH_REMOTE", conflicts_with_all = ["pk", "zkey", "wtns"], requires_all = ["circuit", "input"])]
    remote: Option<String>,
    /// With --remote: the circuit's id on the node (`zkbatch jobs URL` lists them).
    #[arg(long, requires = "remote")]
    circuit: Option<String>,
    /// With --remote: give up on a job after this many seconds.
    #[arg(long, requires = "remote", default_value_t = 600)]
    timeout_s: u64,
}

/// The `prove` flags for circom circuits (used with `--zkey` in place of `--pk`).
#[derive(Args, Debug, Clone, Default)]
struct CircomArgs {
    /// A snarkjs Groth16 proving key (.zkey), in place of --pk. Converted once, then cached.
    #[arg(long, conflicts_with = "pk")]
    zkey: Option<PathBuf>,
    /// circom's witness generator (the .wasm from `circom --wasm`), run on --input.
    #[arg(long, requires_all = ["zkey", "input"], conflicts_with = "wtns")]
    wasm: Option<PathBuf>,
    /// A witness file (.wtns), in place of --wasm and --input.
    #[arg(long, requires = "zkey", conflicts_with = "input")]
    wtns: Option<PathBuf>,
    /// The circuit's .r1cs: checks the witness against every constraint and names a broken one
    /// (without it, a proof that does not verify is refused instead).
    #[arg(long, requires = "zkey")]
    r1cs: Option<PathBuf>,
    #[command(flatten)]
    cache: CacheOpts,
    /// Convert the zkey on every run instead of caching it.
    #[arg(long, requires = "zkey", conflicts_with = "cache_dir")]
    no_cache: bool,
}

/// One proof with its public signals and timings.
type Proved = (Proof, Vec<Fr>, ProofReport);

pub(crate) fn run(out: &Output, args: ProveArgs) -> Result<()> {
    let targets = Targets { proof: &args.proof, public: &args.public, out_dir: args.out.as_deref(), jobs: args.jobs };
    if let (Some(url), Some(circuit), Some(input)) = (&args.remote.remote, &args.remote.circuit, &args.input) {
        return prove_remote(out, url, circuit, input, Duration::from_secs(args.remote.timeout_s), &targets);
    }
    match (&args.circom.zkey, &args.pk, &args.input) {
        (Some(zkey), _, _) => prove_circom(out, &args.circom, zkey, args.input.as_deref(), &targets),
        (None, Some(pk), Some(input)) => {
            let (prover, spec) = load_prover(pk)?;
            let prove = |path: &Path| -> Result<Proved> {
                let text = fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                let circuit = spec.from_input_json(&text).with_context(|| format!("{}", path.display()))?;
                prover.prove(circuit, &mut rand::thread_rng()).with_context(|| format!("{}", path.display()))
            };
            targets.prove(out, input, prover.engine().name(), None, prove)
        }
        _ => bail!("give --pk and --input, or --zkey with a witness"),
    }
}

fn load_prover(pk_path: &Path) -> Result<(Prover, CircuitSpec)> {
    let start = Instant::now();
    let key = ProvingKey::read(pk_path)?;
    let spec: CircuitSpec = key.circuit.parse().with_context(|| format!("{}: proving key for an unknown circuit", pk_path.display()))?;
    tracing::info!(pk = %pk_path.display(), circuit = %spec, ms = start.elapsed().as_secs_f64() * 1e3, "proving key loaded");
    Ok((Prover::new(Arc::new(key))?, spec))
}

/// `--zkey`: the witness from circom's .wasm run on input.json (a file or a folder), or a .wtns.
fn prove_circom(out: &Output, args: &CircomArgs, zkey: &Path, input: Option<&Path>, targets: &Targets) -> Result<()> {
    let (source, calc) = match (&args.wasm, &args.wtns, input) {
        (Some(wasm), None, Some(input)) => (input, Some(WitnessCalculator::from_file(wasm)?)),
        (None, Some(wtns), None) => (wtns.as_path(), None),
        (None, None, _) => bail!("--zkey needs a witness: --wasm c.wasm --input input.json, or --wtns w.wtns"),
        _ => bail!("give either --wasm with --input, or --wtns"),
    };
    if source.is_dir() && calc.is_none() {
        bail!("{} is a folder: proving a folder takes --wasm and input.json files", source.display());
    }
    let (prover, cached) = load_zkey(args, zkey)?;
    let prove = |path: &Path| -> Result<Proved> {
        let start = Instant::now();
        let z = match &calc {
            Some(calc) => calc.calculate_json(path)?,
            None => wtns::read(path)?,
        };
        let witness_time = start.elapsed();
        let (proof, public, mut report) = prover.prove(&z, path, &mut rand::thread_rng())?;
        report.witness = witness_time;
        report.total += witness_time;
        report.log(&path.display());
        Ok((proof, public, report))
    };
    targets.prove(out, source, prover.prover().engine().name(), Some(cached), prove)
}

/// Loads (or converts and caches) the zkey, attaching the .r1cs's C matrix when given.
fn load_zkey(args: &CircomArgs, zkey: &Path) -> Result<(CircomProver, bool)> {
    let start = Instant::now();
    let cache = if args.no_cache { None } else { args.cache.dir().map(KeyCache::new) };
    let (mut key, cached) = circom::cached_zkey(zkey, cache.as_ref())?;
    tracing::info!(zkey = %zkey.display(), cached, ms = start.elapsed().as_secs_f64() * 1e3, "proving key loaded");
    if let Some(path) = &args.r1cs {
        let circuit = r1cs::read(path)?;
        circom::attach_r1cs(&mut key, &circuit, path, zkey)?;
    }
    let prover = Prover::new(Arc::new(key)).with_context(|| format!("{}", zkey.display()))?;
    Ok((CircomProver::new(prover, zkey), cached))
}

/// `--remote`: each input posted to a `zkbatch serve` node as a job, its proof fetched; `--jobs`
/// inputs in flight at once.
fn prove_remote(out: &Output, url: &str, circuit: &str, input: &Path, limit: Duration, targets: &Targets) -> Result<()> {
    let client = JobClient::new(url)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let prove = |path: &Path| -> Result<Proved> {
        let text = fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let input: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
        let job = runtime.block_on(client.prove(circuit, &input, limit)).with_context(|| format!("{} on {url}", path.display()))?;
        let id = job["id"].as_str().unwrap_or("?");
        if job["status"] != "proved" {
            bail!("{}: job {id} failed: {}", path.display(), job["error"].as_str().unwrap_or("no reason given"));
        }
        let proof: snarkjs::ProofJson = serde_json::from_value(job["proof"].clone()).with_context(|| format!("job {id}: proof"))?;
        let public: Vec<String> = serde_json::from_value(job["public"].clone()).with_context(|| format!("job {id}: public"))?;
        let ms = |name: &str| Duration::from_secs_f64(job["report"][name].as_f64().unwrap_or(0.0) / 1e3);
        let report = ProofReport {
            engine: "remote",
            constraints: 0,
            witness: ms("witness"),
            qap: ms("qap"),
            msm_a: ms("msm_a"),
            msm_b_g1: ms("msm_b_g1"),
            msm_b_g2: ms("msm_b_g2"),
            msm_h: ms("msm_h"),
            msm_l: ms("msm_l"),
            total: ms("total"),
        };
        Ok((proof.to_proof()?, snarkjs::public_from_json(&public)?, report))
    };
    targets.prove(out, input, "remote", None, prove)
}

/// Where proofs go: one input's proof.json and public.json, or a folder's NAME.proof.json and
/// NAME.public.json in `out_dir`, `jobs` at a time.
struct Targets<'a> {
    proof: &'a Path,
    public: &'a Path,
    out_dir: Option<&'a Path>,
    jobs: usize,
}

impl Targets<'_> {
    /// Proves `source` (a file, or a folder of `*.json`) with `prove`; `key_cached` (for a
    /// converted zkey: whether it came from the cache) is reported when known.
    fn prove(&self, out: &Output, source: &Path, engine: &str, key_cached: Option<bool>, prove: impl Fn(&Path) -> Result<Proved> + Sync) -> Result<()> {
        if !source.is_dir() {
            let (proof, public, report) = prove(source)?;
            snarkjs::write_proof(self.proof, &proof)?;
            snarkjs::write_public(self.public, &public)?;
            let cached = match key_cached {
                Some(true) => "; key from the cache",
                Some(false) => "; key converted from the zkey",
                None => "",
            };
            out.say(format!(
                "proved {} in {:.2?} (witness {:.2?}, qap {:.2?}, msm {:.2?}; engine {}{cached})\n  {}\n  {}",
                source.display(),
                report.total,
                report.witness,
                report.qap,
                report.msm(),
                report.engine,
                self.proof.display(),
                self.public.display()
            ));
            out.result(with_key_cached(json!({ "ok": true, "proof": self.proof, "public": self.public, "report": report }), key_cached));
            return Ok(());
        }
        let Some(out_dir) = self.out_dir else { bail!("{} is a folder: give --out for the proofs", source.display()) };
        fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
        let inputs = json_inputs(source)?;
        let bar = out.progress(inputs.len() as u64, "proving");
        let start = Instant::now();
        let mut totals = ProofReport::default();
        let (mut failures, mut written) = (Vec::new(), Vec::new());
        let config = PoolConfig::new(self.jobs);
        let names = inputs.clone();
        let stats = pool::run(config, inputs, |path| prove(&path), |result| {
            let input = &names[result.index];
            let name = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let saved = result.outcome.and_then(|(proof, public, report)| {
                let proof_file = out_dir.join(format!("{name}.proof.json"));
                snarkjs::write_proof(&proof_file, &proof)?;
                snarkjs::write_public(&out_dir.join(format!("{name}.public.json")), &public)?;
                Ok((proof_file, report))
            });
            match saved {
                Ok((file, report)) => {
                    totals.accumulate(&report);
                    written.push(json!({ "input": input, "proof": file, "report": report }));
                }
                Err(err) => {
                    bar.suspend(|| if !out.is_json() { eprintln!("error: {}", describe(&err)) });
                    failures.push(json!({ "input": input, "error": describe(&err) }));
                }
            }
            bar.inc(1);
        });
        bar.finish_and_clear();
        let elapsed = start.elapsed();
        let n = stats.completed.max(1) as u32;
        let rate = stats.completed as f64 / elapsed.as_secs_f64();
        out.say(format!(
            "proved {} of {} inputs in {elapsed:.2?}: {rate:.2} proofs/s with {} jobs (engine {engine})\n  \
             per proof: witness {:.2?}, qap {:.2?}, msm {:.2?}, total {:.2?}\n  proofs in {}",
            stats.completed,
            stats.completed + stats.failed,
            config.workers,
            totals.witness / n,
            totals.qap / n,
            totals.msm() / n,
            totals.total / n,
            out_dir.display()
        ));
        out.result(with_key_cached(
            json!({
                "ok": stats.failed == 0, "completed": stats.completed, "failed": stats.failed,
                "seconds": elapsed.as_secs_f64(), "proofs_per_second": rate, "jobs": config.workers,
                "peak_in_flight": stats.peak_in_flight, "proofs": written, "failures": failures,
            }),
            key_cached,
        ));
        if stats.failed > 0 {
            bail!("{} of {} inputs failed", stats.failed, stats.completed + stats.failed);
        }
        Ok(())
    }
}

/// `result` with its `key_cached` field where there is one.
fn with_key_cached(mut result: Value, key_cached: Option<bool>) -> Value {
    if let (Some(cached), Value::Object(fields)) = (key_cached, &mut result) {
        fields.insert("key_cached".into(), cached.into());
    }
    result
}
