//! A proof as the chain takes it: the verifiers' 8 words and the public inputs, and the key
//! `ProofRegistry` emits it under.

use alloy_primitives::{keccak256, B256, U256};
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ff::{BigInt, PrimeField};
use zkbatch_prover::{Fr, Proof};

use crate::word::{check_finite, input_words, proof_words, EncodeError, Word};

/// Why words are not a proof.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// A coordinate is not below p.
    #[error("a coordinate of {0} is not below the base field's modulus p")]
    NotInField(&'static str),
    /// A point is off its curve or outside its group.
    #[error("{0} is not a point of its group")]
    NotOnCurve(&'static str),
    /// A public input is not below r.
    #[error("public input {0} is not below the scalar field's modulus r")]
    InputNotInField(usize),
}

/// A Groth16 proof and its public inputs in the verifiers' encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmProof {
    /// A.x A.y B.x1 B.x0 B.y1 B.y0 C.x C.y.
    pub words: [U256; 8],
    /// The public inputs, one word each.
    pub inputs: Vec<U256>,
}

impl EvmProof {
    /// The encoding of `proof` with `inputs`; a point at infinity, which the verifier contracts
    /// refuse, is refused here by name.
    pub fn new(proof: &Proof, inputs: &[Fr]) -> Result<EvmProof, EncodeError> {
        check_finite(proof)?;
        let words = proof_words(proof).map(U256::from_be_bytes);
        let inputs = input_words(inputs).into_iter().map(U256::from_be_bytes).collect();
        Ok(EvmProof { words, inputs })
    }

    /// keccak256 of the 8 proof words and the inputs, as `ProofRegistry` computes it for its
    /// `ProofVerified` event: the proof's public id.
    pub fn key(&self) -> B256 {
        keccak256(self.to_bytes())
    }

    /// keccak256 of `vk_hash` ([`crate::word::vk_hash`]) and the inputs, 32 bytes each: the
    /// statement the proof proves, the same for every proof of it. Proofs are not: (−A, −B, C)
    /// verifies whenever (A, B, C) does, and the prover's randomness gives each new proof of one
    /// statement new points; so a proof's key tells proofs apart, and this tells what was proved.
    pub fn statement(&self, vk_hash: &Word) -> B256 {
        let mut data = Vec::with_capacity(32 * (1 + self.inputs.len()));
        data.extend_from_slice(vk_hash);
        data.extend(self.inputs.iter().flat_map(|w| w.to_be_bytes::<32>()));
        keccak256(data)
    }

    /// The words and inputs, 32 bytes each, one after another (also the relayer's stored form).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().chain(&self.inputs).flat_map(|w| w.to_be_bytes::<32>()).collect()
    }

    /// The proof and inputs back from the words, each checked: coordinates below p, points on
    /// their curves and in their groups (B in G2), inputs below r. The words came from
    /// [`EvmProof::new`] in this program, but they were stored and read back, so nothing is assumed.
    pub fn to_proof(&self) -> Result<(Proof, Vec<Fr>), DecodeError> {
        let fq = |i: usize, what: &'static str| {
            Fq::from_bigint(BigInt::new(self.words[i].into_limbs())).ok_or(DecodeError::NotInField(what))
        };
        let g1 = |i: usize, what: &'static str| -> Result<G1Affine, DecodeError> {
            let p = G1Affine::new_unchecked(fq(i, what)?, fq(i + 1, what)?);
            (p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()).then_some(p).ok_or(DecodeError::NotOnCurve(what))
        };
        let x = Fq2::new(fq(3, "B")?, fq(2, "B")?);
        let y = Fq2::new(fq(5, "B")?, fq(4, "B")?);
        let b = G2Affine::new_unchecked(x, y);
        if !(b.is_on_curve() && b.is_in_correct_subgroup_assuming_on_curve()) {
            return Err(DecodeError::NotOnCurve("B"));
        }
        let proof = Proof { a: g1(0, "A")?, b, c: g1(6, "C")? };
        let inputs = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, w)| Fr::from_bigint(BigInt::new(w.into_limbs())).ok_or(DecodeError::InputNotInField(i)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((proof, inputs))
    }

    /// The stored form back; `None` when the length is not 32 × (8 + n).
    pub fn from_bytes(bytes: &[u8]) -> Option<EvmProof> {
        if bytes.len() < 256 || !bytes.len().is_multiple_of(32) {
            return None;
        }
        let mut all = bytes.chunks_exact(32).map(U256::from_be_slice);
        let words: [U256; 8] = std::array::from_fn(|_| all.next().unwrap_or_default());
        Some(EvmProof { words, inputs: all.collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips_and_refuses_bad_lengths() {
        let p = EvmProof { words: std::array::from_fn(|i| U256::from(i + 1)), inputs: vec![U256::from(7), U256::MAX] };
        let bytes = p.to_bytes();
        assert_eq!(bytes.len(), 32 * 10);
        assert_eq!(EvmProof::from_bytes(&bytes), Some(p.clone()));
        assert_eq!(p.key(), keccak256(&bytes));
        assert_eq!(EvmProof::from_bytes(&bytes[..255]), None);
        assert_eq!(EvmProof::from_bytes(&bytes[..224]), None);
    }

    #[test]
    fn words_decode_back_to_the_proof_and_bad_words_are_named() {
        let fixture = zkbatch_testing::keys::key_fixture(2);
        let (proof, inputs) = &fixture.proofs[0];
        let p = EvmProof::new(proof, inputs).expect("finite");
        assert_eq!(p.to_proof().expect("decodes"), (proof.clone(), inputs.clone()));
        let p_modulus = U256::from_be_bytes(crate::word::modulus::<Fq>());
        let r_modulus = U256::from_be_bytes(crate::word::modulus::<Fr>());
        let mut bad = p.clone();
        bad.words[0] = p_modulus;
        assert_eq!(bad.to_proof(), Err(DecodeError::NotInField("A")));
        let mut bad = p.clone();
        bad.words[7] += U256::from(1);
        assert_eq!(bad.to_proof(), Err(DecodeError::NotOnCurve("C")));
        let mut bad = p.clone();
        bad.words[4] += U256::from(1);
        assert_eq!(bad.to_proof(), Err(DecodeError::NotOnCurve("B")));
        let mut bad = p.clone();
        bad.inputs[1] = r_modulus;
        assert_eq!(bad.to_proof(), Err(DecodeError::InputNotInField(1)));
    }

    #[test]
    fn a_statement_is_its_key_and_inputs_not_its_points() {
        let p = EvmProof { words: std::array::from_fn(|i| U256::from(i + 1)), inputs: vec![U256::from(7), U256::from(9)] };
        let mut negated = p.clone();
        negated.words[1] = U256::from(100); // another A, as (−A, −B, C) has
        let vk = [1u8; 32];
        assert_ne!(p.key(), negated.key());
        assert_eq!(p.statement(&vk), negated.statement(&vk));
        let mut bytes = vk.to_vec();
        bytes.extend(p.inputs.iter().flat_map(|w| w.to_be_bytes::<32>()));
        assert_eq!(p.statement(&vk), keccak256(&bytes));
        assert_ne!(p.statement(&vk), p.statement(&[2u8; 32]));
        let other = EvmProof { inputs: vec![U256::from(7), U256::from(10)], ..p.clone() };
        assert_ne!(p.statement(&vk), other.statement(&vk));
    }
}
