//! `zkbatch migrate`: brings a database's schema up to date without starting a node, so a
//! deployment can run it once (a Kubernetes Job, a compose one-shot) before nodes of a new
//! version start. Nodes apply the same migrations at start, under the same lock, so skipping it
//! is safe too.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use zkbatch_relayer::store::{Backend, Store};

use crate::output::Output;

/// `zkbatch migrate`'s arguments.
#[derive(Args)]
pub(crate) struct MigrateArgs {
    /// SQLite database file (created when missing), or a postgres:// URL.
    #[arg(long, env = "ZKBATCH_DATABASE")]
    database: PathBuf,
}

pub(crate) fn run(out: &Output, args: MigrateArgs) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        // The URL may carry a password: name the database by its kind only.
        let store = Store::open(&args.database).await.context("opening the database (its schema is migrated as it opens)")?;
        let version = store.schema_version().await?;
        let backend = match store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        out.say(format!("{backend} database at schema version {version}"));
        out.result(serde_json::json!({ "ok": true, "backend": backend, "schema_version": version }));
        anyhow::Ok(())
    })
}
