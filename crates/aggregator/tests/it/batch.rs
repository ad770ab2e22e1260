//! The native batch check: valid batches pass, every forgery the forge tests try fails, and the
//! challenges are what make the cancellation forgery fail.

use ark_ff::One;
use zkbatch_aggregator::batch::{check, Batch, BatchError, BatchItem};
use zkbatch_aggregator::rlc;
use zkbatch_evm::batch_transcript as transcript;
use zkbatch_prover::verify::VerifyError;
use zkbatch_prover::{Fr, Proof};
use zkbatch_testing::keys::key_fixture;

fn items(batch: &[(Proof, Vec<Fr>)], count: usize) -> Vec<BatchItem> {
    batch[..count]
        .iter()
        .enumerate()
        .map(|(i, (proof, inputs))| BatchItem { name: format!("p{i}"), proof: proof.clone(), inputs: inputs.clone() })
        .collect()
}

#[test]
fn valid_batches_pass() {
    for n in [2, 4] {
        let f = key_fixture(n);
        let vk = f.prover.key().verifying_key();
        for count in [1, 2, 3, 16] {
            check(vk, &items(&f.batch, count)).unwrap_or_else(|e| panic!("n = {n}, N = {count}: {e}"));
            let mut batch = Batch::new(vk.clone()).unwrap();
            for item in items(&f.batch, count) {
                batch.push(item.name, item.proof, item.inputs).unwrap();
            }
            batch.verify().unwrap();
            assert_eq!(batch.challenges()[0], 1);
            assert_eq!(batch.challenges().len(), count);
        }
    }
}

#[test]
fn a_bad_proof_is_named_and_never_joins_a_batch() {
    let f = key_fixture(4);
    let vk = f.prover.key().verifying_key();
    let mut all = items(&f.batch, 16);
    all[7].proof.a = -all[7].proof.a;
    all[0].proof.c = -all[0].proof.c;
    assert_eq!(check(vk, &all), Err(BatchError::Invalid { invalid: vec!["p0".into(), "p7".into()] }));

    let mut batch = Batch::new(vk.clone()).unwrap();
    let bad = all[7].clone();
    assert_eq!(
        batch.push(bad.name, bad.proof, bad.inputs),
        Err(BatchError::Proof { name: "p7".into(), source: VerifyError::Invalid })
    );
    assert!(batch.is_empty());
}

/// π for x used twice, for x + d and x − d: with every challenge 1 the folded inputs are 2x and
/// the check passes; with the transcript's challenges it fails.
#[test]
fn the_cancellation_forgery_fails_only_thanks_to_the_challenges() {
    let f = key_fixture(4);
    let vk = f.prover.key().verifying_key();
    let (proof, x) = f.batch[0].clone();
    let d = Fr::from(12345u64);
    let mut plus = x.clone();
    plus[0] += d;
    let mut minus = x.clone();
    minus[0] -= d;
    let proofs = vec![proof.clone(), proof.clone()];
    let inputs = vec![plus.clone(), minus.clone()];
    assert!(rlc::holds(vk, &proofs, &inputs, &[Fr::one(), Fr::one()]), "the forgery works against all-ones challenges");
    let challenges = transcript::batch_challenges(vk, &proofs, &inputs);
    assert!(!rlc::holds(vk, &proofs, &inputs, &challenges));
    let forged = vec![
        BatchItem { name: "plus".into(), proof: proof.clone(), inputs: plus },
        BatchItem { name: "minus".into(), proof, inputs: minus },
    ];
    assert_eq!(check(vk, &forged), Err(BatchError::Invalid { invalid: vec!["plus".into(), "minus".into()] }));
}

#[test]
fn swapped_proofs_fail() {
    let f = key_fixture(2);
    let vk = f.prover.key().verifying_key();
    let mut all = items(&f.batch, 3);
    let (a, b) = (all[0].proof.clone(), all[1].proof.clone());
    all[0].proof = b;
    all[1].proof = a;
    assert_eq!(check(vk, &all), Err(BatchError::Invalid { invalid: vec!["p0".into(), "p1".into()] }));
}

#[test]
fn empty_and_mismatched_batches_are_refused() {
    let f = key_fixture(2);
    let vk = f.prover.key().verifying_key();
    assert_eq!(check(vk, &[]), Err(BatchError::Empty));
    assert_eq!(Batch::new(vk.clone()).unwrap().verify(), Err(BatchError::Empty));
    let mut all = items(&f.batch, 2);
    all[1].inputs.push(Fr::one());
    assert_eq!(
        check(vk, &all),
        Err(BatchError::Proof { name: "p1".into(), source: VerifyError::InputCount { expected: 2, got: 3 } })
    );
}

/// The transcript binds every proof, every input and the order.
#[test]
fn challenges_depend_on_the_whole_batch() {
    let f = key_fixture(2);
    let vk = f.prover.key().verifying_key();
    let (proofs, inputs): (Vec<Proof>, Vec<Vec<Fr>>) = f.batch[..4].iter().cloned().unzip();
    let base = transcript::batch_challenges(vk, &proofs, &inputs);
    assert_eq!(base[0], Fr::one());
    let mut swapped = proofs.clone();
    swapped.swap(2, 3);
    assert_ne!(transcript::batch_challenges(vk, &swapped, &inputs)[1], base[1]);
    let mut changed = inputs.clone();
    changed[3][1] += Fr::one();
    assert_ne!(transcript::batch_challenges(vk, &proofs, &changed)[1], base[1]);
    let other = key_fixture(4);
    let (p4, x4): (Vec<Proof>, Vec<Vec<Fr>>) = other.batch[..4].iter().cloned().unzip();
    assert_ne!(
        transcript::batch_challenges(vk, &p4, &x4)[1],
        transcript::batch_challenges(other.prover.key().verifying_key(), &p4, &x4)[1],
        "the key is in the transcript"
    );
}
