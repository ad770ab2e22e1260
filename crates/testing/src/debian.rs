//! Debian packages the tests run (PostgreSQL, Chromium, Prometheus's promtool): found where the
//! package puts them, else installed with apt-get when the test runs as root, as on CI. One
//! apt-get at a time in a test process: two at once would fight over dpkg's lock, and tests of
//! different packages run in parallel.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

static APT: Mutex<()> = Mutex::new(());

/// Whether this process runs as root.
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// What `find` finds, after installing `packages` when it finds nothing (as root; otherwise a
/// panic saying what to install).
pub fn ensure(packages: &[&str], find: impl Fn() -> Option<PathBuf>) -> PathBuf {
    let _one_at_a_time = APT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = find() {
        return found;
    }
    let list = packages.join(" ");
    assert!(is_root(), "not installed: apt-get install {list} (a test installs it itself only as root)");
    let ok = Command::new("bash")
        .args(["-c", &format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {list} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "apt-get install {list} failed");
    find().unwrap_or_else(|| panic!("{list} installed, but what the test runs is still missing"))
}

/// Prometheus's `promtool` (Debian's `prometheus` package), which checks configuration and rules
/// and runs alert rules' unit tests.
pub fn promtool() -> PathBuf {
    ensure(&["prometheus"], || Some(PathBuf::from("/usr/bin/promtool")).filter(|p| p.exists()))
}
