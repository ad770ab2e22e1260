//! `zkbatch aggregate` and `zkbatch solgen aggregate`: N Groth16 proofs into one halo2 (KZG)
//! proof, and the on-chain verifier for it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use zkbatch_aggregator::recursive::keys::{self, Shape};
use zkbatch_aggregator::recursive::padding::pad;
use zkbatch_aggregator::recursive::params::{self, KzgParams};
use zkbatch_aggregator::recursive::{check_native, evm, prove, AggregationInput};
use zkbatch_prover::keys::KeyCache;
use zkbatch_prover::snarkjs;
use zkbatch_prover::verify::PreparedKey;

use crate::commands::proof_pairs;
use crate::Output;

/// Where the KZG parameters and the aggregation circuit's keys come from.
#[derive(Args, Clone)]
pub struct SetupArgs {
    /// 2^k rows for the aggregation circuit (20 fits N ≤ 4 on a 24 GiB machine).
    #[arg(long, default_value_t = 20)]
    pub k: u32,
    /// KZG parameters (halo2 raw format, at least 2^k points) from a public powers-of-tau.
    #[arg(long, conflicts_with = "insecure_params")]
    pub params: Option<PathBuf>,
    /// Use the deterministic INSECURE test setup (its τ is public: anyone can forge proofs).
    /// For tests and local demos only.
    #[arg(long)]
    pub insecure_params: bool,
    /// Where parameters made by --insecure-params and aggregation proving keys are cached
    /// [default: $ZKBATCH_CACHE_DIR, $XDG_CACHE_HOME/zkbatch or ~/.cache/zkbatch].
    #[arg(long, env = "ZKBATCH_CACHE_DIR")]
    pub cache: Option<PathBuf>,
}

impl SetupArgs {
    fn cache_dir(&self) -> Result<PathBuf> {
        self.cache.clone().or_else(KeyCache::default_dir).context("no cache folder: give --cache or set ZKBATCH_CACHE_DIR")
    }

    fn params(&self, out: &Output) -> Result<KzgParams> {
        match (&self.params, self.insecure_params) {
            (Some(path), _) => Ok(params::read(path, self.k)?),
            (None, true) => {
                if !out.is_json() {
                    eprintln!("warning: INSECURE KZG parameters (public τ): for tests and demos only");
                }
                Ok(params::insecure_cached(&self.cache_dir()?, self.k)?)
            }
            (None, false) => bail!(
                "no KZG parameters: give --params FILE (converted from a public powers-of-tau, see \
                 crates/aggregator/docs/recursive-aggregation.md) or --insecure-params for a local test setup"
            ),
        }
    }
}

#[derive(Args)]
pub struct AggregateArgs {
    /// The Groth16 verifying key (snarkjs verification_key.json) all proofs are for.
    #[arg(long)]
    vk: PathBuf,
    /// A folder of NAME.proof.json + NAME.public.json pairs (as `zkbatch prove` writes them).
    #[arg(long)]
    proofs: PathBuf,
    /// Where to write the aggregate proof (JSON: shape, instances, proof).
    #[arg(long, default_value = "aggregate.json")]
    out: PathBuf,
    /// N, the circuit's slots [default: the number of proofs]; fewer proofs are padded by
    /// repeating the last one.
    #[arg(long)]
    slots: Option<usize>,
    #[command(flatten)]
    setup: SetupArgs,
}

pub fn aggregate(out: &Output, args: AggregateArgs) -> Result<()> {
    let vk = snarkjs::read_verifying_key(&args.vk)?;
    let pairs = proof_pairs(&args.proofs)?;
    if pairs.is_empty() {
        bail!("{} holds no NAME.proof.json + NAME.public.json pairs", args.proofs.display());
    }
    let slots = args.slots.unwrap_or(pairs.len());
    let mut phases = Vec::new();

    // Every proof verified alone first: a bad one is named, never aggregated.
    let phase = out.phase("checking proofs");
    let prepared = PreparedKey::new(&vk);
    let mut batch = Vec::with_capacity(pairs.len());
    for (proof_path, public_path) in &pairs {
        let proof = snarkjs::read_proof(proof_path)?;
        let inputs = snarkjs::read_public(public_path)?;
        prepared.verify(&proof, &inputs).with_context(|| format!("{} does not verify: it cannot be aggregated", proof_path.display()))?;
        batch.push((proof, inputs));
    }
    let batch = pad(&batch, slots).context("padding the batch")?;
    let input = AggregationInput::new(&vk, &batch).with_context(|| args.vk.display().to_string())?;
    if !check_native(&vk, &batch)? {
        bail!("the batch fails the aggregation circuit's check natively (a proof outside G2's subgroup?); nothing was proved");
    }
    phases.push(phase.finish(out));

    let shape = Shape { k: args.setup.k, slots, inputs: input.inputs_per_proof() };
    let phase = out.phase("KZG parameters");
    let srs = args.setup.params(out)?;
    phases.push(phase.finish(out));

    let cache = args.setup.cache_dir()?;
    let key_path = keys::key_path(&cache, &srs, shape);
    let key = if key_path.exists() {
        let phase = out.phase("loading the aggregation key");
        let key = keys::read(&key_path, shape, &srs)?;
        phases.push(phase.finish(out));
        key
    } else {
        let phase = out.phase(&format!("keygen for N = {slots}, ℓ = {} (once per shape)", shape.inputs));
        let key = keys::keygen(&srs, shape, |_| {})?;
        keys::write(&key, &key_path)?;
        phases.push(phase.finish(out));
        key
    };

    let phase = out.phase("witness");
    let witness = prove::witness(&key, &input)?;
    phases.push(phase.finish(out));
    let phase = out.phase("proving (and checking the proof)");
    let proof = prove::prove_witness(&srs, &key, witness)?;
    phases.push(phase.finish(out));

    let json = proof.to_json(shape);
    write(&args.out, &(serde_json::to_string_pretty(&json)? + "\n"))?;
    out.say(format!(
        "wrote an aggregate of {} proofs ({} slots, {} proof bytes) to {}\nvkHash {}",
        pairs.len(),
        slots,
        proof.proof.len(),
        args.out.display(),
        json.vk_hash
    ));
    out.result(json!({
        "ok": true,
        "proofs": pairs.len(),
        "shape": shape,
        "vkHash": json.vk_hash,
        "out": args.out,
        "proof_bytes": proof.proof.len(),
        "calldata_bytes": evm::calldata(&proof).len(),
        "phases": phases,
    }));
    Ok(())
}

#[derive(Args)]
pub struct SolgenAggregateArgs {
    /// N, proofs per aggregate.
    #[arg(long)]
    slots: usize,
    /// ℓ, public inputs of each Groth16 proof.
    #[arg(long)]
    inputs: usize,
    /// Where to write the verifier [default: CONTRACT_NAME.sol].
    #[arg(long)]
    out: Option<PathBuf>,
    /// The contract's name [default: AggregateVerifierN{N}L{ℓ}K{k}].
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    setup: SetupArgs,
}

pub fn solgen(out: &Output, args: SolgenAggregateArgs) -> Result<()> {
    let shape = Shape { k: args.setup.k, slots: args.slots, inputs: args.inputs };
    let phase = out.phase("KZG parameters");
    let srs = args.setup.params(out)?;
    let mut phases = vec![phase.finish(out)];
    // A cached proving key holds the verifying key; otherwise keygen_vk alone (no proving key).
    let key_path = keys::key_path(&args.setup.cache_dir()?, &srs, shape);
    let phase = out.phase("verifying key");
    let vk = if key_path.exists() { keys::read(&key_path, shape, &srs)?.vk().clone() } else { keys::verifying_key(&srs, shape)? };
    phases.push(phase.finish(out));
    let name = args.name.unwrap_or_else(|| evm::contract_name(shape));
    let source = evm::verifier_solidity(&srs, &vk, shape, &name)?;
    let path = args.out.unwrap_or_else(|| PathBuf::from(format!("{name}.sol")));
    write(&path, &source)?;
    out.say(format!(
        "wrote {name} ({} instances: vkHash and {}×{} inputs) to {}\ndeploy AggregatedProofRegistry(verifier, {}, {}) beside it",
        shape.num_instances(),
        shape.slots,
        shape.inputs,
        path.display(),
        shape.slots,
        shape.inputs
    ));
    out.result(json!({ "ok": true, "contract": name, "shape": shape, "out": path, "phases": phases }));
    Ok(())
}

fn write(path: &Path, contents: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}
