//! A cache hint for the bucket a batch will add into next: buckets are read in random order, so
//! the engines ask for each a few entries ahead.

/// Asks the CPU to bring `p`'s cache line into L1 (nothing on other architectures).
#[inline(always)]
pub(super) fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint: it reads nothing architecturally visible and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((p as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
