//! Compiling generated Solidity with solc's standard JSON interface: the project's
//! `.tools/bin/solc` (solc-js behind a native-solc-compatible command), `$ZKBATCH_SOLC`, or `solc`
//! on PATH, with the Foundry project's optimiser settings so gas matches `forge test`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum SolcError {
    #[error("solc ({solc}): {reason}")]
    Run { solc: PathBuf, reason: String },
    #[error("solc reports errors compiling {contract}:\n{errors}")]
    Compile { contract: String, errors: String },
}

/// The solc to use: `$ZKBATCH_SOLC`, else `.tools/bin/solc` under `root` if there, else `solc`.
pub fn find_solc(root: Option<&Path>) -> PathBuf {
    if let Some(s) = std::env::var_os("ZKBATCH_SOLC") {
        return s.into();
    }
    if let Some(r) = root {
        let p = r.join(".tools/bin/solc");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("solc")
}

/// Compiles one Solidity source and returns `contract`'s creation bytecode.
pub fn compile(solc: &Path, source: &str, contract: &str) -> Result<Vec<u8>, SolcError> {
    let run_err = |reason: String| SolcError::Run { solc: solc.into(), reason };
    // The settings of foundry.toml: the generated contracts are hand-scheduled assembly that the
    // default Yul sequence would reorder into stack-too-deep code.
    let input = json!({
        "language": "Solidity",
        "sources": { "Generated.sol": { "content": source } },
        "settings": {
            "optimizer": { "enabled": true, "runs": 1000000, "details": { "yul": true, "yulDetails": { "stackAllocation": true, "optimizerSteps": "u" } } },
            "evmVersion": "cancun",
            "outputSelection": { "*": { "*": ["evm.bytecode.object"] } }
        }
    });
    let mut child = Command::new(solc)
        .arg("--standard-json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| run_err(format!("cannot run it: {e} (set ZKBATCH_SOLC, or run scripts/bootstrap.sh)")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.to_string().as_bytes()).map_err(|e| run_err(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| run_err(e.to_string()))?;
    if !out.status.success() {
        return Err(run_err(format!("exited with {}: {}", out.status, String::from_utf8_lossy(&out.stderr))));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| run_err(format!("its output is not JSON: {e}")))?;
    let errors: Vec<String> = v["errors"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["severity"] == "error").map(|e| e["formattedMessage"].as_str().unwrap_or("?").to_string()).collect())
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(SolcError::Compile { contract: contract.into(), errors: errors.join("\n") });
    }
    let hex = v["contracts"]["Generated.sol"][contract]["evm"]["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| SolcError::Compile { contract: contract.into(), errors: "no such contract in the output".into() })?;
    crate::evm::unhex(hex).ok_or_else(|| run_err("bytecode is not hex".into()))
}
