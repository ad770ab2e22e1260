//! The batching policy: when a batch closes, which proofs it takes, and how it goes on-chain.
//!
//! - Close rule: a circuit's queued proofs close into a batch when there are `batch.max_size` of
//!   them or the oldest has waited `batch.max_wait_ms`; circuits are served oldest proof first.
//! - Selection: the batch takes that circuit's oldest queued proofs, at most `batch.max_size`,
//!   claimed in the database (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances sharing
//!   the queue take disjoint proofs).
//!   Proofs in the aggregate workers' lane are not taken (see `crate::store::aggregates`).
//! - Mode: in `auto` mode `crate::choice` decides (aggregation included); a named mode is taken as
//!   it is, and [`GasModel::choose`] picks single or batch for proofs whose aggregate failed. The
//!   gas model's lines are also `auto`'s starting figures.

use alloy::primitives::{Address, Bytes};
use zkbatch_evm::{calldata, EvmProof};

use crate::config::{Config, SubmitMode};
use crate::store::{now_ms, Queued, Store, StoreError};

/// The stored mode of a batch that carries one aggregate proof to `AggregatedProofRegistry`.
pub(crate) const AGGREGATE: &str = "aggregate";

/// How a batch goes on-chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `submitEach`: one `verify` per proof on the single verifier.
    Single,
    /// `submitBatch`: one `verifyBatch` (random linear combination) on the batch verifier.
    Batch,
}

impl Mode {
    /// The mode's name, as stored and reported.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Single => "single",
            Mode::Batch => "batch",
        }
    }

    /// A stored mode's name as a metric label: one of the modes' names (`aggregate` for batches
    /// of aggregated proofs), or `other`.
    pub(crate) fn label(stored: &str) -> &'static str {
        [Mode::Single.as_str(), Mode::Batch.as_str(), AGGREGATE].into_iter().find(|m| *m == stored).unwrap_or("other")
    }

    /// The registry call for `proofs` on `verifier` (the single or the batch verifier, as the
    /// mode says).
    pub(crate) fn calldata(self, verifier: Address, proofs: &[EvmProof]) -> Bytes {
        match self {
            Mode::Single => calldata::submit_each(verifier, proofs),
            Mode::Batch => calldata::submit_batch(verifier, proofs),
        }
    }
}

/// Gas per transaction as a function of the batch size N, for each mode: fixed + N × per proof
/// (the 21,000 base and calldata included). The defaults fit what the relayer's transactions use
/// on anvil for circuits with a few public inputs (BENCHMARKS.md: the verifiers' own figures plus
/// the registry's keccaks and event per proof, and the 22,100 gas of the one root it stores per
/// transaction); only where the two lines cross matters for the choice (N = 1: single, N ≥ 2:
/// batch), so rough figures are enough.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GasModel {
    /// Single verification: gas per transaction.
    pub(crate) single_fixed: u64,
    /// Single verification: gas per proof.
    pub(crate) single_per_proof: u64,
    /// Batch verification: gas per transaction.
    pub(crate) batch_fixed: u64,
    /// Batch verification: gas per proof.
    pub(crate) batch_per_proof: u64,
}

impl Default for GasModel {
    fn default() -> Self {
        GasModel { single_fixed: 43_000, single_per_proof: 226_000, batch_fixed: 232_000, batch_per_proof: 61_000 }
    }
}

impl GasModel {
    /// The modelled gas of a transaction of `n` proofs in `mode`.
    pub(crate) fn gas(&self, mode: Mode, n: u64) -> u64 {
        match mode {
            Mode::Single => self.single_fixed + n * self.single_per_proof,
            Mode::Batch => self.batch_fixed + n * self.batch_per_proof,
        }
    }

    /// The mode for a batch of `n` of a circuit configured with `mode`: the one it names, or
    /// (auto, and for proofs whose aggregate failed) the cheaper per proof; `Single` when there
    /// is no batch verifier.
    pub(crate) fn choose(&self, mode: SubmitMode, n: usize, batch_available: bool) -> Mode {
        match mode {
            SubmitMode::Single => return Mode::Single,
            SubmitMode::Batch if batch_available => return Mode::Batch,
            _ => {}
        }
        if batch_available && self.gas(Mode::Batch, n as u64) < self.gas(Mode::Single, n as u64) {
            Mode::Batch
        } else {
            Mode::Single
        }
    }
}

/// The circuit whose batch is due now, if any: given each circuit with queued proofs, their
/// count and when the oldest arrived (ms), oldest first.
pub(crate) fn due(queued: &[(String, usize, i64)], now_ms: i64, config: &Config) -> Option<String> {
    let (max_size, max_wait) = (config.batch.max_size, config.batch.max_wait_ms as i64);
    queued.iter().find(|(_, n, oldest)| *n >= max_size || now_ms - oldest >= max_wait).map(|(circuit, _, _)| circuit.clone())
}

/// Claims the next due batch's proofs for `signer`: the circuit and its claimed proofs, or `None`
/// when no batch is due (or another instance took the proofs first).
///
/// A circuit in aggregate mode leaves its queued proofs to the aggregate workers: only those whose
/// aggregate failed are batched here.
pub(crate) async fn next(store: &Store, config: &Config, signer: &str) -> Result<Option<(String, Vec<Queued>)>, StoreError> {
    let aggregated = |id: &str| config.circuits.iter().any(|c| c.id == id && c.mode == SubmitMode::Aggregate);
    let Some(circuit) = due(&store.queued_circuits(&aggregated).await?, now_ms(), config) else { return Ok(None) };
    let rows = store.claim(&circuit, config.batch.max_size, signer, aggregated(&circuit)).await?;
    Ok((!rows.is_empty()).then_some((circuit, rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_model_single_for_one_batch_from_two() {
        let m = GasModel::default();
        let auto = SubmitMode::Auto;
        assert_eq!(m.choose(auto, 1, true), Mode::Single);
        assert_eq!(m.choose(auto, 2, true), Mode::Batch);
        assert_eq!(m.choose(auto, 32, true), Mode::Batch);
        assert_eq!(m.choose(auto, 32, false), Mode::Single);
        // A named mode is taken as it is; aggregate mode's fallback proofs are chosen for.
        assert_eq!(m.choose(SubmitMode::Single, 32, true), Mode::Single);
        assert_eq!(m.choose(SubmitMode::Batch, 1, true), Mode::Batch);
        assert_eq!(m.choose(SubmitMode::Aggregate, 8, true), Mode::Batch);
    }

    #[test]
    fn a_batch_closes_when_full_or_when_its_oldest_proof_waited_long_enough() {
        let mut config: Config = toml::from_str("rpc_url = \"http://127.0.0.1:8545\"\nregistry = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n")
            .expect("a minimal configuration");
        config.batch.max_size = 4;
        config.batch.max_wait_ms = 1_000;
        let queued = vec![("a".to_string(), 3, 10_000), ("b".to_string(), 4, 10_500)];
        assert_eq!(due(&queued, 10_100, &config), Some("b".into()), "b is full");
        assert_eq!(due(&queued, 11_000, &config), Some("a".into()), "a's oldest waited 1 s, and a is older");
        assert_eq!(due(&queued[..1], 10_999, &config), None, "a is neither full nor old enough");
    }
}
