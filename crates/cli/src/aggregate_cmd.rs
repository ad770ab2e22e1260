//! `zkbatch aggregate` and `zkbatch solgen aggregate`: N Groth16 proofs into one halo2 (KZG)
//! proof, and the on-chain verifier for it.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use zkbatch_aggregator::recursive::keys::{self, Shape};
use zkbatch_aggregator::recursive::padding::pad;
use zkbatch_aggregator::recursive::params::{self, KzgParams};
use zkbatch_aggregator::recursive::{check_native, evm, prove, AggregationInput};
use zkbatch_prover::keys::KeyCache;
use zkbatch_prover::snarkjs;
use zkbatch_prover::verify::PreparedKey;

use crate::commands::proof_pairs;
use crate::solgen_cmd::write;
use crate::Output;

/// Where the KZG parameters and the aggregation circuit's keys come from.
#[derive(Args, Clone)]
pub struct SetupArgs {
    /// 2^k rows for the aggregation circuit [default: 20 for N ≤ 2, then growing with N to keep
    /// about 8 advice columns]. A larger k makes a smaller, cheaper verifier and needs more memory.
    #[arg(long)]
    pub k: Option<u32>,
    /// KZG parameters (halo2 raw format, at least 2^k points) from a public powers-of-tau.
    #[arg(long, conflicts_with_all = ["insecure_params", "ptau"])]
    pub params: Option<PathBuf>,
    /// A snarkjs powers-of-tau file (a public ceremony's .ptau): converted to KZG parameters once
    /// (minutes at k = 20) and cached.
    #[arg(long, conflicts_with = "insecure_params")]
    pub ptau: Option<PathBuf>,
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

    fn k(&self, slots: usize) -> u32 {
        self.k.unwrap_or_else(|| Shape::default_k(slots))
    }

    fn params(&self, out: &Output, k: u32) -> Result<KzgParams> {
        if let Some(ptau) = &self.ptau {
            let stem = ptau.file_stem().map_or_else(|| "ptau".into(), |s| s.to_string_lossy().into_owned());
            let cached = self.cache_dir()?.join(format!("kzg_bn254_{k}.from-{stem}.srs"));
            if cached.exists() {
                return Ok(params::read(&cached, k)?);
            }
            let srs = params::from_ptau(ptau, k)?;
            params::write(&srs, &cached)?;
            return Ok(srs);
        }
        match (&self.params, self.insecure_params) {
            (Some(path), _) => Ok(params::read(path, k)?),
            (None, true) => {
                if !out.is_json() {
                    eprintln!("warning: INSECURE KZG parameters (public τ): for tests and demos only");
                }
                Ok(params::insecure_cached(&self.cache_dir()?, k)?)
            }
            (None, false) => bail!(
                "no KZG parameters: give --ptau FILE (a public powers-of-tau ceremony's .ptau), --params FILE \
                 (halo2 format, see crates/aggregator/docs/recursive-aggregation.md) or --insecure-params for a local test setup"
            ),
        }
    }
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AggregateArgs {
    #[command(subcommand)]
    command: Option<AggregateCommand>,
    #[command(flatten)]
    prove: ProveArgs,
}

#[derive(Subcommand)]
enum AggregateCommand {
    /// Deploy an aggregate verifier (from `zkbatch solgen aggregate`) and an AggregatedProofRegistry for it.
    #[command(after_help = "Example:\n  zkbatch aggregate deploy --rpc-url http://127.0.0.1:8545 --key-file deployer.key \\\n      \
        --verifier AggregateVerifierN2L2K20.sol --slots 2 --inputs 2")]
    Deploy(DeployArgs),
    /// Send an aggregate proof (aggregate.json) to an AggregatedProofRegistry; prints gas and the batch's root.
    #[command(after_help = "Example:\n  zkbatch aggregate submit --rpc-url http://127.0.0.1:8545 --key-file sender.key \\\n      \
        --registry 0x… aggregate.json\n\n\
        The call is simulated first: a proof the registry refuses is reported with its reason and never sent.")]
    Submit(SubmitArgs),
}

#[derive(Args)]
struct ProveArgs {
    /// The Groth16 verifying key (snarkjs verification_key.json) all proofs are for.
    #[arg(long, required = true)]
    vk: Option<PathBuf>,
    /// A folder of NAME.proof.json + NAME.public.json pairs (as `zkbatch prove` writes them).
    #[arg(long, required = true)]
    proofs: Option<PathBuf>,
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
    match args.command {
        Some(AggregateCommand::Deploy(args)) => deploy(out, args),
        Some(AggregateCommand::Submit(args)) => submit(out, args),
        None => prove_aggregate(out, args.prove),
    }
}

fn prove_aggregate(out: &Output, args: ProveArgs) -> Result<()> {
    let (Some(vk_path), Some(proofs_dir)) = (&args.vk, &args.proofs) else { bail!("give --vk and --proofs") };
    let vk = snarkjs::read_verifying_key(vk_path)?;
    let pairs = proof_pairs(proofs_dir)?;
    if pairs.is_empty() {
        bail!("{} holds no NAME.proof.json + NAME.public.json pairs", proofs_dir.display());
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
    let input = AggregationInput::new(&vk, &batch).with_context(|| vk_path.display().to_string())?;
    if !check_native(&vk, &batch)? {
        bail!("the batch fails the aggregation circuit's check natively (a proof outside G2's subgroup?); nothing was proved");
    }
    phases.push(phase.finish(out));

    let shape = Shape { k: args.setup.k(slots), slots, inputs: input.inputs_per_proof() };
    let phase = out.phase(&format!("KZG parameters (k = {})", shape.k));
    let srs = args.setup.params(out, shape.k)?;
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
    let shape = Shape { k: args.setup.k(args.slots), slots: args.slots, inputs: args.inputs };
    let phase = out.phase(&format!("KZG parameters (k = {})", shape.k));
    let srs = args.setup.params(out, shape.k)?;
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

#[derive(Args)]
struct DeployArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The verifier's Solidity source, as `zkbatch solgen aggregate` wrote it.
    #[arg(long)]
    verifier: PathBuf,
    /// The contract's name in it [default: the file's stem].
    #[arg(long)]
    name: Option<String>,
    /// N, proofs per aggregate (as given to `zkbatch solgen aggregate`).
    #[arg(long)]
    slots: usize,
    /// ℓ, public inputs per proof.
    #[arg(long)]
    inputs: usize,
    /// solc for the verifier (default: $ZKBATCH_SOLC, the project's .tools/bin/solc, solc).
    #[arg(long)]
    solc: Option<PathBuf>,
}

#[derive(Args)]
struct SubmitArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The AggregatedProofRegistry's address.
    #[arg(long)]
    registry: String,
    /// The aggregate proof, as `zkbatch aggregate` wrote it.
    proof: PathBuf,
}

#[derive(Args)]
struct ChainArgs {
    /// The chain's JSON-RPC endpoint.
    #[arg(long, env = "ZKBATCH_RPC_URL", default_value = "http://127.0.0.1:8545")]
    rpc_url: String,
    /// A file with the sender's hex private key (else $ZKBATCH_DEPLOYER_KEY).
    #[arg(long, env = "ZKBATCH_DEPLOYER_KEY_FILE")]
    key_file: Option<PathBuf>,
}

impl ChainArgs {
    fn provider(&self) -> Result<alloy::providers::DynProvider> {
        use alloy::providers::{Provider, ProviderBuilder};
        let signer = crate::relay_cmd::read_key(self.key_file.as_deref(), "ZKBATCH_DEPLOYER_KEY")?;
        let url = self.rpc_url.parse().with_context(|| format!("--rpc-url {:?} is not a URL", self.rpc_url))?;
        Ok(ProviderBuilder::new().wallet(alloy::network::EthereumWallet::from(signer)).connect_http(url).erased())
    }
}

fn deploy(out: &Output, args: DeployArgs) -> Result<()> {
    let source = std::fs::read_to_string(&args.verifier).with_context(|| format!("cannot read {}", args.verifier.display()))?;
    let name = match args.name {
        Some(name) => name,
        None => args.verifier.file_stem().map(|s| s.to_string_lossy().into_owned()).context("--verifier has no file name")?,
    };
    let solc = args.solc.clone().unwrap_or_else(crate::relay_cmd::default_solc);
    let provider = args.chain.provider()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let (verifier, registry) = runtime.block_on(zkbatch_relayer::aggregate::deploy_aggregate(
        &provider,
        &solc,
        &source,
        &name,
        args.slots,
        args.inputs,
    ))?;
    out.say(format!("{name} at {verifier}\nAggregatedProofRegistry (N = {}, ℓ = {}) at {registry}", args.slots, args.inputs));
    out.result(json!({ "ok": true, "verifier": verifier.to_string(), "registry": registry.to_string(), "slots": args.slots, "inputs": args.inputs }));
    Ok(())
}

fn submit(out: &Output, args: SubmitArgs) -> Result<()> {
    use alloy::primitives::{Address, Bytes, U256};
    let text = std::fs::read_to_string(&args.proof).with_context(|| format!("cannot read {}", args.proof.display()))?;
    let json: prove::AggregateProofJson = serde_json::from_str(&text).with_context(|| format!("{} is not an aggregate proof", args.proof.display()))?;
    let proof = json.parse().with_context(|| args.proof.display().to_string())?;
    let instances: Vec<U256> = proof.instances.iter().map(|x| U256::from_le_bytes(prove::fr_le_bytes(x))).collect();
    let registry: Address = args.registry.parse().with_context(|| format!("--registry {:?} is not an address", args.registry))?;
    let provider = args.chain.provider()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let receipt = runtime.block_on(zkbatch_relayer::aggregate::submit_aggregate(&provider, registry, instances, Bytes::from(proof.proof.clone())))?;
    let per_proof = receipt.gas_used / json.shape.slots as u64;
    out.say(format!(
        "verified {} statements in tx {} (block {}): gasUsed {} ({per_proof} per proof, all-in); batch root {}",
        json.shape.slots,
        receipt.tx_hash,
        receipt.block.map_or("?".into(), |b| b.to_string()),
        receipt.gas_used,
        receipt.root
    ));
    out.result(json!({
        "ok": true,
        "tx_hash": receipt.tx_hash.to_string(),
        "block": receipt.block,
        "gas_used": receipt.gas_used,
        "gas_per_proof": per_proof,
        "root": receipt.root.to_string(),
        "slots": json.shape.slots,
    }));
    Ok(())
}

