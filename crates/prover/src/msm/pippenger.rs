//! Pippenger's bucket method over signed digits, parallel over groups of windows and chunks of
//! points.
//!
//! An MSM of n points split into W windows of c bits (W · c ≥ bits + 1) costs about
//! `W · (n · add + 2^(c−1) · reduce)`: one bucket addition per point per window, then a
//! reduction of each window's buckets. [`Plan::choose`] picks the windows, how buckets are
//! accumulated, and how the work is split into tasks from a cost model of exactly that, so the
//! engine needs no tuning table per input size or machine.
//!
//! A task takes a group of windows over a chunk of the points, with one bucket array for the
//! whole group: for small MSMs, whose windows have few buckets each, that is what makes batches
//! (and so the inversion they share) large; for large ones a group is a single window.

use std::ops::Range;

use ark_ec::short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, Field, Zero};
use rayon::prelude::*;

use super::affine::Xy;
use super::batch_affine::{AffineBuckets, Arithmetic};
use super::field::MsmField;
use super::digits::{bit_length, digit, Windows};

/// How points are added into buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Accumulation {
    /// arkworks' way: XYZZ buckets and mixed additions. No batching, so best for few buckets.
    Xyzz,
    /// Affine buckets, additions batched around one inversion (see [`batch_size`]).
    BatchAffine,
}

/// How one MSM is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Plan {
    pub windows: Windows,
    /// Windows per task (consecutive windows share a task and its bucket array).
    pub group: u32,
    /// Each group's points are split into this many chunks, each a task with its own buckets,
    /// when there are too few groups to keep every thread busy.
    pub chunks: usize,
    pub accumulation: Accumulation,
}

/// The widest window considered: 2^19 buckets per task is already tens of MiB.
pub(super) const MAX_WINDOW: u32 = 20;

/// Operation costs in multiplications of the curve's base field, from measurements of arkworks
/// 0.6 field arithmetic on x86-64 (BN254 Fq: an inversion costs about 270 multiplications; over
/// Fq2 an inversion is one Fq inversion plus a few multiplications, about 70 Fq2 ones). For the
/// IFMA kernel ([`Arithmetic`]) see [`LANES_AFFINE_ADD`].
pub(super) struct Costs {
    /// One batched affine addition, without its share of the inversion.
    pub affine_add: f64,
    pub inversion: f64,
    /// Mixed XYZZ + affine addition (8M + 2S and bookkeeping).
    pub xyzz_madd: f64,
    /// XYZZ + XYZZ addition (12M + 2S).
    pub xyzz_add: f64,
    /// Reading a point and its digit, for every point and window (also for zero digits).
    pub scan: f64,
    /// Sizes of an affine and of an XYZZ bucket.
    pub affine_bytes: usize,
    pub xyzz_bytes: usize,
}

/// A batched affine addition through the IFMA kernel, in scalar multiplications: an estimate (the
/// kernel's MSMs run about twice as fast as the scalar ones, 7.5 / 2.5 leaving room for the work
/// around each addition that the kernel does not speed up). The plans it gives were timed with
/// values from 1.5 to 6 at 2^16 and 2^20 G1 and differed by less than the run-to-run noise.
#[cfg(target_arch = "x86_64")]
const LANES_AFFINE_ADD: f64 = 2.5;

impl Costs {
    pub(super) fn of<P: SWCurveConfig>(arithmetic: Arithmetic) -> Costs {
        let degree = P::BaseField::extension_degree() as f64;
        Costs {
            affine_add: match arithmetic {
                Arithmetic::Scalar => 7.5,
                #[cfg(target_arch = "x86_64")]
                Arithmetic::Lanes => LANES_AFFINE_ADD,
            },
            inversion: 270.0 / (degree * degree),
            xyzz_madd: 13.0,
            xyzz_add: 16.0,
            scan: 0.5,
            affine_bytes: std::mem::size_of::<Xy<P::BaseField>>(),
            xyzz_bytes: std::mem::size_of::<Bucket<P>>(),
        }
    }

    /// Cost of adding one point into a task's bucket array of `buckets` buckets.
    pub(super) fn per_point(&self, accumulation: Accumulation, buckets: usize) -> f64 {
        let (add, bytes) = match accumulation {
            Accumulation::Xyzz => (self.xyzz_madd, self.xyzz_bytes),
            Accumulation::BatchAffine => (self.affine_add + self.inversion / batch_size(buckets) as f64, self.affine_bytes),
        };
        // Bucket arrays beyond 1 MiB stop fitting in L2 next to everything else a thread
        // streams through: measured on the project's machine, each doubling of the array past
        // that costs about a quarter more per addition, prefetching notwithstanding.
        let spill = ((buckets * bytes) as f64 / (1 << 20) as f64).log2().max(0.0);
        add * (1.0 + 0.25 * spill) + self.scan
    }

    /// Cost per bucket of reducing `windows` windows of `buckets` buckets each together, and
    /// the number of segments per window for a batched reduction (see
    /// `AffineBuckets::reduce_batched`; 0: XYZZ running sums).
    pub(super) fn reduction(&self, accumulation: Accumulation, buckets: usize, windows: usize) -> (f64, usize) {
        let xyzz = (2.0 * self.xyzz_add, 0);
        if accumulation == Accumulation::Xyzz {
            return xyzz;
        }
        let mut best = (self.xyzz_madd + self.xyzz_add, 0);
        let mut segments = 2;
        while segments <= buckets / 2 {
            let cost = 2.0 * (self.affine_add + self.inversion / (segments * windows) as f64)
                + 3.0 * segments as f64 * self.xyzz_add / buckets as f64;
            if cost < best.0 {
                best = (cost, segments);
            }
            segments *= 2;
        }
        best
    }
}

/// Batch size for `buckets` affine buckets: large enough to amortise the inversion, small enough
/// that few points collide with a bucket already waiting in the batch (≈ batch / 2·buckets).
pub(super) fn batch_size(buckets: usize) -> usize {
    (buckets / 8).clamp(1, 2048)
}

impl Plan {
    /// The cheapest plan under [`Costs`] for `live` points (non-zero scalar, finite base) with
    /// scalars of at most `num_bits` bits on `threads` threads.
    pub(super) fn choose(live: usize, num_bits: u32, threads: usize, costs: &Costs) -> Plan {
        let threads = threads.max(1);
        let mut best = Plan { windows: Windows::new(num_bits, num_bits + 1), group: 1, chunks: 1, accumulation: Accumulation::Xyzz };
        let mut best_cost = f64::INFINITY;
        let mut consider = |plan: Plan| {
            let cost = plan.cost(live, threads, costs);
            if cost < best_cost {
                (best, best_cost) = (plan, cost);
            }
        };
        // For each width, the fewest windows that wide, and one more (which narrows some
        // windows and can even out the rounds over threads); more would only add additions.
        for width in 1..=MAX_WINDOW {
            let fewest = Windows::of_width(num_bits, width).count();
            for windows in [Windows::new(num_bits, fewest), Windows::new(num_bits, fewest + 1)] {
                let count = windows.count();
                for chunks in 1..=threads {
                    consider(Plan { windows, group: 1, chunks, accumulation: Accumulation::Xyzz });
                    // One window per task, or groups that split the windows evenly over the
                    // threads or over a few rounds of them.
                    consider(Plan { windows, group: 1, chunks, accumulation: Accumulation::BatchAffine });
                    for rounds in 1..=4 {
                        let group = count.div_ceil((threads / chunks).max(1) as u32 * rounds).max(1);
                        consider(Plan { windows, group, chunks, accumulation: Accumulation::BatchAffine });
                    }
                }
            }
        }
        best
    }

    /// Modelled time: every task is one job; jobs run `threads` at a time.
    pub(super) fn cost(&self, live: usize, threads: usize, costs: &Costs) -> f64 {
        let points = live.div_ceil(self.chunks) as f64;
        let (count, width) = (self.windows.count(), self.windows.max_width());
        let slot = 1usize << (width - 1);
        let group = self.group.min(count) as usize;
        let per_point = costs.per_point(self.accumulation, slot * group);
        let per_bucket = costs.reduction(self.accumulation, slot, group).0;
        // Narrower windows use half their slot; the reduction still walks all of it.
        let window = points * per_point + slot as f64 * per_bucket;
        let tasks = count.div_ceil(group as u32) as usize * self.chunks;
        tasks.div_ceil(threads.max(1)) as f64 * group as f64 * window
    }
}

/// Points with a non-zero scalar and a finite base, and the longest scalar's bit length.
pub(super) fn scan<P: SWCurveConfig, S: AsRef<[u64]> + Sync>(bases: &[Affine<P>], scalars: &[S]) -> (usize, u32) {
    bases
        .par_iter()
        .zip(scalars)
        .with_min_len(1024)
        .fold(
            || (0usize, 0u32),
            |(live, bits), (base, s)| {
                let b = bit_length(s.as_ref());
                if b == 0 || base.is_zero() { (live, bits) } else { (live + 1, bits.max(b)) }
            },
        )
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1.max(b.1)))
}

/// Below this many points, double-and-add per point beats setting up buckets.
const NAIVE_MAX: usize = 4;

/// `Σ scalarsᵢ · basesᵢ` over the common length of the two slices. Scalars are plain integers
/// (any value, not only canonical field elements).
pub(super) fn msm<P: SWCurveConfig, S: AsRef<[u64]> + Sync>(bases: &[Affine<P>], scalars: &[S], arithmetic: Arithmetic) -> Projective<P>
where
    P::BaseField: MsmField,
{
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    let (live, num_bits) = scan(bases, scalars);
    if live == 0 {
        return Projective::zero();
    }
    if live <= NAIVE_MAX {
        return bases.iter().zip(scalars).map(|(b, s)| b.mul_bigint(s.as_ref())).sum();
    }
    let plan = Plan::choose(live, num_bits, rayon::current_num_threads(), &Costs::of::<P>(arithmetic));
    run(bases, scalars, &plan, arithmetic)
}

/// Runs `plan`: one task per (group of windows, chunk of points), then Horner over the windows.
pub(super) fn run<P: SWCurveConfig, S: AsRef<[u64]> + Sync>(bases: &[Affine<P>], scalars: &[S], plan: &Plan, arithmetic: Arithmetic) -> Projective<P>
where
    P::BaseField: MsmField,
{
    let n = bases.len().min(scalars.len());
    // Every base is read once per window: converting them all up front is cheaper.
    let entered: Vec<Affine<P>>;
    let bases = if plan.accumulation == Accumulation::BatchAffine && arithmetic != Arithmetic::Scalar {
        entered = bases[..n].par_iter().with_min_len(1024).map(|b| arithmetic.enter_affine(b)).collect();
        &entered[..]
    } else {
        bases
    };
    let count = plan.windows.count();
    let group = match plan.accumulation {
        Accumulation::Xyzz => 1,
        Accumulation::BatchAffine => plan.group.clamp(1, count),
    };
    let groups = count.div_ceil(group) as usize;
    let chunk_len = n.div_ceil(plan.chunks).max(1);
    // Per task, one sum per window of its group.
    let sums: Vec<Vec<Projective<P>>> = (0..groups * plan.chunks)
        .into_par_iter()
        .with_max_len(1)
        .map(|t| {
            let g = (t / plan.chunks) as u32;
            let windows = g * group..((g + 1) * group).min(count);
            let chunk = t % plan.chunks;
            let range = (chunk * chunk_len).min(n)..((chunk + 1) * chunk_len).min(n);
            let (bases, scalars) = (&bases[range.clone()], &scalars[range]);
            match plan.accumulation {
                Accumulation::Xyzz => windows.map(|w| {
                    let (start, width) = plan.windows.get(w);
                    window_xyzz(bases, scalars, start, width)
                }).collect(),
                Accumulation::BatchAffine => group_batch_affine(bases, scalars, &plan.windows, windows, arithmetic),
            }
        })
        .collect();
    let mut window_sums = vec![Projective::<P>::zero(); count as usize];
    for (t, task) in sums.iter().enumerate() {
        let first = (t / plan.chunks) * group as usize;
        for (w, s) in task.iter().enumerate() {
            window_sums[first + w] += s;
        }
    }
    let mut total = Projective::<P>::zero();
    for (w, s) in window_sums.iter().enumerate().rev() {
        for _ in 0..plan.windows.get(w as u32).1 {
            total.double_in_place();
        }
        total += s;
    }
    total
}

/// Accumulates the windows `group` of `windows` into one bucket array, a slot of buckets per
/// window, and returns each window's sum. `bases` are in `arithmetic`'s domain.
fn group_batch_affine<P: SWCurveConfig, S: AsRef<[u64]>>(
    bases: &[Affine<P>],
    scalars: &[S],
    windows: &Windows,
    group: Range<u32>,
    arithmetic: Arithmetic,
) -> Vec<Projective<P>>
where
    P::BaseField: MsmField,
{
    let spans: Vec<(u32, u32)> = group.map(|w| windows.get(w)).collect();
    let g = spans.len();
    let slot = windows.max_buckets();
    let segments = Costs::of::<P>(arithmetic).reduction(Accumulation::BatchAffine, slot, g).1;
    let mut acc = AffineBuckets::<P>::new(slot * g, batch_size(slot * g), arithmetic);
    // Bucket indices (slot offset + |digit| − 1, sign in the top bit) a block of points ahead,
    // so that their buckets can be prefetched before they are needed.
    const SKIP: usize = usize::MAX;
    let block = (64 / g).clamp(1, 16);
    let mut targets = vec![SKIP; block * g];
    for (bases, scalars) in bases.chunks(block).zip(scalars.chunks(block)) {
        for (row, s) in targets.chunks_mut(g).zip(scalars) {
            for (w, (target, &(start, width))) in row.iter_mut().zip(&spans).enumerate() {
                let d = digit(s.as_ref(), start, width);
                *target = if d == 0 { SKIP } else { target_of(d) };
                if d != 0 {
                    acc.prefetch(w * slot + (*target & !NEGATIVE));
                }
            }
        }
        for (row, base) in targets.chunks(g).zip(bases) {
            let Some(p) = Xy::from_affine(base) else { continue };
            for (w, &t) in row.iter().enumerate() {
                if t != SKIP {
                    acc.add(w * slot + (t & !NEGATIVE), if t & NEGATIVE == 0 { p } else { p.neg() });
                }
            }
        }
    }
    acc.finish(g, segments)
}

/// Marks a negative digit's bucket index.
const NEGATIVE: usize = 1 << (usize::BITS - 1);

/// A non-zero digit as a bucket index within its window's slot, with the sign in the top bit.
#[inline(always)]
fn target_of(d: i64) -> usize {
    let index = d.unsigned_abs() as usize - 1;
    if d < 0 { index | NEGATIVE } else { index }
}

fn window_xyzz<P: SWCurveConfig, S: AsRef<[u64]>>(bases: &[Affine<P>], scalars: &[S], start: u32, width: u32) -> Projective<P> {
    let mut buckets = vec![Bucket::<P>::ZERO; 1 << (width - 1)];
    for (base, s) in bases.iter().zip(scalars) {
        let d = digit(s.as_ref(), start, width);
        if d > 0 {
            buckets[d as usize - 1] += base;
        } else if d < 0 {
            buckets[d.unsigned_abs() as usize - 1] -= base;
        }
    }
    let mut running = Bucket::<P>::ZERO;
    let mut sum = Bucket::<P>::ZERO;
    for b in buckets.iter().rev() {
        running += b;
        sum += &running;
    }
    sum.into()
}
