//! `zkbatch inputs`: random valid input.json files for a built-in circuit.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;
use zkbatch_prover::circuits::CircuitSpec;

use crate::output::Output;

/// `zkbatch inputs`'s arguments.
#[derive(Args)]
pub(crate) struct InputsArgs {
    /// The circuit: merkle-DEPTH.
    #[arg(long)]
    circuit: String,
    /// How many inputs.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Folder to write input-NNN.json into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Seed for reproducible inputs; random when absent.
    #[arg(long)]
    seed: Option<u64>,
}

pub(crate) fn run(out: &Output, args: InputsArgs) -> Result<()> {
    let spec: CircuitSpec = args.circuit.parse()?;
    let dir = &args.out;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut rng = args.seed.map(StdRng::seed_from_u64).unwrap_or_else(StdRng::from_entropy);
    let mut files = Vec::with_capacity(args.count);
    for i in 0..args.count {
        let path = dir.join(format!("input-{i:03}.json"));
        fs::write(&path, spec.random_input_json(&mut rng) + "\n").with_context(|| format!("cannot write {}", path.display()))?;
        files.push(path);
    }
    out.say(format!("wrote {} {spec} inputs to {}", args.count, dir.display()));
    out.result(json!({ "ok": true, "circuit": spec.to_string(), "files": files }));
    Ok(())
}
