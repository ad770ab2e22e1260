//! Why a circom or snarkjs file is refused: the problem inside the file, and the file.

use std::path::{Path, PathBuf};

use super::input::InputProblem;
use crate::keys::KeyError;
use crate::prover::ProveError;

/// What is wrong inside a binary file (`.zkey`, `.r1cs`, `.wtns`); [`CircomError`] adds the path.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FormatProblem {
    /// The file does not start with the magic of the format expected.
    #[error("not {kind} file: it starts with \"{found}\", not \"{}\"", String::from_utf8_lossy(*expected))]
    Magic {
        /// The format, as a noun phrase: "a circom .r1cs", "a snarkjs .zkey".
        kind: &'static str,
        /// The format's 4-byte magic.
        expected: &'static [u8; 4],
        /// The file's first bytes (up to four), ASCII-escaped.
        found: String,
    },
    /// The container's version is one zkbatch does not read.
    #[error("unsupported version {found} (zkbatch reads version {supported})")]
    Version {
        /// The file's version.
        found: u32,
        /// The one version zkbatch reads of this format.
        supported: u32,
    },
    /// A section, or the file header, ends before what it should hold.
    #[error("truncated: {what} needs {need} bytes, only {have} are there")]
    Truncated {
        /// The part cut short: "the file header", a section's name.
        what: String,
        /// Bytes it needs, counted from its start.
        need: u64,
        /// Bytes it has.
        have: u64,
    },
    /// A section the format requires is absent; the string names it ("section 3 (IC points)").
    #[error("{0} is missing")]
    MissingSection(String),
    /// A modulus in the header is not BN254's.
    #[error("not over BN254 (\"bn128\"): its {which} modulus is {found}; zkbatch proves over BN254 only")]
    Curve {
        /// "scalar field" or "base field".
        which: &'static str,
        /// The file's modulus, in decimal.
        found: String,
    },
    /// A zkey for another proof system ("PLONK", "FFLONK", "protocol-N"), not Groth16.
    #[error("a {0} key, not Groth16; zkbatch proves Groth16 only")]
    Protocol(String),
    /// The named value (a coordinate, coefficient or witness value) is ≥ its field's modulus.
    #[error("{0} is not a canonical field element (≥ the modulus)")]
    NotCanonical(String),
    /// The named point, in G1 or G2, does not satisfy the curve equation.
    #[error("{0} is not a point on BN254")]
    NotOnCurve(String),
    /// The named G2 point is on the curve but outside the prime-order subgroup.
    #[error("{0} is not in BN254's prime-order subgroup")]
    NotInSubgroup(String),
    /// Any other inconsistency, said in words: counts that disagree, an index out of range,
    /// trailing bytes.
    #[error("{0}")]
    Invalid(String),
}

/// Every error of this module names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum CircomError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A binary file is malformed or not of the kind expected.
    #[error("{path}: {problem}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong inside it.
        problem: FormatProblem,
    },
    /// Inputs were refused, when parsed or by the witness generator.
    #[error("{path}: {problem}")]
    Input {
        /// The `input.json` they came from.
        path: PathBuf,
        /// What is wrong with them.
        problem: InputProblem,
    },
    /// A witness generator could not be loaded, or failed on an input.
    #[error("{path}: {problem}")]
    Wasm {
        /// The `.wasm` module.
        path: PathBuf,
        /// What went wrong.
        problem: WasmProblem,
    },
    /// A witness does not fit the key's circuit: another value count, or a first value other
    /// than 1.
    #[error("{witness} is not a witness for the circuit of {key}: {what}")]
    Mismatch {
        /// Where the witness came from (a `.wtns` or an `input.json`).
        witness: PathBuf,
        /// The key's source, the zkey.
        key: PathBuf,
        /// How it does not fit.
        what: String,
    },
    /// An `.r1cs` is not the key's circuit: other counts, or other A or B rows.
    #[error("{r1cs} is not the circuit of {key}: {what}")]
    OtherCircuit {
        /// The `.r1cs` file.
        r1cs: PathBuf,
        /// The key's source, the zkey.
        key: PathBuf,
        /// The first difference found.
        what: String,
    },
    /// A witness breaks a constraint of the key's circuit, as the proof's self-check found.
    #[error("{witness} does not satisfy the circuit of {key}: the proof made from it does not verify")]
    Unsatisfied {
        /// Where the witness came from.
        witness: PathBuf,
        /// The key's source, the zkey.
        key: PathBuf,
    },
    /// The prover failed, or could not be built from the key.
    #[error("{witness}: {source}")]
    Prove {
        /// Where the witness came from; the key's path when the prover could not be built.
        witness: PathBuf,
        /// The prover's error.
        source: ProveError,
    },
    /// A zkbatch proving key could not be read, encoded or set up.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl CircomError {
    pub(crate) fn format(path: &Path) -> impl Fn(FormatProblem) -> CircomError + '_ {
        move |problem| CircomError::Format { path: path.to_path_buf(), problem }
    }
}

/// What is wrong with a witness generator or one of its runs; [`CircomError::Wasm`] adds the
/// module's path.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WasmProblem {
    /// wasmi refused the bytes as a WebAssembly module; its message.
    #[error("not a WebAssembly module: {0}")]
    Module(String),
    /// A module that is not a circom 2 generator: an import or export missing or of another type,
    /// another circom version, or shared memory outside its linear memory.
    #[error("not a circom 2 witness generator: {0}")]
    NotCircom(String),
    /// The generator's prime, in decimal, is not BN254's scalar field modulus.
    #[error("the circuit is over another field (prime {0}); zkbatch proves over BN254 only")]
    Field(String),
    /// circom's runtime raised an exception: a failed `assert`, an unknown signal, and so on.
    #[error("the witness generator failed on {input}: {message}")]
    Exception {
        /// The inputs' source.
        input: PathBuf,
        /// Which exception, with circom's own messages (template and line) when it gave any.
        message: String,
    },
    /// The module trapped, or could not be instantiated, without a circom exception.
    #[error("the witness generator trapped on {input}: {message}")]
    Trap {
        /// The inputs' source.
        input: PathBuf,
        /// wasmi's message.
        message: String,
    },
    /// The generator left a value ≥ the modulus for the witness signal of this index.
    #[error("the witness generator returned a value ≥ the field modulus for signal {0}")]
    BadValue(u32),
}
