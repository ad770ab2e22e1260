//! Bucket accumulation with affine additions, one field inversion per batch.
//!
//! Adding an affine point to an affine bucket costs one inversion plus 2M + 1S. Montgomery's trick
//! turns `m` inversions into one inversion and 3(m − 1) multiplications, so a batch of independent
//! additions costs about 6M each: a little over half of the 8M + 2S (plus bookkeeping) of the
//! mixed XYZZ addition arkworks accumulates its buckets with. That saving is most of this engine.
//!
//! Additions in one batch must be independent: a point aimed at a bucket that already waits in the
//! batch is queued and offered again once the batch has run. Points that keep colliding (many equal
//! digits) overflow into a Jacobian (XYZZ) spill bucket, so a pathological input degrades to plain
//! Pippenger's cost instead of to one inversion per point.
//!
//! A batch's field arithmetic is one element at a time ([`Arithmetic::Scalar`]) or, for BN254 on
//! CPUs with AVX-512 IFMA, eight additions side by side (`Arithmetic::Lanes`, see `ifma`), which
//! keeps coordinates in its own Montgomery domain: bases enter it through [`Arithmetic::enter`]
//! before they reach the buckets, and sums leave it inside [`AffineBuckets::finish`].

use ark_ec::short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig};
use ark_ff::{AdditiveGroup, Field, Zero};

#[cfg(target_arch = "x86_64")]
use super::affine::Batch;
use super::affine::{Xy, DOUBLE};
use super::field::{BranchlessSub, MsmField};
use super::prefetch::prefetch;
#[cfg(target_arch = "x86_64")]
use super::ifma;

/// How a batch's field arithmetic is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arithmetic {
    /// One element at a time, in arkworks' representation.
    Scalar,
    /// Eight elements at a time with AVX-512 IFMA (BN254's Fq and Fq2), in that kernel's domain.
    #[cfg(target_arch = "x86_64")]
    Lanes,
}

impl Arithmetic {
    /// The fastest arithmetic this CPU has for batches (every [`MsmField`] has a lanes kernel), or
    /// `Scalar` if `lanes` is false.
    pub(super) fn best(lanes: bool) -> Arithmetic {
        #[cfg(target_arch = "x86_64")]
        if lanes && ifma::available() {
            return Arithmetic::Lanes;
        }
        let _ = lanes;
        Arithmetic::Scalar
    }

    /// `p` in the domain this arithmetic keeps buckets in.
    #[inline]
    pub(super) fn enter<F: MsmField>(self, p: Xy<F>) -> Xy<F> {
        match self {
            Arithmetic::Scalar => p,
            #[cfg(target_arch = "x86_64")]
            Arithmetic::Lanes => Xy { x: ifma::enter(p.x), y: ifma::enter(p.y) },
        }
    }

    /// The inverse of [`Arithmetic::enter`].
    #[inline]
    pub(super) fn leave<F: MsmField>(self, p: Xy<F>) -> Xy<F> {
        match self {
            Arithmetic::Scalar => p,
            #[cfg(target_arch = "x86_64")]
            Arithmetic::Lanes => Xy { x: ifma::leave(p.x), y: ifma::leave(p.y) },
        }
    }

    /// An affine point (infinity stays infinity) in this arithmetic's domain.
    pub(super) fn enter_affine<P: SWCurveConfig>(self, p: &Affine<P>) -> Affine<P>
    where
        P::BaseField: MsmField,
    {
        match Xy::from_affine(p) {
            Some(xy) => self.enter(xy).to_affine(),
            None => *p,
        }
    }
}

const EMPTY: u8 = 0;
const FULL: u8 = 1;
/// Full, with an addition into it waiting in the current batch.
const BUSY: u8 = 2;

/// How many batch entries ahead the bucket is prefetched.
const PREFETCH_AHEAD: usize = 8;

/// `K` buckets of affine points, filled through batches of independent affine additions.
pub(super) struct AffineBuckets<P: SWCurveConfig>
where
    P::BaseField: MsmField,
{
    points: Vec<Xy<P::BaseField>>,
    state: Vec<u8>,
    /// Allocated on first use only: ordinary inputs never spill.
    spill: Vec<Bucket<P>>,
    batch_bucket: Vec<u32>,
    batch_point: Vec<Xy<P::BaseField>>,
    /// Each batched addition's denominator (x₂ − x₁, or 2y for a doubling), and the product of
    /// all earlier ones: the forward half of Montgomery's trick, done as points arrive.
    batch_den: Vec<P::BaseField>,
    prefix: Vec<P::BaseField>,
    product: P::BaseField,
    queue: Vec<(u32, Xy<P::BaseField>)>,
    spare_queue: Vec<(u32, Xy<P::BaseField>)>,
    batch_size: usize,
    arithmetic: Arithmetic,
    #[cfg(target_arch = "x86_64")]
    scratch: ifma::Scratch,
}

impl<P: SWCurveConfig> AffineBuckets<P>
where
    P::BaseField: MsmField,
{
    /// `batch_size` trades the inversion's cost (amortised over the batch) against collisions
    /// (about `batch_size / (2 · buckets)` of the points) and cache footprint. Points added must
    /// be in `arithmetic`'s domain ([`Arithmetic::enter`]).
    pub(super) fn new(buckets: usize, batch_size: usize, arithmetic: Arithmetic) -> Self {
        let batch_size = batch_size.max(1);
        let zero = Xy { x: P::BaseField::ZERO, y: P::BaseField::ZERO };
        AffineBuckets {
            points: vec![zero; buckets],
            state: vec![EMPTY; buckets],
            spill: Vec::new(),
            // Draining the queue can push a batch past its nominal size (see `drain_queue`).
            batch_bucket: Vec::with_capacity(2 * batch_size),
            batch_point: Vec::with_capacity(2 * batch_size),
            batch_den: Vec::with_capacity(2 * batch_size),
            prefix: Vec::with_capacity(2 * batch_size),
            product: P::BaseField::ONE,
            queue: Vec::with_capacity(batch_size),
            spare_queue: Vec::with_capacity(batch_size),
            batch_size,
            arithmetic,
            #[cfg(target_arch = "x86_64")]
            scratch: ifma::Scratch::default(),
        }
    }

    /// Asks for bucket `b` to be in cache soon: bucket arrays outgrow L2 (2^15 G1 buckets are
    /// 2 MiB), and an addition is only a couple of hundred cycles, so a miss costs a lot of it.
    #[inline(always)]
    pub(super) fn prefetch(&self, b: usize) {
        prefetch(&self.points[b]);
    }

    /// Adds `p` into bucket `b`.
    #[inline]
    pub(super) fn add(&mut self, b: usize, p: Xy<P::BaseField>) {
        if self.state[b] == BUSY {
            if self.queue.len() >= self.batch_size {
                self.relieve_queue();
            }
            if self.state[b] == BUSY {
                self.queue.push((b as u32, p));
                return;
            }
        }
        self.place(b, p);
        // A drained queue holds at most `batch_size` points, so this runs at most twice.
        while self.batch_bucket.len() >= self.batch_size {
            self.run_batch();
            self.drain_queue(false);
        }
    }

    /// Makes room in a full queue: run the batch early so that queued points can join the next
    /// one. If most of them still collide, the input hammers a few buckets (many equal digits):
    /// those points go to the spill buckets rather than cost a near-empty batch each.
    #[cold]
    fn relieve_queue(&mut self) {
        self.run_batch();
        self.drain_queue(false);
        if self.queue.len() > self.batch_size / 2 {
            let mut queue = std::mem::take(&mut self.queue);
            for (b, p) in queue.drain(..) {
                self.spill_add(b as usize, p);
            }
            self.queue = queue;
        }
    }

    /// Adds into a bucket that is not busy: the cases affine addition cannot batch (empty bucket,
    /// P + (−P)) are settled here, the rest joins the batch.
    #[inline]
    fn place(&mut self, b: usize, p: Xy<P::BaseField>) {
        match self.state[b] {
            EMPTY => {
                self.points[b] = p;
                self.state[b] = FULL;
            }
            _ => {
                let current = &self.points[b];
                let (tag, den) = if current.x != p.x {
                    (b as u32, p.x.sub_branchless(&current.x))
                } else if current.y == p.y && !p.y.is_zero() {
                    (b as u32 | DOUBLE, p.y.double())
                } else {
                    // P + (−P), or 2P for a point of order two: both are the point at infinity.
                    self.state[b] = EMPTY;
                    return;
                };
                self.state[b] = BUSY;
                self.batch_bucket.push(tag);
                self.batch_point.push(p);
                self.batch_den.push(den);
                // The lanes kernel takes its own prefix products, lane by lane.
                if self.arithmetic == Arithmetic::Scalar {
                    self.prefix.push(self.product);
                    self.product = self.product.mul_fast(&den);
                }
            }
        }
    }

    #[cold]
    fn spill_add(&mut self, b: usize, p: Xy<P::BaseField>) {
        if self.spill.is_empty() {
            self.spill = vec![Bucket::ZERO; self.points.len()];
        }
        self.spill[b] += self.arithmetic.leave(p).to_affine::<P>();
    }

    /// Offers the queued points again. With `last`, points that still collide spill instead of
    /// waiting, so that finishing takes a bounded number of batches.
    fn drain_queue(&mut self, last: bool) {
        let mut queue = std::mem::replace(&mut self.queue, std::mem::take(&mut self.spare_queue));
        for (b, p) in queue.drain(..) {
            let b = b as usize;
            if self.state[b] != BUSY {
                self.place(b, p);
            } else if last {
                self.spill_add(b, p);
            } else {
                self.queue.push((b as u32, p));
            }
        }
        self.spare_queue = queue;
    }

    /// Performs every addition in the batch with one inversion (Montgomery's trick).
    fn run_batch(&mut self) {
        let m = self.batch_bucket.len();
        if m == 0 {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if self.arithmetic == Arithmetic::Lanes {
            let batch = Batch { tags: &self.batch_bucket, points: &self.batch_point, dens: &self.batch_den };
            if !ifma::add_batch::<<P::BaseField as MsmField>::Lanes>(&mut self.points, batch, &mut self.scratch) {
                return self.run_batch_slowly();
            }
            for &tag in &self.batch_bucket {
                self.state[(tag & !DOUBLE) as usize] = FULL;
            }
            return self.clear_batch();
        }
        let Some(mut inv) = self.product.inverse() else {
            // Only off-curve or non-canonical input gets here (a zero denominator in a batch that
            // excluded every equal-x pair): finish it slowly rather than fail.
            return self.run_batch_slowly();
        };
        for j in (0..m).rev() {
            if j >= PREFETCH_AHEAD {
                self.prefetch((self.batch_bucket[j - PREFETCH_AHEAD] & !DOUBLE) as usize);
            }
            let tag = self.batch_bucket[j];
            let b = (tag & !DOUBLE) as usize;
            let current = self.points[b];
            let p = self.batch_point[j];
            let inv_j = inv.mul_fast(&self.prefix[j]);
            inv = inv.mul_fast(&self.batch_den[j]);
            let num = if tag & DOUBLE == 0 {
                p.y.sub_branchless(&current.y)
            } else {
                let xx = current.x.square_fast();
                xx.double() + xx + P::COEFF_A
            };
            let lambda = num.mul_fast(&inv_j);
            // For a doubling p == current, so the same two formulas give 2·current.
            let x3 = lambda.square_fast().sub_branchless(&current.x).sub_branchless(&p.x);
            let y3 = lambda.mul_fast(&current.x.sub_branchless(&x3)).sub_branchless(&current.y);
            self.points[b] = Xy { x: x3, y: y3 };
            self.state[b] = FULL;
        }
        self.clear_batch();
    }

    fn clear_batch(&mut self) {
        self.batch_bucket.clear();
        self.batch_point.clear();
        self.batch_den.clear();
        self.prefix.clear();
        self.product = P::BaseField::ONE;
    }

    #[cold]
    fn run_batch_slowly(&mut self) {
        for j in 0..self.batch_bucket.len() {
            let b = (self.batch_bucket[j] & !DOUBLE) as usize;
            let (a, c) = (self.arithmetic.leave(self.points[b]), self.arithmetic.leave(self.batch_point[j]));
            let sum: Projective<P> = a.to_affine::<P>() + c.to_affine::<P>();
            let sum: Affine<P> = sum.into();
            match Xy::from_affine(&sum) {
                Some(xy) => {
                    self.points[b] = self.arithmetic.enter(xy);
                    self.state[b] = FULL;
                }
                None => self.state[b] = EMPTY,
            }
        }
        self.clear_batch();
    }

    /// Settles every pending addition and reduces the buckets as `windows` equal slots, one per
    /// window: returns `Σ_k (k + 1) · slot[k]` for each. With `segments` ≥ 2 each slot is reduced
    /// in that many batched segments (see [`AffineBuckets::reduce_batched`]), else with XYZZ
    /// running sums.
    pub(super) fn finish(mut self, windows: usize, segments: usize) -> Vec<Projective<P>> {
        self.run_batch();
        self.drain_queue(true);
        self.run_batch();
        debug_assert!(self.queue.is_empty());
        let windows = windows.max(1);
        let slot = self.points.len() / windows;
        if segments >= 2 && self.spill.is_empty() && slot.is_multiple_of(segments) && slot.is_power_of_two() {
            self.reduce_batched(windows, segments)
        } else {
            (0..windows).map(|w| self.reduce_xyzz(w * slot..(w + 1) * slot)).collect()
        }
    }

    /// Running sums: after visiting bucket k, `running` = Σ_{j ≥ k} bucket[j], and adding it to
    /// `sum` once per k counts bucket[j] exactly j + 1 times. Two XYZZ additions per bucket.
    fn reduce_xyzz(&self, slot: std::ops::Range<usize>) -> Projective<P> {
        let mut running = Bucket::<P>::ZERO;
        let mut sum = Bucket::<P>::ZERO;
        let spilled = !self.spill.is_empty();
        for k in slot.rev() {
            if self.state[k] == FULL {
                running += self.arithmetic.leave(self.points[k]).to_affine::<P>();
            }
            if spilled {
                running += &self.spill[k];
            }
            sum += &running;
        }
        sum.into()
    }

    /// The same sums with batched affine additions. Running sums are sequential, so each slot is
    /// cut into `S` segments of `L` buckets, and the segments of all slots take their running
    /// sums in lockstep: a batch of `windows · S` independent additions per step. Per slot,
    ///
    /// Σ_k (k + 1)·B_k = Σ_s T_s + L · Σ_s s·R_s, where for segment s, R_s = Σ_i B_{sL+i} and
    /// T_s = Σ_i (i + 1)·B_{sL+i}.
    ///
    /// That is 2 affine additions per bucket plus 3S XYZZ ones to join a slot's segments, against
    /// 2 XYZZ additions per bucket.
    fn reduce_batched(&self, windows: usize, segments: usize) -> Vec<Projective<P>> {
        let slot = self.points.len() / windows;
        let len = slot / segments;
        let all = windows * segments;
        let mut running = AffineBuckets::<P>::new(all, all, self.arithmetic);
        let mut sums = AffineBuckets::<P>::new(all, all, self.arithmetic);
        for i in (0..len).rev() {
            // Segment `s` (over all slots) starts at bucket s·len.
            for s in 0..all {
                let k = s * len + i;
                if self.state[k] == FULL {
                    running.add(s, self.points[k]);
                }
            }
            running.flush();
            for s in 0..all {
                if running.state[s] == FULL {
                    sums.add(s, running.points[s]);
                }
            }
            sums.flush();
        }
        (0..windows)
            .map(|w| {
                let mut total = Bucket::<P>::ZERO;
                let mut above = Bucket::<P>::ZERO;
                let mut weighted = Bucket::<P>::ZERO;
                for local in (0..segments).rev() {
                    let s = w * segments + local;
                    if sums.state[s] == FULL {
                        total += self.arithmetic.leave(sums.points[s]).to_affine::<P>();
                    }
                    if local > 0 {
                        if running.state[s] == FULL {
                            above += self.arithmetic.leave(running.points[s]).to_affine::<P>();
                        }
                        weighted += &above;
                    }
                }
                let mut weighted: Projective<P> = weighted.into();
                // `len` is a power of two: slots and segment counts are.
                for _ in 0..len.trailing_zeros() {
                    weighted.double_in_place();
                }
                weighted + Projective::<P>::from(total)
            })
            .collect()
    }

    /// Runs whatever is pending now.
    fn flush(&mut self) {
        self.run_batch();
        self.drain_queue(false);
    }
}
