//! `zkbatch batch verify` and `zkbatch batch calldata` on folders of proofs that `zkbatch prove`
//! wrote: valid folders pass, a bad proof is named, a malformed file is refused with its name.

use std::path::Path;
use std::process::{Command, Output};

fn zkbatch(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkbatch")).current_dir(dir).args(args).output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = zkbatch(dir, args);
    assert!(out.status.success(), "zkbatch {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = zkbatch(dir, args);
    assert!(!out.status.success(), "zkbatch {args:?} should have failed");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn batch_verify_and_calldata() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["setup", "--circuit", "merkle-4", "--pk", "m.pk", "--vk", "vk.json"]);
    ok(d, &["inputs", "--circuit", "merkle-4", "--count", "4", "--out", "inputs", "--seed", "5"]);
    ok(d, &["prove", "--pk", "m.pk", "--input", "inputs", "--out", "proofs"]);

    let verdict: serde_json::Value = serde_json::from_str(&ok(d, &["batch", "verify", "--vk", "vk.json", "--proofs", "proofs", "--json"])).unwrap();
    assert_eq!((verdict["ok"].as_bool(), verdict["proofs"].as_u64()), (Some(true), Some(4)));

    let call: serde_json::Value = serde_json::from_str(&ok(d, &["batch", "calldata", "--vk", "vk.json", "--proofs", "proofs", "--json"])).unwrap();
    assert!(call["function"].as_str().unwrap().starts_with("verifyBatch(uint256[8][],uint256["));
    assert_eq!(call["challenges"][0], "1");
    assert_eq!(call["challenges"].as_array().unwrap().len(), 4);
    assert_eq!(call["calldata"].as_str().unwrap().len(), 2 + 2 * (4 + 4 * 32 + 4 * 8 * 32 + 4 * 32 * call_inputs(&call)));
    ok(d, &["batch", "calldata", "--vk", "vk.json", "--proofs", "proofs", "--out", "batch.hex"]);
    assert_eq!(std::fs::read_to_string(d.join("batch.hex")).unwrap(), call["calldata"].as_str().unwrap());

    // Proof 1 with proof 2's statement: the batch fails and names input-001 only.
    std::fs::copy(d.join("proofs/input-002.public.json"), d.join("proofs/input-001.public.json")).unwrap();
    let err = fails(d, &["batch", "verify", "--vk", "vk.json", "--proofs", "proofs"]);
    assert!(err.contains("input-001.proof.json") && !err.contains("input-002.proof.json"), "{err}");
    assert!(err.contains("1 of 4 proofs are invalid: input-001"), "{err}");
    let json: serde_json::Value =
        serde_json::from_slice(&zkbatch(d, &["batch", "verify", "--vk", "vk.json", "--proofs", "proofs", "--json"]).stdout).unwrap();
    assert_eq!(json["invalid"], serde_json::json!(["input-001"]));
    // A bad proof never joins a batch: calldata refuses it, by name.
    let err = fails(d, &["batch", "calldata", "--vk", "vk.json", "--proofs", "proofs"]);
    assert!(err.contains("input-001") && err.contains("does not verify"), "{err}");

    // An input ≥ r is refused with the file's name.
    let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    let public: Vec<String> = serde_json::from_str(&std::fs::read_to_string(d.join("proofs/input-003.public.json")).unwrap()).unwrap();
    let mut bad = public.clone();
    bad[0] = r.to_string();
    std::fs::write(d.join("proofs/input-003.public.json"), serde_json::to_string(&bad).unwrap()).unwrap();
    let err = fails(d, &["batch", "verify", "--vk", "vk.json", "--proofs", "proofs"]);
    assert!(err.contains("input-003.public.json"), "{err}");
}

fn call_inputs(call: &serde_json::Value) -> usize {
    let f = call["function"].as_str().unwrap();
    f.trim_start_matches("verifyBatch(uint256[8][],uint256[").trim_end_matches("][])").parse().unwrap()
}
