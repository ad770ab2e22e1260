//! `zkbatch aggregate`: N Groth16 proofs into one halo2 (KZG) proof; and, as its subcommands,
//! the aggregate verifier deployed with its registry, and an aggregate submitted to it.

use std::path::PathBuf;

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use zkbatch_aggregator::recursive::padding::pad;
use zkbatch_aggregator::recursive::proof::AggregateProofJson;
use zkbatch_aggregator::recursive::shape::Shape;
use zkbatch_aggregator::recursive::{check_native, keys, prove, solidity, AggregationInput};
use zkbatch_evm::deploy::deploy_aggregate;
use zkbatch_evm::submit::submit_aggregate;
use zkbatch_prover::snarkjs;
use zkbatch_prover::verify::PreparedKey;

use crate::files::{proof_pairs, write};
use crate::opts::{ChainOpts, KzgOpts, SolcOpts};
use crate::output::Output;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
/// `zkbatch aggregate`'s arguments.
pub(crate) struct AggregateArgs {
    #[command(subcommand)]
    command: Option<AggregateCommand>,
    #[command(flatten)]
    prove: ProveArgs,
}

#[derive(Subcommand)]
enum AggregateCommand {
    /// Deploy an aggregate verifier (from `zkbatch solgen aggregate`) and an AggregatedProofRegistry for it.
    #[command(after_help = "Example:\n  zkbatch aggregate deploy --rpc-url http://127.0.0.1:8545 --key-file deployer.key \\\n      \
        --verifier AggregateVerifierN2L2K21.sol --slots 2 --inputs 2")]
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
    kzg: KzgOpts,
}

pub(crate) fn run(out: &Output, args: AggregateArgs) -> Result<()> {
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

    let shape = Shape { k: args.kzg.k(slots), slots, inputs: input.inputs_per_proof() };
    let phase = out.phase(&format!("KZG parameters (k = {})", shape.k));
    let srs = args.kzg.params(out, shape.k)?;
    phases.push(phase.finish(out));

    let cache = args.kzg.cache_dir()?;
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
        "calldata_bytes": proof.calldata().len(),
        "phases": phases,
    }));
    Ok(())
}

/// Anvil's chain id: the one chain a verifier from the insecure test setup is deployed on unasked.
const ANVIL_CHAIN_ID: u64 = 31337;

#[derive(Args)]
struct DeployArgs {
    #[command(flatten)]
    chain: ChainOpts,
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
    /// Deploy a verifier made from the insecure test KZG setup (`--insecure-params`) on a chain
    /// other than anvil's (31337): anyone can forge proofs it accepts, so this is for test networks.
    #[arg(long)]
    allow_insecure_setup: bool,
    #[command(flatten)]
    solc: SolcOpts,
}

#[derive(Args)]
struct SubmitArgs {
    #[command(flatten)]
    chain: ChainOpts,
    /// The AggregatedProofRegistry's address.
    #[arg(long)]
    registry: String,
    /// The aggregate proof, as `zkbatch aggregate` wrote it.
    proof: PathBuf,
}

fn deploy(out: &Output, args: DeployArgs) -> Result<()> {
    let source = std::fs::read_to_string(&args.verifier).with_context(|| format!("cannot read {}", args.verifier.display()))?;
    let name = match args.name {
        Some(name) => name,
        None => args.verifier.file_stem().map(|s| s.to_string_lossy().into_owned()).context("--verifier has no file name")?,
    };
    let provider = args.chain.provider()?;
    let runtime = tokio::runtime::Runtime::new()?;
    if solidity::uses_insecure_setup(&source) {
        let chain_id = runtime.block_on(provider.get_chain_id()).with_context(|| format!("eth_chainId at {}", args.chain.rpc_url))?;
        if chain_id != ANVIL_CHAIN_ID && !args.allow_insecure_setup {
            bail!(
                "{} was made from the insecure test KZG setup (--insecure-params: its τ is public, so anyone can forge                  an aggregate proof it accepts); refusing to deploy it on chain id {chain_id}. Make the verifier from a                  public ceremony (`zkbatch solgen aggregate --ptau FILE` or `--params FILE`), or pass                  --allow-insecure-setup on a test network",
                args.verifier.display()
            );
        }
        if !out.is_json() {
            eprintln!("warning: {} uses the INSECURE test KZG setup (public τ): for tests only", args.verifier.display());
        }
    }
    let (verifier, registry) =
        runtime.block_on(deploy_aggregate(&provider, &args.solc.solc(), &source, &name, args.slots, args.inputs))?;
    out.say(format!("{name} at {verifier}\nAggregatedProofRegistry (N = {}, ℓ = {}) at {registry}", args.slots, args.inputs));
    out.result(json!({ "ok": true, "verifier": verifier.to_string(), "registry": registry.to_string(), "slots": args.slots, "inputs": args.inputs }));
    Ok(())
}

fn submit(out: &Output, args: SubmitArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.proof).with_context(|| format!("cannot read {}", args.proof.display()))?;
    let json: AggregateProofJson = serde_json::from_str(&text).with_context(|| format!("{} is not an aggregate proof", args.proof.display()))?;
    let proof = json.parse().with_context(|| args.proof.display().to_string())?;
    let instances: Vec<U256> = proof.instance_words().into_iter().map(U256::from_be_bytes).collect();
    let registry: Address = args.registry.parse().with_context(|| format!("--registry {:?} is not an address", args.registry))?;
    let provider = args.chain.provider()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let receipt = runtime.block_on(submit_aggregate(&provider, registry, instances, Bytes::from(proof.proof.clone())))?;
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

