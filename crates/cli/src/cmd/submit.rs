//! `zkbatch submit`: a proof posted to a relayer, and with `--wait` followed to its transaction.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use zkbatch_relayer::client::Client;

use crate::output::Output;

/// `zkbatch submit`'s arguments.
#[derive(Args)]
pub(crate) struct SubmitArgs {
    /// snarkjs proof.json
    proof: PathBuf,
    /// snarkjs public.json
    public: PathBuf,
    /// The circuit's id in the relayer's configuration.
    #[arg(long)]
    circuit: String,
    /// The relayer's base URL.
    #[arg(long = "relayer-url", alias = "relayer", env = "ZKBATCH_RELAYER_URL", default_value = "http://127.0.0.1:8080")]
    relayer_url: String,
    /// Wait until the proof is confirmed (or failed) and print its transaction.
    #[arg(long)]
    wait: bool,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout_s: u64,
}

pub(crate) fn run(out: &Output, args: SubmitArgs) -> Result<()> {
    let request = Client::request(&args.circuit, &args.proof, &args.public)?;
    let client = Client::new(&args.relayer_url)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let accepted = client.submit(&request).await?;
        let id = accepted["id"].as_str().context("the relayer's answer has no id")?.to_string();
        if !args.wait {
            out.say(format!("{id} {}", accepted["status"].as_str().unwrap_or("?")));
            out.result(accepted);
            return Ok(());
        }
        let status = client.wait(&id, Duration::from_secs(args.timeout_s)).await?;
        out.say(format!(
            "{id} {} tx {} block {}",
            status["status"].as_str().unwrap_or("?"),
            status["tx_hash"].as_str().unwrap_or("-"),
            status["block"].as_u64().map(|b| b.to_string()).unwrap_or("-".into())
        ));
        let failed = status["status"] == "failed";
        out.result(status.clone());
        if failed {
            bail!("proof {id} failed: {}", status["error"].as_str().unwrap_or("no reason given"));
        }
        Ok(())
    })
}
