//! The `zkbatch` binary end to end, checked by snarkjs (installed by scripts/bootstrap.sh).

use std::path::Path;
use std::process::{Command, Output};

use zkbatch_testing::tool;

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

/// A depth-4 Merkle key: small, so the test stays fast in debug builds.
fn setup(dir: &Path) {
    ok(dir, &["setup", "--circuit", "merkle-4", "--pk", "m.pk", "--vk", "verification_key.json"]);
    ok(dir, &["inputs", "--circuit", "merkle-4", "--count", "3", "--out", "inputs", "--seed", "9"]);
}

#[test]
fn snarkjs_verifies_what_zkbatch_prove_just_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    ok(d, &["prove", "--pk", "m.pk", "--input", "inputs/input-000.json", "--proof", "proof.json", "--public", "public.json"]);
    let out = Command::new(tool("snarkjs")).current_dir(d).args(["groth16", "verify", "verification_key.json", "public.json", "proof.json"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("OK!"), "snarkjs said: {text}{}", String::from_utf8_lossy(&out.stderr));

    // And snarkjs refuses it for another statement, so the check above can fail.
    let mut public: Vec<String> = serde_json::from_str(&std::fs::read_to_string(d.join("public.json")).unwrap()).unwrap();
    public[1] = "1".into();
    std::fs::write(d.join("wrong.json"), serde_json::to_string(&public).unwrap()).unwrap();
    let out = Command::new(tool("snarkjs")).current_dir(d).args(["groth16", "verify", "verification_key.json", "wrong.json", "proof.json"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("OK!"));
    let err = fails(d, &["verify", "--vk", "verification_key.json", "--proof", "proof.json", "--public", "wrong.json"]);
    assert!(err.contains("does not verify"), "{err}");
}

/// `zkbatch verify`'s errors name the file at fault, once: a point off the curve is proof.json's
/// (said once, not twice over), a wrong input count public.json's.
#[test]
fn verify_errors_name_the_file_at_fault_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    ok(d, &["prove", "--pk", "m.pk", "--input", "inputs/input-000.json", "--proof", "proof.json", "--public", "public.json"]);
    let mut proof: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("proof.json")).unwrap()).unwrap();
    proof["pi_a"][0] = "1".into();
    std::fs::write(d.join("off-curve.json"), proof.to_string()).unwrap();
    let err = fails(d, &["verify", "--vk", "verification_key.json", "--proof", "off-curve.json", "--public", "public.json"]);
    assert_eq!(err.trim(), "error: off-curve.json: pi_a is not a point on the curve");
    let json: serde_json::Value = serde_json::from_str(&String::from_utf8(zkbatch(d, &["verify", "--json", "--vk", "verification_key.json", "--proof", "off-curve.json", "--public", "public.json"]).stdout).unwrap()).unwrap();
    assert_eq!(json["results"][0]["error"], "off-curve.json: pi_a is not a point on the curve", "{json}");

    let mut public: Vec<String> = serde_json::from_str(&std::fs::read_to_string(d.join("public.json")).unwrap()).unwrap();
    public.pop();
    std::fs::write(d.join("short.json"), serde_json::to_string(&public).unwrap()).unwrap();
    let err = fails(d, &["verify", "--vk", "verification_key.json", "--proof", "proof.json", "--public", "short.json"]);
    assert!(err.trim().starts_with("error: short.json: the verifying key takes") && !err.contains("proof.json"), "{err}");
}

#[test]
fn folder_proving_writes_pairs_and_json_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let summary: serde_json::Value =
        serde_json::from_str(&ok(d, &["prove", "--json", "--pk", "m.pk", "--input", "inputs", "--out", "proofs", "--jobs", "2"])).unwrap();
    assert_eq!(summary["completed"], 3);
    assert!(summary["peak_in_flight"].as_u64().unwrap() <= 2);
    assert!(summary["proofs"][0]["report"]["msm_a"].as_f64().is_some());
    let verdict: serde_json::Value = serde_json::from_str(&ok(d, &["verify", "--json", "--vk", "verification_key.json", "--dir", "proofs"])).unwrap();
    assert_eq!((verdict["ok"].as_bool(), verdict["verified"].as_u64()), (Some(true), Some(3)));
}

#[test]
fn bad_files_get_errors_naming_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);

    // A corrupt proving key.
    let mut key = std::fs::read(d.join("m.pk")).unwrap();
    let mid = key.len() / 2;
    key[mid] ^= 1;
    std::fs::write(d.join("bad.pk"), &key).unwrap();
    let err = fails(d, &["prove", "--pk", "bad.pk", "--input", "inputs/input-000.json"]);
    assert!(err.contains("bad.pk is corrupt"), "{err}");
    let err = fails(d, &["prove", "--pk", "verification_key.json", "--input", "inputs/input-000.json"]);
    assert!(err.contains("verification_key.json is not a zkbatch proving key"), "{err}");

    // A bad input: a path index that is not a bit; one bad input in a folder fails the run but not the others.
    let mut input: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("inputs/input-001.json")).unwrap()).unwrap();
    input["pathIndices"][2] = "5".into();
    std::fs::write(d.join("inputs/input-001.json"), input.to_string()).unwrap();
    let err = fails(d, &["prove", "--pk", "m.pk", "--input", "inputs", "--out", "proofs"]);
    assert!(err.contains("input-001.json") && err.contains("pathIndices[2] must be 0 or 1"), "{err}");
    assert!(d.join("proofs/input-000.proof.json").exists() && d.join("proofs/input-002.proof.json").exists());

    // A corrupt proof: a coordinate that is not a field element.
    let mut proof: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("proofs/input-000.proof.json")).unwrap()).unwrap();
    proof["pi_a"][0] = "21888242871839275222246405745257275088696311157297823662689037894645226208583".into();
    std::fs::write(d.join("proofs/input-000.proof.json"), proof.to_string()).unwrap();
    let err = fails(d, &["verify", "--vk", "verification_key.json", "--proof", "proofs/input-000.proof.json", "--public", "proofs/input-000.public.json"]);
    assert!(err.contains("input-000.proof.json") && err.contains("pi_a[0]"), "{err}");
    let err = fails(d, &["verify", "--vk", "verification_key.json", "--dir", "proofs"]);
    assert!(err.contains("1 of 2 proofs are invalid"), "{err}");

    // An unknown circuit.
    let err = fails(d, &["setup", "--circuit", "sha256", "--pk", "x.pk"]);
    assert!(err.contains("unknown circuit"), "{err}");
}

#[test]
fn help_teaches_with_an_example() {
    let out = ok(Path::new("."), &["prove", "--help"]);
    assert!(out.contains("zkbatch prove --pk merkle20.pk --input input.json"), "{out}");
}

/// `zkbatch batch verify` and `batch calldata` on a folder `zkbatch prove` wrote: a valid folder
/// passes, a bad proof is named and never joins a batch, a malformed file is refused with its name.
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

/// `zkbatch aggregate` refuses before any keygen or proving: no parameters named, a proof that
/// does not verify (named), a batch larger than its slots. (Real aggregation takes minutes:
/// `make bench-aggregation`.)
#[test]
fn aggregate_refuses_bad_batches_before_proving() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["setup", "--circuit", "merkle-4", "--pk", "m.pk", "--vk", "vk.json"]);
    ok(d, &["inputs", "--circuit", "merkle-4", "--count", "2", "--out", "inputs", "--seed", "6"]);
    ok(d, &["prove", "--pk", "m.pk", "--input", "inputs", "--out", "proofs"]);
    let cache = d.join("cache");
    let cache = cache.to_str().unwrap();

    let err = fails(d, &["aggregate", "--vk", "vk.json", "--proofs", "proofs", "--cache", cache]);
    assert!(err.contains("--params") && err.contains("--insecure-params"), "{err}");

    let err = fails(d, &["aggregate", "--vk", "vk.json", "--proofs", "proofs", "--slots", "1", "--insecure-params", "--cache", cache]);
    assert!(err.contains("2 proofs do not fit a circuit of 1 slots"), "{err}");

    std::fs::copy(d.join("proofs/input-001.public.json"), d.join("proofs/input-000.public.json")).unwrap();
    let json: serde_json::Value = serde_json::from_slice(
        &zkbatch(d, &["aggregate", "--vk", "vk.json", "--proofs", "proofs", "--insecure-params", "--cache", cache, "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(json["ok"], false);
    assert!(json["error"].as_str().unwrap().contains("input-000.proof.json does not verify"), "{json}");
    // Nothing was computed for a refused batch: no parameters, no keys.
    assert!(!Path::new(cache).exists());
}

#[test]
fn msm_engine_is_chosen_by_the_environment_and_unknown_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let args = ["prove", "--json", "--pk", "m.pk", "--input", "inputs/input-000.json", "--proof", "proof.json", "--public", "public.json"];
    let run = |engine: &str| Command::new(env!("CARGO_BIN_EXE_zkbatch")).current_dir(d).env("ZKBATCH_MSM", engine).args(args).output().unwrap();
    for (engine, name) in [("cpu-scalar", "cpu-batch-affine"), ("arkworks", "cpu-arkworks")] {
        let out = run(engine);
        assert!(out.status.success(), "ZKBATCH_MSM={engine}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("\"{name}")), "ZKBATCH_MSM={engine} should prove with {name}: {text}");
    }
    // With --json the error is JSON on stdout.
    let out = run("cuda");
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = err["error"].as_str().unwrap();
    assert!(!out.status.success() && message.contains("ZKBATCH_MSM") && message.contains("cpu-scalar") && message.contains("arkworks"), "{message}");
}

#[test]
fn deploy_without_a_usable_key_says_how_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    // Refused before any connection: the RPC URL points nowhere.
    let deploy = |key_file: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zkbatch"));
        c.current_dir(d).args(["deploy", "--circuit", "m=verification_key.json", "--rpc-url", "http://127.0.0.1:9"]);
        c.env_remove("ZKBATCH_DEPLOYER_KEY").env_remove("ZKBATCH_DEPLOYER_KEY_FILE");
        if let Some(f) = key_file {
            c.args(["--key-file", f]);
        }
        let out = c.output().unwrap();
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let err = deploy(None);
    assert!(err.contains("no deployer key: give --key-file") && err.contains("ZKBATCH_DEPLOYER_KEY"), "{err}");
    std::fs::write(d.join("bad.key"), "0xnot-a-key\n").unwrap();
    let err = deploy(Some("bad.key"));
    assert!(err.contains("bad.key") && err.contains("is not a 32-byte hex private key") && !err.contains("not-a-key"), "{err}");
}

#[test]
fn submit_names_a_file_it_cannot_send_before_calling_the_relayer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("proof.json"), r#"{"pi_a": 3}"#).unwrap();
    std::fs::write(d.join("public.json"), r#"["1"]"#).unwrap();
    let submit = |proof: &str| fails(d, &["submit", proof, "public.json", "--circuit", "c", "--relayer-url", "http://127.0.0.1:9"]);
    let err = submit("proof.json");
    assert!(err.contains("proof.json: not valid JSON of the expected shape"), "{err}");
    let err = submit("missing.json");
    assert!(err.contains("missing.json") && err.matches("os error 2").count() == 1, "said once: {err}");
}

/// A verifier made from the insecure test KZG setup is deployed on anvil's chain id only: on any
/// other the deploy is refused, naming why and what to do, before anything is compiled or sent;
/// `--allow-insecure-setup` lets it through (here to a solc that does not exist, which shows the
/// check was passed without spending a compile).
#[test]
fn an_insecure_setup_verifier_is_not_deployed_off_anvil() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let anvil = zkbatch_testing::anvil().chain_id(1).spawn();
    std::fs::write(d.join("deployer.key"), alloy::hex::encode(anvil.keys()[0].to_bytes())).unwrap();
    let verifier = zkbatch_testing::root().join("test/fixtures/AggregateVerifierN2L2K21.sol");
    let url = anvil.endpoint();
    let deploy = |extra: &[&str]| {
        let mut args = vec!["aggregate", "deploy", "--verifier", verifier.to_str().unwrap(), "--slots", "2", "--inputs", "2"];
        args.extend(["--rpc-url", url.as_str(), "--key-file", "deployer.key", "--solc", "/nonexistent/solc"]);
        args.extend(extra);
        fails(d, &args)
    };
    let err = deploy(&[]);
    assert!(err.contains("insecure test KZG setup") && err.contains("refusing to deploy it on chain id 1") && err.contains("--ptau"), "{err}");
    let err = deploy(&["--allow-insecure-setup"]);
    assert!(!err.contains("refusing to deploy") && err.contains("/nonexistent/solc"), "{err}");
}
