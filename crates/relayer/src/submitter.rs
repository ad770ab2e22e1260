//! The submitter: one task per relayer (one signer, one nonce sequence), in rounds.
//!
//! Each round it first watches confirmed batches until their blocks are final (a reorg makes one
//! pending again), then drives every recorded, unconfirmed batch towards an end (the transaction
//! lifecycle, [`crate::tx`]), then closes new batches (the batching policy, [`crate::batching`])
//! while fewer than `max_in_flight` are pending. A new batch is estimated first (a revert there is
//! bisected down to the proofs that cause it, which fail alone), signed, recorded in the database,
//! and only then broadcast. That order is what makes a crash harmless: on restart the recorded
//! transaction is found and reconciled with the chain, never rebuilt.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::network::TransactionBuilder;
use alloy::primitives::Address;
use alloy::providers::DynProvider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use tokio::sync::watch;
use zkbatch_evm::EvmProof;

use crate::batching::{self, GasModel, Mode};
use crate::choice::{self, AggregateOffer, Chosen, Decision, Fit, Options};
use crate::config::SubmitMode;
use crate::circuits::Circuit;
use crate::shared::Shared;
use crate::store::{now_ms, Queued, ReadyAggregate};
use crate::tx::{Failure, SubmitError, Transactions};

/// How often the in-memory queue depth is re-read from the database.
const QUEUE_RESYNC: Duration = Duration::from_millis(500);
/// How often the chain's head and the signer's balance are read for the metrics.
const CHAIN_READ: Duration = Duration::from_secs(5);
/// How often confirmed batches are checked against the canonical chain until final.
const WATCH: Duration = Duration::from_secs(1);
/// An aggregate node seen within this long is alive (they report every `lease.heartbeat_ms`,
/// 5 s by default).
const AGGREGATE_NODE_ALIVE_MS: i64 = 30_000;
/// The round's pause when there was nothing to do (new proofs wake it at once).
const IDLE: Duration = Duration::from_millis(50);

pub(crate) struct Submitter {
    shared: Arc<Shared>,
    txs: Transactions,
    next_nonce: u64,
    gas_model: GasModel,
    /// Estimated gas per (verifier, proofs, inputs per proof); see [`Submitter::estimate`].
    gas_cache: HashMap<(Address, usize, usize), u64>,
    /// The estimated gas of the last aggregate sent, per circuit (auto mode weighs it).
    aggregate_gas: HashMap<String, f64>,
    last_resync: Instant,
    last_chain_read: Instant,
    /// `finality_depth` on this chain, known once started.
    finality_depth: u64,
    last_watch: Option<Instant>,
    /// Whether [`Submitter::start`] must run (again) before the next round: at first, after a
    /// chain reset, and when a contract lost its code.
    needs_start: bool,
}

impl Submitter {
    /// The submitter for `signer` through `provider` (no fillers: it sets every field and signs).
    pub(crate) fn new(shared: Arc<Shared>, provider: DynProvider, signer: PrivateKeySigner) -> Submitter {
        let timeout = Duration::from_millis(shared.config.retry.rpc_timeout_ms.max(1));
        Submitter {
            txs: Transactions::new(provider, signer, timeout),
            shared,
            next_nonce: 0,
            gas_model: GasModel::default(),
            gas_cache: HashMap::new(),
            aggregate_gas: HashMap::new(),
            last_resync: Instant::now(),
            last_chain_read: Instant::now(),
            finality_depth: 0,
            last_watch: None,
            needs_start: true,
        }
    }

    /// Runs until `shutdown` turns true. RPC errors never end it: it backs off exponentially
    /// and tries again.
    pub(crate) async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let retry = &self.shared.config.retry;
        let initial = Duration::from_millis(retry.initial_backoff_ms.max(1));
        let max = Duration::from_millis(retry.max_backoff_ms.max(1));
        let mut backoff = initial;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let result = if self.needs_start { self.start().await.map(|()| true) } else { self.round().await };
            let pause = match result {
                Ok(progress) => {
                    backoff = initial;
                    if progress {
                        Duration::ZERO
                    } else {
                        IDLE
                    }
                }
                Err(e) => {
                    if e.is_rpc() {
                        self.shared.metrics.rpc_errors.inc();
                    }
                    if matches!(e, SubmitError::NoCode { .. }) {
                        // Nothing is submitted until every contract has code again.
                        self.needs_start = true;
                    }
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "submitter");
                    let b = backoff;
                    backoff = (backoff * 2).min(max);
                    b
                }
            };
            if !pause.is_zero() {
                let shared = self.shared.clone();
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shared.notify.notified(), if pause == IDLE => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// Chain id and the first free nonce: the chain's pending count, or past every nonce this
    /// database recorded (a recorded transaction may not have reached the node yet). A chain
    /// reset while the relayer was stopped is found here; nonces below the count that no recorded
    /// transaction will use are filled.
    async fn start(&mut self) -> Result<(), SubmitError> {
        let (chain_id, on_chain) = self.txs.start(&self.shared).await?;
        self.finality_depth = self.shared.config.finality_depth(chain_id);
        self.check_reset().await?;
        let shared = self.shared.clone();
        let store = &shared.store;
        let signer = self.txs.signer_id().to_string();
        let signer = signer.as_str();
        let recorded = store.max_nonce(signer).await?.map(|n| n + 1).unwrap_or(0);
        self.next_nonce = on_chain.max(recorded);
        self.fill_gaps().await?;
        // Proofs this instance had claimed when it stopped, in no recorded batch: back to the queue.
        let released = store.release_claims(signer).await?;
        if released > 0 {
            self.shared.resync_queue().await?;
        }
        let pending = store.pending_batches(signer).await?.len();
        let head = self.read_chain().await?;
        // Blocks since the last confirmation count from here: nothing was waiting on this
        // relayer before it started.
        self.shared.metrics.chain.last_confirmed.fetch_max(head, Ordering::Relaxed);
        tracing::info!(signer = %self.txs.from(), chain_id, nonce = self.next_nonce, pending_batches = pending, finality_depth = self.finality_depth, "submitter started");
        self.needs_start = false;
        Ok(())
    }

    /// Whether the chain was reset since this signer last submitted to it: its genesis block
    /// changed, or a block where a batch was final is another block now. Then none of the
    /// relayer's transactions is on it: every batch confirmed or finalized there is pending
    /// again ([`crate::store::Store::reset_chain`]), to be sent again once every contract has
    /// code ([`Submitter::start`] runs first). A node that is merely behind (no block at that
    /// height yet) is not taken for a reset.
    async fn check_reset(&mut self) -> Result<bool, SubmitError> {
        let shared = self.shared.clone();
        let (store, signer) = (&shared.store, self.txs.signer_id().to_string());
        let Some(genesis) = self.txs.canonical_hash(0).await? else {
            return Ok(false);
        };
        let why = match store.chain_genesis(&signer).await? {
            None => {
                store.record_chain(&signer, genesis).await?;
                return Ok(false);
            }
            Some(old) if old != genesis => format!("its genesis block is {genesis}, was {old}"),
            Some(_) => {
                let Some((block, hash)) = store.last_finalized(&signer).await? else {
                    return Ok(false);
                };
                match self.txs.canonical_hash(block).await? {
                    Some(now) if now != hash => format!("block {block}, where a batch was final, is {now}, was {hash}"),
                    _ => return Ok(false),
                }
            }
        };
        let (batches, proofs) = store.reset_chain(&signer, genesis).await?;
        shared.metrics.chain_resets.inc();
        tracing::error!(%why, batches, proofs, "the chain was reset: batches it had confirmed are pending again and their transactions are sent again once every contract has code");
        self.needs_start = true;
        Ok(true)
    }

    /// Fills each nonce between the chain's mined count and this relayer's that no pending
    /// batch uses (after a chain reset: the nonces of reverted or given-up batches) with a
    /// transfer of nothing to itself, so the pending batches' transactions can be mined.
    async fn fill_gaps(&mut self) -> Result<(), SubmitError> {
        let shared = self.shared.clone();
        let pending = shared.store.pending_batches(self.txs.signer_id()).await?;
        let mined = self.txs.mined_nonce().await?;
        let gaps: Vec<u64> = (mined..self.next_nonce).filter(|n| !pending.iter().any(|b| b.nonce == *n)).collect();
        if gaps.is_empty() {
            return Ok(());
        }
        let fees = self.txs.fees(&shared).await?;
        for &nonce in &gaps {
            let tx = self.txs.fill(nonce, fees).await?;
            tracing::warn!(nonce, %tx, "nonce no recorded transaction uses: filled with a transfer to self");
        }
        Ok(())
    }

    /// One round; true if anything moved.
    async fn round(&mut self) -> Result<bool, SubmitError> {
        // The 429 threshold counts queued proofs in memory; re-read it from the database now and
        // then, since other instances sharing a PostgreSQL queue take proofs this one accepted.
        if self.last_resync.elapsed() >= QUEUE_RESYNC {
            self.shared.resync_queue().await?;
            self.last_resync = Instant::now();
        }
        if self.last_chain_read.elapsed() >= CHAIN_READ {
            self.read_chain().await?;
        }
        let shared = self.shared.clone();
        // Confirmed batches first: one whose block a reorg took away is pending again, and is
        // driven below in this same round.
        let mut progress = self.watch_confirmed().await?;
        if self.needs_start {
            return Ok(true);
        }
        let pending = shared.store.pending_batches(self.txs.signer_id()).await?;
        let mut in_flight = 0;
        for batch in &pending {
            if self.txs.drive(&shared, batch).await? {
                progress = true;
            } else {
                in_flight += 1;
            }
        }
        self.txs.retain(&pending);
        while in_flight < shared.config.batch.max_in_flight {
            if !self.next_batch().await? {
                break;
            }
            progress = true;
            in_flight += 1;
        }
        Ok(progress)
    }

    /// Checks the confirmed, not yet final batches against the canonical chain (every
    /// [`WATCH`]); true if one moved.
    async fn watch_confirmed(&mut self) -> Result<bool, SubmitError> {
        if self.last_watch.is_some_and(|t| t.elapsed() < WATCH) {
            return Ok(false);
        }
        // A reset first: the watch would take each batch for reorganised away, one at a time.
        if self.check_reset().await? {
            self.last_watch = Some(Instant::now());
            return Ok(true);
        }
        let shared = self.shared.clone();
        let confirmed = shared.store.confirmed_batches(self.txs.signer_id()).await?;
        let mut moved = false;
        if !confirmed.is_empty() {
            let head = self.read_chain().await?;
            for batch in &confirmed {
                moved |= self.txs.watch(&shared, batch, head, self.finality_depth).await?;
            }
        }
        self.last_watch = Some(Instant::now());
        Ok(moved)
    }

    /// Reads the head and the signer's balance into the metrics; returns the head.
    async fn read_chain(&mut self) -> Result<u64, SubmitError> {
        let (head, balance) = self.txs.head_and_balance().await?;
        let chain = &self.shared.metrics.chain;
        chain.head.store(head, Ordering::Relaxed);
        *chain.signer.lock().unwrap_or_else(|p| p.into_inner()) = Some((self.txs.from().to_string(), balance));
        self.last_chain_read = Instant::now();
        Ok(head)
    }

    /// Closes, checks, records and broadcasts one batch if one is due; true if it did anything.
    async fn next_batch(&mut self) -> Result<bool, SubmitError> {
        let shared = self.shared.clone();
        // Proved aggregates first: their proofs have waited for the proving already.
        if let Some(aggregate) = shared.store.claim_ready_aggregate(self.txs.signer_id()).await? {
            return match self.submit_aggregate(aggregate).await {
                Ok(progress) => Ok(progress),
                Err(e) => {
                    // Nothing was recorded: the aggregate is ready again for the next round.
                    shared.store.release_claims(self.txs.signer_id()).await?;
                    Err(e)
                }
            };
        }
        let Some((circuit_id, rows)) = batching::next(&shared.store, &shared.config, self.txs.signer_id()).await? else {
            return Ok(false);
        };
        match self.submit_claimed(circuit_id, rows).await {
            Ok(progress) => Ok(progress),
            Err(e) => {
                // Nothing was recorded: the claimed proofs wait in the queue again.
                shared.store.release_claims(self.txs.signer_id()).await?;
                Err(e)
            }
        }
    }

    /// Checks, signs, records and broadcasts a batch of claimed proofs.
    async fn submit_claimed(&mut self, circuit_id: String, rows: Vec<Queued>) -> Result<bool, SubmitError> {
        let shared = self.shared.clone();
        let (store, metrics) = (&shared.store, &shared.metrics);
        let Some(circuit) = shared.circuits.get(&circuit_id) else {
            // Proofs of a circuit no longer configured: fail them rather than spin on them.
            for row in &rows {
                store.fail_queued(row.id, &format!("circuit {circuit_id:?} is not in the relayer's configuration")).await?;
            }
            shared.resync_queue().await?;
            return Ok(true);
        };
        let mut proofs = Vec::with_capacity(rows.len());
        for row in rows {
            match EvmProof::from_bytes(&row.data) {
                Some(p) => proofs.push((row, p)),
                None => {
                    store.fail_queued(row.id, "stored proof is malformed").await?;
                    metrics.proofs_failed.inc();
                }
            }
        }
        if proofs.is_empty() {
            shared.resync_queue().await?;
            return Ok(true);
        }

        let mut mode = match circuit.mode {
            SubmitMode::Auto => {
                let decision = self.decide(&circuit_id, circuit, &proofs).await?;
                metrics.decisions.inc(decision.chosen.as_str());
                tracing::info!(circuit = %circuit_id, proofs = proofs.len(), mode = decision.chosen.as_str(), reason = %decision.reason, "mode chosen");
                match decision.chosen {
                    Chosen::Aggregate => {
                        // Back to the queue, in the aggregate workers' lane.
                        let routed = store.route_to_aggregate(self.txs.signer_id()).await?;
                        shared.resync_queue().await?;
                        tracing::debug!(circuit = %circuit_id, routed, "proofs routed to aggregation");
                        return Ok(true);
                    }
                    Chosen::Batch => Mode::Batch,
                    Chosen::Single => Mode::Single,
                }
            }
            named => self.gas_model.choose(named, proofs.len(), circuit.batch_verifier.is_some()),
        };
        // Pre-flight: the verifiers are view functions, so a batch that estimates without a
        // revert executes without one. A revert is split down to the proofs that cause it.
        let gas = loop {
            match self.estimate(mode, verifier(circuit, mode), &proofs).await? {
                Ok(gas) => break gas,
                Err(reason) => {
                    let failed = self.isolate(mode, circuit, &proofs).await?;
                    if !failed.is_empty() {
                        for (row, reason) in &failed {
                            tracing::warn!(proof = %row.key, reason, "proof refused on-chain, failed alone");
                            store.fail_queued(row.id, &format!("the verifier contract refuses it: {reason}")).await?;
                            metrics.proofs_failed.inc();
                        }
                        shared.resync_queue().await?;
                        // The batch was due: the rest goes now, without waiting to fill up again.
                        proofs.retain(|(row, _)| !failed.iter().any(|(f, _)| f.id == row.id));
                        if proofs.is_empty() {
                            return Ok(true);
                        }
                        mode = self.gas_model.choose(circuit.mode, proofs.len(), circuit.batch_verifier.is_some());
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
        let request = self.registry_call(mode, verifier(circuit, mode), &proofs);
        let ids: Vec<i64> = proofs.iter().map(|(row, _)| row.id).collect();
        self.send(&circuit_id, mode.as_str(), &ids, request, gas).await
    }

    /// Checks, signs, records and broadcasts a proved aggregate. One the registry refuses (its
    /// estimate reverts: a verifier for other parameters, a statement out of the field) fails,
    /// and its proofs are batch-verified instead.
    async fn submit_aggregate(&mut self, aggregate: ReadyAggregate) -> Result<bool, SubmitError> {
        let shared = self.shared.clone();
        let registry = shared.circuits.get(&aggregate.circuit).and_then(|c| c.aggregate_registry);
        let Some(registry) = registry else {
            let moved = shared.store.aggregate_failed(aggregate.id, None, "its circuit has no aggregate registry in the relay role's configuration").await?;
            shared.resync_queue().await?;
            tracing::warn!(aggregate = aggregate.id, circuit = %aggregate.circuit, moved, "aggregate of a circuit without [circuits.aggregate]: its proofs are batch-verified instead");
            return Ok(true);
        };
        let request = TransactionRequest::default().with_to(registry).with_input(aggregate.calldata.clone());
        let gas = match self.txs.estimate_gas(request.clone()).await {
            Ok(gas) => gas,
            Err(SubmitError::Rpc { failure: Failure::Revert(reason), .. }) => {
                let moved = shared.store.aggregate_failed(aggregate.id, None, &format!("the aggregate registry refuses it: {reason}")).await?;
                shared.resync_queue().await?;
                shared.metrics.aggregates_refused.inc();
                tracing::warn!(aggregate = aggregate.id, reason, moved, "aggregate refused on-chain: its proofs are batch-verified instead");
                return Ok(true);
            }
            Err(e) => return Err(e),
        };
        self.aggregate_gas.insert(aggregate.circuit.clone(), gas as f64);
        let ids: Vec<i64> = aggregate.proofs.iter().map(|q| q.id).collect();
        self.send(&aggregate.circuit, batching::AGGREGATE, &ids, request, gas).await
    }

    /// Auto mode's choice for `proofs` of `circuit` (see [`crate::choice`]): the gas model's lines,
    /// the gas estimated for this N on the deployed contracts when known, the last aggregate's gas,
    /// and the aggregate nodes' liveness and proving time from the database. With no aggregate
    /// node alive, proofs routed to aggregation before come back.
    async fn decide(&self, circuit_id: &str, circuit: &Circuit, proofs: &[(Queued, EvmProof)]) -> Result<Decision, SubmitError> {
        let store = &self.shared.store;
        let n = proofs.len();
        let inputs = proofs.first().map(|(_, p)| p.inputs.len()).unwrap_or(0);
        let oldest = proofs.iter().map(|(q, _)| q.received_ms).min().unwrap_or_else(now_ms);
        let mut measured = HashMap::new();
        for (chosen, mode) in [(Chosen::Single, Mode::Single), (Chosen::Batch, Mode::Batch)] {
            if let Some(gas) = self.gas_cache.get(&(verifier(circuit, mode), n, inputs)) {
                measured.insert((chosen, n), *gas as f64);
            }
        }
        // Proofs whose aggregate failed are not aggregated again.
        let fell_back = proofs.iter().any(|(q, _)| q.lane.as_deref() == Some("relay"));
        let aggregate = match &circuit.aggregate {
            None => None,
            Some(_) if fell_back => None,
            Some(target) => {
                let (alive, prove_ms) = store.aggregate_nodes(circuit_id, AGGREGATE_NODE_ALIVE_MS).await?;
                if !alive {
                    let back = store.unroute_aggregate(circuit_id).await?;
                    if back > 0 {
                        tracing::warn!(circuit = %circuit_id, back, "no aggregate node alive: proofs routed to aggregation are chosen for again");
                    }
                }
                if let Some(gas) = self.aggregate_gas.get(circuit_id) {
                    measured.insert((Chosen::Aggregate, target.slots), *gas);
                }
                Some(AggregateOffer { slots: target.slots, gas: target.gas as f64, prove_s: prove_ms.map(|ms| ms as f64 / 1e3).or(target.prove_s), alive })
            }
        };
        let m = &self.gas_model;
        Ok(choice::decide(&Options {
            n,
            waited_s: (now_ms() - oldest).max(0) as f64 / 1e3,
            max_latency_s: circuit.max_latency_s,
            single: Fit { fixed: m.single_fixed as f64, per_proof: m.single_per_proof as f64 },
            batch: circuit.batch_verifier.map(|_| Fit { fixed: m.batch_fixed as f64, per_proof: m.batch_per_proof as f64 }),
            measured,
            aggregate,
        }))
    }

    /// Signs `request` with the next nonce, records it as a batch of the proofs `ids`, then
    /// broadcasts it.
    async fn send(&mut self, circuit_id: &str, mode: &str, ids: &[i64], request: TransactionRequest, gas: u64) -> Result<bool, SubmitError> {
        let shared = self.shared.clone();
        let (store, metrics) = (&shared.store, &shared.metrics);
        let gas_limit = gas * (100 + shared.config.fees.gas_margin_percent) / 100;
        let fees = self.txs.fees(&shared).await?;
        let request = request.with_gas_limit(gas_limit);
        // Past any nonce the node has seen used: another user of the key (or a transaction given
        // up as orphaned) moves it on, and a nonce below it would never be mined. Never below our
        // own count: a node that lost our pending transactions gets them again by rebroadcast.
        let nonce = self.next_nonce.max(self.txs.pending_nonce().await?);
        if nonce > self.next_nonce {
            tracing::warn!(expected = self.next_nonce, nonce, "the signer's nonce moved past this relayer's count: another user of the key?");
        }
        self.next_nonce = nonce;
        let tx = self.txs.sign(request, nonce, fees).await?;
        let batch_id = store.record_batch(circuit_id, mode, self.txs.signer_id(), ids, &tx).await?;
        self.next_nonce += 1;
        if mode != batching::AGGREGATE {
            shared.queued.fetch_sub(ids.len().min(shared.queued.load(Ordering::Relaxed)), Ordering::Relaxed);
        }
        tracing::info!(batch = batch_id, circuit = %circuit_id, proofs = ids.len(), mode, nonce, tx = %tx.hash, gas_limit, "batch recorded");
        metrics.batches_sent.inc();
        // A failed broadcast is not lost: the batch is recorded and the next round sends it again.
        if let Err(e) = self.txs.broadcast(&shared, batch_id, &tx).await {
            tracing::warn!(batch = batch_id, error = %e, "broadcast failed; will retry");
            if e.is_rpc() {
                metrics.rpc_errors.inc();
            }
        }
        Ok(true)
    }

    /// The registry call for `proofs` in `mode` on `verifier`.
    fn registry_call(&self, mode: Mode, verifier: Address, proofs: &[(Queued, EvmProof)]) -> TransactionRequest {
        let proofs: Vec<EvmProof> = proofs.iter().map(|(_, p)| p.clone()).collect();
        TransactionRequest::default().with_to(self.shared.config.registry).with_input(mode.calldata(verifier, &proofs))
    }

    /// Gas for the registry call; Ok(Err(reason)) when the call reverts.
    ///
    /// The verifiers are pure and the registry writes no storage, so a call's gas depends only
    /// on the verifier, the number of proofs and their calldata (whose zero bytes vary by a few
    /// hundred gas, well inside the margin). `eth_estimateGas` executes the call a dozen times or
    /// more (a binary search), which for a pairing of N + 3 pairs dominated the relayer's time:
    /// it runs once per (verifier, N, inputs); later batches of that shape take one `eth_call`,
    /// which still catches any revert.
    async fn estimate(&mut self, mode: Mode, verifier: Address, proofs: &[(Queued, EvmProof)]) -> Result<Result<u64, String>, SubmitError> {
        let request = self.registry_call(mode, verifier, proofs);
        let shape = (verifier, proofs.len(), proofs.first().map(|(_, p)| p.inputs.len()).unwrap_or(0));
        let result = match self.gas_cache.get(&shape).copied() {
            Some(gas) => self.txs.call(request).await.map(|()| gas),
            None => self.txs.estimate_gas(request).await,
        };
        match result {
            Ok(gas) => {
                self.gas_cache.insert(shape, gas);
                Ok(Ok(gas))
            }
            Err(SubmitError::Rpc { failure: Failure::Revert(reason), .. }) => Ok(Err(reason)),
            Err(e) => Err(e),
        }
    }

    /// Bisects a reverting batch: halves that estimate cleanly are fine, single proofs that still
    /// revert (checked with the single verifier, whose errors name the problem) are returned.
    async fn isolate(&mut self, mode: Mode, circuit: &Circuit, proofs: &[(Queued, EvmProof)]) -> Result<Vec<(Queued, String)>, SubmitError> {
        let mut failed = Vec::new();
        let mut stack: Vec<&[(Queued, EvmProof)]> = vec![proofs];
        while let Some(group) = stack.pop() {
            if group.len() == 1 {
                if let Err(reason) = self.estimate(Mode::Single, circuit.verifier, group).await? {
                    failed.push((group[0].0.clone(), reason));
                }
                continue;
            }
            if self.estimate(mode, verifier(circuit, mode), group).await?.is_err() {
                let (a, b) = group.split_at(group.len() / 2);
                stack.push(b);
                stack.push(a);
            }
        }
        Ok(failed)
    }
}

/// The verifier a `mode` submission goes to: the batch verifier where there is one.
fn verifier(circuit: &Circuit, mode: Mode) -> Address {
    match mode {
        Mode::Batch => circuit.batch_verifier.unwrap_or(circuit.verifier),
        Mode::Single => circuit.verifier,
    }
}
