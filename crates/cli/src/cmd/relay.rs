//! `zkbatch relay`: the relayer service, from a relayer.toml with flags (and their environment
//! variables) laid over it.

use std::net::SocketAddr;
use std::path::PathBuf;

use alloy::primitives::Address;
use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Serialize;
use zkbatch_relayer::config::{CircuitConfig, Config};

use crate::config::layered;
use crate::output::Output;

/// `zkbatch relay`'s arguments.
#[derive(Args)]
pub(crate) struct RelayArgs {
    /// relayer.toml (as `zkbatch deploy` writes it); the flags below override its values.
    #[arg(long, env = "ZKBATCH_CONFIG")]
    config: Option<PathBuf>,
    /// A circuit: ID,VK_JSON,VERIFIER_ADDRESS[,BATCH_VERIFIER_ADDRESS]; repeat for several. One
    /// with the id of a configured circuit replaces it.
    #[arg(long = "circuit")]
    circuits: Vec<String>,
    #[command(flatten)]
    overrides: Overrides,
}

/// The flags that override relayer.toml, each renamed to its key there.
#[derive(Args, Serialize)]
struct Overrides {
    /// Address for the HTTP API.
    #[arg(long, env = "ZKBATCH_LISTEN")]
    listen: Option<SocketAddr>,
    /// SQLite database file (created on first start), or a postgres:// URL.
    #[arg(long, env = "ZKBATCH_DATABASE")]
    database: Option<PathBuf>,
    /// The chain's JSON-RPC endpoint.
    #[arg(long, env = "ZKBATCH_RPC_URL")]
    rpc_url: Option<String>,
    /// The ProofRegistry contract's address.
    #[arg(long, env = "ZKBATCH_REGISTRY")]
    registry: Option<Address>,
    /// A file holding the signer's hex private key (else $ZKBATCH_RELAYER_KEY).
    #[arg(long, env = "ZKBATCH_RELAYER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Largest batch.
    #[arg(long, env = "ZKBATCH_BATCH_MAX_SIZE")]
    #[serde(rename = "batch.max_size")]
    batch_max_size: Option<usize>,
    /// Longest wait (ms) before a batch closes below its largest size.
    #[arg(long, env = "ZKBATCH_BATCH_MAX_WAIT_MS")]
    #[serde(rename = "batch.max_wait_ms")]
    batch_max_wait_ms: Option<u64>,
    /// Proofs queued at most before POST answers 429.
    #[arg(long, env = "ZKBATCH_QUEUE_CAPACITY")]
    #[serde(rename = "queue.capacity")]
    queue_capacity: Option<usize>,
    /// Blocks to wait on top of the receipt's.
    #[arg(long, env = "ZKBATCH_CONFIRMATIONS")]
    confirmations: Option<u64>,
    /// Blocks on top of the receipt's before a confirmed batch is final (no longer watched for
    /// reorgs) [default: 64; 4 on chain ids 31337 and 1337].
    #[arg(long, env = "ZKBATCH_FINALITY_DEPTH")]
    finality_depth: Option<u64>,
    /// EIP-1559 fee cap in gwei.
    #[arg(long, env = "ZKBATCH_MAX_FEE_GWEI")]
    #[serde(rename = "fees.max_fee_gwei")]
    max_fee_gwei: Option<f64>,
}

fn parse_circuit(s: &str) -> Result<CircuitConfig> {
    let parts: Vec<&str> = s.split(',').collect();
    let (id, vk, verifier, batch) = match parts.as_slice() {
        [id, vk, v] => (id, vk, v, None),
        [id, vk, v, b] => (id, vk, v, Some(b)),
        _ => bail!("--circuit {s:?}: expected ID,VK_JSON,VERIFIER[,BATCH_VERIFIER]"),
    };
    Ok(CircuitConfig {
        id: id.to_string(),
        vk: Some(PathBuf::from(vk)),
        verifier: verifier.parse().with_context(|| format!("--circuit {s:?}: {verifier:?} is not an address"))?,
        batch_verifier: batch.map(|b| b.parse()).transpose().with_context(|| format!("--circuit {s:?}: the batch verifier is not an address"))?,
        mode: Default::default(),
        aggregate: None,
        max_latency_s: None,
    })
}

/// The configuration: the file (its relative paths taken from its folder), the flags over it.
fn config(args: RelayArgs) -> Result<Config> {
    let file = args.config.as_deref().map(Config::load).transpose()?;
    let mut config: Config = layered(file.as_ref(), &args.overrides)
        .with_context(|| if file.is_some() { "the flags" } else { "give --config, or at least --rpc-url, --registry and --circuit" })?;
    for c in &args.circuits {
        let c = parse_circuit(c)?;
        config.circuits.retain(|x| x.id != c.id);
        config.circuits.push(c);
    }
    config.validate()?;
    Ok(config)
}

pub(crate) fn run(out: &Output, args: RelayArgs) -> Result<()> {
    let config = config(args)?;
    out.say(format!(
        "relayer: listening on http://{}, database {}, registry {} ({} circuit(s)); Ctrl-C stops it (-v for logs)",
        config.listen,
        config.database.display(),
        config.registry,
        config.circuits.len()
    ));
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(zkbatch_relayer::run(config))?;
    Ok(())
}
