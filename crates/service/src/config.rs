//! `zkbatch.toml`: the roles, where to listen, the database, the circuits, the workers and their
//! leases, the queue's bound, and (for the relay role) the chain.
//!
//! Every field has a default but the circuits, and the chain's settings for the relay role. Paths
//! are relative to the file's folder.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};
use zkbatch_prover::circuits::CircuitSpec;
use zkbatch_relayer::config::{self as relay, BatchConfig, FeeConfig, QueueConfig as RelayQueueConfig, RetryConfig, VerifyConfig};

/// What is wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read, or is not a configuration (the error names the line and the key).
    /// Boxed: the relayer's configuration errors are large, and this one is rare.
    #[error(transparent)]
    File(Box<relay::ConfigError>),
    /// No roles.
    #[error("no roles: give roles = [\"prove\"], [\"relay\"] or both (or --roles prove,relay)")]
    NoRoles,
    /// No `[[circuits]]`.
    #[error("the configuration has no circuits: add a [[circuits]] table with id and either zkey + wasm (circom) or builtin + pk")]
    NoCircuits,
    /// Two circuits share an id.
    #[error("circuit {0:?} is configured twice")]
    DuplicateCircuit(String),
    /// A circuit is neither circom nor built in, or both.
    #[error("circuit {id:?}: {problem}")]
    Circuit {
        /// The circuit.
        id: String,
        /// What is wrong with its entry.
        problem: String,
    },
    /// The relay role is on and `[relay]` is missing.
    #[error("the relay role needs a [relay] table with rpc_url and registry (as `zkbatch deploy` writes them)")]
    NoRelay,
    /// The aggregate role is on and what it needs is missing.
    #[error("{0}")]
    NoAggregate(&'static str),
    /// A value is out of range.
    #[error("{field} must be {rule}, got {value}")]
    Invalid {
        /// The key, e.g. `lease.duration_ms`.
        field: &'static str,
        /// What it must be.
        rule: &'static str,
        /// What it is.
        value: String,
    },
}

/// A role a node plays; a node plays any of them over one database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Accepts jobs (`/v1/jobs`) and proves them with its workers.
    Prove,
    /// Accepts proofs (`/v1/proofs`), and submits queued proofs (posted ones and proved jobs with
    /// `submit`) on-chain: the relayer.
    Relay,
    /// Aggregates the queued proofs of circuits in `aggregate` mode: claims N with a lease, proves
    /// one halo2 aggregate of them, and records it for the relay role to submit.
    Aggregate,
}

impl Role {
    /// The role's name, as configured and reported.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Prove => "prove",
            Role::Relay => "relay",
            Role::Aggregate => "aggregate",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "prove" => Ok(Role::Prove),
            "relay" => Ok(Role::Relay),
            "aggregate" => Ok(Role::Aggregate),
            other => Err(format!("unknown role {other:?}: the roles are prove, relay and aggregate")),
        }
    }
}

/// `zkbatch.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The roles this node plays.
    #[serde(default = "default_roles")]
    pub roles: Vec<Role>,
    /// Address the HTTP API listens on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The SQLite database file, created on first start (one node); or a `postgres://` URL shared
    /// by many nodes.
    #[serde(default = "default_database")]
    pub database: PathBuf,
    /// This node's name in leases, reports and logs; `HOSTNAME-PID` when absent. Unique per node.
    #[serde(default)]
    pub node_id: Option<String>,
    /// Jobs proved at once; when absent, from the cores and the memory one proof of the largest
    /// circuit takes. 0: the node takes jobs in and reports on them, and proves none (an intake node
    /// in front of prover nodes).
    #[serde(default)]
    pub workers: Option<usize>,
    /// Memory the proving keys may take (MiB); a node whose keys do not fit refuses to start.
    /// When absent, the memory available when the node starts.
    #[serde(default)]
    pub key_memory_mb: Option<u64>,
    /// Where converted zkeys are cached (so a restart loads them fast), and key images are kept;
    /// when absent, zkeys are not cached and images go to `$ZKBATCH_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/zkbatch`, else `~/.cache/zkbatch`.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Whether the proving keys' points are memory-mapped from key images (made from the key on
    /// the first start): the processes on one machine then share one copy of them. When false,
    /// each process reads its keys into its own heap.
    #[serde(default = "yes")]
    pub mmap_keys: bool,
    /// A job whose proving fails this many times (its node died, or an internal error) fails.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// On SIGTERM, how long jobs in flight may take to finish before their leases are given back.
    #[serde(default = "default_drain")]
    pub drain_timeout_ms: u64,
    /// Leases on jobs.
    #[serde(default)]
    pub lease: LeaseConfig,
    /// The job queue's bound.
    #[serde(default)]
    pub queue: QueueConfig,
    /// HTTP limits.
    #[serde(default)]
    pub http: HttpConfig,
    /// The circuits this node proves (and, with a verifier, relays).
    #[serde(default)]
    pub circuits: Vec<CircuitConfig>,
    /// The chain, for the relay role.
    #[serde(default)]
    pub relay: Option<RelayConfig>,
    /// KZG parameters, for the aggregate role.
    #[serde(default)]
    pub aggregate: Option<AggregateConfig>,
}

/// `[aggregate]`: where the aggregate role's KZG parameters come from (exactly one source), and
/// the circuit size. The aggregation keys are made on the first start (minutes) and cached in
/// `cache_dir`. The parameters must be those the deployed aggregate verifier was rendered from,
/// or every aggregate is refused on-chain (and its proofs batch-verified instead).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateConfig {
    /// A halo2 KZG parameters file (see crates/aggregator/docs/recursive-aggregation.md).
    #[serde(default)]
    pub params: Option<PathBuf>,
    /// A snarkjs powers-of-tau file (a public ceremony's .ptau), converted once and cached.
    #[serde(default)]
    pub ptau: Option<PathBuf>,
    /// The insecure test setup, whose τ is public (anyone can forge an aggregate its verifier
    /// accepts): for local chains only, as `zkbatch aggregate --insecure-params`.
    #[serde(default)]
    pub insecure_test_setup: bool,
    /// log2 of the aggregation circuit's rows [default: the smallest whose verifier fits
    /// EIP-170 for the circuit's N, as `zkbatch aggregate` picks it].
    #[serde(default)]
    pub k: Option<u32>,
}

/// One `[[circuits]]` table: a circom circuit (`zkey` + `wasm`) or a built-in one (`builtin` + `pk`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitConfig {
    /// The id jobs name (e.g. `merkle-20`).
    pub id: String,
    /// A snarkjs Groth16 proving key (.zkey), for a circom circuit.
    #[serde(default)]
    pub zkey: Option<PathBuf>,
    /// circom's witness generator (`circom --wasm`), for a circom circuit.
    #[serde(default)]
    pub wasm: Option<PathBuf>,
    /// The circom circuit's .r1cs: a witness that breaks a constraint is named.
    #[serde(default)]
    pub r1cs: Option<PathBuf>,
    /// A built-in circuit, e.g. `merkle-20` or `squares-4`.
    #[serde(default)]
    pub builtin: Option<String>,
    /// The built-in circuit's proving key, from `zkbatch setup`.
    #[serde(default)]
    pub pk: Option<PathBuf>,
    /// snarkjs verification_key.json; derived from the proving key when absent.
    #[serde(default)]
    pub vk: Option<PathBuf>,
    /// The generated `Groth16Verifier` (the relay role; jobs with `submit` need it).
    #[serde(default)]
    pub verifier: Option<Address>,
    /// The generated `Groth16BatchVerifier`, when deployed.
    #[serde(default)]
    pub batch_verifier: Option<Address>,
    /// How its proofs go on-chain (the relay role): `auto`, `single`, `batch` or `aggregate`.
    #[serde(default)]
    pub mode: relay::SubmitMode,
    /// Its aggregate registry, for `mode = "aggregate"`, or as a choice of `auto` (the relay and
    /// aggregate roles).
    #[serde(default)]
    pub aggregate: Option<relay::AggregateTarget>,
    /// In `auto` mode, the longest a proof should wait for its transaction (s).
    #[serde(default)]
    pub max_latency_s: Option<f64>,
}

/// A circuit's source, checked.
#[derive(Clone, Debug)]
pub enum CircuitSource {
    /// circom: the zkey, the witness generator, maybe the .r1cs.
    Circom {
        /// The .zkey.
        zkey: PathBuf,
        /// The .wasm.
        wasm: PathBuf,
        /// The .r1cs.
        r1cs: Option<PathBuf>,
    },
    /// Built in: which circuit, and its key.
    Builtin {
        /// The circuit.
        spec: CircuitSpec,
        /// Its proving key.
        pk: PathBuf,
    },
}

impl CircuitConfig {
    /// The circuit's source: exactly one of zkey + wasm, builtin + pk.
    pub fn source(&self) -> Result<CircuitSource, ConfigError> {
        let problem = |p: &str| ConfigError::Circuit { id: self.id.clone(), problem: p.into() };
        match (&self.zkey, &self.wasm, &self.builtin, &self.pk) {
            (Some(zkey), Some(wasm), None, None) => Ok(CircuitSource::Circom { zkey: zkey.clone(), wasm: wasm.clone(), r1cs: self.r1cs.clone() }),
            (None, None, Some(builtin), Some(pk)) => {
                if self.r1cs.is_some() {
                    return Err(problem("r1cs is for circom circuits (zkey + wasm)"));
                }
                let spec = builtin.parse::<CircuitSpec>().map_err(|e| problem(&e.to_string()))?;
                Ok(CircuitSource::Builtin { spec, pk: pk.clone() })
            }
            (Some(_), None, None, None) => Err(problem("a zkey needs its witness generator: add wasm")),
            (None, Some(_), None, None) => Err(problem("a wasm needs its proving key: add zkey")),
            (None, None, Some(_), None) => Err(problem("a builtin circuit needs its proving key: add pk (from `zkbatch setup`)")),
            (None, None, None, Some(_)) => Err(problem("a pk needs its circuit: add builtin (e.g. merkle-20)")),
            (None, None, None, None) => Err(problem("give zkey + wasm (a circom circuit) or builtin + pk")),
            _ => Err(problem("give either zkey + wasm (a circom circuit) or builtin + pk, not both")),
        }
    }
}

/// `[lease]`: how long a node holds a job without a sign of life.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LeaseConfig {
    /// A job's lease lasts this long from the last heartbeat; then another node may take it.
    pub duration_ms: u64,
    /// How often a node renews its leases (and looks for expired ones).
    pub heartbeat_ms: u64,
}

/// `[queue]`: the job queue's bound.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Jobs queued (not yet claimed) at most; past it `POST /v1/jobs` answers 429.
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
    /// The longest `?wait=` a status request may ask for (seconds).
    pub max_wait_s: u64,
}

/// `[relay]`: the chain, for the relay role (the relayer's settings; its circuits are the
/// `[[circuits]]` with a verifier).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
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
    /// Blocks on top of the receipt's block before a proof counts as confirmed.
    #[serde(default = "one")]
    pub confirmations: u64,
    /// Blocks on top of the receipt's block before a confirmed batch is final and no longer
    /// watched for reorgs [default: 64, or 4 on chain ids 31337 and 1337].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finality_depth: Option<u64>,
    /// When batches close.
    #[serde(default)]
    pub batch: BatchConfig,
    /// The relay queue's bound (posted proofs).
    #[serde(default)]
    pub queue: RelayQueueConfig,
    /// How posted proofs are verified (in micro-batches).
    #[serde(default)]
    pub verify: VerifyConfig,
    /// Fee caps and replacement.
    #[serde(default)]
    pub fees: FeeConfig,
    /// Retries, timeouts and give-ups.
    #[serde(default)]
    pub retry: RetryConfig,
}

fn default_roles() -> Vec<Role> {
    vec![Role::Prove]
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_database() -> PathBuf {
    PathBuf::from("zkbatch.db")
}
fn default_attempts() -> u32 {
    3
}
fn default_drain() -> u64 {
    60_000
}
fn default_key_env() -> String {
    relay::DEFAULT_KEY_ENV.into()
}
fn one() -> u64 {
    1
}
fn yes() -> bool {
    true
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig { duration_ms: 30_000, heartbeat_ms: 5_000 }
    }
}
impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig { capacity: 10_000, retry_after_s: 5 }
    }
}
impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { body_limit_bytes: 1024 * 1024, max_wait_s: 60 }
    }
}

impl Config {
    /// Reads a `zkbatch.toml`; relative paths in it are taken relative to its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = relay::read_toml(path).map_err(|e| ConfigError::File(Box::new(e)))?;
        if let Some(dir) = path.parent() {
            config.resolve_paths(dir);
        }
        Ok(config)
    }

    /// Makes relative paths relative to `dir`.
    pub fn resolve_paths(&mut self, dir: &Path) {
        let fix = |p: &mut PathBuf| relay::relative_to(dir, p);
        relay::resolve_database(dir, &mut self.database);
        if let Some(c) = self.cache_dir.as_mut() {
            fix(c);
        }
        for c in &mut self.circuits {
            for p in [&mut c.zkey, &mut c.wasm, &mut c.r1cs, &mut c.pk, &mut c.vk].into_iter().flatten() {
                fix(p);
            }
        }
        if let Some(k) = self.relay.as_mut().and_then(|r| r.key_file.as_mut()) {
            fix(k);
        }
        if let Some(a) = self.aggregate.as_mut() {
            for p in [&mut a.params, &mut a.ptau].into_iter().flatten() {
                fix(p);
            }
        }
    }

    /// Whether this node plays `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The checks that need no I/O.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, rule, value: String| Err(ConfigError::Invalid { field, rule, value });
        if self.roles.is_empty() {
            return Err(ConfigError::NoRoles);
        }
        if self.circuits.is_empty() {
            return Err(ConfigError::NoCircuits);
        }
        let mut ids: Vec<&str> = self.circuits.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(ConfigError::DuplicateCircuit(w[0].to_string()));
        }
        for c in &self.circuits {
            c.source()?;
        }
        if self.has(Role::Relay) && self.relay.is_none() {
            return Err(ConfigError::NoRelay);
        }
        if self.has(Role::Aggregate) {
            let a = self.aggregate.as_ref().ok_or(ConfigError::NoAggregate("the aggregate role needs an [aggregate] table naming its KZG parameters"))?;
            let sources = [a.params.is_some(), a.ptau.is_some(), a.insecure_test_setup].iter().filter(|s| **s).count();
            if sources != 1 {
                return Err(ConfigError::NoAggregate("[aggregate] needs exactly one of params, ptau and insecure_test_setup = true"));
            }
            if !self.circuits.iter().any(|c| c.aggregate.is_some()) {
                return Err(ConfigError::NoAggregate("the aggregate role needs a circuit with an [circuits.aggregate] table (registry, slots)"));
            }
        }
        if self.max_attempts == 0 {
            return invalid("max_attempts", "at least 1", "0".into());
        }
        if self.queue.capacity == 0 {
            return invalid("queue.capacity", "at least 1", "0".into());
        }
        if self.lease.heartbeat_ms == 0 || self.lease.heartbeat_ms * 2 > self.lease.duration_ms {
            return invalid("lease.heartbeat_ms", "at least 1 and at most half of lease.duration_ms", self.lease.heartbeat_ms.to_string());
        }
        if self.http.body_limit_bytes < 1024 {
            return invalid("http.body_limit_bytes", "at least 1024", self.http.body_limit_bytes.to_string());
        }
        Ok(())
    }

    /// The relay role's configuration: the relayer's, over this node's listener and database,
    /// with the circuits that name a verifier.
    pub fn relay_config(&self) -> Result<relay::Config, ConfigError> {
        let r = self.relay.as_ref().ok_or(ConfigError::NoRelay)?;
        Ok(relay::Config {
            listen: self.listen,
            database: self.database.clone(),
            rpc_url: r.rpc_url.clone(),
            registry: r.registry,
            key_file: r.key_file.clone(),
            key_env: r.key_env.clone(),
            confirmations: r.confirmations,
            finality_depth: r.finality_depth,
            batch: r.batch.clone(),
            queue: r.queue.clone(),
            http: relay::HttpConfig::default(),
            verify: r.verify.clone(),
            fees: r.fees.clone(),
            retry: r.retry.clone(),
            circuits: self
                .circuits
                .iter()
                .filter_map(|c| {
                    c.verifier.map(|verifier| relay::CircuitConfig {
                        id: c.id.clone(),
                        vk: c.vk.clone(),
                        verifier,
                        batch_verifier: c.batch_verifier,
                        mode: c.mode,
                        aggregate: c.aggregate.clone(),
                        max_latency_s: c.max_latency_s,
                    })
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[circuits]]
id = "merkle-20"
builtin = "merkle-20"
pk = "merkle.pk"
"#;

    #[test]
    fn defaults_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zkbatch.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        let c = Config::load(&path).unwrap();
        c.validate().unwrap();
        assert_eq!(c.roles, vec![Role::Prove]);
        assert_eq!(c.database, dir.path().join("zkbatch.db"));
        assert_eq!(c.circuits[0].pk, Some(dir.path().join("merkle.pk")));
        assert!(matches!(c.circuits[0].source().unwrap(), CircuitSource::Builtin { spec: CircuitSpec::Merkle { depth: 20 }, .. }));
    }

    #[test]
    fn mistakes_are_named() {
        let c: Config = toml::from_str(&format!("{MINIMAL}wasm = \"c.wasm\"\n")).unwrap();
        assert_eq!(c.validate().unwrap_err().to_string(), "circuit \"merkle-20\": give either zkey + wasm (a circom circuit) or builtin + pk, not both");
        let c: Config = toml::from_str(&format!("roles = [\"relay\"]\n{MINIMAL}")).unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("[relay] table"));
        let err = toml::from_str::<Config>(&format!("roles = [\"mint\"]\n{MINIMAL}")).unwrap_err();
        assert!(err.to_string().contains("mint"), "{err}");
        let c: Config = toml::from_str(&format!("roles = [\"aggregate\"]\n{MINIMAL}")).unwrap();
        assert_eq!(c.validate().unwrap_err().to_string(), "the aggregate role needs an [aggregate] table naming its KZG parameters");
        let c: Config = toml::from_str(&format!("roles = [\"aggregate\"]\n[aggregate]\ninsecure_test_setup = true\nptau = \"p.ptau\"\n{MINIMAL}")).unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("exactly one of params, ptau and insecure_test_setup"));
        let c: Config = toml::from_str(&format!("roles = [\"aggregate\"]\n[aggregate]\ninsecure_test_setup = true\n{MINIMAL}")).unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("a circuit with an [circuits.aggregate] table"));
        let mut c: Config = toml::from_str(MINIMAL).unwrap();
        c.lease.heartbeat_ms = c.lease.duration_ms;
        assert!(c.validate().unwrap_err().to_string().contains("lease.heartbeat_ms"));
        let c: Config = toml::from_str(&MINIMAL.replace("merkle-20\"\npk", "merkle-0\"\npk")).unwrap();
        assert!(c.validate().unwrap_err().to_string().contains("merkle depth"), "{}", c.validate().unwrap_err());
    }
}
