//! The batch verifier's Fiat–Shamir transcript, described once in its two forms: natively (the
//! aggregator's batch check, `zkbatch batch calldata`'s challenges) and as the Yul that
//! `Groth16BatchVerifier` runs (emitted into the contract by zkbatch-solgen).
//!
//!   seed = keccak256(domain ‖ vk hash ‖ N ‖ proof₀ ‖ … ‖ proof_{N−1} ‖ inputs₀ ‖ … ‖ inputs_{N−1})
//!   r₀ = 1,  rᵢ = keccak256(seed ‖ i) mod 2¹²⁸  (i ≥ 1)
//!
//! with every item a 32-byte big-endian word: proofs as A, B, C in 8 words (B as x1, x0, y1, y0),
//! inputs as n words each. Binding the seed to every proof and input of the batch is what keeps a
//! prover from choosing statements after seeing the challenges. A change to the transcript is a
//! change to this file; the anvil test `batch_transcript_native_and_yul_agree_on_anvil` (zkbatch-aggregator)
//! checks that the contract's `batchChallenges` and [`batch_challenges`] agree.

use alloy_primitives::{keccak256, U256};
use zkbatch_prover::{Fr, Proof, VerifyingKey};

use crate::word::{input_words, proof_words, vk_hash, Word};

/// The transcript's domain separator: these bytes, right-padded with zeros to one word (the
/// contract's `bytes32 public constant DOMAIN`).
pub const DOMAIN: &[u8; 24] = b"zkbatch.groth16.batch.v1";

/// The contract's `MASK128`, which keeps a challenge's low 128 bits (a `u128` here): an invalid
/// proof survives the batch check with probability at most 2⁻¹²⁸.
pub const CHALLENGE_MASK: &str = "0xffffffffffffffffffffffffffffffff";

/// The domain separator as the transcript's first word.
fn domain_word() -> Word {
    let mut w = [0u8; 32];
    w[..DOMAIN.len()].copy_from_slice(DOMAIN);
    w
}

/// The seed of a batch of proofs with their inputs under the key `vk_hash`.
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

/// The `count` challenges derived from `seed`: r₀ = 1, then the low 128 bits of each hash.
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
            let mut low = [0u8; 16];
            low.copy_from_slice(&h.0[16..]);
            u128::from_be_bytes(low)
        })
        .collect()
}

/// A batch's challenges under `vk`, as field elements.
pub fn batch_challenges(vk: &VerifyingKey, proofs: &[Proof], inputs: &[Vec<Fr>]) -> Vec<Fr> {
    let items = proofs.iter().zip(inputs.iter().map(Vec::as_slice));
    let seed = seed(&vk_hash(vk), items);
    challenges(&seed, proofs.len()).into_iter().map(Fr::from).collect()
}

/// The Yul that leaves the seed at memory 0x00, for proofs of `inputs_per_proof` inputs each.
///
/// It expects the contract's constants `DOMAIN` and `VK_HASH`, the calldata arrays `proofs`
/// (`uint256[8][]`) and `inputs` (`uint256[n][]`), and `count`, their checked common length.
/// Memory while hashing: 0x00 domain, 0x20 VK_HASH, 0x40 N, 0x60 the proofs (N × 0x100 bytes),
/// then the inputs (N × n words).
pub fn yul_seed(inputs_per_proof: usize) -> String {
    format!(
        r#"{{
    mstore(0x00, DOMAIN)
    mstore(0x20, VK_HASH)
    mstore(0x40, count)
    let proofBytes := shl(8, count)
    calldatacopy(0x60, proofs.offset, proofBytes)
    let inputBytes := mul(count, {stride:#x})
    calldatacopy(add(0x60, proofBytes), inputs.offset, inputBytes)
    mstore(0x00, keccak256(0x00, add(0x60, add(proofBytes, inputBytes))))
}}
"#,
        stride = 0x20 * inputs_per_proof,
    )
}

/// The Yul expression for rᵢ, with the seed at memory 0x00 and i at 0x20 (`MASK128` is
/// [`CHALLENGE_MASK`]).
pub const YUL_CHALLENGE: &str = "and(keccak256(0x00, 0x40), MASK128)";
