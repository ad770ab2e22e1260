//! Aggregates on-chain: `AggregatedProofRegistry.submit`, simulated first so that a refusal costs
//! nothing and is named by the registry's own errors.

use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{PendingTransactionError, Provider};

use crate::bindings::AggregatedProofRegistry;
use crate::revert::Revert;

/// What one [`submit_aggregate`] did.
#[derive(Clone, Debug)]
pub struct AggregateReceipt {
    /// The transaction.
    pub tx_hash: B256,
    /// Its block, when the node says.
    pub block: Option<u64>,
    /// Its gasUsed (calldata and the 21,000 base included).
    pub gas_used: u64,
    /// The batch's Merkle root, from its `AggregateVerified` event.
    pub root: B256,
}

/// Why an aggregate was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum AggregateSubmitError {
    /// The simulation reverted: nothing was sent.
    #[error("the registry refuses the aggregate: {0}")]
    Refused(Revert),
    /// The simulation failed for another reason (the node, the transport).
    #[error("simulating the submission: {0}")]
    Simulate(#[source] alloy::contract::Error),
    /// The node refused the transaction.
    #[error("sending the transaction: {0}")]
    Send(#[source] alloy::contract::Error),
    /// The transaction was sent but no receipt came.
    #[error("waiting for the receipt: {0}")]
    Receipt(#[source] PendingTransactionError),
    /// The transaction was mined and reverted.
    #[error("transaction {0} reverted")]
    Reverted(B256),
    /// The transaction succeeded but recorded nothing (no registry at that address?).
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
    if let Err(e) = call.call().await {
        return Err(match Revert::of_contract_error(&e) {
            Some(revert) => AggregateSubmitError::Refused(revert),
            None => AggregateSubmitError::Simulate(e),
        });
    }
    let pending = call.send().await.map_err(AggregateSubmitError::Send)?;
    let receipt = pending.get_receipt().await.map_err(AggregateSubmitError::Receipt)?;
    if !receipt.status() {
        return Err(AggregateSubmitError::Reverted(receipt.transaction_hash));
    }
    let root = receipt
        .decoded_log::<AggregatedProofRegistry::AggregateVerified>()
        .map(|log| log.data.root)
        .ok_or(AggregateSubmitError::NoEvent(receipt.transaction_hash))?;
    Ok(AggregateReceipt { tx_hash: receipt.transaction_hash, block: receipt.block_number, gas_used: receipt.gas_used, root })
}
