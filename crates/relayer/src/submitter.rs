//! The batcher and submitter: one task per relayer (one signer, one nonce sequence).
//!
//! Each round it first drives every recorded, unconfirmed batch towards an end (receipt →
//! confirmed or reverted; not mined → rebroadcast, or replaced with bumped fees when stuck;
//! nonce used by a transaction we never signed → the proofs go back to the queue), then closes
//! new batches while fewer than `max_in_flight` are pending. A new batch is estimated first (a
//! revert there is bisected down to the proofs that cause it, which fail alone), signed, recorded
//! in the database, and only then broadcast. That order is what makes a crash harmless: on
//! restart the recorded transaction is found and reconciled with the chain, never rebuilt.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::consensus::TxEnvelope;
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy::eips::BlockNumberOrTag;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, Bytes};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use tokio::sync::{watch, Notify};

use crate::chain::{self, classify, Failure, GasModel, Mode};
use crate::config::{gwei, Config};
use crate::metrics::Metrics;
use crate::proof::EvmProof;
use crate::service::Circuits;
use crate::store::{now_ms, PendingBatch, Queued, Store, StoreError, TxRecord};

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("RPC {call}: {failure:?}")]
    Rpc { call: &'static str, failure: Failure },
    #[error("RPC {call}: no answer within {timeout:?}")]
    Timeout { call: &'static str, timeout: Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing: {0}")]
    Sign(String),
    #[error("the base fee ({base} wei) plus the priority fee is above the fee cap ({cap} wei); waiting")]
    FeeAboveCap { base: u128, cap: u128 },
    #[error("the node's latest block has no base fee (not an EIP-1559 chain?)")]
    NoBaseFee,
}

impl SubmitError {
    fn is_rpc(&self) -> bool {
        matches!(self, SubmitError::Rpc { .. } | SubmitError::Timeout { .. })
    }
}

pub struct Submitter {
    store: Store,
    provider: DynProvider,
    wallet: EthereumWallet,
    from: Address,
    /// `from` as stored in the database (lowercase hex): whose batches and claims are whose.
    signer_id: String,
    chain_id: u64,
    next_nonce: u64,
    config: Arc<Config>,
    circuits: Arc<Circuits>,
    metrics: Arc<Metrics>,
    queued: Arc<AtomicUsize>,
    notify: Arc<Notify>,
    gas_model: GasModel,
    /// When each pending batch's newest transaction was last sent to the node (a node that
    /// restarted or dropped it from its pool gets it again).
    last_sent: HashMap<i64, Instant>,
    /// Since when each pending batch's nonce has been seen used with no receipt for it.
    orphaned: HashMap<i64, Instant>,
    /// Estimated gas per (verifier, proofs, inputs per proof); see [`Submitter::estimate`].
    gas_cache: std::sync::Mutex<HashMap<(Address, usize, usize), u64>>,
    last_resync: Instant,
}

/// How often an unmined transaction is sent again (harmless: the node answers "already known").
const REBROADCAST: Duration = Duration::from_secs(3);
/// How often the in-memory queue depth is re-read from the database.
const QUEUE_RESYNC: Duration = Duration::from_millis(500);
/// The round's pause when there was nothing to do (new proofs wake it at once).
const IDLE: Duration = Duration::from_millis(50);

impl Submitter {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        provider: DynProvider,
        signer: PrivateKeySigner,
        config: Arc<Config>,
        circuits: Arc<Circuits>,
        metrics: Arc<Metrics>,
        queued: Arc<AtomicUsize>,
        notify: Arc<Notify>,
    ) -> Submitter {
        let from = signer.address();
        Submitter {
            store,
            provider,
            wallet: EthereumWallet::from(signer),
            from,
            signer_id: format!("{from:#x}"),
            chain_id: 0,
            next_nonce: 0,
            config,
            circuits,
            metrics,
            queued,
            notify,
            gas_model: GasModel::default(),
            last_sent: HashMap::new(),
            orphaned: HashMap::new(),
            gas_cache: std::sync::Mutex::new(HashMap::new()),
            last_resync: Instant::now(),
        }
    }

    /// Runs until `shutdown` turns true. RPC errors never end it: it backs off exponentially
    /// and tries again.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let initial = Duration::from_millis(self.config.retry.initial_backoff_ms.max(1));
        let max = Duration::from_millis(self.config.retry.max_backoff_ms.max(1));
        let mut backoff = initial;
        let mut started = false;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let result = if started { self.round().await } else { self.start().await.map(|()| true) };
            let pause = match result {
                Ok(progress) => {
                    started = true;
                    backoff = initial;
                    if progress {
                        Duration::ZERO
                    } else {
                        IDLE
                    }
                }
                Err(e) => {
                    if e.is_rpc() {
                        self.metrics.rpc_errors.inc();
                    }
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "submitter");
                    let b = backoff;
                    backoff = (backoff * 2).min(max);
                    b
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = self.notify.notified(), if pause == IDLE => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// Chain id and the first free nonce: the chain's pending count, or past every nonce this
    /// database recorded (a recorded transaction may not have reached the node yet).
    async fn start(&mut self) -> Result<(), SubmitError> {
        self.chain_id = self.rpc("eth_chainId", self.provider.get_chain_id()).await?;
        let on_chain = self.rpc("eth_getTransactionCount", self.provider.get_transaction_count(self.from).pending()).await?;
        let recorded = self.store.max_nonce(&self.signer_id).await?.map(|n| n + 1).unwrap_or(0);
        self.next_nonce = on_chain.max(recorded);
        // Proofs this instance had claimed when it stopped, in no recorded batch: back to the queue.
        let released = self.store.release_claims(&self.signer_id).await?;
        if released > 0 {
            self.resync_queue().await?;
        }
        let pending = self.store.pending_batches(&self.signer_id).await?.len();
        tracing::info!(signer = %self.from, chain_id = self.chain_id, nonce = self.next_nonce, pending_batches = pending, "submitter started");
        Ok(())
    }

    /// One round; true if anything moved.
    async fn round(&mut self) -> Result<bool, SubmitError> {
        // The 429 threshold counts queued proofs in memory; re-read it from the database now and
        // then, since other instances sharing a PostgreSQL queue take proofs this one accepted.
        if self.last_resync.elapsed() >= QUEUE_RESYNC {
            self.resync_queue().await?;
            self.last_resync = Instant::now();
        }
        let mut progress = false;
        let pending = self.store.pending_batches(&self.signer_id).await?;
        let mut in_flight = 0;
        for batch in &pending {
            if self.drive(batch).await? {
                progress = true;
            } else {
                in_flight += 1;
            }
        }
        self.last_sent.retain(|id, _| pending.iter().any(|b| b.id == *id));
        self.orphaned.retain(|id, _| pending.iter().any(|b| b.id == *id));
        while in_flight < self.config.batch.max_in_flight {
            if !self.next_batch().await? {
                break;
            }
            progress = true;
            in_flight += 1;
        }
        Ok(progress)
    }

    async fn rpc<T, E, F>(&self, call: &'static str, fut: F) -> Result<T, SubmitError>
    where
        F: std::future::IntoFuture<Output = Result<T, E>>,
        E: Into<RpcErrorLike>,
    {
        let timeout = Duration::from_millis(self.config.retry.rpc_timeout_ms.max(1));
        match tokio::time::timeout(timeout, fut).await {
            Err(_) => Err(SubmitError::Timeout { call, timeout }),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(SubmitError::Rpc { call, failure: e.into().0 }),
        }
    }

    /// Moves a recorded batch on; true when it reached an end (confirmed, reverted, abandoned).
    async fn drive(&mut self, batch: &PendingBatch) -> Result<bool, SubmitError> {
        // A receipt for any of its transactions (one nonce: at most one of them is ever mined).
        for tx in batch.txs.iter().rev() {
            let receipt = self.rpc("eth_getTransactionReceipt", self.provider.get_transaction_receipt(tx.hash)).await?;
            let Some(receipt) = receipt else { continue };
            let Some(block) = receipt.block_number else { continue };
            let latest = self.rpc("eth_blockNumber", self.provider.get_block_number()).await?;
            if latest + 1 < block + self.config.confirmations {
                return Ok(false);
            }
            let gas = receipt.gas_used;
            if receipt.status() {
                let waits = self.store.confirm_batch(batch.id, tx.hash, block, gas).await?;
                self.metrics.batches_confirmed.inc();
                self.metrics.proofs_confirmed.add(waits.len() as u64);
                self.metrics.batch_size.observe(batch.size as f64);
                self.metrics.gas_per_proof.observe(gas as f64 / batch.size.max(1) as f64);
                for w in waits {
                    self.metrics.submission_latency.observe(w as f64 / 1000.0);
                }
                tracing::info!(batch = batch.id, tx = %tx.hash, block, gas, proofs = batch.size, mode = %batch.mode, "batch confirmed");
            } else {
                self.store.revert_batch(batch.id, tx.hash, block, gas, self.config.retry.max_reverts).await?;
                self.metrics.batches_reverted.inc();
                self.resync_queue().await?;
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
        let mined_nonce = self.rpc("eth_getTransactionCount", self.provider.get_transaction_count(self.from).latest()).await?;
        if mined_nonce > batch.nonce {
            let since = *self.orphaned.entry(batch.id).or_insert_with(Instant::now);
            if since.elapsed() < Duration::from_millis(self.config.retry.orphan_after_ms) {
                return Ok(false);
            }
            self.store.abandon_batch(batch.id).await?;
            self.resync_queue().await?;
            tracing::warn!(batch = batch.id, nonce = batch.nonce, "nonce used by a transaction this relayer did not record; proofs requeued");
            return Ok(true);
        }
        self.orphaned.remove(&batch.id);

        let Some(newest) = batch.txs.last() else {
            return Err(StoreError::Corrupt { what: "batch without a transaction", row: batch.id }.into());
        };
        let stuck = now_ms() - newest.created_ms > self.config.fees.replace_after_ms as i64;
        if stuck && newest.broadcast {
            if let Some(replacement) = self.bump(newest).await? {
                self.store.record_replacement(batch.id, &replacement).await?;
                self.metrics.replacements.inc();
                tracing::info!(batch = batch.id, old = %newest.hash, new = %replacement.hash, max_fee = replacement.max_fee, "replacing stuck transaction");
                self.broadcast(batch.id, &replacement).await?;
                return Ok(false);
            }
        }
        let due = self.last_sent.get(&batch.id).is_none_or(|t| t.elapsed() >= REBROADCAST);
        if !newest.broadcast || due {
            self.broadcast(batch.id, newest).await?;
        }
        Ok(false)
    }

    /// Sends a recorded transaction; "already known" and the like count as sent.
    async fn broadcast(&mut self, batch_id: i64, tx: &TxRecord) -> Result<(), SubmitError> {
        match self.rpc("eth_sendRawTransaction", self.provider.send_raw_transaction(&tx.raw)).await {
            Ok(_) => {}
            Err(SubmitError::Rpc { failure: Failure::Refused(m) | Failure::Revert(m), .. }) if chain::is_known_tx(&m) => {}
            Err(e) => return Err(e),
        }
        self.last_sent.insert(batch_id, Instant::now());
        if !tx.broadcast {
            self.store.mark_broadcast(batch_id, tx.hash).await?;
            tracing::debug!(batch = batch_id, tx = %tx.hash, nonce = tx.nonce, "broadcast");
        }
        Ok(())
    }

    /// The same transaction with fees raised by at least 12.5 % (nodes refuse smaller bumps),
    /// within the cap; None when the cap leaves no room.
    async fn bump(&self, old: &TxRecord) -> Result<Option<TxRecord>, SubmitError> {
        let cap = gwei(self.config.fees.max_fee_gwei);
        let (max_fee, priority) = self.fees().await.unwrap_or((old.max_fee, old.priority_fee));
        let max_fee = max_fee.max(old.max_fee + old.max_fee / 8 + 1).min(cap);
        let priority = priority.max(old.priority_fee + old.priority_fee / 8 + 1).min(max_fee);
        if max_fee < old.max_fee + old.max_fee / 8 + 1 {
            tracing::warn!(tx = %old.hash, cap, "stuck transaction cannot be replaced: the fee cap is reached");
            return Ok(None);
        }
        let envelope = TxEnvelope::decode_2718(&mut old.raw.as_slice())
            .map_err(|e| SubmitError::Sign(format!("recorded transaction {} does not decode: {e}", old.hash)))?;
        let Some(signed) = envelope.as_eip1559() else {
            return Err(SubmitError::Sign(format!("recorded transaction {} is not EIP-1559", old.hash)));
        };
        let request = TransactionRequest::from_transaction(signed.tx().clone())
            .with_from(self.from)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(priority);
        self.sign(request, old.nonce, max_fee, priority).await.map(Some)
    }

    /// EIP-1559 fees: max fee = 2 × base fee + priority fee, both capped by the configuration.
    async fn fees(&self) -> Result<(u128, u128), SubmitError> {
        let block = self.rpc("eth_getBlockByNumber", self.provider.get_block_by_number(BlockNumberOrTag::Latest)).await?;
        let base = block.and_then(|b| b.header.base_fee_per_gas).ok_or(SubmitError::NoBaseFee)? as u128;
        let suggested = self.rpc("eth_maxPriorityFeePerGas", self.provider.get_max_priority_fee_per_gas()).await?;
        let cap = gwei(self.config.fees.max_fee_gwei);
        let priority = suggested.min(gwei(self.config.fees.max_priority_fee_gwei));
        if base + priority > cap {
            return Err(SubmitError::FeeAboveCap { base, cap });
        }
        Ok(((2 * base + priority).min(cap), priority))
    }

    async fn sign(&self, request: TransactionRequest, nonce: u64, max_fee: u128, priority: u128) -> Result<TxRecord, SubmitError> {
        let request = request.with_nonce(nonce).with_chain_id(self.chain_id);
        let envelope: TxEnvelope = request.build(&self.wallet).await.map_err(|e| SubmitError::Sign(e.to_string()))?;
        Ok(TxRecord {
            hash: *envelope.tx_hash(),
            nonce,
            raw: envelope.encoded_2718(),
            max_fee,
            priority_fee: priority,
            broadcast: false,
            created_ms: now_ms(),
        })
    }

    /// Closes, checks, records and broadcasts one batch if one is due; true if it did anything.
    async fn next_batch(&mut self) -> Result<bool, SubmitError> {
        let max_size = self.config.batch.max_size;
        let max_wait = self.config.batch.max_wait_ms as i64;
        let now = now_ms();
        let due = self.store.queued_circuits().await?.into_iter().find(|(_, n, oldest)| *n >= max_size || now - oldest >= max_wait);
        let Some((circuit_id, _, _)) = due else { return Ok(false) };
        let rows = self.store.claim(&circuit_id, max_size, &self.signer_id).await?;
        if rows.is_empty() {
            // Another instance sharing the database took them.
            return Ok(false);
        }
        match self.submit_claimed(circuit_id, rows).await {
            Ok(progress) => Ok(progress),
            Err(e) => {
                // Nothing was recorded: the claimed proofs wait in the queue again.
                self.store.release_claims(&self.signer_id).await?;
                Err(e)
            }
        }
    }

    /// Checks, signs, records and broadcasts a batch of claimed proofs.
    async fn submit_claimed(&mut self, circuit_id: String, rows: Vec<Queued>) -> Result<bool, SubmitError> {
        let Some(circuit) = self.circuits.get(&circuit_id) else {
            // Proofs of a circuit no longer configured: fail them rather than spin on them.
            for row in &rows {
                self.store.fail_queued(row.id, &format!("circuit {circuit_id:?} is not in the relayer's configuration")).await?;
            }
            self.resync_queue().await?;
            return Ok(true);
        };
        let mut proofs = Vec::with_capacity(rows.len());
        for row in rows {
            match EvmProof::from_bytes(&row.data) {
                Some(p) => proofs.push((row, p)),
                None => {
                    self.store.fail_queued(row.id, "stored proof is malformed").await?;
                    self.metrics.proofs_failed.inc();
                }
            }
        }
        if proofs.is_empty() {
            self.resync_queue().await?;
            return Ok(true);
        }

        let mut mode = self.gas_model.choose(proofs.len(), circuit.batch_verifier.is_some());
        let verifier = |mode| match mode {
            Mode::Batch => circuit.batch_verifier.unwrap_or(circuit.verifier),
            Mode::Single => circuit.verifier,
        };
        // Pre-flight: the verifiers are view functions, so a batch that estimates without a
        // revert executes without one. A revert is split down to the proofs that cause it.
        let gas = loop {
            match self.estimate(mode, verifier(mode), &proofs).await? {
                Ok(gas) => break gas,
                Err(reason) => {
                    let failed = self.isolate(mode, &circuit.verifier, circuit.batch_verifier, &proofs).await?;
                    if !failed.is_empty() {
                        for (row, reason) in &failed {
                            tracing::warn!(proof = %row.key, reason, "proof refused on-chain, failed alone");
                            self.store.fail_queued(row.id, &format!("the verifier contract refuses it: {reason}")).await?;
                            self.metrics.proofs_failed.inc();
                        }
                        self.resync_queue().await?;
                        // The batch was due: the rest goes now, without waiting to fill up again.
                        proofs.retain(|(row, _)| !failed.iter().any(|(f, _)| f.id == row.id));
                        if proofs.is_empty() {
                            return Ok(true);
                        }
                        mode = self.gas_model.choose(proofs.len(), circuit.batch_verifier.is_some());
                        continue;
                    }
                    if mode == Mode::Batch {
                        // Each proof passes alone but the batch does not: a batch-verifier
                        // problem. Go one verification per proof instead.
                        tracing::warn!(reason, "batch verification reverts while every proof verifies alone; submitting them singly");
                        mode = Mode::Single;
                        continue;
                    }
                    return Err(SubmitError::Rpc { call: "eth_estimateGas", failure: Failure::Revert(reason) });
                }
            }
        };
        let gas_limit = gas * (100 + self.config.fees.gas_margin_percent) / 100;
        let (max_fee, priority) = self.fees().await?;
        let data = chain::calldata(mode, verifier(mode), &proofs.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>());
        let request = TransactionRequest::default()
            .with_from(self.from)
            .with_to(self.config.registry)
            .with_input(data)
            .with_gas_limit(gas_limit)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(priority);
        let nonce = self.next_nonce;
        let tx = self.sign(request, nonce, max_fee, priority).await?;
        let ids: Vec<i64> = proofs.iter().map(|(row, _)| row.id).collect();
        let batch_id = self.store.record_batch(&circuit_id, mode.as_str(), &self.signer_id, &ids, &tx).await?;
        self.next_nonce += 1;
        self.queued.fetch_sub(ids.len().min(self.queued.load(Ordering::Relaxed)), Ordering::Relaxed);
        tracing::info!(batch = batch_id, circuit = %circuit_id, proofs = ids.len(), mode = mode.as_str(), nonce, tx = %tx.hash, gas_limit, "batch recorded");
        self.metrics.batches_sent.inc();
        // A failed broadcast is not lost: the batch is recorded and the next round sends it again.
        if let Err(e) = self.broadcast(batch_id, &tx).await {
            tracing::warn!(batch = batch_id, error = %e, "broadcast failed; will retry");
            if e.is_rpc() {
                self.metrics.rpc_errors.inc();
            }
        }
        Ok(true)
    }

    /// Gas for the registry call; Ok(Err(reason)) when the call reverts.
    ///
    /// The verifiers are pure and the registry writes no storage, so a call's gas depends only
    /// on the verifier, the number of proofs and their calldata (whose zero bytes vary by a few
    /// hundred gas, well inside the margin). `eth_estimateGas` executes the call a dozen times or
    /// more (a binary search), which for a pairing of N + 3 pairs dominated the relayer's time:
    /// it runs once per (verifier, N, inputs); later batches of that shape take one `eth_call`,
    /// which still catches any revert.
    async fn estimate(&self, mode: Mode, verifier: Address, proofs: &[(Queued, EvmProof)]) -> Result<Result<u64, String>, SubmitError> {
        let data: Bytes = chain::calldata(mode, verifier, &proofs.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>());
        let shape = (verifier, proofs.len(), proofs.first().map(|(_, p)| p.inputs.len()).unwrap_or(0));
        let cached = self.gas_cache.lock().unwrap_or_else(|p| p.into_inner()).get(&shape).copied();
        let request = TransactionRequest::default().with_from(self.from).with_to(self.config.registry).with_input(data);
        let result = match cached {
            Some(gas) => self.rpc("eth_call", self.provider.call(request)).await.map(|_| gas),
            None => self.rpc("eth_estimateGas", self.provider.estimate_gas(request)).await,
        };
        match result {
            Ok(gas) => {
                self.gas_cache.lock().unwrap_or_else(|p| p.into_inner()).insert(shape, gas);
                Ok(Ok(gas))
            }
            Err(SubmitError::Rpc { failure: Failure::Revert(reason), .. }) => Ok(Err(reason)),
            Err(e) => Err(e),
        }
    }

    /// Bisects a reverting batch: halves that estimate cleanly are fine, single proofs that still
    /// revert (checked with the single verifier, whose errors name the problem) are returned.
    async fn isolate(
        &self,
        mode: Mode,
        verifier: &Address,
        batch_verifier: Option<Address>,
        proofs: &[(Queued, EvmProof)],
    ) -> Result<Vec<(Queued, String)>, SubmitError> {
        let mut failed = Vec::new();
        let mut stack: Vec<&[(Queued, EvmProof)]> = vec![proofs];
        while let Some(group) = stack.pop() {
            if group.len() == 1 {
                if let Err(reason) = self.estimate(Mode::Single, *verifier, group).await? {
                    failed.push((group[0].0.clone(), reason));
                }
                continue;
            }
            let at = match mode {
                Mode::Batch => batch_verifier.unwrap_or(*verifier),
                Mode::Single => *verifier,
            };
            if self.estimate(mode, at, group).await?.is_err() {
                let (a, b) = group.split_at(group.len() / 2);
                stack.push(b);
                stack.push(a);
            }
        }
        Ok(failed)
    }

    /// The in-memory count of queued proofs (the 429 threshold) from the database.
    async fn resync_queue(&self) -> Result<(), SubmitError> {
        let n = self.store.queued_count().await?;
        self.queued.store(n, Ordering::Relaxed);
        Ok(())
    }
}

/// Any alloy error the RPC helper takes, classified.
pub struct RpcErrorLike(Failure);

impl From<alloy::transports::TransportError> for RpcErrorLike {
    fn from(e: alloy::transports::TransportError) -> Self {
        RpcErrorLike(classify(&e))
    }
}

