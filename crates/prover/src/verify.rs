//! Groth16 verification with arkworks' verifier, behind checks that name what is wrong.

use ark_bn254::Bn254;
use ark_groth16::Groth16;

use crate::{Fr, Proof, VerifyingKey};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the verifying key takes {expected} public inputs, {got} were given")]
    InputCount { expected: usize, got: usize },
    #[error("the proof does not verify against these public inputs and verifying key")]
    Invalid,
}

/// Ok(()) only if `proof` is valid for `public` under `vk`.
pub fn verify(vk: &VerifyingKey, proof: &Proof, public: &[Fr]) -> Result<(), VerifyError> {
    let expected = vk.gamma_abc_g1.len().saturating_sub(1);
    if public.len() != expected || vk.gamma_abc_g1.is_empty() {
        return Err(VerifyError::InputCount { expected, got: public.len() });
    }
    let pvk = ark_groth16::prepare_verifying_key(vk);
    match Groth16::<Bn254>::verify_proof(&pvk, proof, public) {
        Ok(true) => Ok(()),
        _ => Err(VerifyError::Invalid),
    }
}
