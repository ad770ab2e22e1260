//! Proving keys of the aggregation circuit: generated once per shape, cached on disk.
//!
//! The circuit's shape is (k, N slots, ℓ inputs per proof); the Groth16 verifying key is a
//! witness, so one aggregation key serves every Groth16 key with ℓ inputs. Keygen lays the circuit
//! out on a sample batch ([`sample_batch`]: a throwaway squares-ℓ key, so no user proof is needed)
//! and records the layout halo2-base chose (`BaseCircuitParams`, break points): proving must lay
//! the witness out exactly so.
//!
//! File (`*.aggpk`): the line `zkbatch-aggregation-pk v1\n`, a u32 LE length, a JSON header
//! ([`KeyHeader`]: shape, layout, the KZG parameters' id), the key's byte length (u64 LE), halo2's
//! proving key (`SerdeFormat::RawBytesUnchecked`: reading gigabytes of polynomials with checks
//! costs more than keygen). halo2 panics on a short key file, so the header's length is checked
//! first; a key whose bytes are wrong otherwise makes proofs that fail their own verification,
//! which [`super::prove::prove`] reports.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::halo2_proofs::halo2curves::bn256::{G1Affine, G2Affine};
use halo2_base::halo2_proofs::plonk::{keygen_pk, keygen_vk, ProvingKey, VerifyingKey};
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::SerdeFormat;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::halo2_proofs::halo2curves::serde::SerdeObject;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr as HaloFr;
use zkbatch_prover::circuits::squares::SquaresCircuit;
use zkbatch_prover::{Fr, Proof};

use super::circuit::{self, Stage, CIRCUIT_VERSION, MINIMUM_ROWS};
use super::error::AggregationError;
use super::input::AggregationInput;
use super::params::KzgParams;
use super::shape::Shape;

const MAGIC: &[u8] = b"zkbatch-aggregation-pk v1\n";

/// Everything about a key but its polynomials.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyHeader {
    /// The [`CIRCUIT_VERSION`] the key was made for; another version's key is refused.
    pub circuit_version: u32,
    /// The (k, N, ℓ) the key is for.
    pub shape: Shape,
    /// Columns and lookup bits halo2-base chose at keygen.
    pub config: BaseCircuitParams,
    /// Where each phase's witness breaks into columns.
    pub break_points: Vec<Vec<usize>>,
    /// [`params_id`] of the KZG parameters the key was made with.
    pub params_id: String,
    /// Whether those parameters are the insecure test setup's (public τ: anyone can forge proofs
    /// against the key). Absent in keys made before it was recorded.
    #[serde(default)]
    pub insecure_setup: bool,
}

/// A proving key of the aggregation circuit, with the layout proving must follow.
pub struct AggregationKey {
    /// The shape, layout and KZG parameters' id the key was made with.
    pub header: KeyHeader,
    /// halo2's proving key (gigabytes at k = 20, hence shared).
    pub pk: Arc<ProvingKey<G1Affine>>,
}

impl AggregationKey {
    /// The (k, N, ℓ) the key is for.
    pub fn shape(&self) -> Shape {
        self.header.shape
    }

    /// halo2's verifying key, part of the proving key.
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }
}

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A shape with no slots or no inputs: the circuit checks at least one proof and folds at
    /// least one input.
    #[error("an aggregation circuit needs at least one slot and one public input per proof (got N = {slots}, ℓ = {inputs})")]
    EmptyShape {
        /// N asked for.
        slots: usize,
        /// ℓ asked for.
        inputs: usize,
    },
    /// A k outside the 10..=26 that keygen accepts.
    #[error("k = {k} is outside 10..=26")]
    BadK {
        /// The k asked for.
        k: u32,
    },
    /// The circuit needs more than 64 advice columns at 2^k rows: k is far too small for N.
    #[error("the circuit does not fit 2^{k} rows: {reason}")]
    DoesNotFit {
        /// The k asked for.
        k: u32,
        /// How many columns it would take.
        reason: String,
    },
    /// halo2's keygen_vk or keygen_pk failed (its error, debug-printed).
    #[error("keygen failed: {0}")]
    Keygen(String),
    /// The throwaway Groth16 key or proof of [`sample_batch`] could not be made.
    #[error("sample batch for keygen: {0}")]
    Sample(String),
    /// The sample batch was refused as aggregation input.
    #[error(transparent)]
    Aggregation(#[from] AggregationError),
    /// A key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// What the read or write failed with.
        source: std::io::Error,
    },
    /// The file is not a key: wrong magic line, unreadable header, or not the length its header
    /// announces.
    #[error("{path} is not a zkbatch aggregation key ({reason}); delete it and run keygen again")]
    NotAKey {
        /// The file.
        path: PathBuf,
        /// Which check it failed.
        reason: String,
    },
    /// The key was made for another circuit version, shape or KZG parameters.
    #[error("{path} was made for {found}, not {wanted}; delete it or point at another cache")]
    Mismatch {
        /// The key file.
        path: PathBuf,
        /// What the file's header says it is for.
        found: String,
        /// What the caller asked for.
        wanted: String,
    },
}

/// Identifies KZG parameters by what a verifier depends on (g₀, g2, s·g2) and their size.
pub fn params_id(params: &KzgParams) -> String {
    let mut bytes = params.k().to_le_bytes().to_vec();
    bytes.extend(params.get_g()[0].to_raw_bytes());
    bytes.extend(<G2Affine as SerdeObject>::to_raw_bytes(&params.g2()));
    bytes.extend(<G2Affine as SerdeObject>::to_raw_bytes(&params.s_g2()));
    alloy_primitives::hex::encode(&alloy_primitives::keccak256(&bytes)[..16])
}

/// A Groth16 key and a batch of its proofs with their inputs.
pub type SampleBatch = (zkbatch_prover::VerifyingKey, Vec<(Proof, Vec<Fr>)>);

/// A valid batch of N proofs with ℓ inputs each, from a throwaway Groth16 key (squares-ℓ, fixed
/// seed): keygen needs witnesses that run through every gadget without tripping an assertion, and
/// the aggregation key does not depend on which Groth16 key they are for.
pub fn sample_batch(slots: usize, inputs: usize) -> Result<SampleBatch, KeyError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x6167_6773_616d_706c);
    let key = zkbatch_prover::ProvingKey::setup(&format!("squares-{inputs}"), SquaresCircuit { inputs, roots: None }, &mut rng)
        .map_err(|e| KeyError::Sample(e.to_string()))?;
    let prover = zkbatch_prover::Prover::new(Arc::new(key)).map_err(|e| KeyError::Sample(e.to_string()))?;
    let (proof, public, _) =
        prover.prove(SquaresCircuit::random(inputs, &mut rng), &mut rng).map_err(|e| KeyError::Sample(e.to_string()))?;
    Ok((prover.key().verifying_key().clone(), vec![(proof, public); slots]))
}

/// Generates the proving key for `shape` with `params` (keygen_vk then keygen_pk: minutes and
/// gigabytes at k = 20). `on_phase` hears "witness", "keygen vk", "keygen pk" as each starts.
pub fn keygen(params: &KzgParams, shape: Shape, mut on_phase: impl FnMut(&str)) -> Result<AggregationKey, KeyError> {
    on_phase("witness");
    let (builder, config) = laid_out(shape)?;
    on_phase("keygen vk");
    let vk = keygen_vk(params, &builder).map_err(|e| KeyError::Keygen(format!("{e:?}")))?;
    on_phase("keygen pk");
    let pk = keygen_pk(params, vk, &builder).map_err(|e| KeyError::Keygen(format!("{e:?}")))?;
    let header = KeyHeader {
        circuit_version: CIRCUIT_VERSION,
        shape,
        config,
        break_points: builder.break_points(),
        params_id: params_id(params),
        insecure_setup: super::params::is_insecure(params),
    };
    Ok(AggregationKey { header, pk: Arc::new(pk) })
}

/// The verifying key alone (no proving key: a fraction of keygen's time and memory), which is all
/// the on-chain verifier depends on.
pub fn verifying_key(params: &KzgParams, shape: Shape) -> Result<VerifyingKey<G1Affine>, KeyError> {
    let (builder, _) = laid_out(shape)?;
    keygen_vk(params, &builder).map_err(|e| KeyError::Keygen(format!("{e:?}")))
}

/// The circuit for `shape` built in keygen mode on [`sample_batch`] and laid out.
fn laid_out(shape: Shape) -> Result<(BaseCircuitBuilder<HaloFr>, BaseCircuitParams), KeyError> {
    if shape.slots == 0 || shape.inputs == 0 {
        return Err(KeyError::EmptyShape { slots: shape.slots, inputs: shape.inputs });
    }
    if !(10..=26).contains(&shape.k) {
        return Err(KeyError::BadK { k: shape.k });
    }
    let (vk, batch) = sample_batch(shape.slots, shape.inputs)?;
    let input = AggregationInput::new(&vk, &batch)?;
    let mut builder = circuit::builder(CircuitBuilderStage::Keygen, shape.k as usize);
    circuit::build(&mut builder, &input, Stage::Full);
    let config = layout(&mut builder, shape.k)?;
    Ok((builder, config))
}

/// halo2-base's column count for what was built, refusing layouts that would not fit.
fn layout(builder: &mut BaseCircuitBuilder<HaloFr>, k: u32) -> Result<BaseCircuitParams, KeyError> {
    let config = builder.calculate_params(Some(MINIMUM_ROWS));
    // Lookups are k − 1 bits wide; more than a few dozen advice columns means k is far too small
    // for N (each column is a commitment the verifier pays for).
    let columns: usize = config.num_advice_per_phase.iter().sum();
    if columns > 64 {
        return Err(KeyError::DoesNotFit { k, reason: format!("{columns} advice columns; raise k") });
    }
    Ok(config)
}

/// Writes `key` to `path` (through a temporary file).
pub fn write(key: &AggregationKey, path: &Path) -> Result<(), KeyError> {
    let io = |source| KeyError::Io { path: path.to_owned(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let json = serde_json::to_vec(&key.header).map_err(|e| io(e.into()))?;
    let tmp = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(io)?);
    out.write_all(MAGIC).map_err(io)?;
    out.write_all(&(json.len() as u32).to_le_bytes()).map_err(io)?;
    out.write_all(&json).map_err(io)?;
    // The key's length goes here once it is known (streamed: the key is gigabytes).
    let length_at = (MAGIC.len() + 4 + json.len()) as u64;
    out.write_all(&0u64.to_le_bytes()).map_err(io)?;
    key.pk.write(&mut out, SerdeFormat::RawBytesUnchecked).map_err(io)?;
    let mut file = out.into_inner().map_err(|e| io(e.into_error()))?;
    let end = file.stream_position().map_err(io)?;
    file.seek(SeekFrom::Start(length_at)).map_err(io)?;
    file.write_all(&(end - length_at - 8).to_le_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads only the header of a key file.
pub fn read_header(path: &Path) -> Result<KeyHeader, KeyError> {
    let (header, _) = open(path)?;
    Ok(header)
}

fn open(path: &Path) -> Result<(KeyHeader, BufReader<File>), KeyError> {
    let io = |source| KeyError::Io { path: path.to_owned(), source };
    let not_a_key = |reason: &str| KeyError::NotAKey { path: path.to_owned(), reason: reason.to_owned() };
    let file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut magic = vec![0u8; MAGIC.len()];
    r.read_exact(&mut magic).map_err(|_| not_a_key("too short"))?;
    if magic != MAGIC {
        return Err(not_a_key("wrong magic line"));
    }
    let mut len = [0u8; 4];
    r.read_exact(&mut len).map_err(|_| not_a_key("too short"))?;
    let len = u32::from_le_bytes(len) as u64;
    if len > 1 << 24 {
        return Err(not_a_key("header length"));
    }
    let mut json = vec![0u8; len as usize];
    r.read_exact(&mut json).map_err(|_| not_a_key("truncated header"))?;
    let header: KeyHeader = serde_json::from_slice(&json).map_err(|e| not_a_key(&format!("header: {e}")))?;
    let mut pk_bytes = [0u8; 8];
    r.read_exact(&mut pk_bytes).map_err(|_| not_a_key("truncated header"))?;
    let expected = (MAGIC.len() as u64 + 4 + len + 8).saturating_add(u64::from_le_bytes(pk_bytes));
    if size != expected {
        return Err(not_a_key(&format!("{size} bytes, the header says {expected}: truncated or appended to")));
    }
    Ok((header, r))
}

/// Reads a key written by [`write`] for `shape` and `params`.
pub fn read(path: &Path, shape: Shape, params: &KzgParams) -> Result<AggregationKey, KeyError> {
    let (header, mut r) = open(path)?;
    let mismatch = |found: String, wanted: String| KeyError::Mismatch { path: path.to_owned(), found, wanted };
    if header.circuit_version != CIRCUIT_VERSION {
        return Err(mismatch(format!("circuit version {}", header.circuit_version), format!("circuit version {CIRCUIT_VERSION}")));
    }
    if header.shape != shape {
        return Err(mismatch(format!("{:?}", header.shape), format!("{shape:?}")));
    }
    let id = params_id(params);
    if header.params_id != id {
        return Err(mismatch(format!("KZG parameters {}", header.params_id), format!("KZG parameters {id}")));
    }
    let pk = ProvingKey::<G1Affine>::read::<_, BaseCircuitBuilder<HaloFr>>(&mut r, SerdeFormat::RawBytesUnchecked, header.config.clone())
        .map_err(|source| KeyError::Io { path: path.to_owned(), source })?;
    Ok(AggregationKey { header, pk: Arc::new(pk) })
}

/// The key for `shape` from `dir` (named by [`Shape::file_stem`] and the parameters), generated
/// and written there on first use. Returns the key and whether it was generated.
pub fn cached(
    dir: &Path,
    params: &KzgParams,
    shape: Shape,
    on_phase: impl FnMut(&str),
) -> Result<(AggregationKey, bool), KeyError> {
    let path = key_path(dir, params, shape);
    if path.exists() {
        return Ok((read(&path, shape, params)?, false));
    }
    let key = keygen(params, shape, on_phase)?;
    write(&key, &path)?;
    Ok((key, true))
}

/// Where [`cached`] keeps the key for `shape` and `params`.
pub fn key_path(dir: &Path, params: &KzgParams, shape: Shape) -> PathBuf {
    dir.join(format!("{}-{}.aggpk", shape.file_stem(), &params_id(params)[..12]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key file's bytes up to the key itself, with `pk_len` announced and `body` after it.
    fn file(header: &KeyHeader, pk_len: u64, body: &[u8]) -> Vec<u8> {
        let json = serde_json::to_vec(header).unwrap();
        let mut out = MAGIC.to_vec();
        out.extend((json.len() as u32).to_le_bytes());
        out.extend(json);
        out.extend(pk_len.to_le_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn damaged_or_foreign_key_files_are_refused_by_name() {
        let params = super::super::params::insecure_setup(4);
        let shape = Shape { k: 20, slots: 2, inputs: 2 };
        let header = KeyHeader {
            circuit_version: CIRCUIT_VERSION,
            shape,
            config: BaseCircuitParams::default(),
            break_points: vec![],
            params_id: params_id(&params),
            insecure_setup: true,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.aggpk");
        let read_err = |bytes: Vec<u8>, want: Shape| {
            std::fs::write(&path, bytes).unwrap();
            read(&path, want, &params).err().expect("refused").to_string()
        };

        let err = read_err(b"not a key at all, just text".to_vec(), shape);
        assert!(err.contains("k.aggpk") && err.contains("wrong magic line"), "{err}");
        // Truncated: 100 key bytes announced, 10 there (halo2 would panic reading it).
        let err = read_err(file(&header, 100, &[0; 10]), shape);
        assert!(err.contains("truncated"), "{err}");
        let err = read_err(file(&header, 0, &[]), Shape { slots: 4, ..shape });
        assert!(err.contains("was made for") && err.contains("slots: 2"), "{err}");
        let err = read_err(file(&KeyHeader { circuit_version: 0, ..header.clone() }, 0, &[]), shape);
        assert!(err.contains("circuit version 0"), "{err}");
        let err = read_err(file(&KeyHeader { params_id: "00".into(), ..header }, 0, &[]), shape);
        assert!(err.contains("KZG parameters 00"), "{err}");
    }

    #[test]
    fn default_k_grows_with_the_batch() {
        let ks: Vec<u32> = [1, 2, 4, 8, 16, 32, 64].map(Shape::default_k).to_vec();
        assert_eq!(ks, vec![20, 21, 21, 22, 22, 23, 24]);
    }
}
