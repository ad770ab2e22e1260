//! zkbatch-testing: what zkbatch's tests share, and nothing a user links. A dev-dependency only;
//! it depends on the prover alone among zkbatch's crates, so any other crate's tests can use it.
//!
//! - [`root`], [`tool`] and [`anvil`]: the repository and its project-local toolchain
//!   (`scripts/bootstrap.sh` installs it; `make test` runs that first).
//! - [`keys`]: deterministic keys and proofs, the same ones the forge fixtures hold.
//! - [`claims`]: the example application's members, tree and membership proofs.
//! - [`plot`]: SVG line charts for the benchmark plots (`make plots`).
//! - [`postgres`]: a PostgreSQL server of a test's own.
//! - [`chromium`]: headless Chromium, to render a page (its DOM, a screenshot).
//! - [`debian`]: the Debian packages tests run, installed when missing (as root).

#![forbid(unsafe_code)]

pub mod chromium;
pub mod claims;
pub mod debian;
pub mod keys;
pub mod plot;
pub mod postgres;

use std::path::PathBuf;

use alloy::node_bindings::Anvil;

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A tool of the project-local toolchain: `.tools/bin/NAME` (forge, anvil, solc, snarkjs, circom2).
/// Panics, saying what to run, when it is not installed.
pub fn tool(name: &str) -> PathBuf {
    let path = root().join(".tools/bin").join(name);
    assert!(path.exists(), "{name} is missing: run `make bootstrap` (the README's test command does)");
    path
}

/// anvil from the project's toolchain, ready to be configured and spawned.
pub fn anvil() -> Anvil {
    Anvil::new().path(tool("anvil"))
}
