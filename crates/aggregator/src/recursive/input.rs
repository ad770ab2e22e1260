//! What the aggregation circuit checks: a Groth16 key and N proofs with their inputs, converted
//! to halo2curves and checked; and the circuit's equation checked natively, before minutes of
//! proving are spent on a batch that would fail.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr as HaloFr;
use zkbatch_prover::{Fr, Proof, VerifyingKey};

use super::convert::{self, G16Proof, Vk};
use super::error::AggregationError;
use super::transcript;

/// What the circuit checks: `vk` and N proofs with their inputs, already converted and checked by
/// [`AggregationInput::new`].
#[derive(Clone, Debug)]
pub struct AggregationInput {
    /// The Groth16 verifying key (a witness of the circuit).
    pub vk: Vk,
    /// The proofs, one per slot.
    pub proofs: Vec<G16Proof>,
    /// Each proof's public inputs.
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

    /// Whether there are no proofs (never, for an input [`AggregationInput::new`] made).
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

    /// The challenges r₁..r_N (r₁ = 1) the circuit derives for this batch, computed natively.
    pub fn challenges(&self) -> Vec<HaloFr> {
        transcript::challenges(&self.vk, &self.proofs, &self.inputs)
    }
}

/// The circuit's equation checked natively (arkworks pairing) with the circuit's Poseidon
/// challenges: whether a proving run would be satisfied. Minutes of proving are not spent on a
/// batch this refuses.
pub fn check_native(vk: &VerifyingKey, batch: &[(Proof, Vec<Fr>)]) -> Result<bool, AggregationError> {
    let input = AggregationInput::new(vk, batch)?;
    let challenges: Vec<Fr> = input.challenges().iter().map(convert::fr_to_ark).collect();
    let (proofs, inputs): (Vec<Proof>, Vec<Vec<Fr>>) = batch.iter().cloned().unzip();
    Ok(crate::rlc::holds(vk, &proofs, &inputs, &challenges))
}
