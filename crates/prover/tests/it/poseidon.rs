//! Poseidon against circomlibjs, natively and as R1CS.

use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
use serde::Deserialize;
use std::collections::BTreeMap;
use zkbatch_prover::field::parse_decimal;
use zkbatch_prover::poseidon::{self, gadget::Signal};
use zkbatch_prover::Fr;

#[derive(Deserialize)]
struct Case {
    inputs: Vec<String>,
    output: String,
}

#[derive(Deserialize)]
struct Vectors {
    cases: BTreeMap<String, Vec<Case>>,
}

fn vectors() -> Vec<(Vec<Fr>, Fr)> {
    let v: Vectors = serde_json::from_str(include_str!("../fixtures/poseidon_vectors.json")).unwrap();
    assert_eq!(v.cases.keys().collect::<Vec<_>>(), ["t2", "t3", "t4", "t5", "t6"]);
    v.cases
        .values()
        .flatten()
        .map(|c| (c.inputs.iter().map(|s| parse_decimal(s).unwrap()).collect(), parse_decimal(&c.output).unwrap()))
        .collect()
}

#[test]
fn native_poseidon_equals_circomlibjs_on_every_vector() {
    let cases = vectors();
    assert_eq!(cases.len(), 20);
    for (inputs, expected) in cases {
        assert_eq!(poseidon::hash(&inputs).unwrap(), expected, "t = {}", inputs.len() + 1);
    }
}

fn gadget_cs(inputs: &[Fr]) -> (ConstraintSystemRef<Fr>, Signal) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let signals: Vec<Signal> = inputs.iter().map(|v| Signal::witness(&cs, Some(*v)).unwrap()).collect();
    let out = poseidon::gadget::hash(&cs, &signals).unwrap();
    (cs, out)
}

#[test]
fn gadget_equals_circomlibjs_and_is_satisfied() {
    for (inputs, expected) in vectors() {
        let (cs, out) = gadget_cs(&inputs);
        assert_eq!(out.value, Some(expected));
        // Bind the output to the expected value through a public input, then check the system.
        let public = Signal::input(&cs, Some(expected)).unwrap();
        out.enforce_equal(&cs, &public).unwrap();
        cs.finalize();
        assert!(cs.is_satisfied().unwrap(), "t = {}", inputs.len() + 1);
    }
}

#[test]
fn gadget_rejects_a_wrong_output() {
    let (inputs, expected) = vectors().remove(4);
    let (cs, out) = gadget_cs(&inputs);
    let public = Signal::input(&cs, Some(expected + Fr::from(1u64))).unwrap();
    out.enforce_equal(&cs, &public).unwrap();
    cs.finalize();
    assert!(!cs.is_satisfied().unwrap());
}

#[test]
fn gadget_costs_three_constraints_per_sbox() {
    for (t, partial) in [(2, 56), (3, 57), (4, 56), (5, 60), (6, 60)] {
        let inputs = vec![Fr::from(1u64); t - 1];
        let (cs, _) = gadget_cs(&inputs);
        assert_eq!(cs.num_constraints(), 3 * (8 * t + partial), "t = {t}");
    }
}
