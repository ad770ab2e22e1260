//! `zkbatch verify`: snarkjs-format proofs, one or a folder, each on its own.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use zkbatch_prover::{snarkjs, verify};

use crate::files::proof_pairs;
use crate::output::{describe, Output};

/// `zkbatch verify`'s arguments.
#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// The verifying key (snarkjs verification_key.json).
    #[arg(long)]
    vk: PathBuf,
    /// One proof.json …
    #[arg(long, required_unless_present = "dir", requires = "public")]
    proof: Option<PathBuf>,
    /// … and its public.json.
    #[arg(long, requires = "proof")]
    public: Option<PathBuf>,
    /// A folder of NAME.proof.json + NAME.public.json pairs.
    #[arg(long, conflicts_with_all = ["proof", "public"])]
    dir: Option<PathBuf>,
}

pub(crate) fn run(out: &Output, args: VerifyArgs) -> Result<()> {
    let vk = snarkjs::read_verifying_key(&args.vk)?;
    let pairs: Vec<(PathBuf, PathBuf)> = match (args.proof, args.public, args.dir) {
        (Some(p), Some(q), None) => vec![(p, q)],
        (None, None, Some(dir)) => proof_pairs(&dir)?,
        _ => bail!("give --proof and --public, or --dir"),
    };
    let key = verify::PreparedKey::new(&vk);
    let mut results = Vec::new();
    let mut invalid = 0;
    for (proof_path, public_path) in &pairs {
        let outcome = snarkjs::read_proof(proof_path)
            .map_err(anyhow::Error::from)
            .and_then(|proof| Ok((proof, snarkjs::read_public(public_path)?)))
            .and_then(|(proof, public)| {
                // A wrong input count is public.json's fault (the key fixes the count); a failed
                // pairing check is the pair's, named by its proof.
                key.check_input_count(&public).with_context(|| format!("{}", public_path.display()))?;
                key.verify(&proof, &public).with_context(|| format!("{}", proof_path.display()))
            });
        match &outcome {
            Ok(()) => out.say(format!("valid    {}", proof_path.display())),
            Err(err) if pairs.len() > 1 => {
                invalid += 1;
                if !out.is_json() {
                    eprintln!("INVALID  {}", describe(err));
                }
            }
            Err(_) => invalid += 1,
        }
        results.push(json!({ "proof": proof_path, "public": public_path, "valid": outcome.is_ok(),
            "error": outcome.err().map(|e| describe(&e)) }));
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
