//! Contracts deployed with alloy: any creation bytecode, `ProofRegistry` from its checked-in
//! bytecode, a Solidity source compiled with [`crate::solc`], and an aggregate verifier with the
//! `AggregatedProofRegistry` in front of it.

use std::path::Path;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{PendingTransactionError, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolValue;
use alloy::transports::TransportError;

use crate::bindings::{AggregatedProofRegistry, ProofRegistry};
use crate::solc::{compile, SolcError};

/// Why a contract was not deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The source did not compile.
    #[error(transparent)]
    Solc(#[from] SolcError),
    /// The node refused the creation transaction.
    #[error("deploying {what}: {source}")]
    Send {
        /// The contract.
        what: String,
        /// The node's answer.
        source: TransportError,
    },
    /// The creation transaction was sent but no receipt came.
    #[error("deploying {what}: waiting for the receipt: {source}")]
    Receipt {
        /// The contract.
        what: String,
        /// Why the wait ended.
        source: PendingTransactionError,
    },
    /// The creation transaction was mined and reverted.
    #[error("deploying {what}: the creation transaction {tx} reverted")]
    Reverted {
        /// The contract.
        what: String,
        /// The transaction.
        tx: B256,
    },
    /// The receipt names no new contract.
    #[error("deploying {what}: the receipt of {tx} has no contract address")]
    NoAddress {
        /// The contract.
        what: String,
        /// The transaction.
        tx: B256,
    },
}

/// Sends a contract creation and waits for its receipt; the new contract's address.
pub async fn deploy_code<P: Provider>(provider: &P, what: &str, code: Bytes) -> Result<Address, DeployError> {
    let tx = TransactionRequest::default().with_deploy_code(code);
    let pending = provider.send_transaction(tx).await.map_err(|source| DeployError::Send { what: what.into(), source })?;
    let receipt = pending.get_receipt().await.map_err(|source| DeployError::Receipt { what: what.into(), source })?;
    if !receipt.status() {
        return Err(DeployError::Reverted { what: what.into(), tx: receipt.transaction_hash });
    }
    receipt.contract_address.ok_or(DeployError::NoAddress { what: what.into(), tx: receipt.transaction_hash })
}

/// Deploys `ProofRegistry`.
pub async fn deploy_registry<P: Provider>(provider: &P) -> Result<Address, DeployError> {
    deploy_code(provider, "ProofRegistry", ProofRegistry::BYTECODE.clone()).await
}

/// Compiles `contract` in `source` with `solc` and deploys it.
pub async fn deploy_source<P: Provider>(provider: &P, solc: &Path, source: &str, contract: &str) -> Result<Address, DeployError> {
    let code = compile(solc, source, contract)?;
    deploy_code(provider, contract, code.into()).await
}

/// The aggregate verifier `verifier_name` in `verifier_source` (as `zkbatch solgen aggregate`
/// renders it) and an `AggregatedProofRegistry` for N = `slots` proofs of ℓ = `inputs` inputs in
/// front of it: (verifier, registry).
pub async fn deploy_aggregate<P: Provider>(
    provider: &P,
    solc: &Path,
    verifier_source: &str,
    verifier_name: &str,
    slots: usize,
    inputs: usize,
) -> Result<(Address, Address), DeployError> {
    let verifier = deploy_source(provider, solc, verifier_source, verifier_name).await?;
    let mut code = AggregatedProofRegistry::BYTECODE.to_vec();
    code.extend((verifier, U256::from(slots), U256::from(inputs)).abi_encode_params());
    let registry = deploy_code(provider, "AggregatedProofRegistry", Bytes::from(code)).await?;
    Ok((verifier, registry))
}
