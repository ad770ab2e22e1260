//! Deployment with alloy: the registry (bytecode from forge's artifact, built into this crate)
//! and a circuit's verifiers, generated from its verifying key and compiled with solc (the
//! project's `.tools/bin/solc`, `$ZKBATCH_SOLC`, or `solc` on PATH) with the Foundry project's
//! optimiser settings.

use std::path::{Path, PathBuf};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;

use crate::chain::ProofRegistry;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Solc(#[from] zkbatch_solgen::solc::SolcError),
    #[error("rendering the verifier: {0}")]
    Render(String),
    #[error("deploying {what}: {reason}")]
    Deploy { what: String, reason: String },
}

pub use zkbatch_solgen::solc::find_solc;

/// Compiles one Solidity source and returns `contract`'s creation bytecode.
pub fn compile(solc: &Path, source: &str, contract: &str) -> Result<Bytes, DeployError> {
    Ok(Bytes::from(zkbatch_solgen::solc::compile(solc, source, contract)?))
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
