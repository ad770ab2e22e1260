//! The chain side: `ProofRegistry`'s bindings (from forge's artifact, so the ABI and bytecode are
//! the contract's as compiled now), calldata for both submission modes, the gas model that picks
//! between them, and the classification of RPC errors into "the call reverts" and "try again".

use alloy::primitives::{keccak256, Address, Bytes, U256};
use alloy::sol;
use alloy::sol_types::SolCall;
use alloy::transports::{RpcError, TransportErrorKind};

use crate::proof::EvmProof;

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ProofRegistry,
    "../../out/ProofRegistry.sol/ProofRegistry.json"
);

/// How a batch goes on-chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `submitEach`: one `verify` per proof on the single verifier.
    Single,
    /// `submitBatch`: one `verifyBatch` (random linear combination) on the batch verifier.
    Batch,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Single => "single",
            Mode::Batch => "batch",
        }
    }
}

/// Gas per transaction as a function of the batch size N, for each mode: fixed + N × per proof
/// (the 21,000 base and calldata included). The defaults fit what the relayer's transactions use
/// on anvil for circuits with a few public inputs (BENCHMARKS.md: the verifiers' own figures plus
/// the registry's keccak and event per proof); only where the two lines cross matters for the
/// choice (N = 1: single, N ≥ 2: batch), so rough figures are enough.
#[derive(Clone, Copy, Debug)]
pub struct GasModel {
    pub single_fixed: u64,
    pub single_per_proof: u64,
    pub batch_fixed: u64,
    pub batch_per_proof: u64,
}

impl Default for GasModel {
    fn default() -> Self {
        GasModel { single_fixed: 21_000, single_per_proof: 225_000, batch_fixed: 210_000, batch_per_proof: 60_000 }
    }
}

impl GasModel {
    pub fn gas(&self, mode: Mode, n: u64) -> u64 {
        match mode {
            Mode::Single => self.single_fixed + n * self.single_per_proof,
            Mode::Batch => self.batch_fixed + n * self.batch_per_proof,
        }
    }

    /// The cheaper mode per proof for a batch of `n`; `Single` when there is no batch verifier.
    pub fn choose(&self, n: usize, batch_available: bool) -> Mode {
        if batch_available && self.gas(Mode::Batch, n as u64) < self.gas(Mode::Single, n as u64) {
            Mode::Batch
        } else {
            Mode::Single
        }
    }
}

/// The registry call for a batch of proofs on `verifier` (the single or the batch verifier,
/// as `mode` says).
pub fn calldata(mode: Mode, verifier: Address, proofs: &[EvmProof]) -> Bytes {
    let words: Vec<[U256; 8]> = proofs.iter().map(|p| p.words).collect();
    let inputs: Vec<U256> = proofs.iter().flat_map(|p| p.inputs.iter().copied()).collect();
    match mode {
        Mode::Single => ProofRegistry::submitEachCall { verifier, proofs: words, inputs }.abi_encode().into(),
        Mode::Batch => ProofRegistry::submitBatchCall { batchVerifier: verifier, proofs: words, inputs }.abi_encode().into(),
    }
}

/// What an RPC failure means for the relayer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The node executed the call and it reverts: trying again changes nothing.
    Revert(String),
    /// The node refused the request for a reason of its own (funds, fees, nonce, …).
    Refused(String),
    /// No answer, a timeout, or a transport error: try again later.
    Transient(String),
}

/// The custom errors a submission can revert with, by selector, to name them in a proof's reason.
const KNOWN_ERRORS: [&str; 13] = [
    // The verifiers' (crates/solgen) and the registry's errors.
    "ProofInvalid()",
    "PublicInputNotInField()",
    "InvalidProofPoint()",
    "InvalidProofLength()",
    "InvalidPublicInputCount()",
    "EmptyBatch()",
    "BatchLengthMismatch()",
    "BatchInvalid()",
    "InputsLengthMismatch()",
    "NoVerifierCode()",
    "Error(string)",
    "Panic(uint256)",
    "InvalidPublicInput()",
];

/// A revert's error name when its selector is one we know, else its data in hex.
pub fn revert_name(data: &[u8]) -> String {
    if data.len() >= 4 {
        for sig in KNOWN_ERRORS {
            if keccak256(sig.as_bytes())[..4] == data[..4] {
                return sig.trim_end_matches("()").to_string();
            }
        }
    }
    if data.is_empty() {
        "reverted without data".into()
    } else {
        format!("reverted with 0x{}", alloy::hex::encode(data))
    }
}

pub fn classify(err: &RpcError<TransportErrorKind>) -> Failure {
    match err.as_error_resp() {
        Some(payload) => {
            if let Some(data) = payload.as_revert_data() {
                return Failure::Revert(revert_name(&data));
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
pub fn is_known_tx(message: &str) -> bool {
    let m = message.to_lowercase();
    ["already known", "known transaction", "already imported", "nonce too low", "transaction already exists", "replacement transaction underpriced"]
        .iter()
        .any(|s| m.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_model_single_for_one_batch_from_two() {
        let m = GasModel::default();
        assert_eq!(m.choose(1, true), Mode::Single);
        assert_eq!(m.choose(2, true), Mode::Batch);
        assert_eq!(m.choose(32, true), Mode::Batch);
        assert_eq!(m.choose(32, false), Mode::Single);
    }

    #[test]
    fn revert_data_is_named() {
        let sel = |s: &str| keccak256(s.as_bytes())[..4].to_vec();
        assert_eq!(revert_name(&sel("ProofInvalid()")), "ProofInvalid");
        assert_eq!(revert_name(&sel("BatchInvalid()")), "BatchInvalid");
        assert_eq!(revert_name(&[1, 2, 3, 4]), "reverted with 0x01020304");
        assert_eq!(revert_name(&[]), "reverted without data");
    }

    #[test]
    fn known_transaction_answers() {
        assert!(is_known_tx("already known"));
        assert!(is_known_tx("nonce too low: next nonce 5, tx nonce 4"));
        assert!(!is_known_tx("insufficient funds for gas * price + value"));
    }
}
