//! Our pairing checks: one proof as ark-groth16 checks it, and the batch check
//! ([`PreparedKey::batch`]), where every part of a batch answers as its proofs do alone.

use std::sync::Arc;

use ark_ec::AffineRepr;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_prover::circuits::SquaresCircuit;
use zkbatch_prover::verify::{PreparedKey, VerifyError};
use zkbatch_prover::{Fr, Proof, Prover, ProvingKey};

/// Six proofs of one squares-2 key.
fn proofs() -> (PreparedKey, Vec<(Proof, Vec<Fr>)>) {
    let mut rng = StdRng::seed_from_u64(20);
    let key = ProvingKey::setup("squares-2", SquaresCircuit { inputs: 2, roots: None }, &mut rng).expect("setup");
    let prover = Prover::new(Arc::new(key)).expect("prover");
    let proofs = (0..6)
        .map(|_| {
            let (proof, public, _) = prover.prove(SquaresCircuit::random(2, &mut rng), &mut rng).expect("prove");
            (proof, public)
        })
        .collect();
    (PreparedKey::new(prover.key().verifying_key()), proofs)
}

fn refs(batch: &[(Proof, Vec<Fr>)]) -> Vec<(&Proof, &[Fr])> {
    batch.iter().map(|(p, x)| (p, x.as_slice())).collect()
}

#[test]
fn every_part_of_a_batch_holds_exactly_when_its_proofs_verify_alone() {
    let (key, good) = proofs();
    // Bad proofs of each kind: a wrong input, a negated A, and a proof of another statement's C.
    let mut cases = vec![good.clone()];
    for (i, j) in [(0, 3), (2, 2), (5, 1)] {
        let mut batch = good.clone();
        batch[i].1[0] += Fr::from(1u64);
        batch[j].0.a = -batch[j].0.a;
        cases.push(batch);
    }
    let mut swapped = good.clone();
    swapped[4].0.c = good[1].0.c;
    cases.push(swapped);
    for batch in &cases {
        let refs = refs(batch);
        let alone: Vec<bool> = batch.iter().map(|(p, x)| key.verify(p, x).is_ok()).collect();
        let mut checked = key.batch(&refs, &mut rand::rngs::OsRng);
        for start in 0..batch.len() {
            for end in start + 1..=batch.len() {
                assert_eq!(checked.holds(start..end), alone[start..end].iter().all(|ok| *ok), "part {start}..{end} of {alone:?}");
            }
        }
        assert_eq!(key.verify_batch(&refs, &mut rand::rngs::OsRng), alone.iter().all(|ok| *ok));
    }
}

#[test]
fn a_part_past_the_batch_or_with_a_wrong_input_count_does_not_hold_and_an_empty_one_does() {
    let (key, mut batch) = proofs();
    batch[3].1.push(Fr::from(7u64));
    assert!(matches!(key.verify(&batch[3].0, &batch[3].1), Err(VerifyError::InputCount { expected: 2, got: 3 })));
    let refs = refs(&batch);
    let mut checked = key.batch(&refs, &mut rand::rngs::OsRng);
    assert!(checked.holds(0..3) && checked.holds(4..6));
    assert!(!checked.holds(2..4) && !checked.holds(3..4) && !checked.holds(0..6));
    assert!(!checked.holds(5..7));
    assert!(checked.holds(2..2));
}

/// The same proof for x + d and x − d: with equal challenges the inputs' errors cancel; with the
/// batch's own challenges no part that holds both proofs passes.
#[test]
fn the_cancellation_forgery_is_refused_in_every_part() {
    let (key, good) = proofs();
    let (proof, x) = good[0].clone();
    let d = Fr::from(12345u64);
    let (mut plus, mut minus) = (x.clone(), x);
    plus[0] += d;
    minus[0] -= d;
    let forged = vec![good[1].clone(), (proof.clone(), plus), (proof, minus), good[2].clone()];
    let refs = refs(&forged);
    let mut checked = key.batch(&refs, &mut rand::rngs::OsRng);
    assert!(!checked.holds(0..4) && !checked.holds(1..3) && !checked.holds(1..2) && !checked.holds(2..3));
    assert!(checked.holds(0..1) && checked.holds(3..4));
}

/// Our check of one proof answers as ark-groth16's `verify_proof` does, for valid proofs and for
/// each way of breaking one.
#[test]
fn one_proof_is_checked_as_ark_groth16_checks_it() {
    let (key, good) = proofs();
    let pvk = ark_groth16::prepare_verifying_key(key.verifying_key());
    let (p, x) = good[0].clone();
    let mut cases = vec![(p.clone(), x.clone())];
    cases.push((p.clone(), vec![x[0] + Fr::from(1u64), x[1]]));
    cases.push((Proof { a: -p.a, ..p.clone() }, x.clone()));
    cases.push((Proof { b: good[1].0.b, ..p.clone() }, x.clone()));
    cases.push((Proof { c: good[1].0.c, ..p.clone() }, x.clone()));
    cases.push((Proof { a: ark_bn254::G1Affine::zero(), ..p }, x));
    for (i, (proof, public)) in cases.iter().enumerate() {
        let ark = ark_groth16::Groth16::<ark_bn254::Bn254>::verify_proof(&pvk, proof, public).expect("input count");
        assert_eq!(key.verify(proof, public).is_ok(), ark, "case {i}");
        assert_eq!(ark, i == 0, "case {i}");
    }
}
