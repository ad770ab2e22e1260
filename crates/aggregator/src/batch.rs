//! Batches for the on-chain batch verifier.
//!
//! A [`Batch`] admits a proof only after verifying it on its own, so one bad proof never sinks the
//! batch it would have joined; [`check`] verifies a set of proofs the fast way (one multi-pairing)
//! and, only when that fails, one by one to name the bad ones.

use zkbatch_evm::batch_transcript as transcript;
use zkbatch_evm::word::{vk_hash, Word};
use zkbatch_prover::verify::{PreparedKey, VerifyError};
use zkbatch_prover::{Fr, Proof, VerifyingKey};

use crate::rlc;

/// A proof, its public inputs, and a name to report it by (a file name, a request id).
#[derive(Clone, Debug, PartialEq)]
pub struct BatchItem {
    /// What to call it in errors.
    pub name: String,
    /// The proof.
    pub proof: Proof,
    /// Its public inputs.
    pub inputs: Vec<Fr>,
}

/// Why a batch is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BatchError {
    /// No proofs.
    #[error("the batch is empty")]
    Empty,
    /// The batch verifier folds inputs: a key without any has nothing to fold.
    #[error("the verifying key has no public inputs; the batch verifier needs at least one")]
    NoPublicInputs,
    /// One proof does not verify alone (or has the wrong input count).
    #[error("{name}: {source}")]
    Proof {
        /// The proof's name.
        name: String,
        /// Why.
        source: VerifyError,
    },
    /// The batch check failed; these proofs are the invalid ones.
    #[error("the batch check failed; invalid: {}", .invalid.join(", "))]
    Invalid {
        /// The invalid proofs' names.
        invalid: Vec<String>,
    },
}

/// Checks `items` with one multi-pairing; if that fails, verifies each to name the invalid ones.
/// Ok(()) only if every proof is valid for its inputs.
pub fn check(vk: &VerifyingKey, items: &[BatchItem]) -> Result<(), BatchError> {
    let n = public_inputs(vk)?;
    if items.is_empty() {
        return Err(BatchError::Empty);
    }
    for item in items {
        if item.inputs.len() != n {
            return Err(BatchError::Proof {
                name: item.name.clone(),
                source: VerifyError::InputCount { expected: n, got: item.inputs.len() },
            });
        }
    }
    let (proofs, inputs): (Vec<Proof>, Vec<Vec<Fr>>) = items.iter().map(|i| (i.proof.clone(), i.inputs.clone())).unzip();
    let challenges = transcript::batch_challenges(vk, &proofs, &inputs);
    if rlc::holds(vk, &proofs, &inputs, &challenges) {
        return Ok(());
    }
    let key = PreparedKey::new(vk);
    let invalid: Vec<String> =
        items.iter().filter(|i| key.verify(&i.proof, &i.inputs).is_err()).map(|i| i.name.clone()).collect();
    // The combination failed but every proof verifies alone: impossible for a sound pairing
    // check, so report every proof rather than claim success.
    let invalid = if invalid.is_empty() { items.iter().map(|i| i.name.clone()).collect() } else { invalid };
    Err(BatchError::Invalid { invalid })
}

fn public_inputs(vk: &VerifyingKey) -> Result<usize, BatchError> {
    match vk.gamma_abc_g1.len() {
        0 | 1 => Err(BatchError::NoPublicInputs),
        len => Ok(len - 1),
    }
}

/// A batch being assembled for `Groth16BatchVerifier.verifyBatch`: every member verified.
#[derive(Clone, Debug)]
pub struct Batch {
    key: PreparedKey,
    vk_hash: Word,
    proofs: Vec<Proof>,
    inputs: Vec<Vec<Fr>>,
    names: Vec<String>,
}

impl Batch {
    /// An empty batch for proofs of `vk`; refused for a key without public inputs.
    pub fn new(vk: VerifyingKey) -> Result<Batch, BatchError> {
        public_inputs(&vk)?;
        let vk_hash = vk_hash(&vk);
        Ok(Batch { key: PreparedKey::new(&vk), vk_hash, proofs: Vec::new(), inputs: Vec::new(), names: Vec::new() })
    }

    /// Adds `proof` if it verifies for `inputs`; otherwise says why, naming it, and leaves the
    /// batch as it was.
    pub fn push(&mut self, name: impl Into<String>, proof: Proof, inputs: Vec<Fr>) -> Result<(), BatchError> {
        let name = name.into();
        self.key.verify(&proof, &inputs).map_err(|source| BatchError::Proof { name: name.clone(), source })?;
        self.proofs.push(proof);
        self.inputs.push(inputs);
        self.names.push(name);
        Ok(())
    }

    /// How many proofs it holds.
    pub fn len(&self) -> usize {
        self.proofs.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.proofs.is_empty()
    }

    /// The proofs' names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The proofs, in order.
    pub fn proofs(&self) -> &[Proof] {
        &self.proofs
    }

    /// Each proof's public inputs, in order.
    pub fn inputs(&self) -> &[Vec<Fr>] {
        &self.inputs
    }

    /// The key's public-input count (n in `verifyBatch(uint256[8][], uint256[n][])`).
    pub fn inputs_per_proof(&self) -> usize {
        self.key.verifying_key().gamma_abc_g1.len() - 1
    }

    /// keccak256 of the key's words, as the contract's `VK_HASH`.
    pub fn vk_hash(&self) -> Word {
        self.vk_hash
    }

    /// The transcript seed the contract will use for this batch.
    pub fn seed(&self) -> Word {
        transcript::seed(&self.vk_hash, self.proofs.iter().zip(self.inputs.iter().map(Vec::as_slice)))
    }

    /// The challenges the contract will use for this batch, r₀ = 1 first.
    pub fn challenges(&self) -> Vec<u128> {
        transcript::challenges(&self.seed(), self.len())
    }

    /// The batch check, natively (every member already verified alone, so this holds unless the
    /// batch is empty; it is what the contract will compute).
    pub fn verify(&self) -> Result<(), BatchError> {
        if self.is_empty() {
            return Err(BatchError::Empty);
        }
        let challenges: Vec<Fr> = self.challenges().into_iter().map(Fr::from).collect();
        if rlc::holds(self.key.verifying_key(), &self.proofs, &self.inputs, &challenges) {
            Ok(())
        } else {
            Err(BatchError::Invalid { invalid: self.names.clone() })
        }
    }

    /// Calldata for `verifyBatch` with this batch.
    pub fn calldata(&self) -> Vec<u8> {
        zkbatch_evm::calldata::verify_batch(self.inputs_per_proof(), &self.proofs, &self.inputs)
    }
}
