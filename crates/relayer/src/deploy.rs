//! Deployment with alloy: the registry (bytecode from forge's artifact, built into this crate)
//! and a circuit's verifiers, generated from its verifying key and compiled with solc (the
//! project's `.tools/bin/solc`, `$ZKBATCH_SOLC`, or `solc` on PATH) with the Foundry project's
//! optimiser settings.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use serde_json::json;

use crate::chain::ProofRegistry;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("solc ({solc}): {reason}")]
    Solc { solc: PathBuf, reason: String },
    #[error("solc reports errors compiling {contract}:\n{errors}")]
    Compile { contract: String, errors: String },
    #[error("rendering the verifier: {0}")]
    Render(String),
    #[error("deploying {what}: {reason}")]
    Deploy { what: String, reason: String },
}

/// The solc to use: `$ZKBATCH_SOLC`, else `.tools/bin/solc` under `root` if there, else `solc`.
pub fn find_solc(root: Option<&Path>) -> PathBuf {
    if let Some(s) = std::env::var_os("ZKBATCH_SOLC") {
        return s.into();
    }
    if let Some(r) = root {
        let p = r.join(".tools/bin/solc");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("solc")
}

/// Compiles one Solidity source and returns `contract`'s creation bytecode.
pub fn compile(solc: &Path, source: &str, contract: &str) -> Result<Bytes, DeployError> {
    let solc_err = |reason: String| DeployError::Solc { solc: solc.into(), reason };
    // The settings of foundry.toml: the generated contracts are hand-scheduled assembly that the
    // default Yul sequence would reorder into stack-too-deep code.
    let input = json!({
        "language": "Solidity",
        "sources": { "Generated.sol": { "content": source } },
        "settings": {
            "optimizer": { "enabled": true, "runs": 1000000, "details": { "yul": true, "yulDetails": { "stackAllocation": true, "optimizerSteps": "u" } } },
            "evmVersion": "cancun",
            "outputSelection": { "*": { "*": ["evm.bytecode.object"] } }
        }
    });
    let mut child = Command::new(solc)
        .arg("--standard-json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| solc_err(format!("cannot run it: {e} (set ZKBATCH_SOLC, or run scripts/bootstrap.sh)")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.to_string().as_bytes()).map_err(|e| solc_err(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| solc_err(e.to_string()))?;
    if !out.status.success() {
        return Err(solc_err(format!("exited with {}: {}", out.status, String::from_utf8_lossy(&out.stderr))));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| solc_err(format!("its output is not JSON: {e}")))?;
    let errors: Vec<String> = v["errors"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["severity"] == "error").map(|e| e["formattedMessage"].as_str().unwrap_or("?").to_string()).collect())
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(DeployError::Compile { contract: contract.into(), errors: errors.join("\n") });
    }
    let hex = v["contracts"]["Generated.sol"][contract]["evm"]["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| DeployError::Compile { contract: contract.into(), errors: "no such contract in the output".into() })?;
    alloy::hex::decode(hex).map(Bytes::from).map_err(|e| solc_err(format!("bytecode is not hex: {e}")))
}

/// Sends a contract creation and waits for its receipt; the new contract's address.
pub async fn deploy_code<P: Provider>(provider: &P, what: &str, code: Bytes) -> Result<Address, DeployError> {
    let err = |reason: String| DeployError::Deploy { what: what.into(), reason };
    let tx = TransactionRequest::default().with_deploy_code(code);
    let receipt = provider
        .send_transaction(tx)
        .await
        .map_err(|e| err(e.to_string()))?
        .get_receipt()
        .await
        .map_err(|e| err(e.to_string()))?;
    if !receipt.status() {
        return Err(err(format!("the creation transaction {} reverted", receipt.transaction_hash)));
    }
    receipt.contract_address.ok_or_else(|| err("the receipt has no contract address".into()))
}

/// Deploys `ProofRegistry`.
pub async fn deploy_registry<P: Provider>(provider: &P) -> Result<Address, DeployError> {
    deploy_code(provider, "ProofRegistry", ProofRegistry::BYTECODE.clone()).await
}

/// The generated single verifier for `vk`, compiled and deployed.
pub async fn deploy_verifier<P: Provider>(provider: &P, solc: &Path, vk: &zkbatch_prover::VerifyingKey) -> Result<Address, DeployError> {
    let options = zkbatch_solgen::VerifierOptions::default();
    let source = zkbatch_solgen::groth16_verifier(vk, &options).map_err(|e| DeployError::Render(e.to_string()))?;
    let code = compile(solc, &source, &options.contract_name)?;
    deploy_code(provider, &options.contract_name, code).await
}

/// The generated batch verifier (`verifyBatch`, one pairing check for N proofs) for `vk`.
pub async fn deploy_batch_verifier<P: Provider>(provider: &P, solc: &Path, vk: &zkbatch_prover::VerifyingKey) -> Result<Address, DeployError> {
    let options = zkbatch_solgen::BatchVerifierOptions::default();
    let source = zkbatch_solgen::groth16_batch_verifier(vk, &options).map_err(|e| DeployError::Render(e.to_string()))?;
    let code = compile(solc, &source, &options.contract_name)?;
    deploy_code(provider, &options.contract_name, code).await
}

/// What `zkbatch deploy` deployed.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub chain_id: u64,
    pub registry: Address,
    pub circuits: Vec<crate::config::CircuitConfig>,
}

/// Deploys the registry and, for each `(circuit id, verification_key.json)`, its single and
/// batch verifiers.
pub async fn deploy_all<P: Provider>(provider: &P, solc: &Path, circuits: &[(String, PathBuf)]) -> Result<Deployment, DeployError> {
    let chain_id = provider.get_chain_id().await.map_err(|e| DeployError::Deploy { what: "chain id".into(), reason: e.to_string() })?;
    let registry = deploy_registry(provider).await?;
    let mut out = Vec::new();
    for (id, vk_path) in circuits {
        let vk = zkbatch_prover::snarkjs::read_verifying_key(vk_path).map_err(|e| DeployError::Render(e.to_string()))?;
        let verifier = deploy_verifier(provider, solc, &vk).await?;
        let batch_verifier = deploy_batch_verifier(provider, solc, &vk).await?;
        out.push(crate::config::CircuitConfig { id: id.clone(), vk: vk_path.clone(), verifier, batch_verifier: Some(batch_verifier) });
    }
    Ok(Deployment { chain_id, registry, circuits: out })
}
