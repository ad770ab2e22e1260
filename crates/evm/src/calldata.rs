//! The calls zkbatch makes, encoded: `ProofRegistry`'s two submissions, the batch verifier's
//! entries (whose types name n, the key's public-input count, so they are built at run time),
//! and the aggregate verifier's raw calldata.

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{keccak256, Address, Bytes, U256};
use alloy_sol_types::SolCall;
use zkbatch_prover::{Fr, Proof};

use crate::bindings::ProofRegistry;
use crate::proof::EvmProof;
use crate::word::{input_words, proof_words, Word};

/// `ProofRegistry.submitEach`: one `verify` call per proof on the single verifier `verifier`.
pub fn submit_each(verifier: Address, proofs: &[EvmProof]) -> Bytes {
    let (proofs, inputs) = registry_arrays(proofs);
    ProofRegistry::submitEachCall { verifier, proofs, inputs }.abi_encode().into()
}

/// `ProofRegistry.submitBatch`: one `verifyBatch` call on the batch verifier `batch_verifier`.
pub fn submit_batch(batch_verifier: Address, proofs: &[EvmProof]) -> Bytes {
    let (proofs, inputs) = registry_arrays(proofs);
    ProofRegistry::submitBatchCall { batchVerifier: batch_verifier, proofs, inputs }.abi_encode().into()
}

/// The registry's arguments: the proofs' words, and every proof's inputs one after another.
fn registry_arrays(proofs: &[EvmProof]) -> (Vec<[U256; 8]>, Vec<U256>) {
    let words = proofs.iter().map(|p| p.words).collect();
    let inputs = proofs.iter().flat_map(|p| p.inputs.iter().copied()).collect();
    (words, inputs)
}

/// `Groth16BatchVerifier.verifyBatch`'s signature for `n` public inputs per proof.
pub fn verify_batch_signature(n: usize) -> String {
    format!("verifyBatch(uint256[8][],uint256[{n}][])")
}

/// The signature of the view that returns the contract's challenges for a batch.
fn batch_challenges_signature(n: usize) -> String {
    format!("batchChallenges(uint256[8][],uint256[{n}][])")
}

/// `verifyBatch(proofs, inputs)` for proofs of `n` public inputs each.
pub fn verify_batch(n: usize, proofs: &[Proof], inputs: &[Vec<Fr>]) -> Vec<u8> {
    batch_call(&verify_batch_signature(n), proofs, inputs)
}

/// `batchChallenges(proofs, inputs)` for proofs of `n` public inputs each.
pub fn batch_challenges(n: usize, proofs: &[Proof], inputs: &[Vec<Fr>]) -> Vec<u8> {
    batch_call(&batch_challenges_signature(n), proofs, inputs)
}

fn batch_call(signature: &str, proofs: &[Proof], inputs: &[Vec<Fr>]) -> Vec<u8> {
    let uint = |w: &Word| DynSolValue::Uint(U256::from_be_bytes(*w), 256);
    let proofs = DynSolValue::Array(proofs.iter().map(|p| DynSolValue::FixedArray(proof_words(p).iter().map(uint).collect())).collect());
    let inputs = DynSolValue::Array(inputs.iter().map(|x| DynSolValue::FixedArray(input_words(x).iter().map(uint).collect())).collect());
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    data.extend(DynSolValue::Tuple(vec![proofs, inputs]).abi_encode_params());
    data
}

/// The aggregate verifier's calldata (snark-verifier's convention, no selector): the instances as
/// words, then the proof.
pub fn aggregate_verifier(instances: &[Word], proof: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * instances.len() + proof.len());
    for x in instances {
        out.extend_from_slice(x);
    }
    out.extend_from_slice(proof);
    out
}
