//! The configured circuits: what checks a job's input before it is queued (cheap, ready at once),
//! and what proves it (the proving key, loaded in the background before the node is ready).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use serde_json::Value;
use zkbatch_prover::circom::input::{self as circom_input, Signal};
use zkbatch_prover::circom::wasm::WitnessCalculator;
use zkbatch_prover::circom::{self, r1cs, CircomError, CircomProver};
use zkbatch_evm::word::{vk_hash, Word};
use zkbatch_prover::circuits::CircuitSpec;
use zkbatch_prover::keys::{KeyCache, KeyError};
use zkbatch_prover::mapped::MappedKey;
use zkbatch_prover::verify::PreparedKey;
use zkbatch_prover::{Fr, Proof, ProofReport, Prover, ProvingKey, VerifyingKey};

use crate::config::{CircuitSource, Config, ConfigError};
use crate::memory;

/// Why the circuits could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A circom circuit's witness generator, zkey or .r1cs.
    #[error("circuit {id:?}: {source}")]
    Circom {
        /// The circuit.
        id: String,
        /// Why (the error names the file).
        source: CircomError,
    },
    /// A built-in circuit's proving key.
    #[error("circuit {id:?}: {source}")]
    Key {
        /// The circuit.
        id: String,
        /// Why (the error names the file).
        source: zkbatch_prover::keys::KeyError,
    },
    /// The key was made for another circuit.
    #[error("circuit {id:?}: {pk} is a proving key for {found}, not {expected}")]
    OtherCircuit {
        /// The circuit.
        id: String,
        /// The key file.
        pk: PathBuf,
        /// The circuit it proves.
        found: String,
        /// The configured builtin.
        expected: String,
    },
    /// A configured verification_key.json is not the proving key's.
    #[error("circuit {id:?}: {vk} is not the verifying key of its proving key")]
    VkMismatch {
        /// The circuit.
        id: String,
        /// The file.
        vk: PathBuf,
    },
    /// A verification_key.json cannot be read.
    #[error("circuit {id:?}: {source}")]
    Vk {
        /// The circuit.
        id: String,
        /// Why (boxed: the file error is large, and rare).
        source: Box<zkbatch_prover::snarkjs::FileError>,
    },
    /// A key file cannot be looked at.
    #[error("circuit {id:?}: {path}: {source}")]
    Io {
        /// The circuit.
        id: String,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The keys do not fit the memory budget.
    #[error("the proving keys need {need_mb} MiB and the budget is {budget_mb} MiB ({keys}); raise key_memory_mb, or serve fewer circuits per node")]
    KeyMemory {
        /// What the keys take together.
        need_mb: u64,
        /// The budget.
        budget_mb: u64,
        /// Each key and its size.
        keys: String,
    },
    /// The MSM engine or the key's shape.
    #[error("circuit {id:?}: {source}")]
    Prover {
        /// The circuit.
        id: String,
        /// Why.
        source: zkbatch_prover::ProveError,
    },
}

/// One proof made at load, to measure the memory a proof takes beside the key (the growth of peak
/// resident memory over a proof) and to have the key's pages and the engine warm before the first
/// job. A built-in circuit proves a random valid input; a circom circuit, whose inputs zkbatch cannot
/// invent, an all-zero assignment (the same vectors and MSMs; without a C matrix nothing checks it).
/// None where the platform does not report peak memory, or the warm-up proof fails.
fn warm_up(c: &Circuit, loaded: &Loaded) -> Option<u64> {
    let mut rng = rand::thread_rng();
    let before = memory::resident()?;
    memory::reset_peak()?;
    match (&loaded.engine, &c.intake) {
        (Engine::Builtin(prover), Intake::Builtin(spec)) => {
            let circuit = spec.from_input_json(&spec.random_input_json(&mut rng)).ok()?;
            prover.prove(circuit, &mut rng).ok()?;
        }
        (Engine::Circom(prover), _) => {
            let prover = prover.prover();
            let mut z = vec![Fr::from(0u64); prover.key().r1cs.num_variables()];
            *z.first_mut()? = Fr::from(1u64);
            prover.prove_assignment(&z, Fr::from(1u64), Fr::from(1u64)).ok()?;
        }
        _ => return None,
    }
    Some(memory::peak()?.saturating_sub(before))
}

/// A prover over `key`, its points from `mapped` when there is an image.
fn prover(key: ProvingKey, mapped: Option<MappedKey>) -> Result<Prover, zkbatch_prover::ProveError> {
    match mapped {
        Some(mapped) => Prover::mapped(Arc::new(key), Arc::new(mapped)),
        None => Prover::new(Arc::new(key)),
    }
}

/// Why a job's input is refused before it is queued (a 400).
#[derive(Debug, thiserror::Error)]
#[error("input: {0}")]
pub struct InputError(String);

/// Why a job's proving failed: the message the job ends with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProveFailure {
    /// The witness could not be computed (a circom `assert`, a value the circuit refuses) or
    /// breaks a constraint: it will fail again, the job fails.
    #[error("{0}")]
    Witness(String),
    /// The proof made does not verify against the circuit's key (a bug, or a fault of the machine).
    #[error("the proof made does not verify against the circuit's verifying key")]
    SelfCheck,
}

/// What checks a job's input: the built-in circuit's parser, or circom's witness generator.
enum Intake {
    Builtin(CircuitSpec),
    Circom(Arc<WitnessCalculator>),
}

/// The loaded proving side of a circuit (one per circuit: the variants' sizes do not matter).
#[allow(clippy::large_enum_variant)]
enum Engine {
    Builtin(Prover),
    Circom(CircomProver),
}

/// A circuit's prover, its prepared verifying key and what its key takes.
pub(crate) struct Loaded {
    engine: Engine,
    vk: VerifyingKey,
    /// The key's hash, which names its proofs' statements (`EvmProof::statement`).
    vk_hash: Word,
    prepared: PreparedKey,
    /// Approximate memory the proving key takes (its file's size).
    pub(crate) key_bytes: u64,
    /// Constraints in the circuit.
    pub(crate) constraints: usize,
    /// Public inputs.
    pub(crate) public_inputs: usize,
    /// Memory one proof takes beside the key: measured on a warm-up proof at load where the
    /// platform reports peak memory, else estimated from the circuit's size.
    pub(crate) bytes_per_proof: u64,
    /// Whether `bytes_per_proof` was measured.
    pub(crate) measured: bool,
}

/// One configured circuit.
pub(crate) struct Circuit {
    pub(crate) id: String,
    pub(crate) source: CircuitSource,
    /// Whether a verifier is configured (jobs with `submit` need one).
    pub(crate) relayable: bool,
    vk_path: Option<PathBuf>,
    intake: Intake,
    loaded: OnceLock<Loaded>,
}

/// A proof made for a job.
pub(crate) struct Proved {
    pub(crate) proof: Proof,
    pub(crate) public: Vec<Fr>,
    pub(crate) report: ProofReport,
    /// Verifying the proof made, before it is stored.
    pub(crate) self_check: std::time::Duration,
    /// The circuit's key's hash, which names the proof's statement.
    pub(crate) vk_hash: Word,
}

impl Circuit {
    /// Checks `input` as the circuit takes it, without proving: a built-in circuit's input.json
    /// parsed, a circom input's signals named, counted and below r.
    pub(crate) fn check_input(&self, input: &Value) -> Result<(), InputError> {
        match &self.intake {
            Intake::Builtin(spec) => spec.from_input_json(&input.to_string()).map(|_| ()).map_err(|e| InputError(e.to_string())),
            Intake::Circom(calc) => {
                let signals = circom_signals(input)?;
                calc.check_inputs(&signals, Path::new("input")).map_err(|e| InputError(input_message(e)))
            }
        }
    }

    /// The loaded prover, once the keys are loaded.
    pub(crate) fn loaded(&self) -> Option<&Loaded> {
        self.loaded.get()
    }

    /// Proves `input` (checked at intake, so a failure here is the witness's); the proof is
    /// verified before it is returned.
    pub(crate) fn prove(&self, loaded: &Loaded, input: &str, job: &str) -> Result<Proved, ProveFailure> {
        let mut rng = rand::thread_rng();
        let (proof, public, report) = match (&loaded.engine, &self.intake) {
            (Engine::Builtin(prover), Intake::Builtin(spec)) => {
                let circuit = spec.from_input_json(input).map_err(|e| ProveFailure::Witness(e.to_string()))?;
                prover.prove(circuit, &mut rng).map_err(|e| ProveFailure::Witness(e.to_string()))?
            }
            (Engine::Circom(prover), Intake::Circom(calc)) => {
                let start = Instant::now();
                let value: Value = serde_json::from_str(input).map_err(|e| ProveFailure::Witness(e.to_string()))?;
                let signals = circom_signals(&value).map_err(|e| ProveFailure::Witness(e.to_string()))?;
                let name = PathBuf::from(format!("job {job}"));
                let z = calc.calculate(&signals, &name).map_err(|e| ProveFailure::Witness(e.to_string()))?;
                let witness = start.elapsed();
                let (proof, public, mut report) = prover.prove(&z, &name, &mut rng).map_err(|e| ProveFailure::Witness(e.to_string()))?;
                report.witness = witness;
                report.total += witness;
                (proof, public, report)
            }
            // Both come from the circuit's one source; a mismatch would be this crate's bug.
            _ => return Err(ProveFailure::Witness(format!("circuit {:?}: its prover is not of its kind", self.id))),
        };
        // One pairing check (about 1 ms), alone: batching the checks of a node's few workers
        // would save under 1 % of a proof's time and make each proof wait for others.
        let start = Instant::now();
        loaded.prepared.verify(&proof, &public).map_err(|_| ProveFailure::SelfCheck)?;
        Ok(Proved { proof, public, report, self_check: start.elapsed(), vk_hash: loaded.vk_hash })
    }
}

impl Loaded {
    /// The circuit's verifying key.
    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.vk
    }
    /// The MSM engine's name.
    pub(crate) fn engine(&self) -> &'static str {
        match &self.engine {
            Engine::Builtin(p) => p.engine().name(),
            Engine::Circom(p) => p.prover().engine().name(),
        }
    }
}

/// The signals of a circom input.json already parsed as JSON.
fn circom_signals(input: &Value) -> Result<Vec<Signal>, InputError> {
    circom_input::parse(&input.to_string()).map_err(|e| InputError(e.to_string()))
}

/// A circom error's problem without the placeholder path it was raised for.
fn input_message(e: CircomError) -> String {
    match e {
        CircomError::Input { problem, .. } => problem.to_string(),
        other => other.to_string(),
    }
}

/// The configured circuits by id.
pub(crate) struct Circuits {
    pub(crate) by_id: HashMap<String, Arc<Circuit>>,
    cache: Option<KeyCache>,
    /// Where key images are kept, with `mmap_keys`.
    images: Option<PathBuf>,
}

impl Circuits {
    /// The circuits' intake: each source checked, each circom witness generator compiled. No key
    /// is read yet.
    pub(crate) fn open(config: &Config) -> Result<Circuits, LoadError> {
        let mut by_id = HashMap::new();
        for c in &config.circuits {
            let source = c.source()?;
            let intake = match &source {
                CircuitSource::Builtin { spec, .. } => Intake::Builtin(*spec),
                CircuitSource::Circom { wasm, .. } => {
                    Intake::Circom(Arc::new(WitnessCalculator::from_file(wasm).map_err(|source| LoadError::Circom { id: c.id.clone(), source })?))
                }
            };
            let circuit =
                Circuit { id: c.id.clone(), source, relayable: c.verifier.is_some(), vk_path: c.vk.clone(), intake, loaded: OnceLock::new() };
            by_id.insert(c.id.clone(), Arc::new(circuit));
        }
        let images = if config.mmap_keys { config.cache_dir.clone().or_else(KeyCache::default_dir) } else { None };
        Ok(Circuits { by_id, cache: config.cache_dir.clone().map(KeyCache::new), images })
    }

    /// The ids, sorted (for messages).
    pub(crate) fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.by_id.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// Refuses keys that together exceed `budget` bytes, before any is read.
    pub(crate) fn check_budget(&self, budget: u64) -> Result<u64, LoadError> {
        let mut sizes = Vec::new();
        for c in self.by_id.values() {
            let path = match &c.source {
                CircuitSource::Builtin { pk, .. } => pk,
                CircuitSource::Circom { zkey, .. } => zkey,
            };
            let len = std::fs::metadata(path).map_err(|source| LoadError::Io { id: c.id.clone(), path: path.clone(), source })?.len();
            sizes.push((c.id.clone(), len));
        }
        let need: u64 = sizes.iter().map(|(_, n)| n).sum();
        if need > budget {
            sizes.sort();
            let keys = sizes.iter().map(|(id, n)| format!("{id}: {} MiB", n.div_ceil(1 << 20))).collect::<Vec<_>>().join(", ");
            return Err(LoadError::KeyMemory { need_mb: need.div_ceil(1 << 20), budget_mb: budget >> 20, keys });
        }
        Ok(need)
    }

    /// Reads every proving key, checks it (and the configured vk against it), and makes its
    /// prover. Blocking: seconds for large keys.
    pub(crate) fn load_keys(&self) -> Result<(), LoadError> {
        for c in self.by_id.values() {
            if c.loaded.get().is_some() {
                continue;
            }
            let start = Instant::now();
            let mut loaded = self.load(c)?;
            if let Some(bytes) = warm_up(c, &loaded) {
                (loaded.bytes_per_proof, loaded.measured) = (bytes, true);
            }
            tracing::info!(
                circuit = %c.id,
                mb = loaded.key_bytes >> 20,
                constraints = loaded.constraints,
                proof_mb = loaded.bytes_per_proof >> 20,
                measured = loaded.measured,
                ms = start.elapsed().as_millis() as u64,
                "proving key loaded"
            );
            let _ = c.loaded.set(loaded);
        }
        Ok(())
    }

    fn load(&self, c: &Circuit) -> Result<Loaded, LoadError> {
        let id = || c.id.clone();
        let (engine, key_path, image_bytes) = match &c.source {
            CircuitSource::Builtin { spec, pk } => {
                let read = || ProvingKey::read(pk).map_err(|source| LoadError::Key { id: id(), source });
                let (key, mapped) = self.key(c, pk, read)?;
                if key.circuit != spec.to_string() {
                    return Err(LoadError::OtherCircuit { id: id(), pk: pk.clone(), found: key.circuit.clone(), expected: spec.to_string() });
                }
                let image_bytes = mapped.as_ref().map(|m| m.len() as u64);
                (Engine::Builtin(prover(key, mapped).map_err(|source| LoadError::Prover { id: id(), source })?), pk, image_bytes)
            }
            CircuitSource::Circom { zkey, r1cs: r1cs_path, .. } => {
                let circom_err = |source| LoadError::Circom { id: id(), source };
                let convert = || circom::cached_zkey(zkey, self.cache.as_ref()).map(|(key, _)| key).map_err(circom_err);
                let (mut key, mapped) = self.key(c, zkey, convert)?;
                if let Some(path) = r1cs_path {
                    let circuit = r1cs::read(path).map_err(circom_err)?;
                    circom::attach_r1cs(&mut key, &circuit, path, zkey).map_err(circom_err)?;
                }
                let image_bytes = mapped.as_ref().map(|m| m.len() as u64);
                let prover = prover(key, mapped).map_err(|source| LoadError::Prover { id: id(), source })?;
                (Engine::Circom(CircomProver::new(prover, zkey)), zkey, image_bytes)
            }
        };
        let key = match &engine {
            Engine::Builtin(p) => p.key(),
            Engine::Circom(p) => p.prover().key(),
        };
        let vk = key.verifying_key().clone();
        if let Some(path) = &c.vk_path {
            let configured = zkbatch_prover::snarkjs::read_verifying_key(path).map_err(|source| LoadError::Vk { id: id(), source: Box::new(source) })?;
            if configured != vk {
                return Err(LoadError::VkMismatch { id: id(), vk: path.clone() });
            }
        }
        let constraints = key.r1cs.num_constraints();
        let public_inputs = key.r1cs.num_instance - 1;
        // Witness, the QAP's evaluations over the domain and its coset (a few vectors of 32-byte
        // scalars each), the scalars handed to the MSMs: about 12 domain-sized vectors at peak.
        let domain = (constraints + key.r1cs.num_instance).next_power_of_two() as u64;
        let bytes_per_proof = domain * 32 * 12;
        let key_bytes = image_bytes.unwrap_or_else(|| std::fs::metadata(key_path).map(|m| m.len()).unwrap_or(0));
        let prepared = PreparedKey::new(&vk);
        Ok(Loaded { engine, vk_hash: vk_hash(&vk), vk, prepared, key_bytes, constraints, public_inputs, bytes_per_proof, measured: false })
    }

    /// The key read from `source` with `read`; with `mmap_keys`, its points mapped from a key image
    /// in the image folder, made from `source` on the first start (named after the source's path,
    /// size and modification time, so a changed key makes a new image).
    fn key(&self, c: &Circuit, source: &Path, read: impl FnOnce() -> Result<ProvingKey, LoadError>) -> Result<(ProvingKey, Option<MappedKey>), LoadError> {
        let Some(dir) = &self.images else { return Ok((read()?, None)) };
        let io = |path: &Path, source| LoadError::Io { id: c.id.clone(), path: path.to_path_buf(), source };
        let meta = std::fs::metadata(source).map_err(|e| io(source, e))?;
        let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        let canonical = std::fs::canonicalize(source).map_err(|e| io(source, e))?;
        let stamp = blake3::hash(format!("{}\n{}\n{modified}", canonical.display(), meta.len()).as_bytes()).to_hex();
        let image = dir.join(format!("{}-{}.zkbimg", c.id.replace(|ch: char| !ch.is_ascii_alphanumeric() && ch != '-', "_"), &stamp[..16]));
        let image_err = |source| LoadError::Key { id: c.id.clone(), source };
        match MappedKey::open(&image) {
            Ok((key, mapped)) => return Ok((key, Some(mapped))),
            Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(circuit = %c.id, error = %e, "making the key image again"),
        }
        let key = read()?;
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        MappedKey::write(&key, &image).map_err(image_err)?;
        drop(key);
        let (key, mapped) = MappedKey::open(&image).map_err(image_err)?;
        tracing::info!(circuit = %c.id, image = %image.display(), mb = mapped.len() >> 20, "key image made");
        Ok((key, Some(mapped)))
    }

    /// The verifying keys of the loaded circuits, by id (the relay role's, when no vk is configured).
    pub(crate) fn verifying_keys(&self) -> HashMap<String, VerifyingKey> {
        self.by_id.iter().filter_map(|(id, c)| c.loaded().map(|l| (id.clone(), l.verifying_key().clone()))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A posted job body, mutated byte by byte (overwritten, cut, extended), through what
    /// `POST /v1/jobs` does before the queue: the request's JSON, the circuit's lookup and the
    /// input's check (a built-in circuit's input.json parsed). Each gets an answer, never a panic.
    /// Cases: `PROPTEST_CASES` (default 64; `make fuzz` runs many more).
    #[test]
    fn mutated_job_requests_are_answered_never_panicked_on() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config as Cases, TestRunner};
        use rand::SeedableRng;
        let config: Config = toml::from_str("[[circuits]]\nid = \"merkle-4\"\nbuiltin = \"merkle-4\"\npk = \"merkle.pk\"\n").expect("config");
        let circuits = Circuits::open(&config).expect("the circuit opens");
        let input = CircuitSpec::Merkle { depth: 4 }.random_input_json(&mut rand::rngs::StdRng::seed_from_u64(5));
        let input: Value = serde_json::from_str(&input).expect("input.json");
        let valid = serde_json::json!({ "circuit": "merkle-4", "input": input, "submit": false, "client_id": "job-1" }).to_string().into_bytes();
        let intake = |bytes: &[u8]| {
            serde_json::from_slice::<crate::api::JobRequest>(bytes)
                .ok()
                .and_then(|r| circuits.by_id.get(&r.circuit).map(|c| c.check_input(&r.input).is_ok()))
        };
        assert_eq!(intake(&valid), Some(true), "the unmutated request is accepted");
        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
        let mut runner = TestRunner::new(Cases { cases, failure_persistence: None, ..Cases::default() });
        let change = (any::<usize>(), any::<u8>(), 0u8..3);
        runner
            .run(&prop::collection::vec(change, 1..6), |changes| {
                let mut bytes = valid.clone();
                for (at, byte, kind) in changes {
                    let at = at % bytes.len().max(1);
                    match kind {
                        0 => bytes[at] = byte,
                        1 => bytes.truncate(at),
                        _ => bytes.insert(at, byte),
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                // Nothing is shared across the unwind but read-only circuits: asserting unwind safety is sound.
                let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| intake(&bytes)));
                prop_assert!(answer.is_ok(), "intake panicked on {:?}", String::from_utf8_lossy(&bytes));
                Ok(())
            })
            .expect("every mutated request answered");
    }
}
