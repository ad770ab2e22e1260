//! The checked-in ABI (and bytecode) the bindings are generated from is what forge compiles from
//! the contracts now. `make bindings` (`ZKBATCH_UPDATE_BINDINGS=1`) rewrites it.
//!
//! The ABI must match exactly. The bytecode is compared when the solc that compiled the checked-in
//! copy is the one forge uses here (the project's pinned solc-js; a native solc on PATH takes
//! precedence in scripts/bootstrap.sh and compiles other bytes).

use std::process::Command;

use serde_json::{json, Value};
use zkbatch_evm::bindings::BOUND;
use zkbatch_testing::root;

/// forge's artifact for `contract`, built into a scratch folder.
fn artifact(out: &std::path::Path, contract: &str) -> Value {
    let path = out.join(format!("{contract}.sol/{contract}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("forge artifacts are JSON")
}

/// The checked-in form: the ABI, the creation bytecode where kept, and the compiler that made it.
fn binding(artifact: &Value, bytecode: bool) -> Value {
    let mut v = json!({ "abi": artifact["abi"], "compiler": artifact["metadata"]["compiler"]["version"] });
    if bytecode {
        v["bytecode"] = json!({ "object": artifact["bytecode"]["object"] });
    }
    v
}

#[test]
fn bindings_match_the_contracts() {
    let root = root();
    let scratch = tempfile::tempdir().expect("tempdir");
    let (out, cache) = (scratch.path().join("out"), scratch.path().join("cache"));
    let built = Command::new("bash")
        .current_dir(&root)
        .args([
            "-c",
            &format!(". scripts/env.sh && forge build contracts --out {} --cache-path {} >&2", out.display(), cache.display()),
        ])
        .status()
        .expect("run forge (make bootstrap installs it)");
    assert!(built.success(), "forge build failed");
    let update = std::env::var_os("ZKBATCH_UPDATE_BINDINGS").is_some();
    let mut stale = Vec::new();
    for (contract, bytecode) in BOUND {
        let path = root.join(format!("crates/evm/abi/{contract}.json"));
        let fresh = binding(&artifact(&out, contract), *bytecode);
        if update {
            std::fs::write(&path, serde_json::to_string_pretty(&fresh).expect("JSON") + "\n").expect("write the binding");
            continue;
        }
        let kept: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default()).unwrap_or(Value::Null);
        let same_compiler = kept["compiler"] == fresh["compiler"];
        if kept["abi"] != fresh["abi"] || (same_compiler && kept["bytecode"] != fresh["bytecode"]) {
            stale.push(*contract);
        }
        if !same_compiler {
            eprintln!("{contract}: compiled by {} here, {} for the checked-in copy: bytecode not compared", fresh["compiler"], kept["compiler"]);
        }
    }
    assert!(stale.is_empty(), "bindings differ from the contracts (regenerate with `make bindings`): {stale:?}");
}
