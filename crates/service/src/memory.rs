//! This process's memory as Linux reports it (/proc/self): resident, peak, proportional. None
//! elsewhere, where the callers fall back to estimates.

fn status_kb(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resident memory (VmRSS), bytes.
pub(crate) fn resident() -> Option<u64> {
    status_kb("VmRSS:").map(|kb| kb * 1024)
}

/// Peak resident memory since the last [`reset_peak`] (VmHWM), bytes.
pub(crate) fn peak() -> Option<u64> {
    status_kb("VmHWM:").map(|kb| kb * 1024)
}

/// Resets the peak to the current resident memory (Linux 4.0 and later).
pub(crate) fn reset_peak() -> Option<()> {
    std::fs::write("/proc/self/clear_refs", "5").ok()
}

/// Proportional set size: resident memory with each page shared with other processes (a mapped
/// key image) divided among them, bytes.
pub(crate) fn proportional() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    let kb: u64 = text.lines().find(|l| l.starts_with("Pss:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
