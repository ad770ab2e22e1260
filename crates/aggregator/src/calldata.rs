//! `Groth16BatchVerifier.verifyBatch(uint256[8][] proofs, uint256[n][] inputs)` calldata, encoded
//! with alloy's ABI types (n is the key's, so the type is built at run time).

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{keccak256, U256};
use zkbatch_prover::{Fr, Proof};
use zkbatch_solgen::evm::{input_words, proof_words, Word};

/// The function's signature for `n` public inputs.
pub fn verify_batch_signature(n: usize) -> String {
    format!("verifyBatch(uint256[8][],uint256[{n}][])")
}

/// Likewise for the view that returns the contract's challenges.
pub fn batch_challenges_signature(n: usize) -> String {
    format!("batchChallenges(uint256[8][],uint256[{n}][])")
}

fn uint(w: &Word) -> DynSolValue {
    DynSolValue::Uint(U256::from_be_bytes(*w), 256)
}

/// The ABI-encoded arguments (no selector) for a batch whose proofs have `n` inputs each.
pub fn encode_args(proofs: &[Proof], inputs: &[Vec<Fr>]) -> Vec<u8> {
    let proofs = DynSolValue::Array(
        proofs.iter().map(|p| DynSolValue::FixedArray(proof_words(p).iter().map(uint).collect())).collect(),
    );
    let inputs = DynSolValue::Array(
        inputs.iter().map(|x| DynSolValue::FixedArray(input_words(x).iter().map(uint).collect())).collect(),
    );
    DynSolValue::Tuple(vec![proofs, inputs]).abi_encode_params()
}

/// Calldata for `signature` (see [`verify_batch_signature`]) with the batch's arguments.
pub fn encode_call(signature: &str, proofs: &[Proof], inputs: &[Vec<Fr>]) -> Vec<u8> {
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    data.extend(encode_args(proofs, inputs));
    data
}
