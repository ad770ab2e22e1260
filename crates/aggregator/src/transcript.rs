//! The batch transcript, as `Groth16BatchVerifier` computes it (see `zkbatch_solgen::batch`):
//!
//!   seed = keccak256(domain ‖ vk hash ‖ N ‖ proof₀ ‖ … ‖ proof_{N−1} ‖ inputs₀ ‖ … ‖ inputs_{N−1})
//!   r₀ = 1,  rᵢ = keccak256(seed ‖ i) mod 2¹²⁸  (i ≥ 1)
//!
//! with every item a 32-byte big-endian word: proofs as A, B, C in 8 words (B as x1, x0, y1, y0),
//! inputs as n words each. Binding the seed to every proof and input of the batch is what keeps a
//! prover from choosing statements after seeing the challenges.

use alloy_primitives::{keccak256, U256};
use zkbatch_prover::{Fr, Proof, VerifyingKey};
use zkbatch_solgen::batch::domain_word;
use zkbatch_solgen::evm::{input_words, proof_words, vk_hash, Word};

/// The seed of a batch of `proofs` with their `inputs` (equal lengths) under the key `vk_hash`.
pub fn seed<'a>(vk_hash: &Word, items: impl ExactSizeIterator<Item = (&'a Proof, &'a [Fr])> + Clone) -> Word {
    let count = items.len();
    let mut data = Vec::with_capacity(96 + count * 8 * 32);
    data.extend_from_slice(&domain_word());
    data.extend_from_slice(vk_hash);
    data.extend_from_slice(&U256::from(count).to_be_bytes::<32>());
    for (proof, _) in items.clone() {
        for w in proof_words(proof) {
            data.extend_from_slice(&w);
        }
    }
    for (_, inputs) in items {
        for w in input_words(inputs) {
            data.extend_from_slice(&w);
        }
    }
    keccak256(&data).0
}

/// The `count` challenges derived from `seed`: r₀ = 1, then 128-bit values.
pub fn challenges(seed: &Word, count: usize) -> Vec<u128> {
    let mut input = [0u8; 64];
    input[..32].copy_from_slice(seed);
    (0..count)
        .map(|i| {
            if i == 0 {
                return 1;
            }
            input[32..].copy_from_slice(&U256::from(i).to_be_bytes::<32>());
            let h = keccak256(input);
            u128::from_be_bytes(h.0[16..].try_into().expect("16 bytes"))
        })
        .collect()
}

/// A batch's challenges under `vk`, as field elements.
pub fn batch_challenges(vk: &VerifyingKey, proofs: &[Proof], inputs: &[Vec<Fr>]) -> Vec<Fr> {
    let items = proofs.iter().zip(inputs.iter().map(Vec::as_slice));
    let seed = seed(&vk_hash(vk), items);
    challenges(&seed, proofs.len()).into_iter().map(Fr::from).collect()
}
