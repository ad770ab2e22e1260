//! Proving keys: setup, and a file format that loads fast.
//!
//! Layout (all integers little-endian):
//! ```text
//! 0    8   magic "ZKBATCHK"
//! 8    4   format version (2)
//! 12   8   payload length in bytes
//! 20  32   BLAKE3 hash of the payload
//! 52   …   payload: circuit id, Groth16 proving key, R1CS matrices, reduction (arkworks, uncompressed)
//! ```
//! Version 2 added the reduction tag (libsnark for `zkbatch setup`, circom for keys converted from
//! a snarkjs zkey): H points are only valid with the reduction they were made for.
//! Points are stored uncompressed and read without curve or subgroup checks: that is what makes
//! loading fast. The hash over the payload, checked on every load, is what makes skipping the checks
//! safe against truncated or corrupted files; a key file is the prover's own artefact, not input
//! from strangers.

use std::fs;
use std::path::{Path, PathBuf};

use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_relations::gr1cs::{ConstraintSynthesizer, SynthesisError};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use ark_std::rand::{CryptoRng, RngCore};

use crate::qap::{CircomReduction, Reduction};
use crate::r1cs::R1cs;
use crate::{Fr, VerifyingKey};

const MAGIC: &[u8; 8] = b"ZKBATCHK";
/// The key-file format version this build writes, and the only one it reads.
pub const FORMAT_VERSION: u32 = 2;
const HEADER_LEN: usize = 8 + 4 + 8 + 32;

/// A Groth16 proving key together with the constraint matrices it was made for.
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ProvingKey {
    /// Which circuit this key proves, e.g. `merkle-20` (see [`crate::circuits::CircuitSpec`]).
    pub circuit: String,
    /// The Groth16 proving key proper, its verifying key included.
    pub groth16: ark_groth16::ProvingKey<Bn254>,
    /// A and B always; C may be empty under the circom reduction (a zkey holds no C, and the
    /// reduction does not need it), in which case the prover cannot name a broken constraint.
    pub r1cs: R1cs,
    /// Which R1CS-to-QAP reduction the H points were made for.
    pub reduction: Reduction,
}

/// Why a proving key could not be made, written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a file or folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The file does not start with the `ZKBATCHK` magic.
    #[error("{path} is not a zkbatch proving key (it does not start with the ZKBATCHK magic); make one with `zkbatch setup`")]
    Foreign {
        /// The file refused.
        path: PathBuf,
    },
    /// The file is of a format version other than [`FORMAT_VERSION`].
    #[error("{path} is a proving key of format version {found}, this zkbatch reads version {FORMAT_VERSION}; run `zkbatch setup` again")]
    Version {
        /// The file refused.
        path: PathBuf,
        /// The version in the file's header.
        found: u32,
    },
    /// The file is shorter than its header, or its payload is not the length the header announces.
    #[error("{path} is truncated: the header announces {expected} bytes of key, the file holds {found}")]
    Truncated {
        /// The file refused.
        path: PathBuf,
        /// Payload bytes the header announces, or the header's own length if the file is shorter.
        expected: u64,
        /// Payload bytes present, or the whole file's length if it is shorter than a header.
        found: u64,
    },
    /// The payload's BLAKE3 hash does not match the one in the header.
    #[error("{path} is corrupt: its content hash does not match its header")]
    Corrupt {
        /// The file refused.
        path: PathBuf,
    },
    /// The payload hashes correctly but is not an arkworks encoding of a key.
    #[error("{path} could not be decoded: {source}")]
    Decode {
        /// The file refused.
        path: PathBuf,
        /// What arkworks' deserialiser refused.
        source: SerializationError,
    },
    /// The key decodes but its parts do not fit together (see [`ProvingKey::check_shape`]).
    #[error("{path} is inconsistent: {what}")]
    Inconsistent {
        /// The file refused.
        path: PathBuf,
        /// Which part does not fit, and how.
        what: String,
    },
    /// arkworks could not serialise the key.
    #[error("could not encode the proving key: {0}")]
    Encode(SerializationError),
    /// Synthesising the circuit or generating the Groth16 parameters failed.
    #[error("setup failed: {0}")]
    Setup(#[from] SynthesisError),
}

impl ProvingKey {
    /// A fresh circuit-specific setup. The toxic waste comes from `rng`: this is a local,
    /// single-party setup, fine for development and for circuits whose prover is also the verifier's
    /// trust anchor; production circom circuits bring a zkey from a ceremony instead.
    pub fn setup<C, R>(circuit_id: &str, blank: C, rng: &mut R) -> Result<ProvingKey, KeyError>
    where
        C: ConstraintSynthesizer<Fr> + Clone,
        R: RngCore + CryptoRng,
    {
        ProvingKey::setup_with_reduction(circuit_id, blank, Reduction::Libsnark, rng)
    }

    /// [`ProvingKey::setup`] for either reduction; the circom one makes keys shaped like a
    /// snarkjs zkey's (for tests and benchmarks of that path without snarkjs).
    pub fn setup_with_reduction<C, R>(circuit_id: &str, blank: C, reduction: Reduction, rng: &mut R) -> Result<ProvingKey, KeyError>
    where
        C: ConstraintSynthesizer<Fr> + Clone,
        R: RngCore + CryptoRng,
    {
        let r1cs = R1cs::from_circuit(blank.clone())?;
        let groth16 = match reduction {
            Reduction::Libsnark => ark_groth16::Groth16::<Bn254>::generate_random_parameters_with_reduction(blank, rng)?,
            Reduction::Circom => {
                ark_groth16::Groth16::<Bn254, CircomReduction>::generate_random_parameters_with_reduction(blank, rng)?
            }
        };
        Ok(ProvingKey { circuit: circuit_id.to_string(), groth16, r1cs, reduction })
    }

    /// The verifying key that goes with this proving key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.groth16.vk
    }

    /// The key file's bytes: header and payload as laid out in the module docs; fails only if the
    /// key cannot be encoded.
    pub fn to_bytes(&self) -> Result<Vec<u8>, KeyError> {
        let mut payload = Vec::with_capacity(self.uncompressed_size());
        self.serialize_uncompressed(&mut payload).map_err(KeyError::Encode)?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(blake3::hash(&payload).as_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Decodes a key file's bytes; `path` only names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ProvingKey, KeyError> {
        let path = || path.to_path_buf();
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(KeyError::Foreign { path: path() });
        }
        if bytes.len() < HEADER_LEN {
            return Err(KeyError::Truncated { path: path(), expected: HEADER_LEN as u64, found: bytes.len() as u64 });
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(KeyError::Version { path: path(), found: version });
        }
        let expected = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let payload = &bytes[HEADER_LEN..];
        if payload.len() as u64 != expected {
            return Err(KeyError::Truncated { path: path(), expected, found: payload.len() as u64 });
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update_rayon(payload);
        if hasher.finalize().as_bytes() != &bytes[20..52] {
            return Err(KeyError::Corrupt { path: path() });
        }
        let key = ProvingKey::deserialize_uncompressed_unchecked(payload).map_err(|source| KeyError::Decode { path: path(), source })?;
        key.check_shape().map_err(|what| KeyError::Inconsistent { path: path(), what })?;
        Ok(key)
    }

    /// Checks that the Groth16 key and the matrices describe the same circuit, so that a key that
    /// decodes but does not fit together is refused here instead of failing inside the prover.
    pub fn check_shape(&self) -> Result<(), String> {
        self.check_shape_with(&KeyPoints::of(self))
    }

    /// [`ProvingKey::check_shape`] with the points held elsewhere (a key image's).
    pub fn check_shape_with(&self, points: &KeyPoints<'_>) -> Result<(), String> {
        let r1cs = &self.r1cs;
        let pk = &self.groth16;
        let vars = r1cs.num_variables();
        let domain = crate::qap::domain(r1cs).map_err(|e| e.to_string())?;
        let expect = |name: &str, got: usize, want: usize| {
            if got == want { Ok(()) } else { Err(format!("{name} has {got} entries, the circuit needs {want}")) }
        };
        expect("a_query", points.a.len(), vars)?;
        expect("b_g1_query", points.b_g1.len(), vars)?;
        expect("b_g2_query", points.b_g2.len(), vars)?;
        expect("l_query", points.l.len(), r1cs.num_witness)?;
        expect("h_query", points.h.len(), self.reduction.h_len(ark_poly::EvaluationDomain::size(&domain)))?;
        expect("the verifying key's IC", pk.vk.gamma_abc_g1.len(), r1cs.num_instance)?;
        crate::verify::check_key(&pk.vk).map_err(|e| e.to_string())?;
        if r1cs.num_instance == 0 {
            return Err("the circuit has no constant-one variable".into());
        }
        let m = r1cs.num_constraints();
        let c_optional = self.reduction == Reduction::Circom && r1cs.c.is_empty();
        if r1cs.b.len() != m || (r1cs.c.len() != m && !c_optional) {
            return Err("the A, B and C matrices have different numbers of rows".into());
        }
        for (name, matrix) in [("A", &r1cs.a), ("B", &r1cs.b), ("C", &r1cs.c)] {
            if let Some(row) = matrix.iter().position(|row| row.iter().any(|(_, col)| *col >= vars)) {
                return Err(format!("row {row} of {name} refers to a variable beyond the {vars} the circuit has"));
            }
        }
        Ok(())
    }

    /// Writes the key file to `path`, replacing any file there.
    pub fn write(&self, path: &Path) -> Result<(), KeyError> {
        let bytes = self.to_bytes()?;
        fs::write(path, bytes).map_err(|source| KeyError::Io { path: path.to_path_buf(), source })
    }

    /// Reads a key file; refuses what [`ProvingKey::from_bytes`] refuses.
    pub fn read(path: &Path) -> Result<ProvingKey, KeyError> {
        let bytes = fs::read(path).map_err(|source| KeyError::Io { path: path.to_path_buf(), source })?;
        ProvingKey::from_bytes(&bytes, path)
    }
}

/// A proving key's points, wherever they live (the key's own vectors, or a key image: see `mapped`).
#[derive(Clone, Copy, Debug)]
pub struct KeyPoints<'a> {
    /// The A query (every wire, the constant one first).
    pub a: &'a [G1Affine],
    /// The B query in G1.
    pub b_g1: &'a [G1Affine],
    /// The B query in G2.
    pub b_g2: &'a [G2Affine],
    /// The H query.
    pub h: &'a [G1Affine],
    /// The L query.
    pub l: &'a [G1Affine],
}

impl<'a> KeyPoints<'a> {
    /// The points of a key that holds its own.
    pub fn of(key: &'a ProvingKey) -> KeyPoints<'a> {
        let pk = &key.groth16;
        KeyPoints { a: &pk.a_query, b_g1: &pk.b_g1_query, b_g2: &pk.b_g2_query, h: &pk.h_query, l: &pk.l_query }
    }
}

/// A folder of proving keys converted from other formats (snarkjs zkeys), each named after a
/// hash of its source, so that the second run loads the fast format instead of converting again.
#[derive(Clone, Debug)]
pub struct KeyCache {
    dir: PathBuf,
}

impl KeyCache {
    /// A cache in `dir`; the folder is made on the first store, not here.
    pub fn new(dir: impl Into<PathBuf>) -> KeyCache {
        KeyCache { dir: dir.into() }
    }

    /// `$ZKBATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/zkbatch`, else `~/.cache/zkbatch`.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        var("ZKBATCH_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("zkbatch")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("zkbatch")))
    }

    /// The folder the cached keys are kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the key named `name` is, or would be, cached: `<dir>/<name>.pk`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.pk"))
    }

    /// The cached key, or `None` when there is none or it does not load (a damaged or older-format
    /// entry is converted again and replaced, not an error).
    pub fn load(&self, name: &str) -> Option<ProvingKey> {
        let path = self.path(name);
        if !path.exists() {
            return None;
        }
        match ProvingKey::read(&path) {
            Ok(key) => Some(key),
            Err(err) => {
                tracing::warn!(%err, "ignoring the cached proving key");
                None
            }
        }
    }

    /// Best effort: a cache that cannot be written costs a conversion next time, not the proof.
    /// Written to a temporary name and renamed, so a concurrent run never loads half a file.
    pub fn store(&self, name: &str, key: &ProvingKey) {
        let path = self.path(name);
        let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let result = fs::create_dir_all(&self.dir)
            .map_err(|source| KeyError::Io { path: self.dir.clone(), source })
            .and_then(|()| key.write(&tmp))
            .and_then(|()| fs::rename(&tmp, &path).map_err(|source| KeyError::Io { path: path.clone(), source }));
        if let Err(err) = result {
            let _ = fs::remove_file(&tmp);
            tracing::warn!(%err, "could not cache the proving key");
        }
    }
}
