//! The folders commands read and write: `*.json` inputs, and `NAME.proof.json` +
//! `NAME.public.json` pairs (what `zkbatch prove` writes for each `NAME.json`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Writes a file the command generated, creating its folder.
pub(crate) fn write(path: &Path, contents: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// The `*.json` files in `dir`, sorted by name; an error if there are none.
pub(crate) fn json_inputs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut inputs: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    inputs.sort();
    if inputs.is_empty() {
        bail!("{} holds no *.json inputs", dir.display());
    }
    Ok(inputs)
}

/// The NAME.proof.json + NAME.public.json pairs in `dir`, sorted by name.
pub(crate) fn proof_pairs(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut proofs: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".proof.json"))
        .collect();
    proofs.sort();
    if proofs.is_empty() {
        bail!("{} holds no NAME.proof.json files", dir.display());
    }
    Ok(proofs
        .into_iter()
        .map(|p| {
            let public = PathBuf::from(p.to_string_lossy().replace(".proof.json", ".public.json"));
            (p, public)
        })
        .collect())
}

/// NAME of a `NAME.proof.json`.
pub(crate) fn proof_name(proof: &Path) -> String {
    proof.file_name().map_or_else(String::new, |f| f.to_string_lossy().trim_end_matches(".proof.json").to_string())
}
