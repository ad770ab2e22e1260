//! BN254 values as the EVM's precompiles take them: 32-byte big-endian words, G2 coordinates with
//! the imaginary part first (EIP-197), the verifying key's hash, and the compressed encoding
//! `verifyCompressedProof` reads.

use alloy_primitives::keccak256;
use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};

use zkbatch_prover::{Proof, VerifyingKey};

/// One 256-bit EVM word, big-endian.
pub type Word = [u8; 32];

/// Why a proof has no EVM encoding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncodeError {
    /// A proof point is the point at infinity.
    #[error("{0} is the point at infinity, which no valid proof contains and the encoding cannot carry")]
    Infinity(&'static str),
}

/// A field element as one word.
pub fn word<F: PrimeField>(v: &F) -> Word {
    big_endian_word(&v.into_bigint().to_bytes_be())
}

/// Big-endian bytes (32 at most: BN254's fields fit) right-aligned in a word.
fn big_endian_word(bytes: &[u8]) -> Word {
    let mut w = [0u8; 32];
    w[32 - bytes.len()..].copy_from_slice(bytes);
    w
}

/// `0x…` with 64 hex digits, for Solidity literals and JSON.
pub fn hex(w: &Word) -> String {
    alloy_primitives::hex::encode_prefixed(w)
}

/// A field's modulus as one word.
pub fn modulus<F: PrimeField>() -> Word {
    big_endian_word(&F::MODULUS.to_bytes_be())
}

/// `[x, y]`; the point at infinity is `[0, 0]`, as the precompiles read it.
pub fn g1_words(p: &G1Affine) -> [Word; 2] {
    let (x, y) = p.xy().unwrap_or_default();
    [word(&x), word(&y)]
}

/// `[x.c1, x.c0, y.c1, y.c0]`: the order the pairing precompile reads.
pub fn g2_words(p: &G2Affine) -> [Word; 4] {
    let (x, y) = p.xy().unwrap_or_default();
    [word(&x.c1), word(&x.c0), word(&y.c1), word(&y.c0)]
}

/// `verifyProof`'s and `verify`'s proof: A, B, C as 8 words (256 bytes).
pub fn proof_words(proof: &Proof) -> [Word; 8] {
    let [a0, a1] = g1_words(&proof.a);
    let [b0, b1, b2, b3] = g2_words(&proof.b);
    let [c0, c1] = g1_words(&proof.c);
    [a0, a1, b0, b1, b2, b3, c0, c1]
}

/// Public inputs, one word each.
pub fn input_words(inputs: &[Fr]) -> Vec<Word> {
    inputs.iter().map(word).collect()
}

/// The verifying key as words: α, β, γ, δ (G2 in EIP-197 order, not negated), then IC₀..ICₙ.
pub fn vk_words(vk: &VerifyingKey) -> Vec<Word> {
    let mut words = Vec::with_capacity(14 + 2 * vk.gamma_abc_g1.len());
    words.extend(g1_words(&vk.alpha_g1));
    for g2 in [&vk.beta_g2, &vk.gamma_g2, &vk.delta_g2] {
        words.extend(g2_words(g2));
    }
    for ic in &vk.gamma_abc_g1 {
        words.extend(g1_words(ic));
    }
    words
}

/// keccak256 of [`vk_words`]: the key's identity in batch transcripts and on-chain registries.
pub fn vk_hash(vk: &VerifyingKey) -> Word {
    keccak256(vk_words(vk).concat()).0
}

/// Refuses a proof with a point at infinity, naming it.
pub(crate) fn check_finite(proof: &Proof) -> Result<(), EncodeError> {
    for (point, name) in [(proof.a.is_zero(), "A"), (proof.b.is_zero(), "B"), (proof.c.is_zero(), "C")] {
        if point {
            return Err(EncodeError::Infinity(name));
        }
    }
    Ok(())
}

const FLAG: u8 = 0x80;

/// The sign of an Fq2 element: the parity of c0, or of c1 when c0 is zero. It tells y from −y.
fn sign_fq2(y: &Fq2) -> bool {
    if y.c0 != Fq::from(0u64) {
        y.c0.into_bigint().is_odd()
    } else {
        y.c1.into_bigint().is_odd()
    }
}

/// The 128-byte proof of `verifyCompressedProof`: `[A, B.x1, B.x0, C]`, where each point is its x
/// coordinate (base-field elements use 254 bits) with bit 255 of the first word telling which y:
/// for G1 whether y is odd, for G2 the sign of y (parity of y.c0, or of y.c1 when y.c0 = 0).
pub fn compress(proof: &Proof) -> Result<[Word; 4], EncodeError> {
    check_finite(proof)?;
    let g1 = |p: &G1Affine| -> Word {
        let (x, y) = p.xy().unwrap_or_default();
        let mut w = word(&x);
        if y.into_bigint().is_odd() {
            w[0] |= FLAG;
        }
        w
    };
    let (bx, by) = proof.b.xy().unwrap_or_default();
    let mut b1 = word(&bx.c1);
    if sign_fq2(&by) {
        b1[0] |= FLAG;
    }
    Ok([g1(&proof.a), b1, word(&bx.c0), g1(&proof.c)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;

    #[test]
    fn infinity_is_refused_by_name() {
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let proof = Proof { a: g1, b: g2, c: (g1 + g1).into_affine() };
        assert!(compress(&proof).is_ok());
        assert_eq!(compress(&Proof { a: G1Affine::zero(), ..proof }), Err(EncodeError::Infinity("A")));
        assert_eq!(compress(&Proof { b: G2Affine::zero(), ..proof }), Err(EncodeError::Infinity("B")));
        assert_eq!(compress(&Proof { c: G1Affine::zero(), ..proof }), Err(EncodeError::Infinity("C")));
    }

    #[test]
    fn words_are_big_endian_and_g2_is_imaginary_first() {
        assert_eq!(word(&Fr::from(0x0102u64))[30..], [1, 2]);
        assert_eq!(hex(&word(&Fr::from(1u64))), format!("0x{}1", "0".repeat(63)));
        let g2 = G2Affine::generator();
        let (x, _) = g2.xy().unwrap();
        assert_eq!(g2_words(&g2)[0], word(&x.c1));
        assert_eq!(g2_words(&g2)[1], word(&x.c0));
    }
}
