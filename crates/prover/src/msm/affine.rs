//! The affine point the batch-affine engine and its IFMA kernel both work on, and a batch of
//! additions of them.

use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::Field;

/// An affine point that is never the point at infinity (bucket emptiness is tracked separately,
/// and callers never hand in infinity). `repr(C)`: the IFMA kernel addresses coordinates as words.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Xy<F> {
    pub(super) x: F,
    pub(super) y: F,
}

impl<F: Field> Xy<F> {
    /// `None` for the point at infinity, which affine arithmetic cannot represent.
    pub(super) fn from_affine<P: SWCurveConfig<BaseField = F>>(p: &Affine<P>) -> Option<Self> {
        p.xy().map(|(x, y)| Xy { x, y })
    }

    #[inline(always)]
    pub(super) fn neg(self) -> Self {
        Xy { x: self.x, y: -self.y }
    }

    pub(super) fn to_affine<P: SWCurveConfig<BaseField = F>>(self) -> Affine<P> {
        Affine::new_unchecked(self.x, self.y)
    }
}

/// Marks a batch entry that doubles its bucket (the point equals the bucket's content).
pub(super) const DOUBLE: u32 = 1 << 31;

/// A batch of independent affine additions into buckets: entry j adds `points[j]` into the bucket
/// `tags[j] & !DOUBLE`, with the denominator `dens[j]` (x₂ − x₁, or 2y for a doubling, whose tag
/// carries [`DOUBLE`]). The three have one length. (Only the vector kernel takes batches whole.)
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(super) struct Batch<'a, F> {
    pub(super) tags: &'a [u32],
    pub(super) points: &'a [Xy<F>],
    pub(super) dens: &'a [F],
}
