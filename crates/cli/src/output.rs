//! What the CLI prints: text for people on stderr/stdout, or one JSON document for scripts.

use std::io::IsTerminal;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

/// How a command reports: text or JSON, and how much logging.
#[derive(Args, Clone, Copy, Debug)]
pub(crate) struct OutputOpts {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// More log output on stderr (-v: per proof, -vv: per phase). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// Logs to stderr at the level `-v` asks for.
pub(crate) fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

/// Where a command's text and JSON go.
pub(crate) struct Output {
    json: bool,
    /// Whether the JSON document was printed: stdout holds one document, so a later error goes
    /// to stderr (the document already says `"ok": false`).
    printed: std::cell::Cell<bool>,
}

/// A line on stdout; a closed stdout (a reader that went away, e.g. in front of a long-running
/// `zkbatch serve`) is not worth a panic.
fn print_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

impl Output {
    pub(crate) fn new(json: bool) -> Self {
        Output { json, printed: std::cell::Cell::new(false) }
    }

    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    /// A line for people; silent in JSON mode so stdout stays one document.
    pub(crate) fn say(&self, line: impl AsRef<str>) {
        if !self.json {
            print_line(line.as_ref());
        }
    }

    /// The command's result: the JSON document, or nothing (text was already said).
    pub(crate) fn result(&self, value: Value) {
        if self.json {
            print_line(&serde_json::to_string_pretty(&value).expect("JSON serialises"));
            self.printed.set(true);
        }
    }

    pub(crate) fn error(&self, err: &anyhow::Error) {
        if self.json && !self.printed.get() {
            let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
            print_line(&serde_json::json!({ "ok": false, "error": describe(err), "causes": chain }).to_string());
        } else {
            eprintln!("error: {}", describe(err));
        }
    }

    /// A progress bar on stderr when it is a terminal and the output is for people; hidden otherwise.
    pub(crate) fn progress(&self, len: u64, what: &str) -> ProgressBar {
        if self.json || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }
}

/// The process's resident memory now and at its peak, in GiB (Linux; zeros elsewhere).
pub(crate) fn memory_gib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / (1024.0 * 1024.0))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One long phase of work (keygen, proving): a spinner with elapsed time and memory while it runs,
/// a line with its time and peak memory when it ends, and a record for the JSON document.
pub(crate) struct Phase {
    name: String,
    start: std::time::Instant,
    bar: ProgressBar,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Output {
    pub(crate) fn phase(&self, name: &str) -> Phase {
        // Linux: restart the kernel's peak-RSS count, so each phase reports its own peak.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let bar = if self.json || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
            bar
        };
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let start = std::time::Instant::now();
        let ticker = (!bar.is_hidden()).then(|| {
            let (bar, stop, name) = (bar.clone(), stop.clone(), name.to_string());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (rss, peak) = memory_gib();
                    bar.set_message(format!("{name}: {:.0?}, memory {rss:.2} GiB (peak {peak:.2} GiB)", start.elapsed()));
                    bar.tick();
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            })
        });
        Phase { name: name.to_string(), start, bar, stop, ticker }
    }
}

impl Phase {
    /// Ends the phase: prints its line (text mode) and returns its record.
    pub(crate) fn finish(mut self, out: &Output) -> Value {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.bar.finish_and_clear();
        let seconds = self.start.elapsed().as_secs_f64();
        let (_, peak) = memory_gib();
        if !out.is_json() {
            eprintln!("{}: {seconds:.1} s, peak memory {peak:.2} GiB", self.name);
        }
        serde_json::json!({ "phase": self.name, "seconds": seconds, "peak_rss_gib": peak })
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.bar.finish_and_clear();
    }
}

/// The error and its causes on one line, as `{:#}` writes them, less the causes the line already
/// says: many errors name their source in their own text (`{path}: {source}`, or mid-sentence
/// before advice) and expose it as the source too, and the user should read it once.
pub(crate) fn describe(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}


#[cfg(test)]
mod tests {
    use super::describe;
    use zkbatch_prover::snarkjs::FileError;

    #[test]
    fn a_cause_the_message_already_names_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let err = anyhow::Error::from(FileError::Io { path: "a.json".into(), source: io });
        assert_eq!(describe(&err), "a.json: No such file or directory");
        // A context that does not name its cause keeps it after a colon.
        let err = err.context("reading the proofs");
        assert_eq!(describe(&err), "reading the proofs: a.json: No such file or directory");
        // A cause named mid-sentence, before the message's advice, is said once too.
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let err = anyhow::Error::from(zkbatch_evm::solc::SolcError::Spawn { solc: "/x/solc".into(), source: io });
        assert_eq!(describe(&err).matches("No such file or directory").count(), 1, "{}", describe(&err));
    }
}
