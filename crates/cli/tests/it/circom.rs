//! `zkbatch prove --zkey` end to end against the tools circom users have: a circuit of our own
//! compiled by circom2 and set up by snarkjs here, and the merkle20 vectors; snarkjs checks our
//! proofs and we check snarkjs's. Needs .tools/bin (scripts/bootstrap.sh; `make test` runs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use zkbatch_prover::circom::{wasm::WitnessCalculator, wtns};
use zkbatch_testing::tool;

const BN254_Q: &str = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../prover/tests/fixtures").join(path)
}

fn run(program: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(program).current_dir(dir).args(args).output().unwrap()
}

fn must(program: &Path, dir: &Path, args: &[&str]) -> String {
    let out = run(program, dir, args);
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn zkbatch(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkbatch")).current_dir(dir).env("ZKBATCH_CACHE_DIR", dir.join("cache")).args(args).output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    must(Path::new(env!("CARGO_BIN_EXE_zkbatch")), dir, &[&["--json"], args].concat())
}

/// zkbatch's stderr for a command that must fail.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = zkbatch(dir, args);
    assert!(!out.status.success(), "zkbatch {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn snarkjs_accepts(dir: &Path, vk: &Path, public: &str, proof: &str) -> bool {
    let out = run(&tool("snarkjs"), dir, &["groth16", "verify", &vk.display().to_string(), public, proof]);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("OK!")
}

/// tests/circuits/product.circom compiled by circom2, with a powers-of-tau, a Groth16 zkey (one
/// contribution), its verifying key, and snarkjs's witness and proof for `input.json`; made once.
pub(crate) fn product() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/circuits/product.circom");
        must(&tool("circom2"), &dir, &[&source.display().to_string(), "--r1cs", "--wasm", "-o", "."]);
        std::fs::write(dir.join("input.json"), r#"{"a": "3", "b": ["5", "7"], "c": "11"}"#).unwrap();
        let s = tool("snarkjs");
        for args in [
            &["powersoftau", "new", "bn128", "4", "pot_0.ptau"][..],
            &["powersoftau", "contribute", "pot_0.ptau", "pot_1.ptau", "--name=test", "-e=zkbatch test"],
            &["powersoftau", "prepare", "phase2", "pot_1.ptau", "pot.ptau"],
            &["groth16", "setup", "product.r1cs", "pot.ptau", "product_0.zkey"],
            &["zkey", "contribute", "product_0.zkey", "product.zkey", "--name=test", "-e=zkbatch test"],
            &["zkey", "export", "verificationkey", "product.zkey", "verification_key.json"],
            &["wtns", "calculate", "product_js/product.wasm", "input.json", "snarkjs.wtns"],
            &["groth16", "prove", "product.zkey", "snarkjs.wtns", "snarkjs-proof.json", "snarkjs-public.json"],
        ] {
            must(&s, &dir, args);
        }
        dir
    })
}

#[test]
fn our_circuit_compiled_by_circom2_proves_here_and_verifies_in_snarkjs() {
    let d = product();
    let vk = d.join("verification_key.json");
    let out = ok(d, &["prove", "--zkey", "product.zkey", "--wasm", "product_js/product.wasm", "--input", "input.json", "--proof", "p1.json", "--public", "pub1.json"]);
    let first: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(snarkjs_accepts(d, &vk, "pub1.json", "p1.json"), "snarkjs refused our proof");
    // y = 3·5·7·11 + 3, then the public input c.
    let public: Vec<String> = serde_json::from_str(&std::fs::read_to_string(d.join("pub1.json")).unwrap()).unwrap();
    assert_eq!(public, ["1158", "11"]);
    let theirs: Vec<String> = serde_json::from_str(&std::fs::read_to_string(d.join("snarkjs-public.json")).unwrap()).unwrap();
    assert_eq!(public, theirs);

    // From snarkjs's witness instead, and from the key cache this time.
    let out = ok(d, &["prove", "--zkey", "product.zkey", "--wtns", "snarkjs.wtns", "--proof", "p2.json", "--public", "pub2.json"]);
    let second: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(snarkjs_accepts(d, &vk, "pub2.json", "p2.json"));
    assert!(first["key_cached"] == false || second["key_cached"] == true, "{first} {second}");
    assert_eq!(second["key_cached"], true);

    // snarkjs's proof verifies here.
    ok(d, &["verify", "--vk", "verification_key.json", "--proof", "snarkjs-proof.json", "--public", "snarkjs-public.json"]);

    // And our in-process witness is snarkjs's, value for value.
    let ours = WitnessCalculator::from_file(&d.join("product_js/product.wasm")).unwrap().calculate_json(&d.join("input.json")).unwrap();
    assert_eq!(ours, wtns::read(&d.join("snarkjs.wtns")).unwrap());
}

#[test]
fn merkle20_proof_from_the_snarkjs_zkey_verifies_in_snarkjs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = |p: &str| fixture(p).display().to_string();
    ok(d, &["prove", "--zkey", &f("merkle20/merkle20.zkey"), "--wasm", &f("merkle20/merkle20.wasm"), "--input", &f("merkle20/input.json"), "--r1cs", &f("merkle20/merkle20.r1cs")]);
    assert!(snarkjs_accepts(d, &fixture("merkle20/verification_key.json"), "public.json", "proof.json"), "snarkjs refused our proof");
    let read = |p: &Path| serde_json::from_str::<Vec<String>>(&std::fs::read_to_string(p).unwrap()).unwrap();
    assert_eq!(read(&d.join("public.json")), read(&fixture("merkle20/public.json")));
}

#[test]
fn a_folder_of_inputs_is_proved_with_the_generator() {
    let d = product();
    let inputs = d.join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    for (i, a) in ["2", "4", "9"].iter().enumerate() {
        std::fs::write(inputs.join(format!("in-{i}.json")), format!(r#"{{"a": "{a}", "b": ["5", "7"], "c": "11"}}"#)).unwrap();
    }
    std::fs::write(inputs.join("in-bad.json"), r#"{"a": "2", "b": ["5", "0"], "c": "11"}"#).unwrap();
    let out = zkbatch(d, &["--json", "prove", "--zkey", "product.zkey", "--wasm", "product_js/product.wasm", "--input", "inputs", "--out", "proofs"]);
    assert!(!out.status.success(), "one input is bad");
    // The summary, then the error document.
    let summary: serde_json::Value = serde_json::Deserializer::from_slice(&out.stdout).into_iter().next().unwrap().unwrap();
    assert_eq!((summary["completed"].as_u64(), summary["failed"].as_u64()), (Some(3), Some(1)), "{summary}");
    assert!(summary["failures"][0]["error"].as_str().unwrap().contains("in-bad.json"), "{summary}");
    ok(d, &["verify", "--vk", "verification_key.json", "--dir", "proofs"]);
}

#[test]
fn malformed_files_fail_with_the_file_and_the_problem() {
    let d = product();
    let scratch = tempfile::tempdir().unwrap();
    let s = scratch.path();
    let zkey = std::fs::read(d.join("product.zkey")).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = s.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let wasm = d.join("product_js/product.wasm").display().to_string();
    let zk = d.join("product.zkey").display().to_string();
    let prove_wtns = |zkey: &str, wtns: &str| fails(s, &["prove", "--zkey", zkey, "--wtns", wtns]);
    let prove_input = |wasm: &str, input: &str| fails(s, &["prove", "--zkey", &zk, "--wasm", wasm, "--input", input]);
    let expect = |err: String, file: &str, problem: &str| {
        assert!(err.starts_with("error: ") && err.contains(file) && err.contains(problem), "expected {file:?} and {problem:?} in: {err}");
    };

    // Wrong magic, truncated section, wrong curve.
    let wtns = d.join("snarkjs.wtns").display().to_string();
    expect(prove_wtns(&wtns, &wtns), "snarkjs.wtns", "not a snarkjs .zkey file: it starts with \"wtns\"");
    let cut = write("cut.zkey", &zkey[..zkey.len() - 100]);
    expect(prove_wtns(&cut, &wtns), "cut.zkey", "truncated: section");
    let mut bls = zkey.clone();
    // BN254's base-field modulus, little-endian, as the zkey header stores it.
    let q: Vec<u8> = (0..32).rev().map(|i| u8::from_str_radix(&BN254_Q[2 * i..2 * i + 2], 16).unwrap()).collect();
    let at = bls.windows(32).position(|w| w == q.as_slice()).unwrap();
    bls[at] ^= 0x10;
    let bls = write("other-curve.zkey", &bls);
    expect(prove_wtns(&bls, &wtns), "other-curve.zkey", "not over BN254");

    // A witness for another circuit, and one with a wrong value (named constraint with --r1cs).
    expect(prove_wtns(&zk, &fixture("pub2/pub2.wtns").display().to_string()), "pub2.wtns", "is not a witness for the circuit of");
    let mut z = wtns::read(&d.join("snarkjs.wtns")).unwrap();
    z[5] += zkbatch_prover::Fr::from(1u64);
    let edited = write("edited.wtns", &wtns::to_bytes(&z));
    expect(prove_wtns(&zk, &edited), "edited.wtns", "does not satisfy the circuit");
    let with_r1cs = fails(s, &["prove", "--zkey", &zk, "--wtns", &edited, "--r1cs", &d.join("product.r1cs").display().to_string()]);
    expect(with_r1cs, "edited.wtns", "the witness does not satisfy constraint");

    // input.json: a missing signal, a value ≥ the modulus, an unknown signal, a failing assert.
    expect(prove_input(&wasm, &write("missing.json", br#"{"a": "3", "b": ["5", "7"]}"#)), "missing.json", "an input signal is missing");
    let p = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    let big = write("big.json", format!(r#"{{"a": "{p}", "b": ["5", "7"], "c": "11"}}"#).as_bytes());
    expect(prove_input(&wasm, &big), "big.json", "a = 21888242871839275222246405745257275088548364400416034343698204186575808495617 is not below the BN254 scalar field's modulus");
    expect(prove_input(&wasm, &write("extra.json", br#"{"a": "3", "b": ["5", "7"], "c": "11", "d": "1"}"#)), "extra.json", "d is not an input signal of the circuit");
    expect(prove_input(&wasm, &write("zero.json", br#"{"a": "3", "b": ["5", "0"], "c": "11"}"#)), "zero.json", "assert failed");

    // A .wasm that is not one, or is cut short.
    let bytes = std::fs::read(&wasm).unwrap();
    expect(prove_input(&write("half.wasm", &bytes[..bytes.len() / 2]), "input.json"), "half.wasm", "not a WebAssembly module");
    expect(prove_input(&write("text.wasm", b"hello"), "input.json"), "text.wasm", "not a WebAssembly module");
}
