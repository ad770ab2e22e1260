//! `zkbatch batch verify` and `zkbatch batch calldata`: a folder of snarkjs proofs checked as one
//! batch, and the arguments of the on-chain batch verifier.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use zkbatch_aggregator::batch::{check, Batch, BatchError, BatchItem};
use zkbatch_evm::calldata::verify_batch_signature;
use zkbatch_evm::word::hex;
use zkbatch_prover::snarkjs;

use crate::files::{proof_name, proof_pairs, write};
use crate::output::Output;

/// `zkbatch batch`'s arguments.
#[derive(Args)]
pub(crate) struct BatchArgs {
    #[command(subcommand)]
    command: BatchCommand,
}

#[derive(Subcommand)]
enum BatchCommand {
    /// Check every proof in a folder at once (one multi-pairing of N + 3 pairs); name the bad ones.
    #[command(after_help = "Example:\n  zkbatch batch verify --vk verification_key.json --proofs proofs/\n\n\
        --proofs holds NAME.proof.json + NAME.public.json pairs (snarkjs's format), as `zkbatch prove`\n\
        writes them. Exit status 0 only if every proof is valid; otherwise the invalid ones are named.\n\
        The check is the one Groth16BatchVerifier.verifyBatch makes on-chain, with the same challenges.")]
    Verify {
        /// The verifying key (snarkjs verification_key.json).
        #[arg(long)]
        vk: PathBuf,
        /// A folder of NAME.proof.json + NAME.public.json pairs.
        #[arg(long)]
        proofs: PathBuf,
    },
    /// Calldata for Groth16BatchVerifier.verifyBatch with every proof in a folder (each verified first).
    #[command(after_help = "Example:\n  zkbatch batch calldata --vk verification_key.json --proofs proofs/ --out batch.hex\n  \
        cast send $VERIFIER --data $(cat batch.hex)   # or: cast call, to check without a transaction\n\n\
        A proof that does not verify stops the command with its name: it never joins a batch.\n\
        --json adds the batch's transcript seed and challenges (what the contract's batchChallenges returns).\n\
        The verifier: zkbatch solgen --vk verification_key.json --batch --out Groth16BatchVerifier.sol")]
    Calldata {
        /// The verifying key (snarkjs verification_key.json).
        #[arg(long)]
        vk: PathBuf,
        /// A folder of NAME.proof.json + NAME.public.json pairs.
        #[arg(long)]
        proofs: PathBuf,
        /// Write the calldata (0x… hex) to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub(crate) fn run(out: &Output, args: BatchArgs) -> Result<()> {
    match args.command {
        BatchCommand::Verify { vk, proofs } => verify(out, &vk, &proofs),
        BatchCommand::Calldata { vk, proofs, out: path } => calldata(out, &vk, &proofs, path.as_deref()),
    }
}

/// The folder's proofs, by name (NAME of NAME.proof.json); a file that does not parse is an error
/// naming it (a malformed point, an input ≥ r, …).
fn load(dir: &Path) -> Result<Vec<BatchItem>> {
    proof_pairs(dir)?
        .into_iter()
        .map(|(proof_path, public_path)| {
            let name = proof_name(&proof_path);
            let proof = snarkjs::read_proof(&proof_path)?;
            let inputs = snarkjs::read_public(&public_path)?;
            Ok(BatchItem { name, proof, inputs })
        })
        .collect()
}

fn verify(out: &Output, vk_path: &Path, dir: &Path) -> Result<()> {
    let vk = snarkjs::read_verifying_key(vk_path)?;
    let items = load(dir)?;
    let start = Instant::now();
    let result = check(&vk, &items);
    let ms = start.elapsed().as_secs_f64() * 1e3;
    match result {
        Ok(()) => {
            out.say(format!("all {} proofs valid (one batch check of {} pairings, {ms:.1} ms)", items.len(), items.len() + 3));
            out.result(json!({ "ok": true, "proofs": items.len(), "invalid": [], "ms": ms }));
            Ok(())
        }
        Err(BatchError::Invalid { invalid }) => {
            for name in &invalid {
                if !out.is_json() {
                    eprintln!("INVALID  {}", dir.join(format!("{name}.proof.json")).display());
                }
            }
            out.result(json!({ "ok": false, "proofs": items.len(), "invalid": invalid, "ms": ms }));
            bail!("{} of {} proofs are invalid: {}", invalid.len(), items.len(), invalid.join(", "))
        }
        Err(err) => Err(err).with_context(|| format!("{}", dir.display())),
    }
}

fn calldata(out: &Output, vk_path: &Path, dir: &Path, path: Option<&Path>) -> Result<()> {
    let vk = snarkjs::read_verifying_key(vk_path)?;
    let mut batch = Batch::new(vk).with_context(|| format!("{}", vk_path.display()))?;
    for item in load(dir)? {
        batch.push(item.name, item.proof, item.inputs).context("a proof that does not verify cannot join a batch")?;
    }
    let data = alloy::hex::encode_prefixed(batch.calldata());
    if let Some(path) = path {
        write(path, &data)?;
        out.say(format!("wrote verifyBatch calldata for {} proofs ({} bytes) to {}", batch.len(), data.len() / 2 - 1, path.display()));
    } else {
        out.say(&data);
    }
    out.result(json!({
        "ok": true,
        "function": verify_batch_signature(batch.inputs_per_proof()),
        "proofs": batch.len(),
        "names": batch.names(),
        "vk_hash": hex(&batch.vk_hash()),
        "seed": hex(&batch.seed()),
        "challenges": batch.challenges().iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "calldata": if path.is_some() { serde_json::Value::Null } else { json!(data) },
        "out": path,
    }));
    Ok(())
}
