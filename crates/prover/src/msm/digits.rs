//! Signed-digit (Booth) recoding of scalars.
//!
//! With digits in [−2^(c−1), 2^(c−1)] instead of [0, 2^c), a window needs 2^(c−1) buckets instead
//! of 2^c − 1: a negative digit adds the negated base, and negating an affine point is free. Each
//! digit depends only on c + 1 bits of the scalar (its window and the bit below it, which says
//! whether the window below borrowed), so digits are computed on the fly, window by window, with
//! no digit array to allocate and no carry to propagate.

/// The digit of the window of `width` bits at bit `start` of the little-endian integer `limbs`,
/// in [−2^(width−1), 2^(width−1)]. Over a split of the integer into windows (see [`Windows`]),
/// Σ digit_w · 2^(start_w) is the integer.
#[inline(always)]
pub(super) fn digit(limbs: &[u64], start: u32, width: u32) -> i64 {
    let window = bits(limbs, start, width) as i64;
    let borrow_in = if start == 0 { 0 } else { bits(limbs, start - 1, 1) as i64 };
    // A window whose top bit is set becomes negative and borrows 2^width from the window above,
    // which sees that same bit as its `borrow_in`.
    let borrow_out = window >> (width - 1);
    window + borrow_in - (borrow_out << width)
}

/// A split of scalars of up to `num_bits` bits into windows of nearly equal width: one bit more
/// than the scalars have, so the top window never borrows from beyond the last. Equal widths
/// matter for batch-affine buckets: a narrow top window (say 7 bits when the others have 13)
/// would funnel every point into a few buckets, where batched additions collide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Windows {
    count: u32,
    /// Every window is `base` or `base + 1` bits wide; the first `wide` are the wider ones.
    base: u32,
    wide: u32,
}

impl Windows {
    /// `count` windows (at least 1, at most `num_bits + 1`) over `num_bits`-bit scalars.
    pub(super) fn new(num_bits: u32, count: u32) -> Windows {
        let total = num_bits + 1;
        let count = count.clamp(1, total);
        Windows { count, base: total / count, wide: total % count }
    }

    /// The fewest windows of at most `width` bits.
    pub(super) fn of_width(num_bits: u32, width: u32) -> Windows {
        Windows::new(num_bits, (num_bits + 1).div_ceil(width.max(1)))
    }

    pub(super) fn count(&self) -> u32 {
        self.count
    }

    /// Window `w`'s first bit and width.
    #[inline(always)]
    pub(super) fn get(&self, w: u32) -> (u32, u32) {
        let start = w * self.base + w.min(self.wide);
        (start, self.base + u32::from(w < self.wide))
    }

    pub(super) fn max_width(&self) -> u32 {
        self.base + u32::from(self.wide > 0)
    }

    /// Buckets the widest window needs.
    pub(super) fn max_buckets(&self) -> usize {
        1 << (self.max_width() - 1)
    }
}

/// `len` (at most 57) bits of `limbs` from bit `start`; bits beyond the integer are zero.
#[inline(always)]
fn bits(limbs: &[u64], start: u32, len: u32) -> u64 {
    let limb = (start / 64) as usize;
    let offset = start % 64;
    let Some(&low) = limbs.get(limb) else { return 0 };
    let mut v = low >> offset;
    if offset + len > 64 {
        if let Some(&high) = limbs.get(limb + 1) {
            v |= high << (64 - offset);
        }
    }
    v & ((1u64 << len) - 1)
}

/// The bit length of a little-endian integer.
pub(super) fn bit_length(limbs: &[u64]) -> u32 {
    limbs.iter().rposition(|&l| l != 0).map_or(0, |i| 64 * i as u32 + 64 - limbs[i].leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::{BigInt, Sign};

    fn to_big(limbs: &[u64]) -> BigInt {
        let bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
        BigInt::from_bytes_le(Sign::Plus, &bytes)
    }

    #[test]
    fn digits_sum_back_to_the_scalar() {
        let cases: [[u64; 4]; 5] = [
            [0, 0, 0, 0],
            [1, 0, 0, 0],
            [u64::MAX; 4],
            [0x43e1f593f0000000, 0x2833e84879b97091, 0xb85045b68181585d, 0x30644e72e131a029],
            [0x8000_0000_0000_0000, 0x7fff_ffff_ffff_ffff, 0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321],
        ];
        for limbs in cases {
            let n = bit_length(&limbs);
            // Widths up to 24 bits: `bits` reads at most 57, the engine uses at most 20.
            for windows in (1..=n + 1).map(|count| Windows::new(n, count)).filter(|w| w.max_width() <= 24) {
                let count = windows.count();
                let mut sum = BigInt::from(0);
                let mut next_start = 0;
                for w in 0..windows.count() {
                    let (start, width) = windows.get(w);
                    assert_eq!(start, next_start, "windows must tile the bits");
                    assert!(width == windows.max_width() || width + 1 == windows.max_width());
                    next_start = start + width;
                    let d = digit(&limbs, start, width);
                    assert!(d.unsigned_abs() <= 1 << (width - 1), "{count} windows: digit {d} out of range");
                    sum += BigInt::from(d) << start;
                }
                assert_eq!(next_start, n + 1);
                assert_eq!(sum, to_big(&limbs), "{count} windows");
            }
            for width in 1..=20 {
                assert!(Windows::of_width(n, width).max_width() <= width);
            }
        }
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[1, 0]), 1);
        assert_eq!(bit_length(&[0, 1]), 65);
        assert_eq!(bit_length(&[u64::MAX, u64::MAX]), 128);
    }
}
