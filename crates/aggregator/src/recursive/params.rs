//! KZG parameters (the structured reference string) for the aggregation circuit.
//!
//! Two sources:
//! - a file in halo2's raw format (`k: u32 LE ‖ g[2^k] ‖ g_lagrange[2^k] ‖ g2 ‖ s_g2`), which is
//!   what a production deployment uses, converted once from a public powers-of-tau ceremony
//!   (see `docs/recursive-aggregation.md`, "KZG parameters");
//! - [`insecure_setup`], a deterministic setup whose secret τ comes from a public seed. Anyone can
//!   forge proofs against it: it exists for tests and the local demo, and every file it writes
//!   says so in its name.
//!
//! A file read here is checked for what a bad file would break silently: its `k`, and that its
//! points are on their curves (`SerdeFormat::RawBytes`). A mismatched τ (g and s_g2 from different
//! ceremonies) is not detectable cheaply; it makes every proof fail to verify, which proving
//! reports (the prover verifies its own proof before returning it).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use halo2_base::halo2_proofs::halo2curves::bn256::Bn256;
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;
use ark_ec::scalar_mul::ScalarMul;
use ark_ec::PrimeGroup;
use halo2_base::halo2_proofs::halo2curves::bn256::{Fr as HaloFr, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::ff::{BatchInvert, Field, PrimeField};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use super::convert;

/// BN254 KZG parameters, as halo2 uses them.
pub type KzgParams = ParamsKZG<Bn256>;

/// Why parameters could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// A parameters file could not be read or is not halo2's raw format with every point on its
    /// curve; also a powers-of-tau file whose [τ]G2 the circuit's conversion refuses.
    #[error("reading KZG parameters {path}: {source} (expected halo2's raw ParamsKZG format; see docs/recursive-aggregation.md)")]
    Read {
        /// The file.
        path: PathBuf,
        /// What reading failed with.
        source: std::io::Error,
    },
    /// A parameters file could not be written.
    #[error("writing KZG parameters {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What writing failed with.
        source: std::io::Error,
    },
    /// A powers-of-tau file could not be read, holds fewer than 2^k powers, or its points are not
    /// powers of one τ from the generators.
    #[error(transparent)]
    Ptau(#[from] zkbatch_prover::circom::CircomError),
    /// The file has fewer points than 2^k rows need.
    #[error("KZG parameters {path} have 2^{got} points; the circuit needs 2^{want}")]
    TooSmall {
        /// The file.
        path: PathBuf,
        /// The file's k.
        got: u32,
        /// The k asked for.
        want: u32,
    },
}

/// The seed of [`insecure_setup`]: public, so τ is public.
const INSECURE_SEED: [u8; 32] = *b"zkbatch insecure local KZG setup";

/// The public τ of [`insecure_setup`]: drawn from the seed exactly as `ParamsKZG::setup` draws it.
fn insecure_tau() -> HaloFr {
    HaloFr::random(ChaCha20Rng::from_seed(INSECURE_SEED))
}

/// [τ]G2 of [`insecure_setup`], the same at every k: what a verifier made from those parameters
/// checks against, and what tells them apart from a ceremony's.
pub fn insecure_s_g2() -> G2Affine {
    (G2Affine::generator() * insecure_tau()).into()
}

/// Whether `params` come from [`insecure_setup`] (their [τ]G2 is its public τ's), however they
/// were loaded: a file, a cache, or made here.
pub fn is_insecure(params: &KzgParams) -> bool {
    params.s_g2() == insecure_s_g2()
}

/// Deterministic parameters for 2^k rows from a public seed. INSECURE: τ is known to everyone,
/// so proofs can be forged. For tests and the local demo only.
///
/// The same parameters as `ParamsKZG::setup(k, ChaCha20Rng::from_seed(seed))` (a test compares
/// them), computed with fixed-base tables (arkworks' `batch_mul`) instead of one full scalar
/// multiplication per point: 9.5× faster (BENCHMARKS.md).
pub fn insecure_setup(k: u32) -> KzgParams {
    let tau = insecure_tau();
    let n = 1usize << k;
    let mut powers = Vec::with_capacity(n);
    let mut power = HaloFr::ONE;
    for _ in 0..n {
        powers.push(power);
        power *= tau;
    }
    // Lagrange basis at τ over halo2's domain ω: lᵢ(τ) = (τⁿ − 1)/n · ωⁱ / (τ − ωⁱ).
    let mut omega = HaloFr::ROOT_OF_UNITY;
    for _ in k..HaloFr::S {
        omega = omega.square();
    }
    let multiplier = (power - HaloFr::ONE) * HaloFr::from(n as u64).invert().unwrap_or(HaloFr::ZERO);
    let mut omega_i = Vec::with_capacity(n);
    let mut w = HaloFr::ONE;
    for _ in 0..n {
        omega_i.push(w);
        w *= omega;
    }
    let mut denominators: Vec<HaloFr> = omega_i.iter().map(|w| tau - w).collect();
    denominators.iter_mut().batch_invert();
    let lagrange: Vec<HaloFr> = omega_i.iter().zip(&denominators).map(|(w, d)| multiplier * w * d).collect();

    let g = fixed_base_g1(&powers);
    let g_lagrange = fixed_base_g1(&lagrange);
    let g2 = G2Affine::generator();
    let s_g2 = (g2 * tau).into();
    // `from_parts` is a method; a 2-point setup is the cheapest receiver.
    ParamsKZG::<Bn256>::setup(1, ChaCha20Rng::from_seed([0; 32])).from_parts(k, g, Some(g_lagrange), g2, s_g2)
}

/// `[s]G` for each s, G the generator of G1.
fn fixed_base_g1(scalars: &[HaloFr]) -> Vec<G1Affine> {
    let scalars: Vec<ark_bn254::Fr> = scalars.par_iter().map(convert::fr_to_ark).collect();
    let points = ark_bn254::G1Projective::generator().batch_mul(&scalars);
    points.par_iter().map(convert::g1_from_ark).collect()
}

/// The file name [`insecure_cached`] uses: it says what the file is.
pub fn insecure_file_name(k: u32) -> String {
    format!("kzg_bn254_{k}.INSECURE-test-only.srs")
}

/// [`insecure_setup`] cached in `dir`: computed once (a minute at k = 20 on two cores), read
/// afterwards.
pub fn insecure_cached(dir: &Path, k: u32) -> Result<KzgParams, ParamsError> {
    let path = dir.join(insecure_file_name(k));
    if path.exists() {
        return read(&path, k);
    }
    let params = insecure_setup(k);
    write(&params, &path)?;
    Ok(params)
}

/// [`from_ptau`] cached in `dir` (`kzg_bn254_{k}.from-{stem}.srs`): converted once (minutes),
/// read afterwards. `zkbatch aggregate --ptau` and the aggregate role share the file.
pub fn from_ptau_cached(ptau: &Path, dir: &Path, k: u32) -> Result<KzgParams, ParamsError> {
    let stem = ptau.file_stem().map_or_else(|| "ptau".into(), |s| s.to_string_lossy().into_owned());
    let cached = dir.join(format!("kzg_bn254_{k}.from-{stem}.srs"));
    if cached.exists() {
        return read(&cached, k);
    }
    let params = from_ptau(ptau, k)?;
    write(&params, &cached)?;
    Ok(params)
}

/// Parameters for 2^k rows from a snarkjs powers-of-tau file (a public ceremony's, for
/// production): its first 2^k powers [τⁱ]G1 and [τ]G2, checked (see
/// `zkbatch_prover::circom::ptau`); the Lagrange basis is computed by halo2 (an FFT over G1:
/// minutes at k = 20, once; write the result with [`write`] and load that afterwards).
pub fn from_ptau(path: &Path, k: u32) -> Result<KzgParams, ParamsError> {
    let powers = zkbatch_prover::circom::ptau::read_powers(path, k)?;
    let g: Vec<G1Affine> = powers.tau_g1.par_iter().map(convert::g1_from_ark).collect();
    let s_g2 = convert::g2(&powers.tau_g2, "tauG2[1]").map_err(|e| ParamsError::Read {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    })?;
    Ok(ParamsKZG::<Bn256>::setup(1, ChaCha20Rng::from_seed([0; 32])).from_parts(k, g, None, G2Affine::generator(), s_g2))
}

/// Reads parameters from `path` and cuts them down to 2^k points if the file has more.
pub fn read(path: &Path, k: u32) -> Result<KzgParams, ParamsError> {
    let err = |source| ParamsError::Read { path: path.to_owned(), source };
    let file = File::open(path).map_err(err)?;
    let mut params = ParamsKZG::<Bn256>::read_custom(&mut BufReader::with_capacity(1 << 20, file), SerdeFormat::RawBytes).map_err(err)?;
    if params.k() < k {
        return Err(ParamsError::TooSmall { path: path.to_owned(), got: params.k(), want: k });
    }
    if params.k() > k {
        params.downsize(k);
    }
    Ok(params)
}

/// Writes parameters to `path` (through a temporary file, so a crash leaves no half file).
pub fn write(params: &KzgParams, path: &Path) -> Result<(), ParamsError> {
    let err = |source| ParamsError::Write { path: path.to_owned(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(err)?);
    params.write_custom(&mut out, SerdeFormat::RawBytes).map_err(err)?;
    out.flush().map_err(err)?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(params: &KzgParams) -> Vec<u8> {
        let mut out = Vec::new();
        params.write_custom(&mut out, SerdeFormat::RawBytes).expect("write to memory");
        out
    }

    #[test]
    fn insecure_setup_is_halo2s_setup_with_the_public_seed() {
        for k in [1, 4, 7] {
            let theirs = ParamsKZG::<Bn256>::setup(k, ChaCha20Rng::from_seed(INSECURE_SEED));
            // The whole file: k, g, g_lagrange, g2, s·g2.
            assert!(bytes(&insecure_setup(k)) == bytes(&theirs), "k = {k}");
        }
    }

    #[test]
    fn a_truncated_file_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.srs");
        write(&insecure_setup(3), &path).expect("write");
        assert!(bytes(&read(&path, 3).expect("read back")) == bytes(&insecure_setup(3)));
        assert!(matches!(read(&path, 4), Err(ParamsError::TooSmall { got: 3, want: 4, .. })));
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 10]).expect("truncate");
        let err = read(&path, 3).expect_err("truncated");
        assert!(err.to_string().contains("p.srs"), "{err}");
    }
}
