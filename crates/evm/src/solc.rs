//! Compiling Solidity with solc's standard JSON interface and the Foundry project's optimiser
//! settings, so that gas matches `forge test`: the project's `.tools/bin/solc` (solc-js behind a
//! native-solc-compatible command) or any solc 0.8 the caller names.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::json;

/// Why solc gave no bytecode.
#[derive(Debug, thiserror::Error)]
pub enum SolcError {
    /// solc could not be started.
    #[error("solc ({solc}): cannot run it: {source} (give --solc or set ZKBATCH_SOLC, or run scripts/bootstrap.sh)")]
    Spawn {
        /// The command tried.
        solc: PathBuf,
        /// Why it did not start.
        source: std::io::Error,
    },
    /// Writing its input or reading its output failed.
    #[error("solc ({solc}): {source}")]
    Io {
        /// The command.
        solc: PathBuf,
        /// The pipe's error.
        source: std::io::Error,
    },
    /// solc exited with an error status.
    #[error("solc ({solc}) exited with {status}: {stderr}")]
    Failed {
        /// The command.
        solc: PathBuf,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// solc's output is not standard JSON.
    #[error("solc ({solc}): its output is not JSON: {source}")]
    Output {
        /// The command.
        solc: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// solc reported errors in the source.
    #[error("solc reports errors compiling {contract}:\n{errors}")]
    Compile {
        /// The contract asked for.
        contract: String,
        /// solc's formatted messages.
        errors: String,
    },
}

/// The solc to use when none is named: `.tools/bin/solc` under `root` if there, else `solc` on
/// PATH.
pub fn find_solc(root: Option<&Path>) -> PathBuf {
    root.map(|r| r.join(".tools/bin/solc")).filter(|p| p.exists()).unwrap_or_else(|| PathBuf::from("solc"))
}

/// Compiles one Solidity source and returns `contract`'s creation bytecode.
pub fn compile(solc: &Path, source: &str, contract: &str) -> Result<Vec<u8>, SolcError> {
    let io = |source| SolcError::Io { solc: solc.into(), source };
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
        .map_err(|source| SolcError::Spawn { solc: solc.into(), source })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.to_string().as_bytes()).map_err(io)?;
    }
    let out = child.wait_with_output().map_err(io)?;
    if !out.status.success() {
        return Err(SolcError::Failed { solc: solc.into(), status: out.status, stderr: String::from_utf8_lossy(&out.stderr).into_owned() });
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|source| SolcError::Output { solc: solc.into(), source })?;
    let compile_error = |errors: String| SolcError::Compile { contract: contract.into(), errors };
    let errors: Vec<String> = v["errors"]
        .as_array()
        .map(|a| a.iter().filter(|e| e["severity"] == "error").map(|e| e["formattedMessage"].as_str().unwrap_or("?").to_string()).collect())
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(compile_error(errors.join("\n")));
    }
    let hex = v["contracts"]["Generated.sol"][contract]["evm"]["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| compile_error("no such contract in the output".into()))?;
    alloy_primitives::hex::decode(hex).map_err(|e| compile_error(format!("the bytecode is not hex: {e}")))
}
