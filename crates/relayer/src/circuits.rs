//! The configured circuits, each verifying key loaded and prepared once for every proof it checks.

use std::collections::HashMap;
use std::sync::Arc;

use alloy::primitives::Address;
use zkbatch_evm::word::{vk_hash, Word};
use zkbatch_prover::verify::PreparedKey;
use zkbatch_prover::VerifyingKey;

use crate::config::{AggregateTarget, Config, ConfigError, SubmitMode};

/// A configured circuit.
pub(crate) struct Circuit {
    /// Its verifying key, prepared.
    pub key: Arc<PreparedKey>,
    /// The key's hash (`zkbatch_evm::word::vk_hash`), which names its proofs' statements.
    pub vk_hash: Word,
    /// The generated single verifier.
    pub verifier: Address,
    /// The generated batch verifier, when deployed.
    pub batch_verifier: Option<Address>,
    /// How its proofs go on-chain.
    pub mode: SubmitMode,
    /// Its `AggregatedProofRegistry`, when configured.
    pub aggregate_registry: Option<Address>,
    /// Its aggregate settings, when configured.
    pub aggregate: Option<AggregateTarget>,
    /// Its latency bound in auto mode (s).
    pub max_latency_s: Option<f64>,
}

/// The circuits by id.
pub(crate) type Circuits = HashMap<String, Circuit>;

/// Loads and prepares every configured circuit's key; a key that cannot be read is named. A key in
/// `given` (by circuit id) is taken as it is, in place of the circuit's `vk` file.
pub(crate) fn load_circuits(config: &Config, given: &HashMap<String, VerifyingKey>) -> Result<Circuits, ConfigError> {
    let mut circuits = HashMap::new();
    for c in &config.circuits {
        let vk = match (given.get(&c.id), &c.vk) {
            (Some(vk), _) => vk.clone(),
            (None, Some(path)) => {
                zkbatch_prover::snarkjs::read_verifying_key(path).map_err(|source| ConfigError::VerifyingKey { id: c.id.clone(), source })?
            }
            (None, None) => return Err(ConfigError::NoVerifyingKey(c.id.clone())),
        };
        let circuit = Circuit {
            key: Arc::new(PreparedKey::new(&vk)),
            vk_hash: vk_hash(&vk),
            verifier: c.verifier,
            batch_verifier: c.batch_verifier,
            mode: c.mode,
            aggregate_registry: c.aggregate.as_ref().map(|a| a.registry),
            aggregate: c.aggregate.clone(),
            max_latency_s: c.max_latency_s,
        };
        circuits.insert(c.id.clone(), circuit);
    }
    Ok(circuits)
}
