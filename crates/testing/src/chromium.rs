//! Headless Chromium for tests of pages: Debian's `chromium` package (with `fonts-liberation`, the
//! font it recommends; installed with apt-get when missing and running as root, as on CI), run once
//! per page with a profile of its own and no network but the page's.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's launcher.
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one run may take (a bound against a hang, not a speed requirement).
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// /usr/bin/chromium, installed first when it is missing and we are root.
pub fn chromium() -> PathBuf {
    // fonts-liberation: the font Chromium recommends, so text renders on a bare machine.
    crate::debian::ensure(&["chromium", "fonts-liberation"], || Some(PathBuf::from(CHROMIUM)).filter(|p| p.exists()))
}

/// A page as Chromium rendered it.
pub struct Rendered {
    /// The DOM once the page's scripts ran (`--dump-dom`), serialised as HTML.
    pub dom: String,
    /// The page's console: its messages, uncaught errors and Content-Security-Policy violations,
    /// one a line (`"MESSAGE", source: URL (LINE)`).
    pub console: Vec<String>,
    /// Chromium's whole log (stderr), mostly about the machine (D-Bus, GPU).
    pub log: String,
}

/// Runs headless Chromium on `url` with `args` beside the usual ones; its stdout and stderr.
/// `--virtual-time-budget` lets the page's scripts and fetches run for up to 10 s of virtual time
/// (fast-forwarded when idle) before Chromium dumps or shoots it.
fn run(url: &str, args: &[String]) -> (String, String) {
    let chromium = chromium();
    let profile = tempfile::tempdir().expect("a profile folder");
    let mut child = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            // Without these, Chromium's own connections (updates, sync, QUIC probes) are refused
            // by a closed network and can hold the page up.
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--hide-scrollbars",
            // The page's console in the log, as INFO:CONSOLE lines.
            "--enable-logging=stderr",
            "--log-level=0",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", chromium.display()));
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break Some(status);
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    match status {
        Some(s) if s.success() => (stdout, stderr),
        Some(s) => panic!("chromium {url} exited with {s}:\n{stderr}"),
        None => panic!("chromium {url} took more than {RUN_LIMIT:?}:\n{stderr}"),
    }
}

/// `url` once its scripts ran: the DOM, and Chromium's log.
pub fn render(url: &str) -> Rendered {
    let (dom, log) = run(url, &["--dump-dom".into()]);
    let console = log.lines().filter_map(|l| l.split_once(":CONSOLE").map(|(_, m)| m.split_once("] ").map_or(m, |(_, m)| m).to_string())).collect();
    Rendered { dom, console, log }
}

/// The DOM of `url` once its scripts ran, as HTML.
pub fn dump_dom(url: &str) -> String {
    render(url).dom
}

/// A PNG of `url` once its scripts ran, `width`×`height` pixels, written to `out`.
pub fn screenshot(url: &str, out: &Path, width: u32, height: u32) {
    let out = std::path::absolute(out).expect("an absolute path");
    let _ = std::fs::remove_file(&out);
    let (_, log) = run(url, &[format!("--screenshot={}", out.display()), format!("--window-size={width},{height}")]);
    let png = std::fs::read(&out).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "chromium wrote no PNG to {}:\n{log}", out.display());
}
