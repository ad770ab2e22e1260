//! Multi-scalar multiplication engines. MSMs are most of Groth16's proving time; the pipeline calls
//! them only through [`Msm`], so faster engines (tuned CPU, CUDA) slot in without touching it.
//!
//! - [`ArkworksMsm`]: arkworks' own parallel Pippenger, the baseline.
//! - [`CpuMsm`]: this crate's engine: signed-digit Pippenger (`digits`, `pippenger`) with
//!   batch-affine bucket accumulation (`batch_affine`, over the points of `affine`), window width
//!   and the split over threads chosen per call from a cost model, precomputed tables for a
//!   proving key's fixed bases (`tables`) within a memory budget, and additions eight at a time
//!   with AVX-512 IFMA (`ifma`) where the CPU has it; `field` has the scalar arithmetic and says,
//!   per field, which vector kernel it has.
//!
//! [`default_engine`] picks the best engine, or the one named by `ZKBATCH_MSM` (`cpu`,
//! `cpu-scalar`, `arkworks`); `ZKBATCH_MSM_TABLE_MB` sets the table budget per proving key (0: no
//! tables).

// Unsafe code is allowed in these modules alone: the vector kernel, the prefetch hint and the
// mulx multiplication; each block says why it is sound (`SAFETY:`).
mod affine;
mod batch_affine;
mod digits;
#[allow(unsafe_code)]
mod field;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod ifma;
mod pippenger;
#[allow(unsafe_code)]
mod prefetch;
mod tables;

use std::ffi::OsStr;
use std::str::FromStr;

use ark_bn254::{G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::VariableBaseMSM;

use crate::ScalarBigInt;
use batch_affine::Arithmetic;
use tables::{PlannedTable, Table};

/// Computes `Σ scalarsᵢ · basesᵢ` over G1 and G2. `bases` and `scalars` have equal lengths.
pub trait Msm: Send + Sync {
    /// A short name, reported in proof reports and logs.
    fn name(&self) -> &'static str;
    /// An MSM over any G1 bases, with nothing precomputed for them.
    fn g1(&self, bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective;
    /// An MSM over any G2 bases, with nothing precomputed for them.
    fn g2(&self, bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective;

    /// Hands the engine a proving key's base vectors before its first proof, so that it can
    /// precompute for them (a second call replaces the first). The caller keeps these slices
    /// alive and unchanged for as long as it keeps the engine, and passes the very same slices to
    /// [`Msm::key_g1`] and [`Msm::key_g2`]; an engine treats any other slice as unprepared. The
    /// default does nothing.
    fn prepare(&mut self, _key: &KeyBases<'_>) {}

    /// An MSM over one of the prepared key's G1 base vectors (`bases` is that vector).
    fn key_g1(&self, _which: KeyG1, bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
        self.g1(bases, scalars)
    }

    /// An MSM over the prepared key's G2 base vector (`bases` is that vector).
    fn key_g2(&self, bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
        self.g2(bases, scalars)
    }
}

/// The base vectors of a Groth16 proving key, as the prover's MSMs use them.
#[derive(Clone, Copy, Debug)]
pub struct KeyBases<'a> {
    /// The A query less its first entry (the constant-one wire): one base per other wire.
    pub a: &'a [G1Affine],
    /// The B query in G1 less its first entry, likewise.
    pub b_g1: &'a [G1Affine],
    /// The B query in G2 less its first entry, likewise.
    pub b_g2: &'a [G2Affine],
    /// The H query: one base per QAP scalar (h's coefficients, or for a circom key P's values at the odd roots).
    pub h: &'a [G1Affine],
    /// The L query: one base per private wire.
    pub l: &'a [G1Affine],
}

/// Which of a key's G1 base vectors an MSM runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyG1 {
    /// [`KeyBases::a`], the A query.
    A,
    /// [`KeyBases::b_g1`], the B query in G1.
    BG1,
    /// [`KeyBases::h`], the H query.
    H,
    /// [`KeyBases::l`], the L query.
    L,
}

impl<'a> KeyBases<'a> {
    fn g1(&self, which: KeyG1) -> &'a [G1Affine] {
        match which {
            KeyG1::A => self.a,
            KeyG1::BG1 => self.b_g1,
            KeyG1::H => self.h,
            KeyG1::L => self.l,
        }
    }
}

/// Why the environment could not choose an engine ([`select_engine`]).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MsmError {
    /// `ZKBATCH_MSM` names no engine (or is not UTF-8); holds its value.
    #[error("ZKBATCH_MSM={0:?} names no MSM engine; use `cpu` (the default), `cpu-scalar` or `arkworks`")]
    UnknownEngine(String),
    /// `ZKBATCH_MSM_TABLE_MB` is not a whole number of MiB (or is not UTF-8); holds its value.
    #[error("ZKBATCH_MSM_TABLE_MB={0:?} is not a whole number of MiB (0 turns tables off)")]
    TableBudget(String),
}

/// The engines [`engine`] can make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// [`CpuMsm`], the default.
    Cpu,
    /// [`CpuMsm`] with scalar field arithmetic only ([`CpuMsm::scalar_arithmetic`]).
    CpuScalar,
    /// [`ArkworksMsm`].
    Arkworks,
}

impl FromStr for EngineKind {
    type Err = MsmError;

    fn from_str(s: &str) -> Result<EngineKind, MsmError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(EngineKind::Cpu),
            "cpu-scalar" => Ok(EngineKind::CpuScalar),
            "arkworks" | "ark" => Ok(EngineKind::Arkworks),
            _ => Err(MsmError::UnknownEngine(s.to_string())),
        }
    }
}

/// arkworks' parallel Pippenger: the baseline every other engine is measured against.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArkworksMsm;

impl Msm for ArkworksMsm {
    fn name(&self) -> &'static str {
        "cpu-arkworks"
    }

    fn g1(&self, bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
        debug_assert_eq!(bases.len(), scalars.len());
        G1Projective::msm_bigint(bases, scalars)
    }

    fn g2(&self, bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
        debug_assert_eq!(bases.len(), scalars.len());
        G2Projective::msm_bigint(bases, scalars)
    }
}

/// zkbatch's CPU engine: signed-digit Pippenger with batch-affine buckets, and precomputed tables
/// for a prepared key's bases (see [`CpuMsm::with_tables`]), built when the key proves a second
/// time (or in [`Msm::prepare`], see [`CpuMsm::eager`]).
pub struct CpuMsm {
    /// Whether batches may use the IFMA kernel (where the CPU has it).
    lanes: bool,
    table_budget: usize,
    table_uses: f64,
    eager: bool,
    g1_tables: Vec<(KeyG1, PlannedTable<ark_bn254::g1::Config>)>,
    g2_table: Option<PlannedTable<ark_bn254::g2::Config>>,
}

/// The number of MSMs over a key's base vector within which a table must pay for its
/// construction, unless told otherwise. A key proves with each of its vectors once per proof, so
/// this is a number of proofs. A table costs 10 to 20 MSMs' worth of work to build and saves 10
/// to 35% of each MSM, so it pays back after 30 to 60 proofs for vectors of up to 2^13 bases
/// (merkle-20: about 40) and after more for larger ones, whose tables also take tens of seconds
/// to build: 40 gives the small keys tables and leaves the large ones to an explicit choice
/// ([`CpuMsm::with_tables`]).
pub const DEFAULT_TABLE_USES: u32 = 40;

impl Default for CpuMsm {
    fn default() -> CpuMsm {
        CpuMsm::with_table_budget(default_table_budget())
    }
}

impl std::fmt::Debug for CpuMsm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuMsm")
            .field("table_budget", &self.table_budget)
            .field("table_bytes", &self.table_bytes())
            .field("g1_tables", &self.g1_tables.iter().map(|(w, t)| (w, t.shape())).collect::<Vec<_>>())
            .field("g2_table", &self.g2_table.as_ref().map(PlannedTable::shape))
            .finish()
    }
}

/// Budget for precomputed tables when none is set: at most 1 GiB per proving key, and at most an
/// eighth of the memory available when the prover starts, so tables shrink, then vanish, on a
/// machine short of memory instead of pushing it into swap.
pub fn default_table_budget() -> usize {
    const CAP: u64 = 1 << 30;
    let available = available_memory().unwrap_or(CAP * 2);
    CAP.min(available / 8) as usize
}

/// `MemAvailable` from /proc/meminfo, in bytes (Linux); `None` elsewhere. The proving service sizes
/// its key budget and workers with it too.
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

impl CpuMsm {
    /// An engine that spends at most `bytes` on tables per prepared key (0: never builds any),
    /// each paying for itself within [`DEFAULT_TABLE_USES`] MSMs.
    pub fn with_table_budget(bytes: usize) -> CpuMsm {
        CpuMsm::with_tables(bytes, DEFAULT_TABLE_USES)
    }

    /// An engine that spends at most `bytes` on tables per prepared key, and builds a table only
    /// where the cost model says it pays for its construction within `uses` MSMs over those
    /// bases (`u32::MAX`: wherever it makes an MSM faster at all).
    pub fn with_tables(bytes: usize, uses: u32) -> CpuMsm {
        let table_uses = if uses == u32::MAX { f64::INFINITY } else { f64::from(uses) };
        CpuMsm { lanes: true, table_budget: bytes, table_uses, eager: false, g1_tables: Vec::new(), g2_table: None }
    }

    /// Keeps every field multiplication scalar (no AVX-512 IFMA kernel even where the CPU has
    /// it): for comparisons, and for tests of the scalar path on such CPUs.
    pub fn scalar_arithmetic(mut self) -> CpuMsm {
        self.lanes = false;
        self
    }

    /// Whether this engine adds eight points at a time (AVX-512 IFMA: the CPU has it and
    /// [`CpuMsm::scalar_arithmetic`] was not asked for).
    pub fn uses_ifma(&self) -> bool {
        self.arithmetic() != Arithmetic::Scalar
    }

    /// The arithmetic both groups' batches use: G1's and G2's fields each have a lanes kernel.
    fn arithmetic(&self) -> Arithmetic {
        Arithmetic::best(self.lanes)
    }

    /// Builds the tables in [`Msm::prepare`] rather than on the key's second proof: for a
    /// service that would rather pay at start-up than during its second request.
    pub fn eager(mut self) -> CpuMsm {
        self.eager = true;
        self
    }

    /// The most this engine spends on tables per prepared key, in bytes (0: none).
    pub fn table_budget(&self) -> usize {
        self.table_budget
    }

    /// Memory held by the tables built so far.
    pub fn table_bytes(&self) -> usize {
        self.g1_tables.iter().map(|(_, t)| t.bytes()).sum::<usize>() + self.g2_table.as_ref().map_or(0, PlannedTable::bytes)
    }

    fn g1_table(&self, which: KeyG1, bases: &[G1Affine]) -> Option<&Table<ark_bn254::g1::Config>> {
        self.g1_tables.iter().find(|(w, t)| *w == which && t.is_for(bases)).and_then(|(_, t)| t.for_msm(bases))
    }
}

/// Runs through `table` when there is one for `bases` and the scalars fit it, else plain.
fn msm_with<P: SWCurveConfig>(
    table: Option<&Table<P>>,
    bases: &[Affine<P>],
    scalars: &[ScalarBigInt],
    arithmetic: Arithmetic,
) -> Projective<P>
where
    P::BaseField: field::MsmField,
{
    table.and_then(|t| t.msm(bases, scalars)).unwrap_or_else(|| pippenger::msm(bases, scalars, arithmetic))
}

/// Savings are modelled in base-field multiplications; an Fq2 multiplication costs about four Fq
/// ones, which is what makes G2 tables the best use of a budget.
const G2_MUL_IN_G1_MULS: f64 = 4.0;

impl Msm for CpuMsm {
    /// `cpu-batch-affine`, with `-ifma` where additions run eight at a time, and `+tables` once
    /// [`Msm::prepare`] has planned tables for the key (even before they are built, on its
    /// second proof).
    fn name(&self) -> &'static str {
        match (self.uses_ifma(), self.g1_tables.is_empty() && self.g2_table.is_none()) {
            (false, true) => "cpu-batch-affine",
            (false, false) => "cpu-batch-affine+tables",
            (true, true) => "cpu-batch-affine-ifma",
            (true, false) => "cpu-batch-affine-ifma+tables",
        }
    }

    fn g1(&self, bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
        debug_assert_eq!(bases.len(), scalars.len());
        pippenger::msm(bases, scalars, self.arithmetic())
    }

    fn g2(&self, bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
        debug_assert_eq!(bases.len(), scalars.len());
        pippenger::msm(bases, scalars, self.arithmetic())
    }

    /// Spends the budget where the cost model says a table saves the most work per byte.
    fn prepare(&mut self, key: &KeyBases<'_>) {
        self.g1_tables.clear();
        self.g2_table = None;
        let threads = rayon::current_num_threads();
        let (budget, uses) = (self.table_budget, self.table_uses);
        let arithmetic = self.arithmetic();
        type G1 = ark_bn254::g1::Config;
        type G2 = ark_bn254::g2::Config;
        // (saving per byte, which vector: None for G2)
        let mut candidates = Vec::new();
        if let Some((shape, saving)) = tables::best_shape::<G2>(key.b_g2.len(), threads, budget, uses, arithmetic) {
            candidates.push((saving * G2_MUL_IN_G1_MULS / shape.bytes::<G2>(key.b_g2.len()) as f64, None));
        }
        for which in [KeyG1::A, KeyG1::BG1, KeyG1::H, KeyG1::L] {
            let n = key.g1(which).len();
            if let Some((shape, saving)) = tables::best_shape::<G1>(n, threads, budget, uses, arithmetic) {
                candidates.push((saving / shape.bytes::<G1>(n) as f64, Some(which)));
            }
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut left = budget;
        for (_, which) in candidates {
            // Re-fit each shape to what is left of the budget.
            match which {
                None => {
                    if let Some((shape, _)) = tables::best_shape::<G2>(key.b_g2.len(), threads, left, uses, arithmetic) {
                        left = left.saturating_sub(shape.bytes::<G2>(key.b_g2.len()));
                        let table = PlannedTable::new(key.b_g2, shape, arithmetic);
                        if self.eager {
                            table.build_now(key.b_g2);
                        }
                        self.g2_table = Some(table);
                    }
                }
                Some(which) => {
                    let bases = key.g1(which);
                    if let Some((shape, _)) = tables::best_shape::<G1>(bases.len(), threads, left, uses, arithmetic) {
                        left = left.saturating_sub(shape.bytes::<G1>(bases.len()));
                        let table = PlannedTable::new(bases, shape, arithmetic);
                        if self.eager {
                            table.build_now(bases);
                        }
                        self.g1_tables.push((which, table));
                    }
                }
            }
        }
        tracing::debug!(engine = self.name(), planned = ?self, "MSM tables planned");
    }

    fn key_g1(&self, which: KeyG1, bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
        debug_assert_eq!(bases.len(), scalars.len());
        msm_with(self.g1_table(which, bases), bases, scalars, self.arithmetic())
    }

    fn key_g2(&self, bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
        debug_assert_eq!(bases.len(), scalars.len());
        let table = self.g2_table.as_ref().filter(|t| t.is_for(bases)).and_then(|t| t.for_msm(bases));
        msm_with(table, bases, scalars, self.arithmetic())
    }
}

/// Makes an engine of the given kind; `table_budget` (bytes per key) applies to [`CpuMsm`].
pub fn engine(kind: EngineKind, table_budget: usize) -> Box<dyn Msm> {
    match kind {
        EngineKind::Cpu => Box::new(CpuMsm::with_table_budget(table_budget)),
        EngineKind::CpuScalar => Box::new(CpuMsm::with_table_budget(table_budget).scalar_arithmetic()),
        EngineKind::Arkworks => Box::new(ArkworksMsm),
    }
}

/// The engine used when none is chosen: the best one available on this machine ([`CpuMsm`]),
/// unless the environment says otherwise: `ZKBATCH_MSM=cpu|cpu-scalar|arkworks` picks the engine and
/// `ZKBATCH_MSM_TABLE_MB` the table budget per key (default: see [`default_table_budget`]).
pub fn default_engine() -> Result<Box<dyn Msm>, MsmError> {
    select_engine(std::env::var_os("ZKBATCH_MSM").as_deref(), std::env::var_os("ZKBATCH_MSM_TABLE_MB").as_deref())
}

/// A value that is not UTF-8 is refused like any other unknown value.
fn text(v: &OsStr) -> Result<&str, String> {
    v.to_str().ok_or_else(|| v.to_string_lossy().into_owned())
}

/// [`default_engine`]'s choice for given values of `ZKBATCH_MSM` and `ZKBATCH_MSM_TABLE_MB`
/// (`None` or empty: unset).
pub fn select_engine(kind: Option<&OsStr>, table_mb: Option<&OsStr>) -> Result<Box<dyn Msm>, MsmError> {
    let kind = kind.filter(|v| !v.is_empty());
    let table_mb = table_mb.filter(|v| !v.is_empty());
    let kind = match kind.map(text) {
        Some(Ok(v)) => v.parse()?,
        Some(Err(v)) => return Err(MsmError::UnknownEngine(v)),
        None => EngineKind::Cpu,
    };
    let budget = match table_mb.map(text) {
        Some(Ok(v)) => v.trim().parse::<usize>().map_err(|_| MsmError::TableBudget(v.to_string()))?.saturating_mul(1 << 20),
        Some(Err(v)) => return Err(MsmError::TableBudget(v)),
        None => default_table_budget(),
    };
    Ok(engine(kind, budget))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{PrimeField, UniformRand};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    use crate::Fr;

    #[test]
    fn matches_naive_sum() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = 37;
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let g1: Vec<G1Affine> = (0..n).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        let g2: Vec<G2Affine> = (0..n).map(|_| G2Projective::rand(&mut rng).into_affine()).collect();
        let big: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        let naive1: G1Projective = g1.iter().zip(&scalars).map(|(b, s)| *b * s).sum();
        let naive2: G2Projective = g2.iter().zip(&scalars).map(|(b, s)| *b * s).sum();
        for engine in [&ArkworksMsm as &dyn Msm, &CpuMsm::with_table_budget(0)] {
            assert_eq!(engine.g1(&g1, &big), naive1, "{}", engine.name());
            assert_eq!(engine.g2(&g2, &big), naive2, "{}", engine.name());
            assert_eq!(
                engine.g1(&[G1Projective::generator().into_affine()], &[Fr::from(0u64).into_bigint()]),
                G1Projective::default()
            );
        }
    }
}
