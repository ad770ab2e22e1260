//! The example application's fixture (contracts/examples/AnonymousClaim.sol): a merkle-20 key
//! from a seeded setup; members whose commitments Poseidon(nullifier, secret) are deposited in
//! order into a depth-20 Poseidon tree whose empty leaves are 0, as the contract's tree is; and
//! membership proofs against that tree's roots. The forge test deposits the same commitments, so
//! the contract's roots must be the ones these proofs name.

use std::sync::Arc;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_prover::circuits::merkle::{MerkleCircuit, MerkleWitness};
use zkbatch_prover::{field, poseidon, Fr, Proof, Prover, ProvingKey};

/// The tree's depth: the merkle-20 circuit's.
pub const DEPTH: usize = 20;
/// Members deposited.
pub const MEMBERS: usize = 4;

/// A membership proof with its public inputs `[nullifierHash, root]`.
pub type Claim = (Proof, Vec<Fr>);

/// The application's key, deposits and proofs.
pub struct ClaimFixture {
    /// The merkle-20 prover (seeded setup).
    pub prover: Prover,
    /// The commitments, in deposit order.
    pub commitments: Vec<Fr>,
    /// Member i's proof against the root after all deposits.
    pub claims: Vec<Claim>,
    /// Member 0's proof against the root after the first deposit only (an older, known root).
    pub early: Claim,
    /// A member of a tree the application never had (its root is unknown there).
    pub outsider: Claim,
}

/// The roots of empty subtrees: zeros[0] = 0 (an empty leaf), zeros[i + 1] = H(zeros[i], zeros[i]).
pub fn zeros() -> Vec<Fr> {
    let mut z = vec![Fr::from(0u64)];
    for i in 0..DEPTH {
        z.push(poseidon::hash2(z[i], z[i]));
    }
    z
}

/// Leaf `index`'s siblings and sides in the depth-20 tree of `leaves` (the rest empty).
fn path(leaves: &[Fr], mut index: usize) -> (Vec<Fr>, Vec<bool>) {
    let zeros = zeros();
    let mut level = leaves.to_vec();
    let (mut elements, mut sides) = (Vec::new(), Vec::new());
    for z in zeros.iter().take(DEPTH) {
        elements.push(level.get(index ^ 1).copied().unwrap_or(*z));
        sides.push(index % 2 == 1);
        level = level.chunks(2).map(|p| poseidon::hash2(p[0], p.get(1).copied().unwrap_or(*z))).collect();
        index /= 2;
    }
    (elements, sides)
}

/// The fixture, exactly as the checked-in files hold it.
pub fn claim_fixture() -> ClaimFixture {
    let mut rng = StdRng::seed_from_u64(0xc1a1_0000);
    let key = ProvingKey::setup("merkle-20", MerkleCircuit::blank(DEPTH), &mut rng).expect("setup of a fixed circuit");
    let prover = Prover::new(Arc::new(key)).expect("consistent key");
    let secrets: Vec<(Fr, Fr)> = (0..MEMBERS).map(|_| (field::random(&mut rng), field::random(&mut rng))).collect();
    let commitments: Vec<Fr> = secrets.iter().map(|(n, s)| poseidon::hash2(*n, *s)).collect();
    let prove = |witness: MerkleWitness, rng: &mut StdRng| {
        let (proof, public, _) = prover.prove(MerkleCircuit::new(witness), rng).expect("prove a member");
        zkbatch_prover::verify::verify(prover.key().verifying_key(), &proof, &public).expect("fixture proof verifies");
        (proof, public)
    };
    let member = |i: usize, deposited: usize| {
        let (path_elements, path_indices) = path(&commitments[..deposited], i);
        MerkleWitness { nullifier: secrets[i].0, secret: secrets[i].1, path_elements, path_indices }
    };
    let claims = (0..MEMBERS).map(|i| prove(member(i, MEMBERS), &mut rng)).collect();
    let early = prove(member(0, 1), &mut rng);
    let outsider = prove(MerkleWitness::random(DEPTH, &mut rng), &mut rng);
    ClaimFixture { prover, commitments, claims, early, outsider }
}
