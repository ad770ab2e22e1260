//! `zkbatch-relayer --config relayer.toml`: the relayer on its own (the `zkbatch relay` command
//! runs the same service with its main options also as flags and environment variables).

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let config = match (args.next().as_deref(), args.next()) {
        (Some("--config"), Some(path)) => PathBuf::from(path),
        _ => {
            eprintln!("usage: zkbatch-relayer --config relayer.toml");
            return ExitCode::from(2);
        }
    };
    let result = (|| -> anyhow::Result<()> {
        let config = zkbatch_relayer::Config::load(&config)?;
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(zkbatch_relayer::run(config))?;
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
