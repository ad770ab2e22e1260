//! `zkbatch solgen`: Solidity for a verifying key (the single or the batch verifier), a Poseidon
//! contract, or the on-chain verifier of `zkbatch aggregate`'s proofs.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use zkbatch_aggregator::recursive::shape::Shape;
use zkbatch_aggregator::recursive::{keys, solidity};
use zkbatch_prover::snarkjs;
use zkbatch_prover::VerifyingKey;
use zkbatch_solgen::{groth16_batch_verifier, groth16_verifier, poseidon_contract, VerifierError, VerifierOptions};

use crate::files::write;
use crate::opts::KzgOpts;
use crate::output::Output;

/// A verifier generator: the single or the batch one.
type Generate = fn(&VerifyingKey, &VerifierOptions) -> Result<String, VerifierError>;

/// `zkbatch solgen`'s arguments.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct SolgenArgs {
    #[command(subcommand)]
    kind: Option<SolgenKind>,
    /// The verifying key: snarkjs's verification_key.json (or one `zkbatch setup` wrote).
    #[arg(long)]
    vk: Option<PathBuf>,
    /// Generate the batch verifier (verifyBatch: N proofs, one pairing call) instead.
    #[arg(long)]
    batch: bool,
    /// Where to write the Solidity source [default: CONTRACT_NAME.sol].
    #[arg(long)]
    out: Option<PathBuf>,
    /// The contract's name [default: Groth16Verifier, or Groth16BatchVerifier with --batch].
    #[arg(long)]
    name: Option<String>,
}

#[derive(Subcommand)]
enum SolgenKind {
    /// A circomlib-compatible Poseidon contract, `hash(uint256[t-1]) returns (uint256)`.
    #[command(after_help = "Example:\n  zkbatch solgen poseidon --t 3 --out contracts/PoseidonT3.sol   # 2 inputs")]
    Poseidon {
        /// State width: 2..6 (1 to 5 inputs).
        #[arg(long)]
        t: usize,
        /// Where to write it [default: PoseidonT{t}.sol].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The on-chain verifier of `zkbatch aggregate`'s proofs for one shape (N proofs of ℓ inputs).
    #[command(after_help = "Example:\n  zkbatch solgen aggregate --slots 4 --inputs 2 --insecure-params --out AggregateVerifier.sol\n\n\
        The verifier is snark-verifier's (instances then proof as calldata, reverts unless valid); deploy\n\
        contracts/AggregatedProofRegistry.sol with its address, N and ℓ to record statements. It depends\n\
        on the KZG parameters: use the same --params (or --insecure-params) as `zkbatch aggregate`.")]
    Aggregate(AggregateVerifierArgs),
}

/// `zkbatch solgen aggregate`'s arguments.
#[derive(Args)]
struct AggregateVerifierArgs {
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
    kzg: KzgOpts,
}

pub(crate) fn run(out: &Output, args: SolgenArgs) -> Result<()> {
    match args.kind {
        Some(SolgenKind::Poseidon { t, out: path }) => {
            let source = poseidon_contract(t)?;
            let path = path.unwrap_or_else(|| PathBuf::from(format!("PoseidonT{t}.sol")));
            write(&path, &source)?;
            out.say(format!("wrote PoseidonT{t} ({} inputs) to {}", t - 1, path.display()));
            out.result(json!({ "ok": true, "contract": format!("PoseidonT{t}"), "out": path }));
            Ok(())
        }
        Some(SolgenKind::Aggregate(args)) => aggregate_verifier(out, args),
        None => {
            let Some(vk_path) = args.vk else { bail!("give --vk verification_key.json (or `zkbatch solgen poseidon --t N`)") };
            let vk = snarkjs::read_verifying_key(&vk_path)?;
            let (mut options, generate): (_, Generate) =
                if args.batch { (VerifierOptions::batch(), groth16_batch_verifier) } else { (VerifierOptions::single(), groth16_verifier) };
            if let Some(name) = args.name {
                options.contract_name = name;
            }
            let source = generate(&vk, &options).with_context(|| format!("{}", vk_path.display()))?;
            let name = options.contract_name;
            let path = args.out.unwrap_or_else(|| PathBuf::from(format!("{name}.sol")));
            write(&path, &source)?;
            let n = vk.gamma_abc_g1.len() - 1;
            out.say(format!("wrote {name} ({n} public inputs) to {}", path.display()));
            out.result(json!({ "ok": true, "contract": name, "public_inputs": n, "batch": args.batch, "out": path }));
            Ok(())
        }
    }
}

fn aggregate_verifier(out: &Output, args: AggregateVerifierArgs) -> Result<()> {
    let shape = Shape { k: args.kzg.k(args.slots), slots: args.slots, inputs: args.inputs };
    let phase = out.phase(&format!("KZG parameters (k = {})", shape.k));
    let srs = args.kzg.params(out, shape.k)?;
    let mut phases = vec![phase.finish(out)];
    // A cached proving key holds the verifying key; otherwise keygen_vk alone (no proving key).
    let key_path = keys::key_path(&args.kzg.cache_dir()?, &srs, shape);
    let phase = out.phase("verifying key");
    let vk = if key_path.exists() { keys::read(&key_path, shape, &srs)?.vk().clone() } else { keys::verifying_key(&srs, shape)? };
    phases.push(phase.finish(out));
    let name = args.name.unwrap_or_else(|| solidity::contract_name(shape));
    let source = solidity::verifier_solidity(&srs, &vk, shape, &name)?;
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
