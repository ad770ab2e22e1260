//! `relayer.toml`: where to listen, the database, the chain, the circuits, and the limits.
//!
//! Every field has a default except the chain's (rpc_url, registry) and the circuits; the signer's
//! key is never part of the file's values: the file names a key file or an environment variable,
//! read once at start, so the key never reaches a log line or a `Debug` print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};
use zkbatch_evm::signer::{read_key, KeyError, KeySource};

use crate::store::is_postgres;

/// The environment variable the signer's key is read from when no key file is configured.
pub const DEFAULT_KEY_ENV: &str = "ZKBATCH_RELAYER_KEY";

/// What is wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a configuration (the error names the line and the key).
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where and what.
        source: toml::de::Error,
    },
    /// A circuit has no `vk` and none was handed over.
    #[error("circuit {0:?} has no vk: give its verification_key.json")]
    NoVerifyingKey(String),
    /// A circuit's settings do not fit together.
    #[error("circuit {id:?}: {problem}")]
    Circuit {
        /// The circuit.
        id: String,
        /// What is wrong, and what to add.
        problem: &'static str,
    },
    /// No `[[circuits]]`.
    #[error("the configuration has no circuits: add a [[circuits]] table with id, vk and verifier")]
    NoCircuits,
    /// Two circuits share an id.
    #[error("circuit {0:?} is configured twice")]
    DuplicateCircuit(String),
    /// A circuit's verifying key cannot be read.
    #[error("circuit {id:?}: {source}")]
    VerifyingKey {
        /// The circuit.
        id: String,
        /// Why (the error names the file).
        source: zkbatch_prover::snarkjs::FileError,
    },
    /// A value is out of range.
    #[error("{field} must be {rule}, got {value}")]
    Invalid {
        /// The key, e.g. `batch.max_size`.
        field: &'static str,
        /// What it must be.
        rule: &'static str,
        /// What it is.
        value: String,
    },
    /// No key file is configured and the key's environment variable is not set.
    #[error("no signer key: set {env} or give key_file in the configuration")]
    NoKey {
        /// The variable looked at (`key_env`).
        env: String,
    },
    /// The signer's key cannot be read (the error never holds the key's text).
    #[error(transparent)]
    Key(zkbatch_evm::signer::KeyError),
}

/// `relayer.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP API listens on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The SQLite database file, created on first start; or a `postgres://` URL, for several
    /// relayer instances (each with its own key) sharing one queue.
    #[serde(default = "default_database")]
    pub database: PathBuf,
    /// JSON-RPC endpoint of the chain.
    pub rpc_url: String,
    /// The `ProofRegistry` contract.
    pub registry: Address,
    /// A file holding the signer's hex private key; when absent, the key comes from `key_env`.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// The environment variable holding the key when there is no key file.
    #[serde(default = "default_key_env")]
    pub key_env: String,
    /// Blocks on top of the receipt's block before a proof counts as confirmed (1: in a block).
    #[serde(default = "one")]
    pub confirmations: u64,
    /// Blocks on top of the receipt's block before a confirmed batch is final and no longer
    /// watched for reorgs [default: 64, or 4 on anvil's and Hardhat's chain ids 31337 and 1337].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finality_depth: Option<u64>,
    /// When batches close.
    #[serde(default)]
    pub batch: BatchConfig,
    /// The queue's bound.
    #[serde(default)]
    pub queue: QueueConfig,
    /// HTTP limits.
    #[serde(default)]
    pub http: HttpConfig,
    /// How posted proofs are verified: in micro-batches.
    #[serde(default)]
    pub verify: VerifyConfig,
    /// Fee caps and replacement.
    #[serde(default)]
    pub fees: FeeConfig,
    /// Retries, timeouts and give-ups.
    #[serde(default)]
    pub retry: RetryConfig,
    /// The circuits proofs are accepted for.
    #[serde(default)]
    pub circuits: Vec<CircuitConfig>,
}

/// One `[[circuits]]` table.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitConfig {
    /// The id clients post proofs under (e.g. `merkle-20`).
    pub id: String,
    /// snarkjs `verification_key.json`: proofs are verified against it before they are queued.
    /// Required, unless whoever starts the relayer hands it the key (`zkbatch serve` derives it
    /// from the circuit's proving key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vk: Option<PathBuf>,
    /// The generated `Groth16Verifier` for this key.
    pub verifier: Address,
    /// The generated `Groth16BatchVerifier` for this key, when deployed.
    #[serde(default)]
    pub batch_verifier: Option<Address>,
    /// How its proofs go on-chain [default: auto].
    #[serde(default)]
    pub mode: SubmitMode,
    /// Where its aggregates go: required for `mode = "aggregate"`; in `auto` mode, aggregation is
    /// one of the choices when it is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<AggregateTarget>,
    /// In `auto` mode, the longest a proof should wait from acceptance to its transaction (s):
    /// aggregation is chosen only when the proofs' wait plus its proving time fits. No bound: time
    /// does not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_s: Option<f64>,
}

/// How a circuit's proofs go on-chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubmitMode {
    /// For each batch, the mode with the lowest gas per proof that meets `max_latency_s`: single,
    /// batch, or (with `aggregate` set and an aggregate node alive) aggregate.
    #[default]
    Auto,
    /// One `verify` per proof (`ProofRegistry.submitEach`).
    Single,
    /// One `verifyBatch` per batch (`ProofRegistry.submitBatch`); needs `batch_verifier`.
    Batch,
    /// N proofs in one halo2 aggregate, proved by a node with the `aggregate` role and sent to
    /// `aggregate.registry` (`AggregatedProofRegistry.submit`). An aggregate that fails to prove
    /// or is refused on-chain falls back to batch (or single) verification for its proofs.
    Aggregate,
}

/// `[circuits.aggregate]`: the aggregate registry of a circuit in aggregate mode.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateTarget {
    /// The `AggregatedProofRegistry` for this circuit's shape (`zkbatch aggregate deploy`).
    pub registry: Address,
    /// N: proofs per aggregate, the registry's `slots`.
    pub slots: usize,
    /// A partial aggregate (padded with its last proof) is proved once the oldest queued proof
    /// has waited this long [default: 60000].
    #[serde(default = "default_aggregate_wait")]
    pub max_wait_ms: u64,
    /// Gas of one aggregate's transaction, which `auto` weighs until the relay has sent one
    /// [default: 500000, about N = 2 to 8's measured figures].
    #[serde(default = "default_aggregate_gas")]
    pub gas: u64,
    /// Seconds one aggregate takes to prove, which `auto` weighs until an aggregate node has
    /// measured it; none: aggregation is not chosen under a latency bound until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prove_s: Option<f64>,
}

fn default_aggregate_wait() -> u64 {
    60_000
}

fn default_aggregate_gas() -> u64 {
    500_000
}

/// `[batch]`: when a batch closes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchConfig {
    /// A batch closes when it has this many proofs …
    pub max_size: usize,
    /// … or when its oldest proof has waited this long.
    pub max_wait_ms: u64,
    /// Transactions broadcast and not yet confirmed, at most (each has its own nonce).
    pub max_in_flight: usize,
}

/// `[queue]`: the queue's bound.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Proofs accepted and not yet in a transaction, at most; past it `POST` answers 429.
    pub capacity: usize,
    /// The `Retry-After` (seconds) sent with a 429.
    pub retry_after_s: u64,
}

/// `[http]`: request limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Largest request body accepted (413 above).
    pub body_limit_bytes: usize,
    /// A request taking longer is answered 408.
    pub request_timeout_ms: u64,
}

/// `[verify]`: posted proofs are verified in micro-batches, one multi-pairing for many, each
/// request still answered for its own proof (the relayer's `verifier` module).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerifyConfig {
    /// Proofs verified together at most; 1 verifies each alone.
    pub max_batch: usize,
    /// How long a proof waits for others to join its batch when a verification thread is free
    /// (ms). 0: batches form only while the threads are busy, so a lone proof never waits.
    pub window_ms: u64,
    /// Verification threads; 0: one per core.
    pub threads: usize,
    /// A client (IP address) whose proof failed verification has its proofs verified apart from
    /// everyone else's for this long (ms), so its bad proofs never split others' batches.
    pub quarantine_ms: u64,
}

/// `[fees]`: EIP-1559 fees.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeConfig {
    /// EIP-1559 fee cap: no transaction offers more per gas (gwei). While the base fee is above
    /// it, nothing is sent.
    pub max_fee_gwei: f64,
    /// Highest priority fee (gwei) offered.
    pub max_priority_fee_gwei: f64,
    /// Gas limit = estimate × (100 + margin) / 100.
    pub gas_margin_percent: u64,
    /// A transaction not mined after this long is replaced with fees bumped by 12.5 % or more.
    pub replace_after_ms: u64,
}

/// `[retry]`: what the relayer does when the chain misbehaves.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// First wait after an RPC error; doubled after each further error, up to `max_backoff_ms`.
    pub initial_backoff_ms: u64,
    /// The longest wait between retries.
    pub max_backoff_ms: u64,
    /// One RPC call taking longer counts as an error (a node that hangs is a node that is down).
    pub rpc_timeout_ms: u64,
    /// A batch that reverts on-chain puts its proofs back in the queue; after this many reverts
    /// a proof is failed.
    pub max_reverts: u32,
    /// A batch whose nonce the chain shows used, with no receipt for any of its transactions for
    /// this long, is given up and its proofs requeued (someone else used the signer's key).
    pub orphan_after_ms: u64,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_database() -> PathBuf {
    PathBuf::from("relayer.db")
}
fn default_key_env() -> String {
    DEFAULT_KEY_ENV.into()
}
fn one() -> u64 {
    1
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig { max_size: 32, max_wait_ms: 2_000, max_in_flight: 4 }
    }
}
impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig { capacity: 50_000, retry_after_s: 5 }
    }
}
impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { body_limit_bytes: 64 * 1024, request_timeout_ms: 10_000 }
    }
}
impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig { max_batch: 64, window_ms: 0, threads: 0, quarantine_ms: 60_000 }
    }
}
impl Default for FeeConfig {
    fn default() -> Self {
        FeeConfig { max_fee_gwei: 200.0, max_priority_fee_gwei: 2.0, gas_margin_percent: 20, replace_after_ms: 60_000 }
    }
}
impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig { initial_backoff_ms: 200, max_backoff_ms: 10_000, rpc_timeout_ms: 5_000, max_reverts: 3, orphan_after_ms: 120_000 }
    }
}

impl Config {
    /// Reads and checks a `relayer.toml`. Relative paths in it are taken relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = read_toml(path)?;
        if let Some(dir) = path.parent() {
            config.resolve_paths(dir);
        }
        Ok(config)
    }

    /// Makes relative paths (the database, the key file, verifying keys) relative to `dir`.
    pub fn resolve_paths(&mut self, dir: &Path) {
        let fix = |p: &mut PathBuf| relative_to(dir, p);
        resolve_database(dir, &mut self.database);
        if let Some(k) = self.key_file.as_mut() {
            fix(k);
        }
        for c in self.circuits.iter_mut().filter_map(|c| c.vk.as_mut()) {
            fix(c);
        }
    }

    /// The checks that need no I/O: limits in range, circuits present and unique.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, rule, value: String| Err(ConfigError::Invalid { field, rule, value });
        if self.circuits.is_empty() {
            return Err(ConfigError::NoCircuits);
        }
        let mut ids: Vec<&str> = self.circuits.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(ConfigError::DuplicateCircuit(w[0].to_string()));
        }
        for c in &self.circuits {
            match (c.mode, &c.aggregate) {
                (SubmitMode::Aggregate, None) => return Err(ConfigError::Circuit { id: c.id.clone(), problem: "mode = \"aggregate\" needs an [circuits.aggregate] table with registry and slots" }),
                (SubmitMode::Batch, _) if c.batch_verifier.is_none() => {
                    return Err(ConfigError::Circuit { id: c.id.clone(), problem: "mode = \"batch\" needs batch_verifier" })
                }
                _ => {}
            }
            if let Some(a) = &c.aggregate {
                if !(1..=64).contains(&a.slots) {
                    return invalid("circuits.aggregate.slots", "1..=64", a.slots.to_string());
                }
            }
        }
        if !(1..=1024).contains(&self.batch.max_size) {
            return invalid("batch.max_size", "1..=1024", self.batch.max_size.to_string());
        }
        if self.batch.max_in_flight == 0 {
            return invalid("batch.max_in_flight", "at least 1", "0".into());
        }
        if self.queue.capacity == 0 {
            return invalid("queue.capacity", "at least 1", "0".into());
        }
        if self.confirmations == 0 {
            return invalid("confirmations", "at least 1", "0".into());
        }
        if let Some(depth) = self.finality_depth.filter(|d| *d < self.confirmations) {
            return invalid("finality_depth", "at least confirmations", depth.to_string());
        }
        if !(self.fees.max_fee_gwei > 0.0 && self.fees.max_fee_gwei.is_finite()) {
            return invalid("fees.max_fee_gwei", "a positive number", self.fees.max_fee_gwei.to_string());
        }
        if !(self.fees.max_priority_fee_gwei >= 0.0 && self.fees.max_priority_fee_gwei <= self.fees.max_fee_gwei) {
            return invalid("fees.max_priority_fee_gwei", "between 0 and max_fee_gwei", self.fees.max_priority_fee_gwei.to_string());
        }
        if !(1..=1024).contains(&self.verify.max_batch) {
            return invalid("verify.max_batch", "1..=1024", self.verify.max_batch.to_string());
        }
        if self.http.body_limit_bytes < 1024 {
            return invalid("http.body_limit_bytes", "at least 1024", self.http.body_limit_bytes.to_string());
        }
        Ok(())
    }

    /// `finality_depth` on the chain `chain_id`: as configured, else 4 on local development chains
    /// (which reorganise only when told to) and 64 elsewhere (two epochs on Ethereum, beyond any
    /// reorg seen there), and never fewer than `confirmations`.
    pub fn finality_depth(&self, chain_id: u64) -> u64 {
        let default = if matches!(chain_id, 31337 | 1337) { 4 } else { 64 };
        self.finality_depth.unwrap_or(default).max(self.confirmations)
    }

    /// The signer's key, from the key file or the environment. The key's text appears in no error.
    pub fn signer(&self) -> Result<alloy::signers::local::PrivateKeySigner, ConfigError> {
        let source = match &self.key_file {
            Some(path) => KeySource::File(path),
            None => KeySource::Env(&self.key_env),
        };
        read_key(source).map_err(|e| match e {
            KeyError::NoKey { env } => ConfigError::NoKey { env },
            e => ConfigError::Key(e),
        })
    }

    /// How long a batch may wait for more proofs.
    pub fn max_wait(&self) -> Duration {
        Duration::from_millis(self.batch.max_wait_ms)
    }
}

/// A configuration file read as `T`; the error names the file (and toml's, the line and the key).
/// zkbatch.toml (zkbatch-service) is read the same way.
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.into(), source })
}

/// `p` taken relative to `dir` when it is a relative path.
pub fn relative_to(dir: &Path, p: &mut PathBuf) {
    if p.is_relative() {
        *p = dir.join(&*p);
    }
}

/// A database setting taken relative to `dir` when it is a relative file path (a postgres:// URL is
/// not a path).
pub fn resolve_database(dir: &Path, database: &mut PathBuf) {
    if !is_postgres(&database.to_string_lossy()) {
        relative_to(dir, database);
    }
}

/// gwei as wei, saturating (the fee cap is a configuration value, not chain data).
pub fn gwei(g: f64) -> u128 {
    (g * 1e9).max(0.0) as u128
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
rpc_url = "http://127.0.0.1:8545"
registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
[[circuits]]
id = "merkle-20"
vk = "vk.json"
verifier = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
"#;

    #[test]
    fn defaults_fill_what_the_file_leaves_out_and_paths_are_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relayer.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        let c = Config::load(&path).unwrap();
        c.validate().unwrap();
        assert_eq!(c.batch.max_size, 32);
        assert_eq!(c.confirmations, 1);
        assert_eq!(c.database, dir.path().join("relayer.db"));
        assert_eq!(c.circuits[0].vk, Some(dir.path().join("vk.json")));
        assert_eq!(c.circuits[0].batch_verifier, None);
    }

    #[test]
    fn a_missing_key_says_where_a_relayer_takes_one() {
        let mut c: Config = toml::from_str(MINIMAL).unwrap();
        c.key_env = "ZKBATCH_TEST_KEY_THAT_IS_NEVER_SET".into();
        let err = c.signer().unwrap_err().to_string();
        assert_eq!(err, "no signer key: set ZKBATCH_TEST_KEY_THAT_IS_NEVER_SET or give key_file in the configuration");
    }

    #[test]
    fn mistakes_are_named() {
        let err = toml::from_str::<Config>(&format!("{MINIMAL}\nbatch = {{ max_sise = 3 }}")).unwrap_err();
        assert!(err.to_string().contains("max_sise"), "{err}");
        let mut c: Config = toml::from_str(MINIMAL).unwrap();
        c.batch.max_size = 0;
        assert!(c.validate().unwrap_err().to_string().contains("batch.max_size"));
        let mut c: Config = toml::from_str(MINIMAL).unwrap();
        c.circuits.push(c.circuits[0].clone());
        assert!(matches!(c.validate(), Err(ConfigError::DuplicateCircuit(id)) if id == "merkle-20"));
    }

    #[test]
    fn the_signer_key_never_appears_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("key");
        let secret = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690z"; // one bad digit
        std::fs::write(&key_file, secret).unwrap();
        let mut c: Config = toml::from_str(MINIMAL).unwrap();
        c.key_file = Some(key_file);
        let err = c.signer().unwrap_err().to_string();
        assert!(!err.contains(&secret[2..20]), "{err}");
        assert!(err.contains("not a 32-byte hex private key"), "{err}");
        std::fs::write(c.key_file.as_ref().unwrap(), secret.replace('z', "d")).unwrap();
        assert_eq!(format!("{:?}", c.signer().unwrap().address()), "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    }
}
