//! `zkbatch solgen` and `zkbatch calldata`: Solidity verifiers and Poseidon contracts, and the
//! arguments a proof is sent to them with.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use zkbatch_prover::snarkjs;
use zkbatch_solgen::evm::{compress, hex, input_words, proof_words};
use zkbatch_solgen::poseidon::poseidon_contract;
use zkbatch_solgen::{groth16_batch_verifier, groth16_verifier, BatchVerifierOptions, VerifierOptions};

use crate::Output;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SolgenArgs {
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
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The on-chain verifier of `zkbatch aggregate`'s proofs for one shape (N proofs of ℓ inputs).
    #[command(after_help = "Example:\n  zkbatch solgen aggregate --slots 4 --inputs 2 --insecure-params --out AggregateVerifier.sol\n\n\
        The verifier is snark-verifier's (instances then proof as calldata, reverts unless valid); deploy\n\
        contracts/AggregatedProofRegistry.sol with its address, N and ℓ to record statements. It depends\n\
        on the KZG parameters: use the same --params (or --insecure-params) as `zkbatch aggregate`.")]
    Aggregate(crate::aggregate_cmd::SolgenAggregateArgs),
}

pub fn solgen(out: &Output, args: SolgenArgs) -> Result<()> {
    match args.kind {
        Some(SolgenKind::Poseidon { t, out: path }) => {
            let source = poseidon_contract(t)?;
            let path = path.unwrap_or_else(|| PathBuf::from(format!("PoseidonT{t}.sol")));
            write(&path, &source)?;
            out.say(format!("wrote PoseidonT{t} ({} inputs) to {}", t - 1, path.display()));
            out.result(json!({ "ok": true, "contract": format!("PoseidonT{t}"), "out": path }));
        }
        Some(SolgenKind::Aggregate(args)) => crate::aggregate_cmd::solgen(out, args)?,
        None => {
            let Some(vk_path) = args.vk else { bail!("give --vk verification_key.json (or `zkbatch solgen poseidon --t N`)") };
            let vk = snarkjs::read_verifying_key(&vk_path)?;
            let default = if args.batch { "Groth16BatchVerifier" } else { "Groth16Verifier" };
            let name = args.name.unwrap_or_else(|| default.to_string());
            let source = if args.batch {
                groth16_batch_verifier(&vk, &BatchVerifierOptions { contract_name: name.clone() })
            } else {
                groth16_verifier(&vk, &VerifierOptions { contract_name: name.clone() })
            }
            .with_context(|| format!("{}", vk_path.display()))?;
            let path = args.out.unwrap_or_else(|| PathBuf::from(format!("{name}.sol")));
            write(&path, &source)?;
            let n = vk.gamma_abc_g1.len() - 1;
            out.say(format!("wrote {name} ({n} public inputs) to {}", path.display()));
            out.result(json!({ "ok": true, "contract": name, "public_inputs": n, "batch": args.batch, "out": path }));
        }
    }
    Ok(())
}

/// Writes a generated file, creating its folder.
pub(crate) fn write(path: &Path, source: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(path, source).with_context(|| format!("cannot write {}", path.display()))
}

/// A proof and its inputs as the generated verifier's entry points take them.
pub fn calldata(out: &Output, proof_path: &Path, public_path: &Path) -> Result<()> {
    let proof = snarkjs::read_proof(proof_path)?;
    let public = snarkjs::read_public(public_path)?;
    let words: Vec<String> = proof_words(&proof).iter().map(hex).collect();
    let inputs: Vec<String> = input_words(&public).iter().map(hex).collect();
    let compressed: Vec<String> = compress(&proof).with_context(|| format!("{}", proof_path.display()))?.iter().map(hex).collect();
    let proof_bytes = format!("0x{}", words.iter().map(|w| &w[2..]).collect::<String>());
    out.say(format!(
        "verifyProof([{a}], [[{b0}, {b1}], [{b2}, {b3}]], [{c}], [{x}])\nverify({proof_bytes}, [{x}])\nverifyCompressedProof([{z}], [{x}])",
        a = words[..2].join(", "),
        b0 = words[2],
        b1 = words[3],
        b2 = words[4],
        b3 = words[5],
        c = words[6..].join(", "),
        x = inputs.join(", "),
        z = compressed.join(", "),
    ));
    out.result(json!({
        "ok": true,
        "verifyProof": { "a": &words[..2], "b": [&words[2..4], &words[4..6]], "c": &words[6..], "input": inputs },
        "verify": { "proof": proof_bytes, "input": inputs },
        "verifyCompressedProof": { "compressedProof": compressed, "input": inputs },
    }));
    Ok(())
}
