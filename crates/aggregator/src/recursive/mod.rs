//! Recursive aggregation: a halo2 circuit (halo2-base / halo2-ecc 0.5.5) that checks N Groth16
//! proofs of one verifying key with the same random-linear-combination equation as [`crate::rlc`],
//! with Fiat–Shamir challenges from an in-circuit Poseidon transcript; proved with KZG (SHPLONK)
//! and verified on-chain by snark-verifier's Solidity verifier.
//!
//! - [`convert`]: arkworks points and scalars to halo2curves, refusing what the circuit cannot load
//!   (the point at infinity, B outside G2).
//! - [`transcript`]: the challenges natively (the same Poseidon sponge as the circuit, from
//!   snark-verifier's independent implementation) and the key's hash.
//! - [`circuit`]: the circuit itself, built into a `BaseCircuitBuilder`.
//! - [`padding`]: partial batches filled by repeating their last proof.
//! - [`params`]: KZG parameters (a file, or the insecure test setup).
//! - [`keys`]: proving keys per shape (k, N, ℓ), cached on disk.
//! - [`prove`]: proving, native verification, the aggregate proof's JSON form.
//! - [`evm`]: the Solidity verifier and its calldata.
//!
//! Design and status: `docs/recursive-aggregation.md`.

pub mod circuit;
pub mod convert;
pub mod evm;
pub mod keys;
pub mod padding;
pub mod params;
pub mod prove;
pub mod transcript;

use zkbatch_prover::{Fr, Proof, VerifyingKey};

pub use halo2_base::halo2_proofs::halo2curves::bn256::Fr as HaloFr;

/// Why a batch cannot be aggregated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AggregationError {
    #[error("the batch is empty")]
    Empty,
    #[error("{got} proofs do not fit a circuit of {slots} slots")]
    TooMany { got: usize, slots: usize },
    #[error("the verifying key has no public inputs; the aggregation circuit needs at least one")]
    NoPublicInputs,
    #[error("proof {slot}: {expected} public inputs expected, {got} given")]
    InputCount { slot: usize, expected: usize, got: usize },
    #[error("{what} is the point at infinity, which the circuit cannot load")]
    Infinity { what: String },
    #[error("{what} is not on the curve")]
    NotOnCurve { what: String },
    #[error("{what} is not in the prime-order subgroup of G2")]
    NotInSubgroup { what: String },
}

/// What the circuit checks: `vk` and N proofs with their inputs, already converted and checked by
/// [`AggregationInput::new`].
#[derive(Clone, Debug)]
pub struct AggregationInput {
    pub vk: convert::Vk,
    pub proofs: Vec<convert::G16Proof>,
    pub inputs: Vec<Vec<HaloFr>>,
}

impl AggregationInput {
    /// Converts and checks a batch: every point finite and on its curve, every B in G2, every
    /// input vector of the key's length. It does not verify the proofs (see [`check_native`]).
    pub fn new(vk: &VerifyingKey, batch: &[(Proof, Vec<Fr>)]) -> Result<AggregationInput, AggregationError> {
        if batch.is_empty() {
            return Err(AggregationError::Empty);
        }
        let vk = convert::vk(vk)?;
        let ell = vk.ic.len() - 1;
        let mut proofs = Vec::with_capacity(batch.len());
        let mut inputs = Vec::with_capacity(batch.len());
        for (slot, (proof, x)) in batch.iter().enumerate() {
            if x.len() != ell {
                return Err(AggregationError::InputCount { slot, expected: ell, got: x.len() });
            }
            proofs.push(convert::proof(proof, slot)?);
            inputs.push(x.iter().map(convert::fr).collect());
        }
        Ok(AggregationInput { vk, proofs, inputs })
    }

    /// N, the number of proofs.
    pub fn len(&self) -> usize {
        self.proofs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.proofs.is_empty()
    }

    /// ℓ, the number of public inputs of each proof.
    pub fn inputs_per_proof(&self) -> usize {
        self.vk.ic.len() - 1
    }

    /// The circuit's public instances: the key's hash, then every proof's inputs in order.
    pub fn instances(&self) -> Vec<HaloFr> {
        let mut out = vec![transcript::vk_hash(&self.vk)];
        out.extend(self.inputs.iter().flatten().copied());
        out
    }
}

/// The circuit's equation checked natively (arkworks pairing) with the circuit's Poseidon
/// challenges: whether a proving run would be satisfied. Minutes of proving are not spent on a
/// batch this refuses.
pub fn check_native(vk: &VerifyingKey, batch: &[(Proof, Vec<Fr>)]) -> Result<bool, AggregationError> {
    let input = AggregationInput::new(vk, batch)?;
    let challenges: Vec<Fr> = transcript::challenges(&input).iter().map(convert::fr_to_ark).collect();
    let (proofs, inputs): (Vec<Proof>, Vec<Vec<Fr>>) = batch.iter().cloned().unzip();
    Ok(crate::rlc::holds(vk, &proofs, &inputs, &challenges))
}
