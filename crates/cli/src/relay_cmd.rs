//! `zkbatch relay`, `zkbatch submit` and `zkbatch deploy`: the relayer service, a client for it,
//! and the deployment of the registry and the verifiers it submits to.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use zkbatch_relayer::config::{CircuitConfig, Config};

use crate::Output;

#[derive(Args)]
pub struct RelayArgs {
    /// relayer.toml (as `zkbatch deploy` writes it); the flags below override its values.
    #[arg(long, env = "ZKBATCH_RELAYER_CONFIG")]
    config: Option<PathBuf>,
    /// Address for the HTTP API.
    #[arg(long, env = "ZKBATCH_RELAYER_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// SQLite database file (created on first start).
    #[arg(long, env = "ZKBATCH_RELAYER_DATABASE")]
    database: Option<PathBuf>,
    /// The chain's JSON-RPC endpoint.
    #[arg(long, env = "ZKBATCH_RELAYER_RPC_URL")]
    rpc_url: Option<String>,
    /// The ProofRegistry contract's address.
    #[arg(long, env = "ZKBATCH_RELAYER_REGISTRY")]
    registry: Option<String>,
    /// A file holding the signer's hex private key (else $ZKBATCH_RELAYER_KEY).
    #[arg(long, env = "ZKBATCH_RELAYER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// A circuit: ID,VK_JSON,VERIFIER_ADDRESS[,BATCH_VERIFIER_ADDRESS]; repeat for several.
    #[arg(long = "circuit")]
    circuits: Vec<String>,
    /// Largest batch.
    #[arg(long, env = "ZKBATCH_RELAYER_BATCH_MAX_SIZE")]
    batch_max_size: Option<usize>,
    /// Longest wait (ms) before a batch closes below its largest size.
    #[arg(long, env = "ZKBATCH_RELAYER_BATCH_MAX_WAIT_MS")]
    batch_max_wait_ms: Option<u64>,
    /// Proofs queued at most before POST answers 429.
    #[arg(long, env = "ZKBATCH_RELAYER_QUEUE_CAPACITY")]
    queue_capacity: Option<usize>,
    /// Blocks to wait on top of the receipt's.
    #[arg(long, env = "ZKBATCH_RELAYER_CONFIRMATIONS")]
    confirmations: Option<u64>,
    /// EIP-1559 fee cap in gwei.
    #[arg(long, env = "ZKBATCH_RELAYER_MAX_FEE_GWEI")]
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
        vk: PathBuf::from(vk),
        verifier: verifier.parse().with_context(|| format!("--circuit {s:?}: {verifier:?} is not an address"))?,
        batch_verifier: batch.map(|b| b.parse()).transpose().with_context(|| format!("--circuit {s:?}: the batch verifier is not an address"))?,
    })
}

pub fn config_from(args: RelayArgs) -> Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => {
            let rpc_url = args.rpc_url.clone().context("give --config, or at least --rpc-url, --registry and --circuit")?;
            let registry = args.registry.as_deref().context("--registry is required without --config")?;
            toml::from_str::<Config>(&format!("rpc_url = {rpc_url:?}\nregistry = {registry:?}\n")).context("--rpc-url/--registry")?
        }
    };
    if let Some(v) = args.listen {
        config.listen = v;
    }
    if let Some(v) = args.database {
        config.database = v;
    }
    if let Some(v) = args.rpc_url {
        config.rpc_url = v;
    }
    if let Some(v) = args.registry {
        config.registry = v.parse().with_context(|| format!("--registry {v:?} is not an address"))?;
    }
    if let Some(v) = args.key_file {
        config.key_file = Some(v);
    }
    for c in &args.circuits {
        let c = parse_circuit(c)?;
        config.circuits.retain(|x| x.id != c.id);
        config.circuits.push(c);
    }
    if let Some(v) = args.batch_max_size {
        config.batch.max_size = v;
    }
    if let Some(v) = args.batch_max_wait_ms {
        config.batch.max_wait_ms = v;
    }
    if let Some(v) = args.queue_capacity {
        config.queue.capacity = v;
    }
    if let Some(v) = args.confirmations {
        config.confirmations = v;
    }
    if let Some(v) = args.max_fee_gwei {
        config.fees.max_fee_gwei = v;
    }
    config.validate()?;
    Ok(config)
}

pub fn relay(out: &Output, args: RelayArgs) -> Result<()> {
    let config = config_from(args)?;
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

#[derive(Args)]
pub struct SubmitArgs {
    /// snarkjs proof.json
    proof: PathBuf,
    /// snarkjs public.json
    public: PathBuf,
    /// The circuit's id in the relayer's configuration.
    #[arg(long)]
    circuit: String,
    /// The relayer's base URL.
    #[arg(long, env = "ZKBATCH_RELAYER_URL", default_value = "http://127.0.0.1:8080")]
    relayer: String,
    /// Wait until the proof is confirmed (or failed) and print its transaction.
    #[arg(long)]
    wait: bool,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout_s: u64,
}

pub fn submit(out: &Output, args: SubmitArgs) -> Result<()> {
    let request = zkbatch_relayer::client::Client::request(&args.circuit, &args.proof, &args.public)?;
    let client = zkbatch_relayer::client::Client::new(&args.relayer)?;
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

#[derive(Args)]
pub struct DeployArgs {
    /// The chain's JSON-RPC endpoint.
    #[arg(long, env = "ZKBATCH_RPC_URL", default_value = "http://127.0.0.1:8545")]
    rpc_url: String,
    /// A file with the deployer's hex private key (else $ZKBATCH_DEPLOYER_KEY).
    #[arg(long, env = "ZKBATCH_DEPLOYER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// A circuit to deploy a verifier for: ID=VERIFICATION_KEY_JSON; repeat for several.
    #[arg(long = "circuit", required = true)]
    circuits: Vec<String>,
    /// Write a relayer.toml with the addresses here.
    #[arg(long, default_value = "relayer.toml")]
    config_out: PathBuf,
    /// The relayer's signer key file, written into the config (the key itself never is).
    #[arg(long)]
    relayer_key_file: Option<PathBuf>,
    /// solc for the generated verifiers (default: $ZKBATCH_SOLC, the project's .tools/bin/solc, solc).
    #[arg(long)]
    solc: Option<PathBuf>,
}

pub(crate) fn read_key(path: Option<&Path>, env: &str) -> Result<alloy::signers::local::PrivateKeySigner> {
    let text = match path {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("{}: cannot read the key file", p.display()))?,
        None => std::env::var(env).with_context(|| format!("no deployer key: give --key-file or set {env}"))?,
    };
    let t = text.trim();
    t.strip_prefix("0x").unwrap_or(t).parse().map_err(|_| anyhow::anyhow!("the deployer key is not a 32-byte hex private key"))
}

/// solc when none is given: $ZKBATCH_SOLC, else the project's .tools/bin/solc found from the
/// current folder or the binary's checkout, else `solc` on PATH.
pub(crate) fn default_solc() -> PathBuf {
    let exe_root = std::env::current_exe().ok().and_then(|e| e.ancestors().nth(3).map(Path::to_path_buf));
    let here = std::env::current_dir().ok();
    [here, exe_root]
        .into_iter()
        .flatten()
        .map(|r| zkbatch_relayer::deploy::find_solc(Some(&r)))
        .find(|p| p.is_absolute())
        .unwrap_or_else(|| zkbatch_relayer::deploy::find_solc(None))
}

pub fn deploy(out: &Output, args: DeployArgs) -> Result<()> {
    use alloy::providers::{Provider, ProviderBuilder};
    let signer = read_key(args.key_file.as_deref(), "ZKBATCH_DEPLOYER_KEY")?;
    let circuits = args
        .circuits
        .iter()
        .map(|c| {
            let (id, vk) = c.split_once('=').with_context(|| format!("--circuit {c:?}: expected ID=VERIFICATION_KEY_JSON"))?;
            // Absolute, so the written relayer.toml works from any folder.
            let vk = std::fs::canonicalize(vk).with_context(|| format!("--circuit {c:?}: {vk}"))?;
            Ok((id.to_string(), vk))
        })
        .collect::<Result<Vec<_>>>()?;
    let url = args.rpc_url.parse().with_context(|| format!("--rpc-url {:?} is not a URL", args.rpc_url))?;
    let solc = args.solc.clone().unwrap_or_else(default_solc);
    let runtime = tokio::runtime::Runtime::new()?;
    let deployment = runtime.block_on(async {
        let provider = ProviderBuilder::new().wallet(alloy::network::EthereumWallet::from(signer)).connect_http(url).erased();
        zkbatch_relayer::deploy::deploy_all(&provider, &solc, &circuits).await
    })?;
    let mut config: Config = toml::from_str(&format!("rpc_url = {:?}\nregistry = \"{}\"\n", args.rpc_url, deployment.registry))?;
    config.key_file = args.relayer_key_file.clone();
    config.circuits = deployment.circuits.clone();
    std::fs::write(&args.config_out, toml::to_string_pretty(&config)?).with_context(|| format!("{}: cannot write", args.config_out.display()))?;
    out.say(format!("chain {}: ProofRegistry at {}", deployment.chain_id, deployment.registry));
    for c in &deployment.circuits {
        out.say(format!("  {}: Groth16Verifier at {}", c.id, c.verifier));
        if let Some(b) = c.batch_verifier {
            out.say(format!("  {}: Groth16BatchVerifier at {b}", c.id));
        }
    }
    out.say(format!("wrote {}", args.config_out.display()));
    out.result(json!({
        "ok": true,
        "chain_id": deployment.chain_id,
        "registry": deployment.registry.to_string(),
        "circuits": deployment.circuits.iter().map(|c| json!({"id": c.id, "verifier": c.verifier.to_string(), "batch_verifier": c.batch_verifier.map(|b| b.to_string()), "vk": c.vk})).collect::<Vec<_>>(),
        "config": args.config_out,
    }));
    Ok(())
}
