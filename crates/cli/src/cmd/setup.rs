//! `zkbatch setup`: a proving key and a verifying key for a built-in circuit.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;
use zkbatch_prover::circuits::CircuitSpec;
use zkbatch_prover::{snarkjs, ProvingKey};

use crate::output::Output;

/// `zkbatch setup`'s arguments.
#[derive(Args)]
pub(crate) struct SetupArgs {
    /// The circuit: merkle-DEPTH (Poseidon Merkle membership of that depth, e.g. merkle-20).
    #[arg(long)]
    circuit: String,
    /// Where to write the proving key (zkbatch's fast-loading format).
    #[arg(long)]
    pk: PathBuf,
    /// Where to write the verifying key (snarkjs verification_key.json).
    #[arg(long, default_value = "verification_key.json")]
    vk: PathBuf,
}

pub(crate) fn run(out: &Output, args: SetupArgs) -> Result<()> {
    let spec: CircuitSpec = args.circuit.parse()?;
    let start = Instant::now();
    let key = ProvingKey::setup(&spec.to_string(), spec.blank(), &mut StdRng::from_entropy())?;
    key.write(&args.pk)?;
    snarkjs::write_verifying_key(&args.vk, key.verifying_key())?;
    let constraints = key.r1cs.num_constraints();
    out.say(format!(
        "set up {spec}: {constraints} constraints, {} public inputs, in {:.2?}\n  proving key   {}\n  verifying key {}",
        key.r1cs.num_public(),
        start.elapsed(),
        args.pk.display(),
        args.vk.display()
    ));
    out.result(json!({ "ok": true, "circuit": spec.to_string(), "constraints": constraints,
        "public_inputs": key.r1cs.num_public(), "pk": args.pk, "vk": args.vk }));
    Ok(())
}
