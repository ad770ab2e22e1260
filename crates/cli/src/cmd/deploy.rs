//! `zkbatch deploy`: the ProofRegistry and each circuit's generated verifiers (single and batch),
//! and the relayer.toml that points a relayer at them.

use std::path::{Path, PathBuf};

use alloy::providers::Provider;
use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use zkbatch_evm::deploy::{deploy_registry, deploy_source};
use zkbatch_relayer::config::{CircuitConfig, Config};
use zkbatch_solgen::{groth16_batch_verifier, groth16_verifier, VerifierOptions};

use crate::files::write;
use crate::opts::{ChainOpts, SolcOpts};
use crate::output::Output;

/// `zkbatch deploy`'s arguments.
#[derive(Args)]
pub(crate) struct DeployArgs {
    #[command(flatten)]
    chain: ChainOpts,
    /// A circuit to deploy a verifier for: ID=VERIFICATION_KEY_JSON; repeat for several.
    #[arg(long = "circuit", required = true)]
    circuits: Vec<String>,
    /// Write a relayer.toml with the addresses here.
    #[arg(long, default_value = "relayer.toml")]
    config_out: PathBuf,
    /// The relayer's signer key file, written into the config (the key itself never is).
    #[arg(long)]
    relayer_key_file: Option<PathBuf>,
    #[command(flatten)]
    solc: SolcOpts,
}

pub(crate) fn run(out: &Output, args: DeployArgs) -> Result<()> {
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
    let provider = args.chain.provider()?;
    let solc = args.solc.solc();
    let runtime = tokio::runtime::Runtime::new()?;
    let (chain_id, registry, deployed) = runtime.block_on(async {
        let chain_id = provider.get_chain_id().await.context("eth_chainId")?;
        let registry = deploy_registry(&provider).await?;
        let mut deployed = Vec::new();
        for (id, vk_path) in &circuits {
            deployed.push(deploy_verifiers(&provider, &solc, id, vk_path).await?);
        }
        anyhow::Ok((chain_id, registry, deployed))
    })?;
    let mut config: Config = toml::from_str(&format!("rpc_url = {:?}\nregistry = \"{registry}\"\n", args.chain.rpc_url))?;
    config.key_file = args.relayer_key_file.clone();
    config.circuits = deployed;
    write(&args.config_out, &toml::to_string_pretty(&config)?)?;
    out.say(format!("chain {chain_id}: ProofRegistry at {registry}"));
    for c in &config.circuits {
        out.say(format!("  {}: Groth16Verifier at {}", c.id, c.verifier));
        if let Some(b) = c.batch_verifier {
            out.say(format!("  {}: Groth16BatchVerifier at {b}", c.id));
        }
    }
    out.say(format!("wrote {}", args.config_out.display()));
    out.result(json!({
        "ok": true,
        "chain_id": chain_id,
        "registry": registry.to_string(),
        "circuits": config.circuits.iter().map(|c| json!({"id": c.id, "verifier": c.verifier.to_string(), "batch_verifier": c.batch_verifier.map(|b| b.to_string()), "vk": c.vk})).collect::<Vec<_>>(),
        "config": args.config_out,
    }));
    Ok(())
}

/// The circuit's single and batch verifiers, generated from its key, compiled and deployed.
async fn deploy_verifiers<P: Provider>(provider: &P, solc: &Path, id: &str, vk_path: &Path) -> Result<CircuitConfig> {
    let vk = zkbatch_prover::snarkjs::read_verifying_key(vk_path)?;
    let verifier = groth16_verifier(&vk, &VerifierOptions::single()).with_context(|| vk_path.display().to_string())?;
    let batch = groth16_batch_verifier(&vk, &VerifierOptions::batch()).with_context(|| vk_path.display().to_string())?;
    Ok(CircuitConfig {
        id: id.to_string(),
        vk: Some(vk_path.to_path_buf()),
        verifier: deploy_source(provider, solc, &verifier, &VerifierOptions::single().contract_name).await?,
        batch_verifier: Some(deploy_source(provider, solc, &batch, &VerifierOptions::batch().contract_name).await?),
        mode: Default::default(),
        aggregate: None,
        max_latency_s: None,
    })
}
