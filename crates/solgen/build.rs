//! Compiles the Foundry project's contracts with forge (installed by scripts/bootstrap.sh, which
//! this runs first: idempotent, and quick once done), so that Rust code and tests bind to the ABI
//! and bytecode of the contracts as they are now (alloy `sol!` over out/*.json), never a stale copy.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../..");
    for watched in ["contracts", "test/fixtures", "foundry.toml", "scripts/bootstrap.sh", "tools/package-lock.json"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    // `make fixtures` regenerates test/fixtures, which this build would otherwise compile first:
    // a generator change that broke a fixture could then never be fixed by regenerating it.
    println!("cargo:rerun-if-env-changed=ZKBATCH_SKIP_FORGE_BUILD");
    if std::env::var_os("ZKBATCH_SKIP_FORGE_BUILD").is_some() {
        return;
    }
    // Outside this repository (the crate used as a dependency) there is no Foundry project.
    if !root.join("scripts/bootstrap.sh").exists() {
        return;
    }
    let status = Command::new("bash")
        .current_dir(&root)
        .args(["-c", "scripts/bootstrap.sh >&2 && . scripts/env.sh && forge build contracts test/fixtures >&2"])
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "forge build failed ({s}): the contracts must compile for zkbatch-solgen's bindings; \
             run `make bootstrap` and `forge build` in {} to see why",
            root.display()
        ),
        Err(e) => panic!("could not run bash for scripts/bootstrap.sh and forge build: {e}"),
    }
}
