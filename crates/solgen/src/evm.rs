//! BN254 values as the EVM's precompiles take them: 32-byte big-endian words, G2 coordinates with
//! the imaginary part first (EIP-197), and the compressed encoding `verifyCompressedProof` reads.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use tiny_keccak::{Hasher, Keccak};

use zkbatch_prover::{Proof, VerifyingKey};

/// One 256-bit EVM word, big-endian.
pub type Word = [u8; 32];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncodeError {
    #[error("{0} is the point at infinity, which no valid proof contains and the encoding cannot carry")]
    Infinity(&'static str),
}

pub fn word<F: PrimeField>(v: &F) -> Word {
    let bytes = v.into_bigint().to_bytes_be();
    let mut w = [0u8; 32];
    w[32 - bytes.len()..].copy_from_slice(&bytes);
    w
}

/// `0x…` with 64 hex digits, for Solidity literals and JSON.
pub fn hex(w: &Word) -> String {
    hex_bytes(w)
}

/// Any bytes as 0x-prefixed lowercase hex.
pub fn hex_bytes(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Bytes from hex digits (an optional 0x prefix); `None` unless every pair is hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    (0..digits.len()).step_by(2).map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok()).collect()
}

pub fn field_hex<F: PrimeField>(v: &F) -> String {
    hex(&word(v))
}

/// A field's modulus as a `0x…` literal.
pub fn modulus_hex<F: PrimeField>() -> String {
    let bytes = F::MODULUS.to_bytes_be();
    let mut w: Word = [0u8; 32];
    w[32 - bytes.len()..].copy_from_slice(&bytes);
    hex(&w)
}

pub fn keccak256(data: &[u8]) -> Word {
    let mut k = Keccak::v256();
    k.update(data);
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

/// A custom error's or function's 4-byte selector, as a left-aligned word for `mstore` + `revert`.
pub fn selector_word(signature: &str) -> String {
    let h = keccak256(signature.as_bytes());
    let mut w = [0u8; 32];
    w[..4].copy_from_slice(&h[..4]);
    hex(&w)
}

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
    keccak256(&vk_words(vk).concat())
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
    let g1 = |p: &G1Affine, name| -> Result<Word, EncodeError> {
        let (x, y) = p.xy().ok_or(EncodeError::Infinity(name))?;
        let mut w = word(&x);
        if y.into_bigint().is_odd() {
            w[0] |= FLAG;
        }
        Ok(w)
    };
    let (bx, by) = proof.b.xy().ok_or(EncodeError::Infinity("B"))?;
    let mut b1 = word(&bx.c1);
    if sign_fq2(&by) {
        b1[0] |= FLAG;
    }
    Ok([g1(&proof.a, "A")?, b1, word(&bx.c0), g1(&proof.c, "C")?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_known_values() {
        // keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1])")[..4], as solc reports it.
        assert_eq!(&selector_word("transfer(address,uint256)")[..10], "0xa9059cbb");
    }
}
