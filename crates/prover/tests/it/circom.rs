//! circom and snarkjs files against the vectors made by circom 2.2.3 and snarkjs 0.7.6
//! (tests/fixtures/{merkle20,pub2}): keys, witnesses, proofs, and every kind of malformed file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ark_bn254::Bn254;
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_groth16::Groth16;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_prover::circom::input::InputProblem;
use zkbatch_prover::circom::wasm::{WasmProblem, WitnessCalculator};
use zkbatch_prover::circom::{self, r1cs, wtns, zkey, CircomError, CircomProver, FormatProblem};
use zkbatch_prover::keys::KeyCache;
use zkbatch_prover::{CircomReduction, Reduction};
use zkbatch_prover::{snarkjs, verify, Fr, Prover};

const CIRCUITS: [&str; 2] = ["pub2", "merkle20"];

fn fixture(circuit: &str, file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(circuit).join(file)
}

fn file(circuit: &str, ext: &str) -> PathBuf {
    fixture(circuit, &format!("{circuit}.{ext}"))
}

fn format_problem(err: CircomError) -> FormatProblem {
    match err {
        CircomError::Format { problem, .. } => problem,
        other => panic!("expected a format error, got {other}"),
    }
}

#[test]
fn zkey_holds_the_verifying_key_snarkjs_exported() {
    for c in CIRCUITS {
        let key = zkey::read(&file(c, "zkey")).unwrap();
        assert_eq!(key.reduction, Reduction::Circom);
        assert_eq!(key.circuit, format!("circom:{c}"));
        let vk = snarkjs::read_verifying_key(&fixture(c, "verification_key.json")).unwrap();
        assert_eq!(key.verifying_key(), &vk, "{c}");
        key.check_shape().unwrap();
    }
    let key = zkey::read(&file("merkle20", "zkey")).unwrap();
    assert_eq!(key.r1cs.num_constraints(), 5313);
    assert_eq!(key.r1cs.num_public(), 2);
}

#[test]
fn proofs_from_zkey_and_wtns_verify_and_equal_ark_groth16_with_the_circom_reduction() {
    let mut rng = StdRng::seed_from_u64(1);
    for c in CIRCUITS {
        let key = zkey::read(&file(c, "zkey")).unwrap();
        let z = wtns::read(&file(c, "wtns")).unwrap();
        let vk = snarkjs::read_verifying_key(&fixture(c, "verification_key.json")).unwrap();
        let public = snarkjs::read_public(&fixture(c, "public.json")).unwrap();
        let prover = Prover::new(Arc::new(key.clone())).unwrap();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let (proof, _) = prover.prove_assignment(&z, r, s).unwrap();
        verify::verify(&vk, &proof, &public).unwrap();

        // Plain ark-groth16 with the circom reduction, on the zkey's matrices: the same proof.
        let r1cs = &key.r1cs;
        let ark = Groth16::<Bn254, CircomReduction>::create_proof_with_reduction_and_matrices(
            &key.groth16,
            r,
            s,
            &[r1cs.a.clone(), r1cs.b.clone()],
            r1cs.num_instance,
            r1cs.num_constraints(),
            &z,
        )
        .unwrap();
        assert_eq!(proof, ark, "{c}");

        let circom_prover = CircomProver::from_key(key, &file(c, "zkey")).unwrap();
        let (proof, got_public, _) = circom_prover.prove(&z, &file(c, "wtns"), &mut rng).unwrap();
        assert_eq!(got_public, public);
        verify::verify(&vk, &proof, &public).unwrap();
    }
}

#[test]
fn in_process_witness_equals_snarkjs_wtns() {
    for c in CIRCUITS {
        let calc = WitnessCalculator::from_file(&file(c, "wasm")).unwrap();
        let ours = calc.calculate_json(&fixture(c, "input.json")).unwrap();
        assert_eq!(ours, wtns::read(&file(c, "wtns")).unwrap(), "{c}");
    }
}

#[test]
fn wtns_round_trips_byte_for_byte() {
    for c in CIRCUITS {
        let bytes = std::fs::read(file(c, "wtns")).unwrap();
        let z = wtns::from_bytes(&bytes, Path::new("w.wtns")).unwrap();
        assert_eq!(wtns::to_bytes(&z), bytes, "{c}");
    }
}

#[test]
fn r1cs_is_the_zkey_circuit_and_names_broken_constraints() {
    let c = "merkle20";
    let circuit = r1cs::read(&file(c, "r1cs")).unwrap();
    assert_eq!((circuit.n_pub_out, circuit.n_pub_in, circuit.r1cs.num_constraints()), (1, 1, 5313));
    let mut key = zkey::read(&file(c, "zkey")).unwrap();
    circom::attach_r1cs(&mut key, &circuit, &file(c, "r1cs"), &file(c, "zkey")).unwrap();
    let prover = CircomProver::from_key(key, &file(c, "zkey")).unwrap();
    let mut z = wtns::read(&file(c, "wtns")).unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    prover.prove(&z, Path::new("w.wtns"), &mut rng).unwrap();
    let last = z.len() - 1;
    z[last] += Fr::from(1u64);
    let err = prover.prove(&z, Path::new("w.wtns"), &mut rng).unwrap_err().to_string();
    assert!(err.starts_with("w.wtns: the witness does not satisfy constraint"), "{err}");

    // pub2's circuit is not merkle20's key.
    let other = r1cs::read(&file("pub2", "r1cs")).unwrap();
    let mut key = zkey::read(&file(c, "zkey")).unwrap();
    let err = circom::attach_r1cs(&mut key, &other, &file("pub2", "r1cs"), &file(c, "zkey")).unwrap_err();
    assert!(matches!(err, CircomError::OtherCircuit { .. }), "{err}");
    assert!(err.to_string().contains("pub2.r1cs is not the circuit of"), "{err}");
}

#[test]
fn a_witness_for_another_circuit_is_refused() {
    let key = zkey::read(&file("merkle20", "zkey")).unwrap();
    let prover = CircomProver::from_key(key, &file("merkle20", "zkey")).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let other = wtns::read(&file("pub2", "wtns")).unwrap();
    let err = prover.prove(&other, &file("pub2", "wtns"), &mut rng).unwrap_err().to_string();
    assert!(err.contains("pub2.wtns is not a witness for the circuit of") && err.contains("merkle20.zkey"), "{err}");
    assert!(err.contains("it has 5 values, the circuit 5"), "{err}");

    // Right length, wrong values: without the .r1cs the proof's own check catches it.
    let mut z = wtns::read(&file("merkle20", "wtns")).unwrap();
    z[3] += Fr::from(1u64);
    let err = prover.prove(&z, Path::new("edited.wtns"), &mut rng).unwrap_err().to_string();
    assert!(err.starts_with("edited.wtns does not satisfy the circuit of"), "{err}");
}

#[test]
fn malformed_binary_files_are_refused_naming_the_problem() {
    let zkey_bytes = std::fs::read(file("pub2", "zkey")).unwrap();
    let p = Path::new("bad.zkey");

    // Wrong magic: a witness given as a key, and vice versa.
    let err = zkey::from_bytes(&std::fs::read(file("pub2", "wtns")).unwrap(), p).unwrap_err();
    assert!(err.to_string().starts_with("bad.zkey: not a snarkjs .zkey file"), "{err}");
    let err = wtns::from_bytes(&zkey_bytes, Path::new("w.wtns")).unwrap_err();
    assert!(matches!(format_problem(err), FormatProblem::Magic { .. }));
    let err = r1cs::from_bytes(b"", Path::new("c.r1cs")).unwrap_err();
    assert!(matches!(format_problem(err), FormatProblem::Magic { .. }));

    // Wrong curve: the scalar-field modulus of BLS12-381 in the Groth16 header.
    let q = ark_bn254::Fq::MODULUS.to_bytes_le();
    let at = zkey_bytes.windows(32).position(|w| w == q.as_slice()).unwrap();
    let mut other = zkey_bytes.clone();
    other[at + 3] ^= 1;
    let err = zkey::from_bytes(&other, p).unwrap_err();
    assert!(err.to_string().contains("not over BN254 (\"bn128\"): its base field modulus is"), "{err}");
    let wtns_bytes = std::fs::read(file("pub2", "wtns")).unwrap();
    let mut other = wtns_bytes.clone();
    other[30] ^= 1; // a byte of the prime in the header
    assert!(matches!(format_problem(wtns::from_bytes(&other, p).unwrap_err()), FormatProblem::Curve { which: "scalar field", .. }));

    // Truncated anywhere: a clear error, never a panic.
    for len in [0, 3, 8, 11, 40, 300, zkey_bytes.len() / 2, zkey_bytes.len() - 1] {
        let err = zkey::from_bytes(&zkey_bytes[..len], p).unwrap_err();
        let problem = format_problem(err);
        assert!(matches!(problem, FormatProblem::Truncated { .. } | FormatProblem::Magic { .. }), "{len}: {problem}");
    }
    let err = zkey::from_bytes(&zkey_bytes[..zkey_bytes.len() - 1], p).unwrap_err().to_string();
    assert!(err.starts_with("bad.zkey: truncated: section 10 (contributions) needs"), "{err}");
    for len in [10, 30, wtns_bytes.len() - 1] {
        assert!(matches!(format_problem(wtns::from_bytes(&wtns_bytes[..len], p).unwrap_err()), FormatProblem::Truncated { .. }));
    }
    let r1cs_bytes = std::fs::read(file("pub2", "r1cs")).unwrap();
    for len in [12, 60, r1cs_bytes.len() - 1] {
        assert!(matches!(format_problem(r1cs::from_bytes(&r1cs_bytes[..len], p).unwrap_err()), FormatProblem::Truncated { .. }));
    }

    // Counts in a header far beyond what the file holds: an error, not a huge allocation.
    let at = section_offset(&r1cs_bytes, 1) + 4 + 32 + 4 * 4 + 8; // n8, prime, 4 counts, nLabels
    let mut huge = r1cs_bytes.clone();
    huge[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(format_problem(r1cs::from_bytes(&huge, p).unwrap_err()), FormatProblem::Truncated { .. }));
    let at = section_offset(&zkey_bytes, 2) + 4 + 32 + 4 + 32; // nVars
    let mut huge = zkey_bytes.clone();
    huge[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(format_problem(zkey::from_bytes(&huge, p).unwrap_err()), FormatProblem::Truncated { .. } | FormatProblem::Invalid(_)));

    // Single-byte corruptions all over a small zkey are errors or keys, never panics.
    for i in (0..zkey_bytes.len()).step_by(5) {
        let mut bad = zkey_bytes.clone();
        bad[i] ^= 0x5a;
        let _ = zkey::from_bytes(&bad, p);
    }

    // A point off the curve: the first IC point's y coordinate.
    let ic = zkey_bytes.len() - 3691 + section_offset(&zkey_bytes, 3);
    let mut bad = zkey_bytes.clone();
    bad[ic + 32] ^= 1;
    let problem = format_problem(zkey::from_bytes(&bad, p).unwrap_err());
    assert!(matches!(&problem, FormatProblem::NotOnCurve(what) | FormatProblem::NotCanonical(what) if what == "IC points[0]"), "{problem}");
}

/// Where section `id`'s data starts.
fn section_offset(bytes: &[u8], id: u32) -> usize {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let mut at = 12;
    loop {
        let len = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap()) as usize;
        if u32_at(at) == id {
            return at + 12;
        }
        at += 12 + len;
    }
}

fn input_problem(err: CircomError) -> InputProblem {
    match err {
        CircomError::Input { problem, .. } => problem,
        other => panic!("expected an input error, got {other}"),
    }
}

#[test]
fn bad_input_json_is_refused_naming_the_file_and_signal() {
    let calc = WitnessCalculator::from_file(&file("merkle20", "wasm")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture("merkle20", "input.json")).unwrap()).unwrap();
    let run = |name: &str, value: serde_json::Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, value.to_string()).unwrap();
        let err = calc.calculate_json(&path).unwrap_err();
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
        err
    };

    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("secret");
    let problem = input_problem(run("missing.json", missing));
    assert!(matches!(problem, InputProblem::Missing { set: 42, total: 43 }), "{problem}");

    let p = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    let mut too_big = good.clone();
    too_big["pathElements"][4] = p.into();
    let problem = input_problem(run("too-big.json", too_big));
    assert!(matches!(&problem, InputProblem::NotCanonical { signal, .. } if signal == "pathElements[4]"), "{problem}");

    let mut unknown = good.clone();
    unknown["nonsense"] = "1".into();
    assert_eq!(input_problem(run("unknown.json", unknown)), InputProblem::UnknownSignal("nonsense".into()));

    let mut short = good.clone();
    short["pathIndices"].as_array_mut().unwrap().pop();
    let problem = input_problem(run("short.json", short));
    assert!(matches!(&problem, InputProblem::ValueCount { expected: 20, got: 19, .. }), "{problem}");

    // A value that breaks the circuit's own checks (pathIndices must be 0 or 1): circom's exception,
    // with the template and line it names.
    let mut broken = good.clone();
    broken["pathIndices"][0] = "2".into();
    let err = run("broken.json", broken);
    assert!(matches!(&err, CircomError::Wasm { problem: WasmProblem::Exception { .. }, .. }), "{err}");
    assert!(err.to_string().contains("assert failed"), "{err}");
}

/// A hand-assembled module with circom's export names whose getVersion executes `unreachable`.
fn trapping_module() -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    let section = |m: &mut Vec<u8>, id: u8, body: &[u8]| {
        m.push(id);
        m.push(body.len() as u8);
        m.extend_from_slice(body);
    };
    section(&mut m, 1, &[2, 0x60, 0, 1, 0x7f, 0x60, 0, 0]); // types: () -> i32, () -> ()
    section(&mut m, 3, &[2, 0, 1]); // functions
    section(&mut m, 5, &[1, 0, 1]); // one memory, one page
    let mut exports = vec![5u8];
    for (name, kind, index) in [("memory", 2u8, 0u8), ("getVersion", 0, 0), ("getFieldNumLen32", 0, 0), ("getRawPrime", 0, 1), ("getSharedRWMemoryStart", 0, 0)] {
        exports.push(name.len() as u8);
        exports.extend_from_slice(name.as_bytes());
        exports.extend_from_slice(&[kind, index]);
    }
    section(&mut m, 7, &exports);
    section(&mut m, 10, &[2, 3, 0, 0x00, 0x0b, 2, 0, 0x0b]); // unreachable; nop
    m
}

#[test]
fn broken_wasm_is_an_error_not_a_panic() {
    let p = Path::new("c.wasm");
    let problem = |bytes: &[u8]| match WitnessCalculator::from_bytes(bytes, p) {
        Err(CircomError::Wasm { problem, .. }) => problem,
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("accepted"),
    };
    assert!(matches!(problem(b"not wasm"), WasmProblem::Module(_)));
    // One line that says what is wrong (wasmparser's own message is a multi-line debug dump).
    let text = problem(b"hello, not wasm").to_string();
    assert_eq!(text, "not a WebAssembly module: it starts with 68 65 6c 6c instead of WebAssembly's magic bytes 00 61 73 6d; give the .wasm that `circom --wasm` writes");
    assert!(problem(b"").to_string().contains("the file is empty"));
    assert!(matches!(problem(b"\0asm\x01\0\0\0"), WasmProblem::NotCircom(_)));
    let trap = problem(&trapping_module());
    assert!(matches!(&trap, WasmProblem::Trap { message, .. } if message.contains("unreachable")), "{trap}");
    let wasm = std::fs::read(file("pub2", "wasm")).unwrap();
    assert!(matches!(problem(&wasm[..wasm.len() / 2]), WasmProblem::Module(_)));
}

#[test]
fn converted_zkeys_are_cached_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let cache = KeyCache::new(dir.path());
    let zkey_path = file("pub2", "zkey");
    let (first, cached) = circom::cached_zkey(&zkey_path, Some(&cache)).unwrap();
    assert!(!cached);
    let (second, cached) = circom::cached_zkey(&zkey_path, Some(&cache)).unwrap();
    assert!(cached);
    assert_eq!(first, second);

    // A damaged cache entry is converted again and replaced.
    let entry = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    assert!(entry.file_name().unwrap().to_string_lossy().starts_with("zkey-"));
    std::fs::write(&entry, b"ZKBATCHK junk").unwrap();
    let (third, cached) = circom::cached_zkey(&zkey_path, Some(&cache)).unwrap();
    assert!(!cached);
    assert_eq!(third, first);
    assert!(circom::cached_zkey(&zkey_path, Some(&cache)).unwrap().1);

    // An edited zkey has another hash: converted, not served the old key.
    let edited = dir.path().join("edited.zkey");
    let mut bytes = std::fs::read(&zkey_path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1; // inside the contributions section, which the key does not use
    std::fs::write(&edited, bytes).unwrap();
    assert!(!circom::cached_zkey(&edited, Some(&cache)).unwrap().1);
}
