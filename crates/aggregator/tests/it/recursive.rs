//! The recursive aggregation circuit's cheap parts (CI): conversion, the native transcript and
//! check, and the circuit's transcript stage under MockProver (points loaded and checked, key
//! hash, challenges, input folding, instances) agreeing with the native computation. The full
//! circuit with its pairing check is in `recursive_mock.rs` (ignored: minutes per run).
//! Each B is checked in G2 by the circuit too (`subgroup`), so a batch that bypasses the native
//! filter is still refused.

use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::{Fq, Fr as HaloFr};
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::utils::fe_to_biguint;
use zkbatch_aggregator::recursive::circuit::{self, Stage};
use zkbatch_aggregator::recursive::{check_native, convert, transcript, AggregationError, AggregationInput};
use zkbatch_prover::{Fr, Proof};
use zkbatch_testing::keys::key_fixture;

fn batch(count: usize) -> (zkbatch_prover::VerifyingKey, Vec<(Proof, Vec<Fr>)>) {
    let f = key_fixture(2);
    (f.prover.key().verifying_key().clone(), f.batch[..count].to_vec())
}

#[test]
fn native_and_in_circuit_transcripts_agree_and_the_stage_is_satisfied() {
    let (vk, batch) = batch(3);
    let input = AggregationInput::new(&vk, &batch).unwrap();
    let k = 14;
    let (builder, params, built) = circuit::mock(&input, k, Stage::Transcript);
    eprintln!("transcript stage, N = 3, ℓ = 2: {params:?}, {:?}", builder.statistics().gate.total_advice_per_phase);

    let native = input.challenges();
    let in_circuit: Vec<HaloFr> = built.challenges.iter().map(|c| *c.value()).collect();
    assert_eq!(in_circuit, native);
    assert_eq!(native[0], HaloFr::ONE);
    assert!(native[1..].iter().all(|r| *r != HaloFr::ZERO && fe_to_biguint(r).bits() <= 128), "128-bit challenges");
    assert_ne!(native[1], native[2]);
    assert_eq!(*built.vk_hash.value(), transcript::vk_hash(&input.vk));

    // The folding is the native one: s₀ = Σ rᵢ, sⱼ = Σ rᵢ·xᵢⱼ.
    let s0: HaloFr = native.iter().copied().sum();
    assert_eq!(*built.folded[0].value(), s0);
    for j in 0..2 {
        let sj: HaloFr = native.iter().zip(&input.inputs).map(|(r, x)| *r * x[j]).sum();
        assert_eq!(*built.folded[j + 1].value(), sj);
    }

    let instances = circuit::instance_values(&builder);
    assert_eq!(instances, vec![input.instances()]);
    MockProver::run(k as u32, &builder, instances.clone()).unwrap().assert_satisfied();

    // The instances are constrained: another input in their place is refused.
    let mut wrong = instances;
    wrong[0][3] += HaloFr::ONE;
    assert!(MockProver::run(k as u32, &builder, wrong).unwrap().verify().is_err());
}

#[test]
fn challenges_bind_every_proof_and_input() {
    let (vk, batch) = batch(3);
    let base = AggregationInput::new(&vk, &batch).unwrap().challenges();
    let changed = |edit: &dyn Fn(&mut Vec<(Proof, Vec<Fr>)>)| {
        let mut b = batch.clone();
        edit(&mut b);
        AggregationInput::new(&vk, &b).unwrap().challenges()
    };
    assert_ne!(changed(&|b| b[2].0.a = -b[2].0.a), base, "A of the last proof");
    assert_ne!(changed(&|b| b[0].0.b = -b[0].0.b), base, "B of the first proof");
    assert_ne!(changed(&|b| b[1].0.c = -b[1].0.c), base, "C");
    assert_ne!(changed(&|b| b[1].1.swap(0, 1)), base, "swapped inputs");
    assert_ne!(changed(&|b| b.swap(0, 1)), base, "proof order");
    // Another key (squares-4 has ℓ = 4) gives another hash.
    let other = key_fixture(4);
    let other_vk = convert::vk(other.prover.key().verifying_key()).unwrap();
    assert_ne!(transcript::vk_hash(&other_vk), transcript::vk_hash(&convert::vk(&vk).unwrap()));
}

#[test]
fn the_native_check_with_the_circuits_challenges() {
    let (vk, all) = batch(4);
    for n in [1, 2, 4] {
        assert_eq!(check_native(&vk, &all[..n]), Ok(true), "N = {n}");
    }
    let mut bad = all.clone();
    bad[1].0.a = -bad[1].0.a;
    assert_eq!(check_native(&vk, &bad), Ok(false), "A negated");
    let mut swapped = all.clone();
    swapped[0].1.swap(0, 1);
    assert_eq!(check_native(&vk, &swapped), Ok(false), "swapped input");
    let mut other = all.clone();
    other[2].1 = all[3].1.clone();
    assert_eq!(check_native(&vk, &other), Ok(false), "a proof of another statement");
}

#[test]
fn batches_the_circuit_cannot_load_are_refused() {
    let (vk, batch) = batch(2);
    assert_eq!(AggregationInput::new(&vk, &[]).unwrap_err(), AggregationError::Empty);
    let mut short = batch.clone();
    short[1].1.pop();
    assert_eq!(
        AggregationInput::new(&vk, &short).unwrap_err(),
        AggregationError::InputCount { slot: 1, expected: 2, got: 1 }
    );
    let mut infinity = batch.clone();
    infinity[0].0.c = ark_bn254::G1Affine::identity();
    assert_eq!(
        AggregationInput::new(&vk, &infinity).unwrap_err(),
        AggregationError::Infinity { what: "proof 0: C".into() }
    );
    // (x, y) on the twist but outside G2's prime-order subgroup: found by trying x = 1, 2, ….
    let mut off_subgroup = batch;
    off_subgroup[1].0.b = twist_point_outside_g2();
    assert_eq!(
        AggregationInput::new(&vk, &off_subgroup).unwrap_err(),
        AggregationError::NotInSubgroup { what: "proof 1: B".into() }
    );
}

fn twist_point_outside_g2() -> ark_bn254::G2Affine {
    use ark_ff::Field as _;
    let b = ark_bn254::g2::Config::COEFF_B;
    (1u64..)
        .find_map(|x| {
            let x = ark_bn254::Fq2::from(x);
            let y = (x * x * x + b).sqrt()?;
            let p = ark_bn254::G2Affine::new_unchecked(x, y);
            (p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve()).then_some(p)
        })
        .expect("the twist has points outside G2")
}

use ark_ec::short_weierstrass::SWCurveConfig as _;

/// Whether the circuit's transcript stage (every point loaded and checked) is satisfied by an
/// input built by hand, past the native conversion. halo2-ecc's witness generation stops on a
/// debug assertion for some bad points (an off-curve point in debug builds, a zero denominator);
/// in release the constraint is unsatisfied. Either is a refusal.
fn loads(input: &AggregationInput) -> bool {
    let k = 15;
    std::panic::catch_unwind(|| {
        let (builder, _, _) = circuit::mock(input, k, Stage::Transcript);
        MockProver::run(k as u32, &builder, circuit::instance_values(&builder)).unwrap().verify().is_ok()
    })
    .unwrap_or(false)
}

/// Each point the native conversion refuses is refused by the circuit itself, with the native
/// filter bypassed (the input edited after conversion): B outside G2 (the subgroup check), a point
/// off its curve, and the point at infinity in G1 and G2 (halo2curves writes it (0, 0), which is
/// on neither curve). The other native refusals have their twins elsewhere: a coordinate ≥ p
/// cannot be written as an `Fq` here, and the circuit loads every coordinate with halo2-ecc's
/// less-than-p check (`circuit::tests::a_coordinate_above_p_is_refused`); an input ≥ r cannot be a
/// cell of the circuit's field, and `AggregatedProofRegistry` refuses such an instance on-chain
/// (`InstanceNotInField`, test/AggregatedProofRegistry.t.sol).
#[test]
fn the_native_refusals_have_in_circuit_twins() {
    use halo2_base::halo2_proofs::halo2curves::bn256::{Fq2, G1Affine, G2Affine};
    use halo2_base::halo2_proofs::halo2curves::CurveAffine;
    let (vk, batch) = batch(2);
    let input = AggregationInput::new(&vk, &batch).unwrap();
    assert!(loads(&input), "the valid batch");

    let outside = twist_point_outside_g2();
    let mut bypassed = input.clone();
    bypassed.proofs[1].b = G2Affine { x: halo2_fq2(&outside.x), y: halo2_fq2(&outside.y) };
    assert!(
        bool::from(G2Affine::from_xy(bypassed.proofs[1].b.x, bypassed.proofs[1].b.y).is_some()),
        "B is on the twist: only its subgroup is wrong"
    );
    assert!(!loads(&bypassed), "B outside G2 satisfied the circuit");

    let mut off_curve = input.clone();
    let a = off_curve.proofs[1].a;
    off_curve.proofs[1].a = G1Affine { x: a.x, y: a.y + Fq::ONE };
    assert!(!loads(&off_curve), "an off-curve A satisfied the circuit");

    let mut infinity = input.clone();
    infinity.proofs[0].c = G1Affine { x: Fq::ZERO, y: Fq::ZERO };
    assert!(!loads(&infinity), "C at infinity satisfied the circuit");

    let mut infinity = input;
    infinity.proofs[0].b = G2Affine { x: Fq2::ZERO, y: Fq2::ZERO };
    assert!(!loads(&infinity), "B at infinity satisfied the circuit");
}

fn halo2_fq2(x: &ark_bn254::Fq2) -> halo2_base::halo2_proofs::halo2curves::bn256::Fq2 {
    use ark_ff::PrimeField as _;
    let fq = |a: &ark_bn254::Fq| halo2_base::utils::biguint_to_fe::<Fq>(&a.into_bigint().into());
    halo2_base::halo2_proofs::halo2curves::bn256::Fq2 { c0: fq(&x.c0), c1: fq(&x.c1) }
}

#[test]
fn padding_repeats_the_last_proof_and_a_padded_batch_checks() {
    use zkbatch_aggregator::recursive::padding::pad;
    let (vk, batch) = batch(3);
    let padded = pad(&batch[..2], 4).unwrap();
    assert_eq!(padded.len(), 4);
    assert_eq!(&padded[..2], &batch[..2]);
    assert!(padded[2..].iter().all(|item| *item == batch[1]));
    assert_eq!(check_native(&vk, &padded), Ok(true));
    // A false proof in a padded slot is a false proof in the batch.
    let mut abused = padded.clone();
    abused[3].0.c = -abused[3].0.c;
    assert_eq!(check_native(&vk, &abused), Ok(false));
    assert_eq!(pad(&batch, 2).unwrap_err(), AggregationError::TooMany { got: 3, slots: 2 });
    assert_eq!(pad(&[], 2).unwrap_err(), AggregationError::Empty);
    assert_eq!(pad(&batch, 3).unwrap(), batch);
}
