//! Recursive aggregates on-chain: deploying an aggregate verifier (rendered by
//! `zkbatch solgen aggregate`) with its `AggregatedProofRegistry`, and submitting an aggregate
//! proof to the registry. The relayer's own queue does not aggregate yet.

use std::path::Path;

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::Provider;
use alloy::sol;
use alloy::sol_types::SolValue;

use crate::deploy::{compile, deploy_code, DeployError};

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    AggregatedProofRegistry,
    "../../out/AggregatedProofRegistry.sol/AggregatedProofRegistry.json"
);

/// The verifier in `verifier_source` (contract `verifier_name`) and a registry for N = `slots`
/// proofs of ℓ = `inputs` inputs in front of it: (verifier, registry).
pub async fn deploy_aggregate<P: Provider>(
    provider: &P,
    solc: &Path,
    verifier_source: &str,
    verifier_name: &str,
    slots: usize,
    inputs: usize,
) -> Result<(Address, Address), DeployError> {
    let code = compile(solc, verifier_source, verifier_name)?;
    let verifier = deploy_code(provider, verifier_name, code).await?;
    let mut code = AggregatedProofRegistry::BYTECODE.to_vec();
    code.extend((verifier, U256::from(slots), U256::from(inputs)).abi_encode_params());
    let registry = deploy_code(provider, "AggregatedProofRegistry", Bytes::from(code)).await?;
    Ok((verifier, registry))
}

/// What one `submit` did.
#[derive(Clone, Debug)]
pub struct AggregateReceipt {
    pub tx_hash: B256,
    pub block: Option<u64>,
    pub gas_used: u64,
    pub root: B256,
}

#[derive(Debug, thiserror::Error)]
pub enum AggregateSubmitError {
    #[error("the registry refuses the aggregate: {0}")]
    Refused(String),
    #[error("sending the transaction: {0}")]
    Send(String),
    #[error("transaction {0} reverted")]
    Reverted(B256),
    #[error("transaction {0} emitted no AggregateVerified event")]
    NoEvent(B256),
}

/// `submit(instances, proof)` on the registry at `registry`, simulated first (a refusal is
/// reported with the registry's reason and costs nothing), then sent; waits for the receipt.
pub async fn submit_aggregate<P: Provider>(
    provider: &P,
    registry: Address,
    instances: Vec<U256>,
    proof: Bytes,
) -> Result<AggregateReceipt, AggregateSubmitError> {
    let contract = AggregatedProofRegistry::new(registry, provider);
    let call = contract.submit(instances, proof);
    call.call().await.map_err(|e| AggregateSubmitError::Refused(describe(&e)))?;
    let receipt = call
        .send()
        .await
        .map_err(|e| AggregateSubmitError::Send(e.to_string()))?
        .get_receipt()
        .await
        .map_err(|e| AggregateSubmitError::Send(e.to_string()))?;
    if !receipt.status() {
        return Err(AggregateSubmitError::Reverted(receipt.transaction_hash));
    }
    let root = receipt
        .decoded_log::<AggregatedProofRegistry::AggregateVerified>()
        .map(|log| log.data.root)
        .ok_or(AggregateSubmitError::NoEvent(receipt.transaction_hash))?;
    Ok(AggregateReceipt { tx_hash: receipt.transaction_hash, block: receipt.block_number, gas_used: receipt.gas_used, root })
}

/// The registry's error in words where the ABI knows it.
fn describe(e: &alloy::contract::Error) -> String {
    use AggregatedProofRegistry::AggregatedProofRegistryErrors as E;
    match e.as_decoded_interface_error::<E>() {
        Some(E::InstanceCount(x)) => format!("InstanceCount: {} instances given, the registry's shape needs {}", x.got, x.expected),
        Some(E::InstanceNotInField(x)) => format!("InstanceNotInField: instance {} is not below the scalar field order r", x.index),
        Some(E::AggregateProofInvalid(_)) => "AggregateProofInvalid: the verifier rejects the proof for these instances".into(),
        Some(E::AlreadyVerified(x)) => format!("AlreadyVerified: this batch (root {}) is already recorded", x.root),
        None => e.to_string(),
    }
}
