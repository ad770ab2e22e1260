//! snarkjs JSON: snarkjs's own proofs verify here, files round-trip, and malformed ones are refused.

use std::path::PathBuf;

use zkbatch_prover::snarkjs::{self, FileError, FormatError, ProofJson, VerifyingKeyJson};
use zkbatch_prover::verify::{verify, VerifyError};
use zkbatch_prover::Fr;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[test]
fn snarkjs_proofs_verify_with_our_verifier() {
    for circuit in ["merkle20", "pub2"] {
        let vk = snarkjs::read_verifying_key(&fixture(&format!("{circuit}/verification_key.json"))).unwrap();
        let proof = snarkjs::read_proof(&fixture(&format!("{circuit}/proof.json"))).unwrap();
        let public = snarkjs::read_public(&fixture(&format!("{circuit}/public.json"))).unwrap();
        verify(&vk, &proof, &public).unwrap();
        let mut wrong = public.clone();
        wrong[0] += Fr::from(1u64);
        assert_eq!(verify(&vk, &proof, &wrong), Err(VerifyError::Invalid), "{circuit}");
    }
}

#[test]
fn files_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["proof.json", "verification_key.json", "public.json"] {
        let original: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture(&format!("merkle20/{name}"))).unwrap()).unwrap();
        let out = dir.path().join(name);
        match name {
            "proof.json" => snarkjs::write_proof(&out, &snarkjs::read_proof(&fixture("merkle20/proof.json")).unwrap()).unwrap(),
            "public.json" => snarkjs::write_public(&out, &snarkjs::read_public(&fixture("merkle20/public.json")).unwrap()).unwrap(),
            _ => snarkjs::write_verifying_key(&out, &snarkjs::read_verifying_key(&fixture("merkle20/verification_key.json")).unwrap()).unwrap(),
        }
        let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        // Every field snarkjs wrote comes back identical, vk_alphabeta_12 (recomputed) included.
        assert_eq!(written, original, "{name}");
    }
}

fn proof_json() -> ProofJson {
    serde_json::from_str(include_str!("../fixtures/merkle20/proof.json")).unwrap()
}

fn vk_json() -> VerifyingKeyJson {
    serde_json::from_str(include_str!("../fixtures/merkle20/verification_key.json")).unwrap()
}

const Q: &str = "21888242871839275222246405745257275088696311157297823662689037894645226208583";

#[test]
fn malformed_proofs_are_refused_with_the_field_named() {
    let mut p = proof_json();
    p.pi_a[0] = Q.into();
    let err = p.to_proof().unwrap_err();
    assert!(matches!(err, FormatError::Field { ref what, .. } if what == "pi_a[0]"), "{err}");

    let mut p = proof_json();
    p.pi_c[1] = "5".into();
    assert!(matches!(p.to_proof().unwrap_err(), FormatError::NotOnCurve(w) if w == "pi_c"));

    let mut p = proof_json();
    p.pi_b[0][1] = "7".into();
    assert!(matches!(p.to_proof().unwrap_err(), FormatError::NotOnCurve(w) if w == "pi_b"));

    let mut p = proof_json();
    p.pi_a[2] = "2".into();
    assert!(matches!(p.to_proof().unwrap_err(), FormatError::NotAffine(w) if w == "pi_a"));

    let mut p = proof_json();
    p.protocol = "plonk".into();
    assert!(matches!(p.to_proof().unwrap_err(), FormatError::Protocol(_)));

    let mut p = proof_json();
    p.curve = "bls12381".into();
    assert!(matches!(p.to_proof().unwrap_err(), FormatError::Curve(_)));

    let mut p = proof_json();
    p.pi_a[1] = "0x12".into();
    assert!(matches!(p.to_proof().unwrap_err(), FormatError::Field { .. }));
}

#[test]
fn a_g2_point_outside_the_subgroup_is_refused() {
    // (x, y) on the twist E'(Fq2) but not in the order-r subgroup: x = 1 + 0·u has a y on the twist
    // curve found by try-and-increment; the twist's cofactor is large, so it is not in G2.
    use ark_bn254::{Fq2, G2Affine};
    use ark_ec::AffineRepr;
    use ark_ff::Field;
    let mut x = Fq2::new(1u64.into(), 0u64.into());
    let point = loop {
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            break p;
        }
        x += Fq2::ONE;
    };
    assert!(point.is_on_curve() && !point.is_in_correct_subgroup_assuming_on_curve() && !point.is_zero());
    let (px, py) = point.xy().unwrap();
    let dec = |f: ark_bn254::Fq| zkbatch_prover::field::to_decimal(&f);
    let mut p = proof_json();
    p.pi_b = [[dec(px.c0), dec(px.c1)], [dec(py.c0), dec(py.c1)], ["1".into(), "0".into()]];
    assert!(matches!(p.to_proof().unwrap_err(), FormatError::NotInSubgroup(w) if w == "pi_b"));
}

#[test]
fn malformed_verifying_keys_are_refused() {
    let mut vk = vk_json();
    vk.ic.pop();
    assert!(matches!(vk.to_vk().unwrap_err(), FormatError::IcLength { ic: 2, n_public: 2 }));
    // The largest nPublic a file can hold is refused, not an overflow.
    vk.n_public = usize::MAX;
    assert!(matches!(vk.to_vk().unwrap_err(), FormatError::IcLength { ic: 2, n_public: usize::MAX }));

    let mut vk = vk_json();
    vk.vk_alpha_1[0] = "1".into();
    assert!(matches!(vk.to_vk().unwrap_err(), FormatError::NotOnCurve(w) if w == "vk_alpha_1"));

    let mut vk = vk_json();
    vk.ic[1][1] = Q.into();
    assert!(matches!(vk.to_vk().unwrap_err(), FormatError::Field { ref what, .. } if what == "IC[1][1]"));
}

#[test]
fn public_inputs_at_or_above_the_scalar_modulus_are_refused() {
    let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617".to_string();
    let err = snarkjs::public_from_json(&vec!["1".into(), r]).unwrap_err();
    assert!(matches!(err, FormatError::Field { ref what, .. } if what == "public input 1"), "{err}");
}

#[test]
fn file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proof.json");
    std::fs::write(&path, "{\"pi_a\": [").unwrap();
    let err = snarkjs::read_proof(&path).unwrap_err();
    assert!(matches!(err, FileError::Json { .. }));
    assert!(err.to_string().contains("proof.json"), "{err}");

    let mut p = proof_json();
    p.pi_c[0] = Q.into();
    std::fs::write(&path, serde_json::to_string(&p).unwrap()).unwrap();
    let err = snarkjs::read_proof(&path).unwrap_err().to_string();
    assert!(err.contains("proof.json") && err.contains("pi_c[0]") && err.contains("≥ the modulus"), "{err}");
}

/// A key with α, β, γ or δ at infinity is refused by name; with γ there, the proof (α, β, 0)
/// verifies for any inputs, which is why. An IC point at infinity is read (with a warning): it
/// leaves its input unconstrained, which a circuit may mean.
#[test]
fn a_degenerate_verifying_key_is_refused_and_an_ic_point_at_infinity_is_read() {
    use ark_ec::AffineRepr;
    let dir = tempfile::tempdir().unwrap();
    let vk = snarkjs::read_verifying_key(&fixture("pub2/verification_key.json")).unwrap();
    let mut degenerate = vk.clone();
    degenerate.gamma_g2 = ark_bn254::G2Affine::zero();
    let forged = zkbatch_prover::Proof { a: vk.alpha_g1, b: vk.beta_g2, c: ark_bn254::G1Affine::zero() };
    let any: Vec<Fr> = (0..vk.gamma_abc_g1.len() - 1).map(|i| Fr::from(i as u64 + 7)).collect();
    assert_eq!(verify(&degenerate, &forged, &any), Ok(()), "the forgery this refusal prevents");

    type Break = fn(&mut zkbatch_prover::VerifyingKey);
    let cases: [(&str, Break); 4] = [
        ("vk_alpha_1", |k| k.alpha_g1 = ark_bn254::G1Affine::zero()),
        ("vk_beta_2", |k| k.beta_g2 = ark_bn254::G2Affine::zero()),
        ("vk_gamma_2", |k| k.gamma_g2 = ark_bn254::G2Affine::zero()),
        ("vk_delta_2", |k| k.delta_g2 = ark_bn254::G2Affine::zero()),
    ];
    for (name, break_it) in cases {
        let mut bad = vk.clone();
        break_it(&mut bad);
        let path = dir.path().join(format!("{name}.json"));
        snarkjs::write_verifying_key(&path, &bad).unwrap();
        let err = snarkjs::read_verifying_key(&path).unwrap_err();
        assert!(matches!(err, FileError::Format { source: FormatError::Degenerate(_), .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(name) && text.contains("point at infinity") && text.contains("any public inputs"), "{text}");
    }

    let mut open = vk.clone();
    open.gamma_abc_g1[1] = ark_bn254::G1Affine::zero();
    let path = dir.path().join("ic1.json");
    snarkjs::write_verifying_key(&path, &open).unwrap();
    assert_eq!(snarkjs::read_verifying_key(&path).unwrap(), open);
    assert_eq!(zkbatch_prover::verify::check_key(&open), Ok(vec![0]));
}
