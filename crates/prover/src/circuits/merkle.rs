//! Poseidon Merkle-tree membership, the circuit of circom's `merkle20` example:
//! private `nullifier`, `secret`, `pathElements[depth]`, `pathIndices[depth]`;
//! leaf = Poseidon(nullifier, secret), parent = Poseidon(left, right) (index 0: current node is the
//! left child); public, in snarkjs order, `[nullifierHash, root]` with nullifierHash = Poseidon(nullifier).

use ark_ff::{One, Zero};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::Rng;
use serde::{Deserialize, Serialize};

use crate::poseidon::{self, gadget::Signal};
use crate::{field, Fr};

/// The private and public values of one membership proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleWitness {
    /// First half of the leaf's preimage; its hash is the public nullifierHash.
    pub nullifier: Fr,
    /// Second half of the leaf's preimage, never revealed.
    pub secret: Fr,
    /// The sibling at each level, leaf first; as many as the tree is deep.
    pub path_elements: Vec<Fr>,
    /// `false`: the current node is the left child at that level.
    pub path_indices: Vec<bool>,
}

impl MerkleWitness {
    /// Levels between leaf and root: the length of the path.
    pub fn depth(&self) -> usize {
        self.path_elements.len()
    }

    /// The leaf, Poseidon(nullifier, secret).
    pub fn leaf(&self) -> Fr {
        poseidon::hash2(self.nullifier, self.secret)
    }

    /// Poseidon(nullifier), the first public input.
    pub fn nullifier_hash(&self) -> Fr {
        poseidon::hash(&[self.nullifier]).expect("width 2 is supported")
    }

    /// The root reached by hashing up the path from the leaf, the second public input.
    pub fn root(&self) -> Fr {
        self.path_elements
            .iter()
            .zip(&self.path_indices)
            .fold(self.leaf(), |node, (sibling, is_right)| match is_right {
                false => poseidon::hash2(node, *sibling),
                true => poseidon::hash2(*sibling, node),
            })
    }

    /// The public inputs in snarkjs order: `[nullifierHash, root]`.
    pub fn public_inputs(&self) -> Vec<Fr> {
        vec![self.nullifier_hash(), self.root()]
    }

    /// A random member of a random tree, for demos, tests and benchmarks.
    pub fn random<R: Rng>(depth: usize, rng: &mut R) -> Self {
        MerkleWitness {
            nullifier: field::random(rng),
            secret: field::random(rng),
            path_elements: (0..depth).map(|_| field::random(rng)).collect(),
            path_indices: (0..depth).map(|_| rng.gen()).collect(),
        }
    }
}

/// `input.json` as circom's merkle circuit takes it (decimal strings; `root` optional).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MerkleInputJson {
    /// The root the path must lead to; not checked when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<field::Decimal>,
    /// The private nullifier, first half of the leaf's preimage.
    pub nullifier: field::Decimal,
    /// The private secret, second half of the leaf's preimage.
    pub secret: field::Decimal,
    /// `pathElements`: the sibling at each level, leaf first.
    pub path_elements: Vec<field::Decimal>,
    /// `pathIndices`: 0 where the current node is the left child at that level, 1 where it is the right.
    pub path_indices: Vec<field::Decimal>,
}

/// Why [`MerkleInputJson::to_witness`] refused a merkle `input.json`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MerkleInputError {
    /// A value that is not a canonical field element.
    #[error("{field}: {source}")]
    Field {
        /// The value's JSON name, e.g. `pathElements[3]` or `root`.
        field: String,
        /// Why the value was refused.
        source: field::FieldError,
    },
    /// `pathElements` or `pathIndices` without exactly one entry per level.
    #[error("the circuit has depth {expected}, but {field} has {got} entries")]
    Depth {
        /// `pathElements` or `pathIndices`.
        field: &'static str,
        /// The circuit's depth.
        expected: usize,
        /// Entries in that array.
        got: usize,
    },
    /// A `pathIndices` entry other than 0 or 1; holds its position.
    #[error("pathIndices[{0}] must be 0 or 1")]
    NotBoolean(usize),
    /// A `root` other than the one the path leads to.
    #[error("root {given} is not the root of this path (it computes to {computed})")]
    RootMismatch {
        /// The `root` given, as written.
        given: String,
        /// The path's root, in decimal.
        computed: String,
    },
}

impl MerkleInputJson {
    /// The `input.json` for a witness, `root` included.
    pub fn from_witness(w: &MerkleWitness) -> Self {
        let dec = |f: &Fr| field::Decimal::from(*f);
        MerkleInputJson {
            root: Some(dec(&w.root())),
            nullifier: dec(&w.nullifier),
            secret: dec(&w.secret),
            path_elements: w.path_elements.iter().map(dec).collect(),
            path_indices: w.path_indices.iter().map(|b| field::Decimal::from(Fr::from(*b as u64))).collect(),
        }
    }

    /// Checks every value and the depth, and that `root`, when given, is the path's root.
    pub fn to_witness(&self, depth: usize) -> Result<MerkleWitness, MerkleInputError> {
        let parse = |name: String, d: &field::Decimal| {
            d.to_field::<Fr>().map_err(|source| MerkleInputError::Field { field: name, source })
        };
        for (name, got) in [("pathElements", self.path_elements.len()), ("pathIndices", self.path_indices.len())] {
            if got != depth {
                return Err(MerkleInputError::Depth { field: name, expected: depth, got });
            }
        }
        let path_elements = self
            .path_elements
            .iter()
            .enumerate()
            .map(|(i, d)| parse(format!("pathElements[{i}]"), d))
            .collect::<Result<Vec<_>, _>>()?;
        let path_indices = self
            .path_indices
            .iter()
            .enumerate()
            .map(|(i, d)| match parse(format!("pathIndices[{i}]"), d)? {
                v if v.is_zero() => Ok(false),
                v if v.is_one() => Ok(true),
                _ => Err(MerkleInputError::NotBoolean(i)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let witness = MerkleWitness {
            nullifier: parse("nullifier".into(), &self.nullifier)?,
            secret: parse("secret".into(), &self.secret)?,
            path_elements,
            path_indices,
        };
        if let Some(given) = &self.root {
            let given_root = parse("root".into(), given)?;
            let computed = witness.root();
            if given_root != computed {
                return Err(MerkleInputError::RootMismatch {
                    given: given.to_string(),
                    computed: field::Decimal::from(computed).to_string(),
                });
            }
        }
        Ok(witness)
    }
}

/// The membership circuit. Without a witness it synthesises the constraints only (setup).
#[derive(Clone, Debug)]
pub struct MerkleCircuit {
    /// Levels between leaf and root; it alone fixes the constraints.
    pub depth: usize,
    /// The values to prove; `None` for setup. Refused unless its depth is `depth`.
    pub witness: Option<MerkleWitness>,
    /// Public inputs; normally computed from the witness. Tests set them to check soundness.
    pub public: Option<[Fr; 2]>,
}

impl MerkleCircuit {
    /// The circuit of the given depth without values, for setup.
    pub fn blank(depth: usize) -> Self {
        MerkleCircuit { depth, witness: None, public: None }
    }

    /// The circuit proving `witness`, its depth and public inputs taken from it.
    pub fn new(witness: MerkleWitness) -> Self {
        let public = [witness.nullifier_hash(), witness.root()];
        MerkleCircuit { depth: witness.depth(), witness: Some(witness), public: Some(public) }
    }
}

impl ConstraintSynthesizer<Fr> for MerkleCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        if self.witness.as_ref().is_some_and(|w| w.depth() != self.depth) {
            return Err(SynthesisError::Unsatisfiable);
        }
        let w = self.witness.as_ref();
        let nullifier_hash = Signal::input(&cs, self.public.map(|p| p[0]))?;
        let root = Signal::input(&cs, self.public.map(|p| p[1]))?;

        let nullifier = Signal::witness(&cs, w.map(|w| w.nullifier))?;
        let secret = Signal::witness(&cs, w.map(|w| w.secret))?;
        poseidon::gadget::hash(&cs, std::slice::from_ref(&nullifier))?.enforce_equal(&cs, &nullifier_hash)?;

        let mut node = poseidon::gadget::hash(&cs, &[nullifier, secret])?;
        for level in 0..self.depth {
            let sibling = Signal::witness(&cs, w.map(|w| w.path_elements[level]))?;
            let index = Signal::witness(&cs, w.map(|w| Fr::from(w.path_indices[level] as u64)))?;
            index.enforce_boolean(&cs)?;
            // swap = index · (sibling − node): left = node + swap, right = sibling − swap.
            let swap = index.mul(&cs, &sibling.sub(&node))?;
            let left = node.add(&swap);
            let right = sibling.sub(&swap);
            node = poseidon::gadget::hash(&cs, &[left, right])?;
        }
        node.enforce_equal(&cs, &root)
    }
}
