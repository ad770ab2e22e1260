//! Groth16 verification with arkworks' verifier, behind checks that name what is wrong.

use ark_bn254::Bn254;
use ark_groth16::Groth16;

use crate::{Fr, Proof, VerifyingKey};

/// Why a proof was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// The number of public inputs given is not the number the key takes (or the key has no IC).
    #[error("the verifying key takes {expected} public inputs, {got} were given")]
    InputCount {
        /// Public inputs the key takes: its IC points less one.
        expected: usize,
        /// Public inputs given.
        got: usize,
    },
    /// The pairing check fails: the proof is not valid for these inputs under this key.
    #[error("the proof does not verify against these public inputs and verifying key")]
    Invalid,
}

/// A verifying key prepared once (e(α, β) computed, γ and δ's Miller-loop lines precomputed) for
/// verifying many proofs: preparing costs about as much as a pairing, so a service or a folder
/// of proofs prepares its key once rather than per proof.
#[derive(Clone, Debug)]
pub struct PreparedKey {
    pvk: ark_groth16::PreparedVerifyingKey<Bn254>,
}

impl PreparedKey {
    /// Prepares `vk`, at about the cost of one pairing.
    pub fn new(vk: &VerifyingKey) -> PreparedKey {
        PreparedKey { pvk: ark_groth16::prepare_verifying_key(vk) }
    }

    /// The key this was prepared from.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.pvk.vk
    }

    /// Ok(()) only if `proof` is valid for `public` under this key.
    pub fn verify(&self, proof: &Proof, public: &[Fr]) -> Result<(), VerifyError> {
        let ic = &self.pvk.vk.gamma_abc_g1;
        let expected = ic.len().saturating_sub(1);
        if public.len() != expected || ic.is_empty() {
            return Err(VerifyError::InputCount { expected, got: public.len() });
        }
        match Groth16::<Bn254>::verify_proof(&self.pvk, proof, public) {
            Ok(true) => Ok(()),
            _ => Err(VerifyError::Invalid),
        }
    }
}

/// Ok(()) only if `proof` is valid for `public` under `vk` (one proof; see [`PreparedKey`] for many).
pub fn verify(vk: &VerifyingKey, proof: &Proof, public: &[Fr]) -> Result<(), VerifyError> {
    PreparedKey::new(vk).verify(proof, public)
}
