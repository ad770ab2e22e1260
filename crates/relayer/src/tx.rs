//! The transaction lifecycle: one signer's transactions, from signing to an end.
//!
//! A batch's transaction is signed, recorded in the database and only then broadcast, so a crash
//! at any point leaves a record the next start reconciles with the chain. A recorded batch is then
//! driven each round ([`Transactions::drive`]): a receipt with enough confirmations confirms it or
//! reverts it; an unmined transaction is sent again now and then, or replaced with bumped fees
//! when stuck; a nonce the chain shows used by a transaction this relayer never signed gives the
//! batch up, its proofs back to the queue. A confirmed batch is watched until its block is
//! final ([`Transactions::watch`]): a reorg that takes its block away makes it pending again.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::{Decodable2718, Eip2718Error, Encodable2718};
use alloy::eips::BlockNumberOrTag;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};
use zkbatch_evm::bindings::{AggregatedProofRegistry, ProofRegistry};
use zkbatch_evm::{statement, EvmProof, Revert};

use crate::batching::{self, Mode};
use crate::fees::{self, AboveCap, Fees};
use crate::shared::Shared;
use crate::store::{now_ms, ConfirmedBatch, PendingBatch, StoreError, TxRecord};

/// Why a round of the submitter stopped; it backs off and tries again.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SubmitError {
    /// An RPC call failed.
    #[error("RPC {call}: {failure:?}")]
    Rpc {
        /// The JSON-RPC method.
        call: &'static str,
        /// What the failure means.
        failure: Failure,
    },
    /// An RPC call took longer than `retry.rpc_timeout_ms`.
    #[error("RPC {call}: no answer within {timeout:?}")]
    Timeout {
        /// The JSON-RPC method.
        call: &'static str,
        /// The limit.
        timeout: Duration,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A contract the relayer calls has no code on this chain.
    #[error("{what} at {address} has no code on this chain (a wrong address, or a chain reset since the deploy); nothing is submitted until it does")]
    NoCode {
        /// Which contract, e.g. `the registry`.
        what: String,
        /// Its configured address.
        address: Address,
    },
    /// Signing a transaction failed.
    #[error("signing: {0}")]
    Sign(#[source] alloy::network::TransactionBuilderError<alloy::network::Ethereum>),
    /// A recorded transaction cannot be read back.
    #[error("recorded transaction {tx} does not decode: {source}")]
    Decode {
        /// The transaction.
        tx: B256,
        /// Why.
        source: Eip2718Error,
    },
    /// A recorded transaction is not the EIP-1559 one this relayer signs.
    #[error("recorded transaction {0} is not EIP-1559")]
    NotEip1559(B256),
    /// The fees are above the cap: nothing is sent.
    #[error(transparent)]
    FeeAboveCap(#[from] AboveCap),
    /// The chain has no base fee.
    #[error("the node's latest block has no base fee (not an EIP-1559 chain?)")]
    NoBaseFee,
}

impl SubmitError {
    /// Whether the node (not the database or the relayer) failed.
    pub(crate) fn is_rpc(&self) -> bool {
        matches!(self, SubmitError::Rpc { .. } | SubmitError::Timeout { .. })
    }
}

/// What an RPC failure means for the relayer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The node executed the call and it reverts: trying again changes nothing. The reason is
    /// named by the contracts' errors.
    Revert(String),
    /// The node refused the request for a reason of its own (funds, fees, nonce, …).
    Refused(String),
    /// No answer, a timeout, or a transport error: try again later.
    Transient(String),
}

/// Classifies an RPC error.
pub(crate) fn classify(err: &RpcError<TransportErrorKind>) -> Failure {
    match err.as_error_resp() {
        Some(payload) => {
            if let Some(data) = payload.as_revert_data() {
                return Failure::Revert(Revert::decode(&data).to_string());
            }
            let message = payload.message.to_lowercase();
            if payload.code == 3 || message.contains("revert") {
                Failure::Revert(payload.message.to_string())
            } else {
                Failure::Refused(format!("{} (code {})", payload.message, payload.code))
            }
        }
        None => Failure::Transient(err.to_string()),
    }
}

/// A node's answer to a raw transaction that means it has, or had, this transaction or nonce:
/// the receipt lookup settles what happened.
pub(crate) fn is_known_tx(message: &str) -> bool {
    let m = message.to_lowercase();
    ["already known", "known transaction", "already imported", "nonce too low", "transaction already exists", "replacement transaction underpriced"]
        .iter()
        .any(|s| m.contains(s))
}

/// How often an unmined transaction is sent again (harmless: the node answers "already known").
const REBROADCAST: Duration = Duration::from_secs(3);

/// One signer's transactions on one node.
pub(crate) struct Transactions {
    provider: DynProvider,
    wallet: EthereumWallet,
    from: Address,
    /// `from` as stored in the database (lowercase hex): whose batches and claims are whose.
    signer_id: String,
    chain_id: u64,
    timeout: Duration,
    /// When each pending batch's newest transaction was last sent to the node (a node that
    /// restarted or dropped it from its pool gets it again).
    last_sent: HashMap<i64, Instant>,
    /// Since when each pending batch's nonce has been seen used with no receipt for it.
    orphaned: HashMap<i64, Instant>,
}

impl Transactions {
    /// `signer`'s transactions through `provider` (which must add no fillers: every field is set
    /// here and signed locally); each RPC call is bounded by `timeout`.
    pub(crate) fn new(provider: DynProvider, signer: PrivateKeySigner, timeout: Duration) -> Transactions {
        let from = signer.address();
        Transactions {
            provider,
            wallet: EthereumWallet::from(signer),
            from,
            signer_id: format!("{from:#x}"),
            chain_id: 0,
            timeout,
            last_sent: HashMap::new(),
            orphaned: HashMap::new(),
        }
    }

    pub(crate) fn from(&self) -> Address {
        self.from
    }

    pub(crate) fn signer_id(&self) -> &str {
        &self.signer_id
    }

    /// One RPC call, bounded in time, its error classified.
    pub(crate) async fn rpc<T, E, F>(&self, call: &'static str, fut: F) -> Result<T, SubmitError>
    where
        F: std::future::IntoFuture<Output = Result<T, E>>,
        E: Into<RpcErrorLike>,
    {
        match tokio::time::timeout(self.timeout, fut).await {
            Err(_) => Err(SubmitError::Timeout { call, timeout: self.timeout }),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(SubmitError::Rpc { call, failure: e.into().0 }),
        }
    }

    /// Learns the chain id, checks the registry and every circuit's verifiers have code; returns
    /// the first nonce the chain has not seen pending.
    pub(crate) async fn start(&mut self, shared: &Shared) -> Result<(u64, u64), SubmitError> {
        self.chain_id = self.rpc("eth_chainId", self.provider.get_chain_id()).await?;
        let mut contracts = vec![("the registry".to_string(), shared.config.registry)];
        for (id, c) in &shared.circuits {
            contracts.push((format!("circuit {id}'s verifier"), c.verifier));
            contracts.extend(c.batch_verifier.map(|a| (format!("circuit {id}'s batch verifier"), a)));
        }
        for (what, address) in contracts {
            let code = self.rpc("eth_getCode", self.provider.get_code_at(address)).await?;
            if code.is_empty() {
                return Err(SubmitError::NoCode { what, address });
            }
        }
        Ok((self.chain_id, self.pending_nonce().await?))
    }

    /// The signer's next nonce as the node sees it: mined and pending transactions counted.
    pub(crate) async fn pending_nonce(&self) -> Result<u64, SubmitError> {
        self.rpc("eth_getTransactionCount", self.provider.get_transaction_count(self.from).pending()).await
    }

    /// The signer's mined transactions: the next nonce the latest block leaves free.
    pub(crate) async fn mined_nonce(&self) -> Result<u64, SubmitError> {
        self.rpc("eth_getTransactionCount", self.provider.get_transaction_count(self.from).latest()).await
    }

    /// Whether `address` has code on the chain now.
    pub(crate) async fn has_code(&self, address: Address) -> Result<bool, SubmitError> {
        Ok(!self.rpc("eth_getCode", self.provider.get_code_at(address)).await?.is_empty())
    }

    /// Uses `nonce` with a transfer of nothing to the signer itself: a nonce none of the
    /// recorded transactions will use would hold every later one back.
    pub(crate) async fn fill(&mut self, nonce: u64, fees: Fees) -> Result<B256, SubmitError> {
        let request = TransactionRequest::default().with_to(self.from).with_gas_limit(21_000);
        let tx = self.sign(request, nonce, fees).await?;
        match self.rpc("eth_sendRawTransaction", self.provider.send_raw_transaction(&tx.raw)).await {
            Ok(_) => Ok(tx.hash),
            Err(SubmitError::Rpc { failure: Failure::Refused(m) | Failure::Revert(m), .. }) if is_known_tx(&m) => Ok(tx.hash),
            Err(e) => Err(e),
        }
    }

    /// The latest block number and the signer's balance (wei).
    pub(crate) async fn head_and_balance(&self) -> Result<(u64, u128), SubmitError> {
        let head = self.rpc("eth_blockNumber", self.provider.get_block_number()).await?;
        let balance = self.rpc("eth_getBalance", self.provider.get_balance(self.from)).await?;
        Ok((head, u128::try_from(balance).unwrap_or(u128::MAX)))
    }

    /// `eth_estimateGas` for a call from this signer.
    pub(crate) async fn estimate_gas(&self, request: TransactionRequest) -> Result<u64, SubmitError> {
        self.rpc("eth_estimateGas", self.provider.estimate_gas(request.with_from(self.from))).await
    }

    /// `eth_call` from this signer: whether the call executes without reverting.
    pub(crate) async fn call(&self, request: TransactionRequest) -> Result<(), SubmitError> {
        self.rpc("eth_call", self.provider.call(request.with_from(self.from))).await.map(|_| ())
    }

    /// The fees a new transaction offers now.
    pub(crate) async fn fees(&self, shared: &Shared) -> Result<Fees, SubmitError> {
        let block = self.rpc("eth_getBlockByNumber", self.provider.get_block_by_number(BlockNumberOrTag::Latest)).await?;
        let base = block.and_then(|b| b.header.base_fee_per_gas).ok_or(SubmitError::NoBaseFee)? as u128;
        let suggested = self.rpc("eth_maxPriorityFeePerGas", self.provider.get_max_priority_fee_per_gas()).await?;
        Ok(fees::offer(base, suggested, &shared.config.fees)?)
    }

    /// Signs `request` (to, data and gas limit set) with `nonce` and `fees`: the record to store
    /// before the transaction is broadcast.
    pub(crate) async fn sign(&self, request: TransactionRequest, nonce: u64, fees: Fees) -> Result<TxRecord, SubmitError> {
        let request = request
            .with_from(self.from)
            .with_nonce(nonce)
            .with_chain_id(self.chain_id)
            .with_max_fee_per_gas(fees.max_fee)
            .with_max_priority_fee_per_gas(fees.priority);
        let envelope: TxEnvelope = request.build(&self.wallet).await.map_err(SubmitError::Sign)?;
        Ok(TxRecord {
            hash: *envelope.tx_hash(),
            nonce,
            raw: envelope.encoded_2718(),
            max_fee: fees.max_fee,
            priority_fee: fees.priority,
            broadcast: false,
            created_ms: now_ms(),
        })
    }

    /// Forgets what it kept about batches no longer pending.
    pub(crate) fn retain(&mut self, pending: &[PendingBatch]) {
        self.last_sent.retain(|id, _| pending.iter().any(|b| b.id == *id));
        self.orphaned.retain(|id, _| pending.iter().any(|b| b.id == *id));
    }

    /// Moves a recorded batch on; true when it reached an end (confirmed, reverted, abandoned).
    pub(crate) async fn drive(&mut self, shared: &Shared, batch: &PendingBatch) -> Result<bool, SubmitError> {
        let (store, config, metrics) = (&shared.store, &shared.config, &shared.metrics);
        // A receipt for any of its transactions (one nonce: at most one of them is ever mined).
        for tx in batch.txs.iter().rev() {
            let receipt = self.rpc("eth_getTransactionReceipt", self.provider.get_transaction_receipt(tx.hash)).await?;
            let Some(receipt) = receipt else { continue };
            let Some(block) = receipt.block_number else { continue };
            // A receipt whose block is not the canonical one at its height is stale (a node may
            // keep receipts of a reorganised block): not mined, as far as this batch goes.
            if receipt.block_hash.is_none() || self.canonical_hash(block).await? != receipt.block_hash {
                continue;
            }
            let latest = self.rpc("eth_blockNumber", self.provider.get_block_number()).await?;
            metrics.chain.head.fetch_max(latest, Ordering::Relaxed);
            if latest + 1 < block + config.confirmations {
                return Ok(false);
            }
            let gas = receipt.gas_used;
            if receipt.status() {
                // Confirmed only with the registry's word for each proof: a call to an address
                // without code (a typo, a chain reset) succeeds too, and emits nothing.
                let aggregate = batch.mode == batching::AGGREGATE;
                let (registry, verified) = if aggregate {
                    let registry = shared.circuits.get(&batch.circuit).and_then(|c| c.aggregate_registry).unwrap_or(config.registry);
                    (registry, aggregated_keys(receipt.inner.logs(), registry, &store.batch_proofs(batch.id).await?))
                } else {
                    (config.registry, verified_keys(receipt.inner.logs(), config.registry))
                };
                if verified.is_empty() && !self.has_code(registry).await? {
                    // The registry is gone since the start (the chain was reset): the transaction
                    // did nothing. Its proofs wait in the queue until the registry is back.
                    store.abandon_batch(batch.id).await?;
                    shared.resync_queue().await?;
                    tracing::warn!(batch = batch.id, tx = %tx.hash, block, "the registry has no code any more: the batch's transaction did nothing; its proofs are queued again");
                    return Err(SubmitError::NoCode { what: "the registry".into(), address: registry });
                }
                let unverified = store.fail_unverified(batch.id, &verified, tx.hash, block, registry, aggregate).await?;
                if unverified > 0 {
                    metrics.proofs_unverified.add(unverified);
                    tracing::error!(batch = batch.id, tx = %tx.hash, block, unverified, %registry, "transaction succeeded without the registry's event for some proofs: is the address the registry contract? They are marked failed");
                }
                let block_hash = receipt.block_hash.unwrap_or_default();
                let waits = store.confirm_batch(batch.id, tx.hash, block, block_hash, gas).await?;
                metrics.batches_confirmed.inc();
                metrics.proofs_confirmed.add(waits.len() as u64);
                metrics.batch_size.observe(batch.size as f64);
                metrics.gas_per_proof.observe(Mode::label(&batch.mode), gas as f64 / batch.size.max(1) as f64);
                metrics.chain.last_confirmed.fetch_max(block, Ordering::Relaxed);
                for w in waits {
                    metrics.submission_latency.observe(w as f64 / 1000.0);
                }
                tracing::info!(batch = batch.id, tx = %tx.hash, block, gas, proofs = batch.size, mode = %batch.mode, "batch confirmed");
            } else {
                store.revert_batch(batch.id, tx.hash, block, gas, config.retry.max_reverts).await?;
                metrics.batches_reverted.inc();
                shared.resync_queue().await?;
                tracing::warn!(batch = batch.id, tx = %tx.hash, block, "batch reverted on-chain; its proofs go back to the queue");
            }
            return Ok(true);
        }

        // Not mined. If the chain has moved past this nonce while none of our transactions for
        // it has a receipt, either the receipt lags the nonce (nodes update state before they
        // index receipts, and load-balanced endpoints answer from different nodes) or a
        // transaction we never signed used the nonce (a shared key). Only the second is final,
        // so the batch is given up only after the condition has held for `orphan_after_ms`:
        // requeuing on the first sight would submit mined proofs a second time.
        let mined_nonce = self.mined_nonce().await?;
        if mined_nonce > batch.nonce {
            let since = *self.orphaned.entry(batch.id).or_insert_with(Instant::now);
            if since.elapsed() < Duration::from_millis(config.retry.orphan_after_ms) {
                return Ok(false);
            }
            store.abandon_batch(batch.id).await?;
            shared.resync_queue().await?;
            tracing::warn!(batch = batch.id, nonce = batch.nonce, "nonce used by a transaction this relayer did not record; proofs requeued");
            return Ok(true);
        }
        self.orphaned.remove(&batch.id);

        let Some(newest) = batch.txs.last() else {
            return Err(StoreError::Corrupt { what: "batch without a transaction", row: batch.id }.into());
        };
        let stuck = now_ms() - newest.created_ms > config.fees.replace_after_ms as i64;
        if stuck && newest.broadcast {
            if let Some(replacement) = self.replacement(shared, newest).await? {
                store.record_replacement(batch.id, &replacement).await?;
                metrics.replacements.inc();
                tracing::info!(batch = batch.id, old = %newest.hash, new = %replacement.hash, max_fee = replacement.max_fee, "replacing stuck transaction");
                self.broadcast(shared, batch.id, &replacement).await?;
                return Ok(false);
            }
        }
        let due = self.last_sent.get(&batch.id).is_none_or(|t| t.elapsed() >= REBROADCAST);
        if !newest.broadcast || due {
            self.broadcast(shared, batch.id, newest).await?;
        }
        Ok(false)
    }

    /// Checks a confirmed batch against the canonical chain at `head`: when its transaction's
    /// receipt is gone or names another block, the batch is pending again (the next round finds
    /// it mined again, sends it again while its nonce is free, or gives it up when another
    /// transaction took the nonce); once `finality_depth` deep, it is finalized. True when it moved.
    pub(crate) async fn watch(&mut self, shared: &Shared, batch: &ConfirmedBatch, head: u64, finality_depth: u64) -> Result<bool, SubmitError> {
        let receipt = self.rpc("eth_getTransactionReceipt", self.provider.get_transaction_receipt(batch.tx_hash)).await?;
        let in_block = receipt.as_ref().is_some_and(|r| r.block_number == Some(batch.block) && batch.block_hash.is_none_or(|h| r.block_hash == Some(h)));
        // The receipt alone is not enough: a node may keep receipts of a block a reorg took away.
        let canonical = in_block && {
            let hash = self.canonical_hash(batch.block).await?;
            hash.is_some() && hash == receipt.as_ref().and_then(|r| r.block_hash)
        };
        if !canonical {
            shared.store.unconfirm_batch(batch.id).await?;
            shared.metrics.reorgs.inc();
            // Sent again in this round, not after the rebroadcast interval.
            self.last_sent.remove(&batch.id);
            let now_in = receipt.and_then(|r| r.block_number);
            tracing::warn!(batch = batch.id, tx = %batch.tx_hash, nonce = batch.nonce, block = batch.block, ?now_in, "the block that confirmed this batch left the canonical chain: its proofs are submitted again");
            return Ok(true);
        }
        if head + 1 >= batch.block + finality_depth {
            let proofs = shared.store.finalize_batch(batch.id).await?;
            shared.metrics.proofs_finalized.add(proofs);
            tracing::debug!(batch = batch.id, block = batch.block, proofs, "batch final");
            return Ok(true);
        }
        Ok(false)
    }

    /// The hash of the canonical chain's block at `number`, if it has one.
    pub(crate) async fn canonical_hash(&self, number: u64) -> Result<Option<B256>, SubmitError> {
        let block = self.rpc("eth_getBlockByNumber", self.provider.get_block_by_number(BlockNumberOrTag::Number(number))).await?;
        Ok(block.map(|b| b.header.hash))
    }

    /// Sends a recorded transaction; "already known" and the like count as sent.
    pub(crate) async fn broadcast(&mut self, shared: &Shared, batch_id: i64, tx: &TxRecord) -> Result<(), SubmitError> {
        match self.rpc("eth_sendRawTransaction", self.provider.send_raw_transaction(&tx.raw)).await {
            Ok(_) => {}
            Err(SubmitError::Rpc { failure: Failure::Refused(m) | Failure::Revert(m), .. }) if is_known_tx(&m) => {}
            Err(e) => return Err(e),
        }
        self.last_sent.insert(batch_id, Instant::now());
        if !tx.broadcast {
            shared.store.mark_broadcast(batch_id, tx.hash).await?;
            tracing::debug!(batch = batch_id, tx = %tx.hash, nonce = tx.nonce, "broadcast");
        }
        Ok(())
    }

    /// The same transaction with bumped fees (see [`fees::bump`]); `None` when the cap leaves no
    /// room.
    async fn replacement(&self, shared: &Shared, old: &TxRecord) -> Result<Option<TxRecord>, SubmitError> {
        let offered = Fees { max_fee: old.max_fee, priority: old.priority_fee };
        let Some(fees) = fees::bump(offered, self.fees(shared).await.ok(), &shared.config.fees) else {
            tracing::warn!(tx = %old.hash, "stuck transaction cannot be replaced: the fee cap is reached");
            return Ok(None);
        };
        let envelope = TxEnvelope::decode_2718(&mut old.raw.as_slice()).map_err(|source| SubmitError::Decode { tx: old.hash, source })?;
        let Some(signed) = envelope.as_eip1559() else {
            return Err(SubmitError::NotEip1559(old.hash));
        };
        self.sign(TransactionRequest::from_transaction(signed.tx().clone()), old.nonce, fees).await.map(Some)
    }
}

/// Any alloy error the RPC helper takes, classified.
pub(crate) struct RpcErrorLike(Failure);

impl From<alloy::transports::TransportError> for RpcErrorLike {
    fn from(e: alloy::transports::TransportError) -> Self {
        RpcErrorLike(classify(&e))
    }
}

/// The proof keys of the `ProofVerified` events `registry` emitted in these logs.
fn verified_keys(logs: &[alloy::rpc::types::Log], registry: Address) -> Vec<B256> {
    use alloy::sol_types::SolEvent;
    logs.iter()
        .filter(|l| l.address() == registry && l.topics().first() == Some(&ProofRegistry::ProofVerified::SIGNATURE_HASH))
        .filter_map(|l| l.topics().get(1).copied())
        .collect()
}

/// The keys of the `proofs` (key, stored data) whose statement is a leaf of an
/// `AggregateVerified` event `registry` emitted in these logs (under that event's vkHash).
fn aggregated_keys(logs: &[alloy::rpc::types::Log], registry: Address, proofs: &[(B256, Vec<u8>)]) -> Vec<B256> {
    let events: Vec<_> = logs
        .iter()
        .filter(|l| l.address() == registry)
        .filter_map(|l| l.log_decode::<AggregatedProofRegistry::AggregateVerified>().ok())
        .map(|e| e.inner.data)
        .collect();
    let landed = |p: &EvmProof| {
        let inputs_hash = statement::inputs_hash(&p.inputs);
        events.iter().any(|e| e.leaves.contains(&statement::leaf(e.vkHash, inputs_hash)))
    };
    proofs.iter().filter(|(_, data)| EvmProof::from_bytes(data).is_some_and(|p| landed(&p))).map(|(key, _)| *key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_transaction_answers() {
        assert!(is_known_tx("already known"));
        assert!(is_known_tx("nonce too low: next nonce 5, tx nonce 4"));
        assert!(!is_known_tx("insufficient funds for gas * price + value"));
    }
}
