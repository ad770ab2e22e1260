//! Our pipeline against ark-groth16: identical proofs for identical randomness, and valid ones.

use std::sync::Arc;

use ark_bn254::Bn254;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_prover::circuits::{MerkleCircuit, MerkleWitness};
use zkbatch_prover::ProveError;
use zkbatch_prover::QapError;
use zkbatch_prover::verify::{verify, VerifyError};
use zkbatch_prover::{Fr, Prover, ProvingKey};

fn setup(depth: usize, seed: u64) -> (Prover, StdRng) {
    let mut rng = StdRng::seed_from_u64(seed);
    let key = ProvingKey::setup("merkle-test", MerkleCircuit::blank(depth), &mut rng).unwrap();
    (Prover::new(Arc::new(key)).unwrap(), rng)
}

#[test]
fn proof_equals_ark_groth16_for_the_same_randomness_and_verifies() {
    let (prover, mut rng) = setup(4, 10);
    for _ in 0..3 {
        let witness = MerkleWitness::random(4, &mut rng);
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let (ours, public, report) = prover.prove_with_randomness(MerkleCircuit::new(witness.clone()), r, s).unwrap();
        let theirs = Groth16::<Bn254>::create_proof_with_reduction(MerkleCircuit::new(witness.clone()), &prover.key().groth16, r, s).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(public, witness.public_inputs());
        verify(prover.key().verifying_key(), &ours, &public).unwrap();
        let pvk = ark_groth16::prepare_verifying_key(prover.key().verifying_key());
        assert!(Groth16::<Bn254>::verify_proof(&pvk, &ours, &public).unwrap());
        assert_eq!(report.engine, prover.engine().name());
        assert!(report.total >= report.qap + report.msm());
    }
}

#[test]
fn zero_randomness_matches_too() {
    let (prover, mut rng) = setup(2, 11);
    let witness = MerkleWitness::random(2, &mut rng);
    let zero = Fr::from(0u64);
    let (ours, _, _) = prover.prove_with_randomness(MerkleCircuit::new(witness.clone()), zero, zero).unwrap();
    let theirs = Groth16::<Bn254>::create_proof_with_reduction(MerkleCircuit::new(witness), &prover.key().groth16, zero, zero).unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn wrong_public_inputs_fail_verification() {
    let (prover, mut rng) = setup(3, 12);
    let (proof, mut public, _) = prover.prove(MerkleCircuit::new(MerkleWitness::random(3, &mut rng)), &mut rng).unwrap();
    public[1] += Fr::from(1u64);
    assert_eq!(verify(prover.key().verifying_key(), &proof, &public), Err(VerifyError::Invalid));
    assert_eq!(
        verify(prover.key().verifying_key(), &proof, &public[..1]),
        Err(VerifyError::InputCount { expected: 2, got: 1 })
    );
}

#[test]
fn an_unsatisfying_witness_is_refused_with_the_broken_constraint() {
    let (prover, mut rng) = setup(3, 13);
    let witness = MerkleWitness::random(3, &mut rng);
    let mut public = witness.public_inputs();
    public[1] += Fr::from(1u64);
    let circuit = MerkleCircuit { depth: 3, witness: Some(witness), public: Some([public[0], public[1]]) };
    match prover.prove(circuit, &mut rng) {
        Err(ProveError::Qap(QapError::Unsatisfied(i))) => assert!(i < prover.key().r1cs.num_constraints()),
        other => panic!("expected an unsatisfied constraint, got {other:?}"),
    }
}

#[test]
fn a_witness_for_another_depth_is_refused() {
    let (prover, mut rng) = setup(3, 14);
    let circuit = MerkleCircuit::new(MerkleWitness::random(4, &mut rng));
    assert!(matches!(prover.prove(circuit, &mut rng), Err(ProveError::Qap(QapError::AssignmentLength { .. }))));
}
