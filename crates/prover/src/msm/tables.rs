//! Precomputed tables for bases that stay fixed across many MSMs (a proving key's queries).
//!
//! Pippenger runs W windows, each with its own buckets and its own bucket reduction, and joins
//! them with doublings. If every base's shifts 2^(j·c)·P (j < W) are stored, the digit of window j
//! can add the stored shift straight into one shared set of buckets: the same number of point
//! additions, but a single reduction instead of W, and no window is bound to one thread. That
//! pays most for small and medium MSMs, where reductions are a large share of the work, and it
//! lets the window be wider than plain Pippenger could afford.
//!
//! The price: W points of memory per base (W ≈ 16–22: 1–1.4 KiB per G1 base, twice that for
//! G2) and about 255 doublings per base to build, some 10–20 MSMs' worth of work. Hence a
//! memory budget per key, tables only where the cost model says they pay back within a number of
//! proofs, and no table until a key proves a second time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, Zero};
use rayon::prelude::*;

use super::affine::Xy;
use super::batch_affine::{AffineBuckets, Arithmetic};
#[cfg(target_arch = "x86_64")]
use super::ifma;
use super::field::MsmField;
use super::digits::{digit, Windows};
use super::pippenger::{self, batch_size, Accumulation, Costs, Plan, MAX_WINDOW};

/// Bases per batch of doublings when the IFMA kernel builds a table (one inversion each).
#[cfg(target_arch = "x86_64")]
const LANES_CHUNK: usize = 1024;

/// Scalars of up to this many bits use a table (canonical BN254 scalars have 254); longer
/// integers take the plain path.
const TABLE_BITS: u32 = 254;

/// A table's shape: how the scalars' bits are split into windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TableShape {
    pub windows: Windows,
}

impl TableShape {
    pub(super) fn bytes<P: SWCurveConfig>(&self, n: usize) -> usize {
        n.saturating_mul(self.windows.count() as usize).saturating_mul(std::mem::size_of::<Xy<P::BaseField>>())
    }

    /// Modelled cost of one MSM of `n` points through a table of this shape, split over `threads`
    /// tasks (one bucket set and one reduction each).
    fn cost(&self, n: usize, threads: usize, costs: &Costs) -> f64 {
        let buckets = self.windows.max_buckets();
        let per_point = costs.per_point(Accumulation::BatchAffine, buckets);
        let per_bucket = costs.reduction(Accumulation::BatchAffine, buckets, 1).0;
        let additions = n.div_ceil(threads.max(1)) as f64 * self.windows.count() as f64;
        additions * per_point + buckets as f64 * per_bucket
    }

    /// Modelled cost of building the table on `threads` threads: each base doubled up to its
    /// top shift, either in Jacobian coordinates (2M + 5S) with each entry then normalised to
    /// affine, or (with the IFMA kernel) as batched affine doublings, which need no
    /// normalisation.
    fn build_cost(&self, n: usize, threads: usize, costs: &Costs, arithmetic: Arithmetic) -> f64 {
        let (doubling, normalisation) = match arithmetic {
            Arithmetic::Scalar => (8.0, 6.0),
            #[cfg(target_arch = "x86_64")]
            Arithmetic::Lanes => (costs.affine_add + costs.inversion / LANES_CHUNK as f64, 0.0),
        };
        let top = self.windows.get(self.windows.count() - 1).0;
        n.div_ceil(threads.max(1)) as f64 * (top as f64 * doubling + self.windows.count() as f64 * normalisation)
    }
}

/// The table shape that makes MSMs over `n` bases cheapest within `max_bytes`, among those whose
/// construction is paid back by `uses` MSMs (`f64::INFINITY`: whichever saves anything), with
/// its modelled saving per MSM against plain Pippenger; `None` if no table qualifies.
pub(super) fn best_shape<P: SWCurveConfig>(
    n: usize,
    threads: usize,
    max_bytes: usize,
    uses: f64,
    arithmetic: Arithmetic,
) -> Option<(TableShape, f64)> {
    if n == 0 {
        return None;
    }
    let costs = Costs::of::<P>(arithmetic);
    let plain = Plan::choose(n, TABLE_BITS, threads, &costs).cost(n, threads, &costs);
    (2..=MAX_WINDOW)
        .map(|width| TableShape { windows: Windows::of_width(TABLE_BITS, width) })
        .filter(|shape| shape.bytes::<P>(n) <= max_bytes)
        .map(|shape| (shape, plain - shape.cost(n, threads, &costs)))
        .filter(|(shape, saving)| *saving > 0.0 && saving * uses >= shape.build_cost(n, threads, &costs, arithmetic))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The first, middle and last bases.
fn sample<P: SWCurveConfig>(bases: &[Affine<P>]) -> Vec<Affine<P>> {
    match bases.len() {
        0 => Vec::new(),
        n => vec![bases[0], bases[n / 2], bases[n - 1]],
    }
}

/// The MSM on which a planned table is built: the first MSM over a key's vector runs plain, so a
/// process that proves once (a command-line `prove`) never pays for a table; one that proves
/// again is taken to prove many times.
pub(super) const BUILD_ON_USE: u32 = 2;

/// A table planned for one fixed slice of bases, built on its [`BUILD_ON_USE`]-th MSM (or at
/// once, see [`PlannedTable::build_now`]).
pub(super) struct PlannedTable<P: SWCurveConfig>
where
    P::BaseField: MsmField,
{
    /// The slice the table is for, by address and length, and a few of its points: a call over
    /// any other slice must not use the table. The owner promises to keep the slice alive and
    /// unchanged (see `Msm::prepare`); the sample catches a broken promise cheaply.
    origin: (usize, usize),
    sample: Vec<Affine<P>>,
    shape: TableShape,
    arithmetic: Arithmetic,
    uses: AtomicU32,
    table: OnceLock<Table<P>>,
    /// Held while building, so that concurrent provers carry on without the table instead of
    /// queueing behind its construction.
    building: Mutex<()>,
}

impl<P: SWCurveConfig> PlannedTable<P>
where
    P::BaseField: MsmField,
{
    pub(super) fn new(bases: &[Affine<P>], shape: TableShape, arithmetic: Arithmetic) -> PlannedTable<P> {
        PlannedTable {
            origin: (bases.as_ptr() as usize, bases.len()),
            sample: sample(bases),
            shape,
            arithmetic,
            uses: AtomicU32::new(0),
            table: OnceLock::new(),
            building: Mutex::new(()),
        }
    }

    pub(super) fn is_for(&self, bases: &[Affine<P>]) -> bool {
        self.origin == (bases.as_ptr() as usize, bases.len()) && self.sample == sample(bases)
    }

    pub(super) fn shape(&self) -> TableShape {
        self.shape
    }

    /// Memory held by the table, once built.
    pub(super) fn bytes(&self) -> usize {
        self.table.get().map_or(0, Table::bytes)
    }

    /// Builds the table now, if not yet built. `bases` must be the planned slice.
    pub(super) fn build_now(&self, bases: &[Affine<P>]) {
        if self.is_for(bases) {
            self.table.get_or_init(|| Table::build(bases, self.shape, self.arithmetic));
        }
    }

    /// Counts an MSM over `bases` (the planned slice) and returns the table if there is one to
    /// use: built before, or built now because this is the [`BUILD_ON_USE`]-th MSM and no other
    /// thread is building it.
    pub(super) fn for_msm(&self, bases: &[Affine<P>]) -> Option<&Table<P>> {
        if let Some(table) = self.table.get() {
            return Some(table);
        }
        // Counts only up to BUILD_ON_USE, so the counter never wraps (after a failed build, say).
        let earlier = self.uses.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| (u < BUILD_ON_USE).then_some(u + 1));
        if earlier.is_ok_and(|u| u + 1 < BUILD_ON_USE) {
            return None;
        }
        // A poisoned lock means a build panicked; the plain path still works.
        let _building = self.building.try_lock().ok()?;
        Some(self.table.get_or_init(|| Table::build(bases, self.shape, self.arithmetic)))
    }
}

/// Every base's shifts 2^(start_j)·P, one per window j, for one fixed slice of bases, in the
/// domain of the arithmetic that adds them up.
pub(super) struct Table<P: SWCurveConfig>
where
    P::BaseField: MsmField,
{
    shape: TableShape,
    arithmetic: Arithmetic,
    /// Row-major, one entry per window per base; rows of bases at infinity are unused.
    shifts: Vec<Xy<P::BaseField>>,
}

impl<P: SWCurveConfig> Table<P>
where
    P::BaseField: MsmField,
{
    pub(super) fn build(bases: &[Affine<P>], shape: TableShape, arithmetic: Arithmetic) -> Table<P> {
        #[cfg(target_arch = "x86_64")]
        if arithmetic == Arithmetic::Lanes {
            if let Some(table) = Table::build_lanes(bases, shape) {
                return table;
            }
        }
        let w = shape.windows.count() as usize;
        let zero = Xy { x: P::BaseField::ZERO, y: P::BaseField::ZERO };
        let mut shifts = vec![zero; bases.len() * w];
        // Chunks large enough for batch normalisation to amortise its inversion.
        const CHUNK: usize = 256;
        shifts.par_chunks_mut(CHUNK * w).zip(bases.par_chunks(CHUNK)).for_each(|(rows, bases)| {
            let mut projective = Vec::with_capacity(bases.len() * w);
            for base in bases {
                let mut p = base.into_group();
                for j in 0..w as u32 {
                    projective.push(p);
                    if j + 1 < w as u32 {
                        for _ in 0..shape.windows.get(j).1 {
                            p.double_in_place();
                        }
                    }
                }
            }
            for (slot, affine) in rows.iter_mut().zip(Projective::normalize_batch(&projective)) {
                *slot = Xy::from_affine(&affine).map_or(zero, |xy| arithmetic.enter(xy));
            }
        });
        Table { shape, arithmetic, shifts }
    }

    /// [`Table::build`] with batched affine doublings through the IFMA kernel; `None` if a base
    /// cannot be doubled that way (invalid input: see `ifma::double_in_place`).
    #[cfg(target_arch = "x86_64")]
    fn build_lanes(bases: &[Affine<P>], shape: TableShape) -> Option<Table<P>> {
        let arithmetic = Arithmetic::Lanes;
        let w = shape.windows.count() as usize;
        let zero = Xy { x: P::BaseField::ZERO, y: P::BaseField::ZERO };
        let mut shifts = vec![zero; bases.len() * w];
        let built = shifts.par_chunks_mut(LANES_CHUNK * w).zip(bases.par_chunks(LANES_CHUNK)).all(|(rows, bases)| {
            // Bases at infinity keep zero rows, unused (as in `build`).
            let (finite, mut points): (Vec<usize>, Vec<Xy<P::BaseField>>) =
                bases.iter().enumerate().filter_map(|(i, b)| Xy::from_affine(b).map(|xy| (i, arithmetic.enter(xy)))).unzip();
            let mut scratch = ifma::Scratch::default();
            for j in 0..w {
                for (i, p) in finite.iter().zip(&points) {
                    rows[i * w + j] = *p;
                }
                if j + 1 < w && !ifma::double_in_place::<<P::BaseField as MsmField>::Lanes>(&mut points, shape.windows.get(j as u32).1, &mut scratch) {
                    return false;
                }
            }
            true
        });
        built.then_some(Table { shape, arithmetic, shifts })
    }

    pub(super) fn bytes(&self) -> usize {
        self.shifts.len() * std::mem::size_of::<Xy<P::BaseField>>()
    }

    /// `Σ scalarsᵢ · basesᵢ` through the table, or `None` when a scalar is longer than the table
    /// covers. `bases` must be the slice the table was built from (see [`PlannedTable::is_for`]).
    pub(super) fn msm<S: AsRef<[u64]> + Sync>(&self, bases: &[Affine<P>], scalars: &[S]) -> Option<Projective<P>> {
        let n = bases.len().min(scalars.len()).min(self.shifts.len() / self.shape.windows.count() as usize);
        let (live, num_bits) = pippenger::scan(&bases[..n], &scalars[..n]);
        if num_bits > TABLE_BITS {
            return None;
        }
        if live == 0 {
            return Some(Projective::zero());
        }
        let windows = self.shape.windows;
        let w = windows.count() as usize;
        let buckets = windows.max_buckets();
        let segments = Costs::of::<P>(self.arithmetic).reduction(Accumulation::BatchAffine, buckets, 1).1;
        let tasks = rayon::current_num_threads().max(1).min(n);
        let chunk = n.div_ceil(tasks);
        let sum = (0..tasks)
            .into_par_iter()
            .with_max_len(1)
            .map(|t| {
                let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                let mut acc = AffineBuckets::<P>::new(buckets, batch_size(buckets), self.arithmetic);
                // A point's digits first, so that their buckets are prefetched while the
                // previous ones are added.
                let mut digits = vec![0i64; w];
                for i in range {
                    if bases[i].is_zero() {
                        continue;
                    }
                    let limbs = scalars[i].as_ref();
                    for (j, d) in digits.iter_mut().enumerate() {
                        let (start, width) = windows.get(j as u32);
                        *d = digit(limbs, start, width);
                        if *d != 0 {
                            acc.prefetch(d.unsigned_abs() as usize - 1);
                        }
                    }
                    let row = &self.shifts[i * w..(i + 1) * w];
                    for (p, &d) in row.iter().zip(&digits) {
                        if d != 0 {
                            acc.add(d.unsigned_abs() as usize - 1, if d > 0 { *p } else { p.neg() });
                        }
                    }
                }
                acc.finish(1, segments).into_iter().sum::<Projective<P>>()
            })
            .sum();
        Some(sum)
    }
}
