//! `zkbatch calldata`: a proof's arguments for the generated verifier's three entries.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use zkbatch_evm::word::{compress, hex, input_words, proof_words};
use zkbatch_prover::snarkjs;

use crate::output::Output;

/// `zkbatch calldata`'s arguments.
#[derive(Args)]
pub(crate) struct CalldataArgs {
    /// snarkjs proof.json.
    #[arg(long)]
    proof: PathBuf,
    /// snarkjs public.json.
    #[arg(long)]
    public: PathBuf,
}

pub(crate) fn run(out: &Output, args: CalldataArgs) -> Result<()> {
    let proof = snarkjs::read_proof(&args.proof)?;
    let public = snarkjs::read_public(&args.public)?;
    let words: Vec<String> = proof_words(&proof).iter().map(hex).collect();
    let inputs: Vec<String> = input_words(&public).iter().map(hex).collect();
    let compressed: Vec<String> = compress(&proof).with_context(|| format!("{}", args.proof.display()))?.iter().map(hex).collect();
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
