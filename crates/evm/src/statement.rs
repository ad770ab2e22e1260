//! The registries' statement tree (contracts/StatementTree.sol), natively: what an application
//! passes to `isVerified(key, inputsHash, index, width, path)` for a proof the relayer landed.
//!
//! A registry call's statements are the leaves keccak256(key ‖ inputsHash) of a Merkle tree
//! (keccak256(left ‖ right); a level of odd length carries its last node up unchanged) whose root
//! the registry stores. The path of a proof is rebuilt here from the call itself, the calldata
//! the chain ran, so it holds whatever order the submitter put the proofs in.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::SolCall;

use crate::bindings::{AggregatedProofRegistry, ProofRegistry};
use crate::proof::EvmProof;

/// keccak256 of a statement's public inputs, 32 bytes each.
pub fn inputs_hash(inputs: &[U256]) -> B256 {
    keccak256(inputs.iter().flat_map(|w| w.to_be_bytes::<32>()).collect::<Vec<u8>>())
}

/// A statement's leaf: keccak256(key ‖ inputsHash).
pub fn leaf(key: U256, inputs_hash: B256) -> B256 {
    hash_pair(B256::from(key), inputs_hash)
}

fn hash_pair(left: B256, right: B256) -> B256 {
    let mut data = [0u8; 64];
    data[..32].copy_from_slice(left.as_slice());
    data[32..].copy_from_slice(right.as_slice());
    keccak256(data)
}

/// The next level up: pairs hashed, an odd last node carried up.
fn level_up(level: &[B256]) -> Vec<B256> {
    level.chunks(2).map(|pair| if let [l, r] = pair { hash_pair(*l, *r) } else { pair[0] }).collect()
}

/// The root of `leaves`; `None` for no leaves.
pub fn root(leaves: &[B256]) -> Option<B256> {
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level_up(&level);
    }
    level.first().copied()
}

/// The path of leaf `index`: its sibling at each level where one exists, bottom up; `None` when
/// `index` is not a leaf.
pub fn path(leaves: &[B256], mut index: usize) -> Option<Vec<B256>> {
    if index >= leaves.len() {
        return None;
    }
    let mut level = leaves.to_vec();
    let mut out = Vec::new();
    while level.len() > 1 {
        if let Some(sibling) = level.get(index ^ 1) {
            out.push(*sibling);
        }
        level = level_up(&level);
        index /= 2;
    }
    Some(out)
}

/// `isVerified`'s arguments for one statement, and the registry that answers them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryCheck {
    /// The registry the call went to.
    pub registry: Address,
    /// The verifier's address as a uint256 (ProofRegistry) or vkHash (AggregatedProofRegistry).
    pub key: U256,
    /// keccak256 of the statement's public inputs.
    pub inputs_hash: B256,
    /// The statement's place in its call.
    pub index: usize,
    /// How many statements the call had.
    pub width: usize,
    /// Its Merkle path.
    pub path: Vec<B256>,
    /// The root the registry stored for the call.
    pub root: B256,
}

impl RegistryCheck {
    /// The check for proof `proof_key` (`EvmProof::key`) in a `ProofRegistry.submitEach` or
    /// `submitBatch` call to `registry`; `None` when the calldata is neither or does not carry
    /// that proof.
    pub fn from_registry_call(registry: Address, calldata: &[u8], proof_key: B256) -> Option<RegistryCheck> {
        let (verifier, proofs, inputs) = if let Ok(c) = ProofRegistry::submitEachCall::abi_decode(calldata) {
            (c.verifier, c.proofs, c.inputs)
        } else if let Ok(c) = ProofRegistry::submitBatchCall::abi_decode(calldata) {
            (c.batchVerifier, c.proofs, c.inputs)
        } else {
            return None;
        };
        if proofs.is_empty() || !inputs.len().is_multiple_of(proofs.len()) {
            return None;
        }
        let n = inputs.len() / proofs.len();
        let key = U256::from_be_slice(verifier.as_slice());
        let statements: Vec<EvmProof> =
            proofs.iter().zip(inputs.chunks_exact(n.max(1))).map(|(w, x)| EvmProof { words: *w, inputs: x.to_vec() }).collect();
        let index = statements.iter().position(|p| p.key() == proof_key)?;
        let leaves: Vec<B256> = statements.iter().map(|p| leaf(key, inputs_hash(&p.inputs))).collect();
        Some(RegistryCheck {
            registry,
            key,
            inputs_hash: inputs_hash(&statements[index].inputs),
            index,
            width: leaves.len(),
            path: path(&leaves, index)?,
            root: root(&leaves)?,
        })
    }

    /// The check for the statement with public `inputs` in an `AggregatedProofRegistry.submit`
    /// call to `registry` (its first slot with those inputs: a padded aggregate repeats its last
    /// statement); `None` when the calldata is not one or does not carry the statement.
    pub fn from_aggregate_call(registry: Address, calldata: &[u8], inputs: &[U256]) -> Option<RegistryCheck> {
        let call = AggregatedProofRegistry::submitCall::abi_decode(calldata).ok()?;
        let (key, rest) = call.instances.split_first()?;
        if inputs.is_empty() || !rest.len().is_multiple_of(inputs.len()) {
            return None;
        }
        let slots: Vec<&[U256]> = rest.chunks_exact(inputs.len()).collect();
        let index = slots.iter().position(|x| *x == inputs)?;
        let leaves: Vec<B256> = slots.iter().map(|x| leaf(*key, inputs_hash(x))).collect();
        Some(RegistryCheck {
            registry,
            key: *key,
            inputs_hash: inputs_hash(inputs),
            index,
            width: leaves.len(),
            path: path(&leaves, index)?,
            root: root(&leaves)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks a path up as the contract's rootFrom does.
    fn root_from(mut node: B256, mut index: usize, mut width: usize, path: &[B256]) -> B256 {
        let mut used = 0;
        while width > 1 {
            if index % 2 == 1 || index + 1 < width {
                node = if index % 2 == 1 { hash_pair(path[used], node) } else { hash_pair(node, path[used]) };
                used += 1;
            }
            index /= 2;
            width = width.div_ceil(2);
        }
        assert_eq!(used, path.len(), "the whole path is used");
        node
    }

    #[test]
    fn every_leaf_reaches_the_root_at_every_width() {
        for width in 1..=9usize {
            let leaves: Vec<B256> = (0..width).map(|i| keccak256([width as u8, i as u8])).collect();
            let r = root(&leaves).expect("leaves");
            for (i, l) in leaves.iter().enumerate() {
                assert_eq!(root_from(*l, i, width, &path(&leaves, i).expect("a leaf")), r, "width {width}, leaf {i}");
            }
            assert_eq!(path(&leaves, width), None);
        }
        assert_eq!(root(&[]), None);
    }

    #[test]
    fn a_proof_is_found_in_both_registry_calls_and_not_elsewhere() {
        let proof = |k: u64| EvmProof { words: [U256::from(k); 8], inputs: vec![U256::from(k), U256::from(k + 1)] };
        let proofs: Vec<EvmProof> = (1..=3).map(proof).collect();
        let verifier = Address::repeat_byte(0x11);
        let registry = Address::repeat_byte(0x22);
        for calldata in [crate::calldata::submit_each(verifier, &proofs), crate::calldata::submit_batch(verifier, &proofs)] {
            let check = RegistryCheck::from_registry_call(registry, &calldata, proofs[2].key()).expect("the third proof");
            assert_eq!((check.index, check.width, check.registry), (2, 3, registry));
            assert_eq!(check.key, U256::from_be_slice(verifier.as_slice()));
            assert_eq!(check.inputs_hash, inputs_hash(&proofs[2].inputs));
            assert_eq!(root_from(leaf(check.key, check.inputs_hash), 2, 3, &check.path), check.root);
            assert_eq!(RegistryCheck::from_registry_call(registry, &calldata, proof(9).key()), None, "a proof not in the call");
        }
        assert_eq!(RegistryCheck::from_registry_call(registry, &[0u8; 4], proofs[0].key()), None, "not a registry call");
    }

    #[test]
    fn a_statement_is_found_in_an_aggregate_call() {
        let vk_hash = U256::from(77u64);
        let x = |k: u64| vec![U256::from(k), U256::from(k + 1)];
        // Three statements padded to four slots with the last.
        let instances: Vec<U256> = std::iter::once(vk_hash).chain([x(1), x(2), x(3), x(3)].concat()).collect();
        let calldata = AggregatedProofRegistry::submitCall { instances, proof: vec![1u8, 2, 3].into() }.abi_encode();
        let registry = Address::repeat_byte(0x33);
        let check = RegistryCheck::from_aggregate_call(registry, &calldata, &x(3)).expect("the third statement");
        assert_eq!((check.index, check.width, check.key), (2, 4, vk_hash), "the first slot with it");
        assert_eq!(root_from(leaf(vk_hash, inputs_hash(&x(3))), 2, 4, &check.path), check.root);
        assert_eq!(RegistryCheck::from_aggregate_call(registry, &calldata, &x(9)), None);
        assert_eq!(RegistryCheck::from_aggregate_call(registry, &calldata, &[U256::from(1u64); 3]), None, "another input count");
    }
}
