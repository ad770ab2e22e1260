//! The subcommands. Library errors already say what is wrong; here they get the file they concern.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;
use zkbatch_prover::circuits::CircuitSpec;
use zkbatch_prover::pool::{self, PoolConfig};
use zkbatch_prover::{snarkjs, verify, Fr, Proof, ProofReport, Prover, ProvingKey};

pub fn setup(out: &crate::Output, circuit: &str, pk_path: &Path, vk_path: &Path) -> Result<()> {
    let spec: CircuitSpec = circuit.parse()?;
    let start = Instant::now();
    let key = ProvingKey::setup(&spec.to_string(), spec.blank(), &mut StdRng::from_entropy())?;
    key.write(pk_path)?;
    snarkjs::write_verifying_key(vk_path, key.verifying_key())?;
    let constraints = key.r1cs.num_constraints();
    out.say(format!(
        "set up {spec}: {constraints} constraints, {} public inputs, in {:.2?}\n  proving key   {}\n  verifying key {}",
        key.r1cs.num_public(),
        start.elapsed(),
        pk_path.display(),
        vk_path.display()
    ));
    out.result(json!({ "ok": true, "circuit": spec.to_string(), "constraints": constraints,
        "public_inputs": key.r1cs.num_public(), "pk": pk_path, "vk": vk_path }));
    Ok(())
}

pub fn inputs(out: &crate::Output, circuit: &str, count: usize, dir: &Path, seed: Option<u64>) -> Result<()> {
    let spec: CircuitSpec = circuit.parse()?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut rng = seed.map(StdRng::seed_from_u64).unwrap_or_else(StdRng::from_entropy);
    let mut files = Vec::with_capacity(count);
    for i in 0..count {
        let path = dir.join(format!("input-{i:03}.json"));
        fs::write(&path, spec.random_input_json(&mut rng) + "\n").with_context(|| format!("cannot write {}", path.display()))?;
        files.push(path);
    }
    out.say(format!("wrote {count} {spec} inputs to {}", dir.display()));
    out.result(json!({ "ok": true, "circuit": spec.to_string(), "files": files }));
    Ok(())
}

fn load_prover(pk_path: &Path) -> Result<(Prover, CircuitSpec)> {
    let start = Instant::now();
    let key = ProvingKey::read(pk_path)?;
    let spec: CircuitSpec = key.circuit.parse().with_context(|| format!("{}: proving key for an unknown circuit", pk_path.display()))?;
    tracing::info!(pk = %pk_path.display(), circuit = %spec, ms = start.elapsed().as_secs_f64() * 1e3, "proving key loaded");
    Ok((Prover::new(Arc::new(key))?, spec))
}

fn prove_file(prover: &Prover, spec: &CircuitSpec, input: &Path) -> Result<(Proof, Vec<Fr>, ProofReport)> {
    let text = fs::read_to_string(input).with_context(|| format!("cannot read {}", input.display()))?;
    let circuit = spec.from_input_json(&text).with_context(|| format!("{}", input.display()))?;
    prover.prove(circuit, &mut rand::thread_rng()).with_context(|| format!("{}", input.display()))
}

fn report_json(r: &ProofReport) -> serde_json::Value {
    serde_json::to_value(r).expect("report serialises")
}

pub fn prove(
    out: &crate::Output,
    pk_path: &Path,
    input: &Path,
    proof_path: &Path,
    public_path: &Path,
    out_dir: Option<&Path>,
    jobs: usize,
) -> Result<()> {
    let (prover, spec) = load_prover(pk_path)?;
    if !input.is_dir() {
        let (proof, public, report) = prove_file(&prover, &spec, input)?;
        snarkjs::write_proof(proof_path, &proof)?;
        snarkjs::write_public(public_path, &public)?;
        out.say(format!(
            "proved {} in {:.2?} (witness {:.2?}, qap {:.2?}, msm {:.2?}; engine {})\n  {}\n  {}",
            input.display(), report.total, report.witness, report.qap, report.msm(), report.engine,
            proof_path.display(), public_path.display()
        ));
        out.result(json!({ "ok": true, "proof": proof_path, "public": public_path, "report": report_json(&report) }));
        return Ok(());
    }

    let Some(out_dir) = out_dir else { bail!("{} is a folder: give --out for the proofs", input.display()) };
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut inputs: Vec<PathBuf> = fs::read_dir(input)
        .with_context(|| format!("cannot read {}", input.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    inputs.sort();
    if inputs.is_empty() {
        bail!("{} holds no *.json inputs", input.display());
    }
    let bar = out.progress(inputs.len() as u64, "proving");
    let start = Instant::now();
    let mut totals = ProofReport::default();
    let mut failures = Vec::new();
    let mut written = Vec::new();
    let config = PoolConfig::new(jobs);
    let names: Vec<PathBuf> = inputs.clone();
    let stats = pool::run(config, inputs, |path| prove_file(&prover, &spec, &path), |result| {
        let name = names[result.index].file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let saved = result.outcome.and_then(|(proof, public, report)| {
            let proof_file = out_dir.join(format!("{name}.proof.json"));
            let public_file = out_dir.join(format!("{name}.public.json"));
            snarkjs::write_proof(&proof_file, &proof)?;
            snarkjs::write_public(&public_file, &public)?;
            Ok((proof_file, report))
        });
        match saved {
            Ok((file, report)) => {
                totals.accumulate(&report);
                written.push(json!({ "input": names[result.index], "proof": file, "report": report_json(&report) }));
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
        "proved {} of {} inputs in {:.2?}: {:.2} proofs/s with {} jobs (engine {})\n  \
         per proof: witness {:.2?}, qap {:.2?}, msm {:.2?}, total {:.2?}\n  proofs in {}",
        stats.completed, stats.completed + stats.failed, elapsed,
        stats.completed as f64 / elapsed.as_secs_f64(), config.workers, prover.engine().name(),
        totals.witness / n, totals.qap / n, totals.msm() / n, totals.total / n, out_dir.display()
    ));
    out.result(json!({
        "ok": stats.failed == 0, "completed": stats.completed, "failed": stats.failed,
        "seconds": elapsed.as_secs_f64(), "proofs_per_second": stats.completed as f64 / elapsed.as_secs_f64(),
        "jobs": config.workers, "peak_in_flight": stats.peak_in_flight, "proofs": written, "failures": failures,
    }));
    if stats.failed > 0 {
        bail!("{} of {} inputs failed", stats.failed, stats.completed + stats.failed);
    }
    Ok(())
}

/// The NAME.proof.json + NAME.public.json pairs in `dir`, sorted by name.
pub fn proof_pairs(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut proofs: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".proof.json"))
        .collect();
    proofs.sort();
    if proofs.is_empty() {
        bail!("{} holds no NAME.proof.json files", dir.display());
    }
    Ok(proofs
        .into_iter()
        .map(|p| {
            let public = PathBuf::from(p.to_string_lossy().replace(".proof.json", ".public.json"));
            (p, public)
        })
        .collect())
}

pub fn verify(out: &crate::Output, vk_path: &Path, proof: Option<&Path>, public: Option<&Path>, dir: Option<&Path>) -> Result<()> {
    let vk = snarkjs::read_verifying_key(vk_path)?;
    let pairs: Vec<(PathBuf, PathBuf)> = match (proof, public, dir) {
        (Some(p), Some(q), None) => vec![(p.to_path_buf(), q.to_path_buf())],
        (None, None, Some(dir)) => proof_pairs(dir)?,
        _ => bail!("give --proof and --public, or --dir"),
    };
    let key = verify::PreparedKey::new(&vk);
    let mut results = Vec::new();
    let mut invalid = 0;
    for (proof_path, public_path) in &pairs {
        let outcome = snarkjs::read_proof(proof_path)
            .map_err(anyhow::Error::from)
            .and_then(|proof| Ok((proof, snarkjs::read_public(public_path)?)))
            .and_then(|(proof, public)| key.verify(&proof, &public).with_context(|| format!("{}", proof_path.display())));
        match &outcome {
            Ok(()) => out.say(format!("valid    {}", proof_path.display())),
            Err(err) if pairs.len() > 1 => {
                invalid += 1;
                if !out.is_json() {
                    eprintln!("INVALID  {err:#}");
                }
            }
            Err(_) => invalid += 1,
        }
        results.push(json!({ "proof": proof_path, "public": public_path, "valid": outcome.is_ok(),
            "error": outcome.err().map(|e| format!("{e:#}")) }));
    }
    out.result(json!({ "ok": invalid == 0, "verified": pairs.len() - invalid, "invalid": invalid, "results": results }));
    if let [only] = &results[..] {
        if let Some(err) = only["error"].as_str() {
            bail!("{err}");
        }
    }
    if invalid > 0 {
        bail!("{invalid} of {} proofs are invalid", pairs.len());
    }
    if pairs.len() > 1 {
        out.say(format!("all {} proofs valid", pairs.len()));
    }
    Ok(())
}
