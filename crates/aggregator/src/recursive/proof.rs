//! An aggregate proof and what goes with it: its public instances, the JSON form `zkbatch
//! aggregate` writes (and the checked-in fixture holds), and its calldata for the verifier.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr as HaloFr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use serde::{Deserialize, Serialize};
use zkbatch_evm::word::Word;

use super::shape::Shape;

/// An aggregate proof and the public instances it is for: `[vkHash, x₁₁..x_Nℓ]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregateProof {
    /// The key's hash, then every proof's inputs in slot order.
    pub instances: Vec<HaloFr>,
    /// The proof's bytes (SHPLONK over KZG, Keccak transcript).
    pub proof: Vec<u8>,
}

/// An aggregate proof as `zkbatch aggregate` writes it (and the checked-in fixture holds it):
/// instances as 0x-prefixed 32-byte big-endian hex, the proof as 0x-prefixed hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggregateProofJson {
    /// The circuit's shape.
    pub shape: Shape,
    /// instances[0], repeated for readers: the Poseidon hash of the Groth16 verifying key.
    #[serde(rename = "vkHash")]
    pub vk_hash: String,
    /// The instances, 32-byte big-endian hex.
    pub instances: Vec<String>,
    /// The proof, 0x-prefixed hex.
    pub proof: String,
}

/// Why an aggregate proof's JSON is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofJsonError {
    /// An instance is not a canonical 32-byte scalar.
    #[error("instance {index}: {reason}")]
    Instance {
        /// Which instance.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The proof is not 0x-prefixed hex.
    #[error("proof: {0}")]
    Proof(String),
    /// The shape has no slot or no input per proof, or more instances than a machine can count.
    #[error("shape {shape:?}: an aggregate has at least one slot of at least one input")]
    Shape {
        /// The JSON's shape.
        shape: Shape,
    },
    /// The instance count is not the shape's.
    #[error("{got} instances for {shape:?}, which has {expected}")]
    Count {
        /// The shape the JSON claims.
        shape: Shape,
        /// Its instance count.
        expected: usize,
        /// The instances given.
        got: usize,
    },
    /// `vkHash` is not instance 0.
    #[error("vkHash {vk_hash} differs from instance 0")]
    VkHash {
        /// The JSON's vkHash.
        vk_hash: String,
    },
}

/// An Fr's 32 big-endian bytes (an EVM word).
pub fn fr_be_bytes(x: &HaloFr) -> Word {
    let mut be = x.to_repr();
    be.reverse();
    be
}

/// An Fr as 32-byte big-endian hex.
pub fn fr_hex(x: &HaloFr) -> String {
    zkbatch_evm::word::hex(&fr_be_bytes(x))
}

/// 0x-prefixed hex as bytes; `None` for anything else.
fn unhex(s: &str) -> Option<Vec<u8>> {
    s.strip_prefix("0x").and_then(|digits| alloy_primitives::hex::decode(digits).ok())
}

/// Parses 32-byte big-endian hex, refusing values ≥ r (the EVM verifier would reduce them).
pub fn parse_fr(s: &str) -> Result<HaloFr, String> {
    let bytes = unhex(s).ok_or("expected 0x-prefixed hex")?;
    let be: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| format!("{} bytes, expected 32", b.len()))?;
    let mut le = be;
    le.reverse();
    Option::from(HaloFr::from_repr(le)).ok_or_else(|| "not below the BN254 scalar field order r".to_string())
}

impl AggregateProof {
    /// The JSON form, for a proof of `shape`.
    pub fn to_json(&self, shape: Shape) -> AggregateProofJson {
        let instances: Vec<String> = self.instances.iter().map(fr_hex).collect();
        AggregateProofJson {
            shape,
            vk_hash: instances.first().cloned().unwrap_or_default(),
            instances,
            proof: alloy_primitives::hex::encode_prefixed(&self.proof),
        }
    }

    /// The instances as EVM words (`AggregatedProofRegistry.submit`'s `instances`).
    pub fn instance_words(&self) -> Vec<Word> {
        self.instances.iter().map(fr_be_bytes).collect()
    }

    /// The verifier's calldata: the instances as words, then the proof.
    pub fn calldata(&self) -> Vec<u8> {
        zkbatch_evm::calldata::aggregate_verifier(&self.instance_words(), &self.proof)
    }
}

impl AggregateProofJson {
    /// The proof, every instance checked canonical and counted against the shape.
    pub fn parse(&self) -> Result<AggregateProof, ProofJsonError> {
        let shape = self.shape;
        let Some(expected) = shape.slots.checked_mul(shape.inputs).and_then(|n| n.checked_add(1)).filter(|_| shape.slots > 0 && shape.inputs > 0)
        else {
            return Err(ProofJsonError::Shape { shape });
        };
        if self.instances.len() != expected {
            return Err(ProofJsonError::Count { shape: self.shape, expected, got: self.instances.len() });
        }
        if self.instances.first() != Some(&self.vk_hash) {
            return Err(ProofJsonError::VkHash { vk_hash: self.vk_hash.clone() });
        }
        let instances = self
            .instances
            .iter()
            .enumerate()
            .map(|(index, s)| parse_fr(s).map_err(|reason| ProofJsonError::Instance { index, reason }))
            .collect::<Result<_, _>>()?;
        let proof = unhex(&self.proof).ok_or_else(|| ProofJsonError::Proof("expected 0x-prefixed hex".into()))?;
        Ok(AggregateProof { instances, proof })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json() -> AggregateProofJson {
        let proof = AggregateProof { instances: vec![HaloFr::from(7u64), HaloFr::from(8u64), HaloFr::from(9u64)], proof: vec![1, 2, 3] };
        proof.to_json(Shape { k: 20, slots: 1, inputs: 2 })
    }

    #[test]
    fn json_round_trips_and_refuses_what_the_chain_would_misread() {
        let good = json();
        assert_eq!(good.parse().unwrap().instances[2], HaloFr::from(9u64));
        assert_eq!(good.proof, "0x010203");

        let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
        let mut bad = good.clone();
        bad.instances[1] = r.into();
        assert_eq!(bad.parse(), Err(ProofJsonError::Instance { index: 1, reason: "not below the BN254 scalar field order r".into() }));
        let mut bad = good.clone();
        bad.instances.pop();
        assert!(matches!(bad.parse(), Err(ProofJsonError::Count { expected: 3, got: 2, .. })));
        let mut bad = good.clone();
        bad.vk_hash = bad.instances[1].clone();
        assert!(matches!(bad.parse(), Err(ProofJsonError::VkHash { .. })));
        let mut bad = good.clone();
        bad.proof = "010203".into();
        assert!(matches!(bad.parse(), Err(ProofJsonError::Proof(_))));
        let mut bad = good.clone();
        bad.instances[2] = "0x09".into();
        assert!(matches!(bad.parse(), Err(ProofJsonError::Instance { index: 2, .. })));
        for (slots, inputs) in [(0, 2), (1, 0), (usize::MAX, 2)] {
            let mut bad = good.clone();
            bad.shape.slots = slots;
            bad.shape.inputs = inputs;
            assert!(matches!(bad.parse(), Err(ProofJsonError::Shape { .. })), "{slots} slots of {inputs}");
        }
    }
}
