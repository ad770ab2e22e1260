//! What the CLI prints: text for people on stderr/stdout, or one JSON document for scripts.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

pub struct Output {
    json: bool,
    /// Whether the JSON document was printed: stdout holds one document, so a later error goes
    /// to stderr (the document already says `"ok": false`).
    printed: std::cell::Cell<bool>,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json, printed: std::cell::Cell::new(false) }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// A line for people; silent in JSON mode so stdout stays one document.
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.json {
            println!("{}", line.as_ref());
        }
    }

    /// The command's result: the JSON document, or nothing (text was already said).
    pub fn result(&self, value: Value) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(&value).expect("JSON serialises"));
            self.printed.set(true);
        }
    }

    pub fn error(&self, err: &anyhow::Error) {
        if self.json && !self.printed.get() {
            let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
            println!("{}", serde_json::json!({ "ok": false, "error": format!("{err:#}"), "causes": chain }));
        } else {
            eprintln!("error: {err:#}");
        }
    }

    /// A progress bar on stderr when it is a terminal and the output is for people; hidden otherwise.
    pub fn progress(&self, len: u64, what: &str) -> ProgressBar {
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
