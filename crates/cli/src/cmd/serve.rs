//! `zkbatch serve`: a node of the proving service, from a zkbatch.toml with flags (and their
//! environment variables) laid over it.

use std::net::SocketAddr;
use std::path::PathBuf;

use alloy::primitives::Address;
use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use zkbatch_service::{Config, Role};

use crate::config::layered;
use crate::output::Output;

/// `zkbatch serve`'s arguments.
#[derive(Args)]
pub(crate) struct ServeArgs {
    /// zkbatch.toml: roles, circuits, workers, leases, limits, [relay] for the relay role and
    /// [aggregate] for the aggregate role.
    #[arg(long, env = "ZKBATCH_CONFIG")]
    config: Option<PathBuf>,
    /// Check the configuration (the file with the flags and their environment variables over it)
    /// and print it as the node would run it, then exit: nothing is loaded, opened or served.
    #[arg(long)]
    check_config: bool,
    #[command(flatten)]
    overrides: Overrides,
}

/// The flags that override zkbatch.toml, each renamed to its key there.
#[derive(Args, Serialize)]
struct Overrides {
    /// The roles this node plays: prove, relay, aggregate, or several (comma-separated).
    #[arg(long, env = "ZKBATCH_ROLES", value_delimiter = ',', value_parser = parse_role)]
    roles: Option<Vec<Role>>,
    /// Address for the HTTP API.
    #[arg(long, env = "ZKBATCH_LISTEN")]
    listen: Option<SocketAddr>,
    /// SQLite database file (created on first start; one node), or a postgres:// URL (many nodes).
    #[arg(long, env = "ZKBATCH_DATABASE")]
    database: Option<PathBuf>,
    /// This node's name in leases and reports (default HOSTNAME-PID); unique per node.
    #[arg(long, env = "ZKBATCH_NODE_ID")]
    node_id: Option<String>,
    /// Jobs proved at once (default: from the cores and the memory a proof takes).
    #[arg(long, env = "ZKBATCH_WORKERS")]
    workers: Option<usize>,
    /// Memory the proving keys may take, MiB (default: the memory available at start).
    #[arg(long, env = "ZKBATCH_KEY_MEMORY_MB")]
    key_memory_mb: Option<u64>,
    /// Folder for converted zkeys, so restarts load them fast.
    #[arg(long, env = "ZKBATCH_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Memory-map the proving keys' points from key images (default true: processes on one machine
    /// share them); false reads each key into this process's heap.
    #[arg(long, env = "ZKBATCH_MMAP_KEYS")]
    mmap_keys: Option<bool>,
    /// Attempts (leases lost, internal errors) before a job fails.
    #[arg(long, env = "ZKBATCH_MAX_ATTEMPTS")]
    max_attempts: Option<u32>,
    /// On SIGTERM, how long jobs in flight may take to finish (ms) before their leases are given back.
    #[arg(long, env = "ZKBATCH_DRAIN_TIMEOUT_MS")]
    drain_timeout_ms: Option<u64>,
    /// Jobs queued at most before POST /v1/jobs answers 429.
    #[arg(long, env = "ZKBATCH_QUEUE_CAPACITY")]
    #[serde(rename = "queue.capacity")]
    queue_capacity: Option<usize>,
    /// A job's lease (ms) from the last heartbeat; then another node may take it.
    #[arg(long, env = "ZKBATCH_LEASE_MS")]
    #[serde(rename = "lease.duration_ms")]
    lease_ms: Option<u64>,
    /// How often (ms) a node renews its leases and looks for expired ones.
    #[arg(long, env = "ZKBATCH_HEARTBEAT_MS")]
    #[serde(rename = "lease.heartbeat_ms")]
    heartbeat_ms: Option<u64>,
    /// The relay role: the chain's JSON-RPC endpoint.
    #[arg(long, env = "ZKBATCH_RPC_URL")]
    #[serde(rename = "relay.rpc_url")]
    rpc_url: Option<String>,
    /// The relay role: the ProofRegistry contract's address.
    #[arg(long, env = "ZKBATCH_REGISTRY")]
    #[serde(rename = "relay.registry")]
    registry: Option<Address>,
    /// The relay role: a file holding the signer's hex private key (else $ZKBATCH_RELAYER_KEY).
    #[arg(long, env = "ZKBATCH_RELAYER_KEY_FILE")]
    #[serde(rename = "relay.key_file")]
    key_file: Option<PathBuf>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.trim().parse()
}

/// The configuration: the file (its relative paths taken from its folder), the flags over it.
fn config(args: &ServeArgs) -> Result<Config> {
    let file = args.config.as_deref().map(Config::load).transpose()?;
    let config: Config = layered(file.as_ref(), &args.overrides).context(if file.is_some() {
        "the flags"
    } else {
        "give --config zkbatch.toml (its [[circuits]] say what to prove)"
    })?;
    config.validate()?;
    Ok(config)
}

fn role_names(config: &Config) -> Vec<&'static str> {
    config.roles.iter().map(|r| r.as_str()).collect()
}

pub(crate) fn run(out: &Output, args: ServeArgs) -> Result<()> {
    let config = config(&args)?;
    if args.check_config {
        let roles = role_names(&config);
        out.say(format!("configuration OK: roles {}, listening on {}, {} circuit(s)", roles.join(", "), config.listen, config.circuits.len()));
        out.result(serde_json::to_value(&config)?);
        return Ok(());
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let roles = role_names(&config);
        let circuits: Vec<String> = config.circuits.iter().map(|c| c.id.clone()).collect();
        let database = config.database.display().to_string();
        let service = zkbatch_service::Service::start(config).await?;
        out.say(format!(
            "serving on http://{} (roles {}; node {}; circuits {}; database {database}); Ctrl-C or SIGTERM drains it (-v for logs)",
            service.addr,
            roles.join(", "),
            service.node_id,
            circuits.join(", ")
        ));
        out.result(serde_json::json!({ "ok": true, "listen": service.addr.to_string(), "node": service.node_id, "roles": roles }));
        zkbatch_relayer::wait_for_signal().await;
        out.say("draining: no new jobs claimed, jobs in flight finish");
        service.stop().await;
        anyhow::Ok(())
    })
}
