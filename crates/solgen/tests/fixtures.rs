//! The checked-in forge fixtures are what our prover and generators produce now.

use std::path::PathBuf;

#[test]
fn forge_fixtures_are_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let update = std::env::var_os("ZKBATCH_UPDATE_FIXTURES").is_some();
    let mut stale = Vec::new();
    for file in zkbatch_solgen::fixtures::generate() {
        let path = root.join(&file.path);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file.contents).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
            stale.push(file.path);
        }
    }
    assert!(stale.is_empty(), "stale fixtures (regenerate with `make fixtures`): {stale:?}");
}
