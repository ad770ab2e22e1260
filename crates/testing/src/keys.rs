//! Deterministic keys and proofs (seeded setup, witnesses and proof randomness) for the squares-n
//! circuits: exactly what the checked-in forge fixtures hold, so that a test can replay them off
//! the chain, on anvil, or regenerate the fixtures and compare.

use std::sync::Arc;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_prover::circuits::SquaresCircuit;
use zkbatch_prover::{Fr, Proof, Prover, ProvingKey};

/// The public-input counts the forge tests and gas benchmarks cover.
pub const INPUT_COUNTS: [usize; 5] = [1, 2, 4, 8, 16];
/// Proofs per key (distinct statements), for tests that mix proofs.
pub const PROOFS_PER_KEY: usize = 2;
/// The public-input counts with a large batch of proofs (batch tests and gas benchmarks).
pub const BATCH_INPUT_COUNTS: [usize; 2] = [2, 4];
/// The size of that batch.
pub const BATCH_PROOFS: usize = 64;

/// One key's fixtures: the prover (squares-n, seeded setup) and its proofs, each with its inputs.
pub struct KeyFixture {
    /// The prover for the key.
    pub prover: Prover,
    /// [`PROOFS_PER_KEY`] proofs (the forge fixture `FixtureN{n}`).
    pub proofs: Vec<(Proof, Vec<Fr>)>,
    /// [`BATCH_PROOFS`] more for n in [`BATCH_INPUT_COUNTS`] (`BatchFixtureN{n}`), else none.
    pub batch: Vec<(Proof, Vec<Fr>)>,
}

/// The fixtures for `n` public inputs, exactly as the checked-in files hold them.
pub fn key_fixture(n: usize) -> KeyFixture {
    let mut rng = StdRng::seed_from_u64(0x5eed_0000 + n as u64);
    let key = ProvingKey::setup(&format!("squares-{n}"), SquaresCircuit { inputs: n, roots: None }, &mut rng)
        .expect("setup of a fixed circuit");
    let prover = Prover::new(Arc::new(key)).expect("consistent key");
    let prove = |rng: &mut StdRng| {
        let circuit = SquaresCircuit::random(n, rng);
        let (proof, public, _) = prover.prove(circuit, rng).expect("prove a satisfied circuit");
        zkbatch_prover::verify::verify(prover.key().verifying_key(), &proof, &public).expect("fixture proof verifies");
        (proof, public)
    };
    let proofs = (0..PROOFS_PER_KEY).map(|_| prove(&mut rng)).collect();
    // The same rng continues, so the files above do not change when the batch grows.
    let batch = if BATCH_INPUT_COUNTS.contains(&n) { (0..BATCH_PROOFS).map(|_| prove(&mut rng)).collect() } else { Vec::new() };
    KeyFixture { prover, proofs, batch }
}
