//! circom and snarkjs files: prove with the keys and witnesses circom users already have.
//!
//! - [`zkey`]: a snarkjs Groth16 `.zkey` as a [`ProvingKey`] under the circom reduction.
//! - [`r1cs`]: circom's constraint system (`.r1cs`), for the C matrix a zkey lacks.
//! - [`wtns`]: circom's witness files (`.wtns`), read and written.
//! - [`wasm`] and [`input`]: circom's `.wasm` witness generator run in process on an `input.json`,
//!   as `snarkjs wtns calculate` does, without node.
//! - [`cached_zkey`]: a zkey converted once and kept in zkbatch's fast-loading key format.
//!
//! The formats are parsed here rather than with ark-circom 0.6: its zkey and R1CS readers index
//! and unwrap on what the file says (a malformed file panics: a missing section, a coefficient
//! beyond the matrix), read value by value, and check neither the curve nor the points; and it
//! depends on wasmer unconditionally, which with cranelift is 222 crates and 756 s of CPU to build
//! (1.4 GB of target), against 9 crates and 40 s for wasmi, which runs the witness generator here.
//! Its CircomReduction is a dozen lines, re-done in [`crate::qap::CircomReduction`].

pub(crate) mod binfile;
mod error;
pub mod input;
pub mod ptau;
pub mod r1cs;
pub mod wasm;
pub mod wtns;
pub mod zkey;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ark_bn254::Bn254;
use ark_ff::UniformRand;
use ark_std::rand::Rng;

use crate::keys::KeyCache;
use crate::{Fr, Proof, ProofReport, Prover, ProvingKey};

pub use error::{CircomError, FormatProblem};

/// Checks that a witness from `witness` (a `.wtns` or a run of a `.wasm`) fits `key`'s circuit:
/// as many values as variables, and the constant 1 first.
pub fn check_witness(key: &ProvingKey, z: &[Fr], witness: &Path, key_path: &Path) -> Result<(), CircomError> {
    let mismatch = |what: String| CircomError::Mismatch { witness: witness.to_path_buf(), key: key_path.to_path_buf(), what };
    let vars = key.r1cs.num_variables();
    if z.len() != vars {
        return Err(mismatch(format!("it has {} values, the circuit {vars} variables", z.len())));
    }
    if z.first() != Some(&Fr::from(1u64)) {
        return Err(mismatch("its first value, the constant signal, is not 1".into()));
    }
    Ok(())
}

/// The proving key of `zkey_path`, converted on first use and then loaded from `cache` (keyed by
/// the zkey's BLAKE3 hash, so an edited zkey is converted again). Returns the key and whether it
/// came from the cache. Without a cache, converts every time.
pub fn cached_zkey(zkey_path: &Path, cache: Option<&KeyCache>) -> Result<(ProvingKey, bool), CircomError> {
    let bytes = binfile::read_file(zkey_path)?;
    let Some(cache) = cache else {
        return Ok((zkey::from_bytes(&bytes, zkey_path)?, false));
    };
    let mut hasher = blake3::Hasher::new();
    hasher.update_rayon(&bytes);
    let name = format!("zkey-{}", hasher.finalize().to_hex());
    if let Some(key) = cache.load(&name) {
        return Ok((key, true));
    }
    let key = zkey::from_bytes(&bytes, zkey_path)?;
    cache.store(&name, &key);
    Ok((key, false))
}

/// A [`Prover`] for circom keys that refuses to hand out a proof that does not verify.
///
/// A zkey holds no C matrix, so a witness that breaks a constraint cannot be caught while
/// proving, as it is for keys with all three matrices (the proof would just be invalid, which is
/// what snarkjs hands out). Checking the proof against the verifying key costs one multi-pairing,
/// a few milliseconds; keys given a C matrix (from the circuit's `.r1cs`) name the broken
/// constraint instead and skip it.
pub struct CircomProver {
    prover: Prover,
    pvk: ark_groth16::PreparedVerifyingKey<Bn254>,
    key_path: PathBuf,
}

impl CircomProver {
    /// `key_path` names the key's source (the zkey) in errors.
    pub fn new(prover: Prover, key_path: &Path) -> CircomProver {
        let pvk = ark_groth16::prepare_verifying_key(prover.key().verifying_key());
        CircomProver { prover, pvk, key_path: key_path.to_path_buf() }
    }

    /// A prover for `key`, whose source `key_path` names in errors. Fails as [`Prover::new`] does
    /// (a key whose parts do not fit together, an MSM engine that cannot be set up).
    pub fn from_key(key: ProvingKey, key_path: &Path) -> Result<CircomProver, CircomError> {
        let prover = Prover::new(Arc::new(key)).map_err(|source| CircomError::Prove { witness: key_path.to_path_buf(), source })?;
        Ok(CircomProver::new(prover, key_path))
    }

    /// The prover underneath, for its key and MSM engine.
    pub fn prover(&self) -> &Prover {
        &self.prover
    }

    /// A proof and the public signals for the full witness `z`, which came from `witness`
    /// (named in errors).
    pub fn prove<R: Rng>(&self, z: &[Fr], witness: &Path, rng: &mut R) -> Result<(Proof, Vec<Fr>, ProofReport), CircomError> {
        let key = self.prover.key();
        check_witness(key, z, witness, &self.key_path)?;
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));
        let (proof, mut report) =
            self.prover.prove_assignment(z, r, s).map_err(|source| CircomError::Prove { witness: witness.to_path_buf(), source })?;
        let public = z[1..key.r1cs.num_instance].to_vec();
        if key.r1cs.c.is_empty() {
            let start = Instant::now();
            let valid = ark_groth16::Groth16::<Bn254>::verify_proof(&self.pvk, &proof, &public).unwrap_or(false);
            tracing::debug!(phase = "self_check", ms = start.elapsed().as_secs_f64() * 1e3);
            report.total += start.elapsed();
            if !valid {
                return Err(CircomError::Unsatisfied { witness: witness.to_path_buf(), key: self.key_path.clone() });
            }
        }
        Ok((proof, public, report))
    }
}

/// Gives a zkey's key the C matrix of the circuit's `.r1cs`, so that a witness that breaks a
/// constraint is refused naming it. Refuses an `.r1cs` whose A and B are not the zkey's.
pub fn attach_r1cs(key: &mut ProvingKey, circuit: &r1cs::CircomR1cs, r1cs_path: &Path, key_path: &Path) -> Result<(), CircomError> {
    let mismatch = |what: String| CircomError::OtherCircuit { r1cs: r1cs_path.to_path_buf(), key: key_path.to_path_buf(), what };
    let ours = &key.r1cs;
    let theirs = &circuit.r1cs;
    if theirs.num_instance != ours.num_instance || theirs.num_witness != ours.num_witness || theirs.num_constraints() != ours.num_constraints() {
        return Err(mismatch(format!(
            "it has {} constraints over {} wires ({} public), the key {} over {} ({} public)",
            theirs.num_constraints(),
            theirs.num_variables(),
            theirs.num_instance - 1,
            ours.num_constraints(),
            ours.num_variables(),
            ours.num_instance - 1
        )));
    }
    let sorted = |row: &[(Fr, usize)]| {
        let mut row: Vec<(usize, Fr)> = row.iter().filter(|(v, _)| *v != Fr::from(0u64)).map(|(v, i)| (*i, *v)).collect();
        row.sort_by_key(|(i, _)| *i);
        row
    };
    for (name, a, b) in [("A", &ours.a, &theirs.a), ("B", &ours.b, &theirs.b)] {
        if let Some(row) = a.iter().zip(b.iter()).position(|(x, y)| sorted(x) != sorted(y)) {
            return Err(mismatch(format!("row {row} of {name} differs from the key's")));
        }
    }
    key.r1cs.c = theirs.c.clone();
    Ok(())
}
