//! `zkbatch relay`'s configuration in layers: a flag over its environment variable over the file
//! over the defaults, each layer seen through the error a wrong value at that layer gets (the
//! configuration is checked before anything starts). The names older releases read still work.

use std::path::Path;
use std::process::{Command, Output};

const CONFIG: &str = r#"
rpc_url = "http://127.0.0.1:9"
registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
batch = { max_size = 0 }
[[circuits]]
id = "merkle-20"
vk = "vk.json"
verifier = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
"#;

fn relay(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zkbatch"));
    c.current_dir(dir).arg("relay").args(args);
    for var in ["ZKBATCH_CONFIG", "ZKBATCH_BATCH_MAX_SIZE", "ZKBATCH_RELAYER_BATCH_MAX_SIZE", "ZKBATCH_RPC_URL", "ZKBATCH_REGISTRY"] {
        c.env_remove(var);
    }
    c.envs(env.iter().copied()).output().expect("run zkbatch relay")
}

fn stderr(out: &Output) -> String {
    assert!(!out.status.success(), "zkbatch relay should have refused the configuration");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("relayer.toml"), CONFIG).expect("write the configuration");

    // The file's own value is checked (0 is out of range) …
    let err = stderr(&relay(d, &[], &["--config", "relayer.toml"]));
    assert!(err.contains("batch.max_size must be 1..=1024, got 0"), "{err}");
    // … the environment overrides it (2000 is out of range too, and says so) …
    let err = stderr(&relay(d, &[("ZKBATCH_BATCH_MAX_SIZE", "2000")], &["--config", "relayer.toml"]));
    assert!(err.contains("got 2000"), "{err}");
    // … and a flag overrides the environment; the config file can come from it too.
    let err = stderr(&relay(d, &[("ZKBATCH_BATCH_MAX_SIZE", "2000"), ("ZKBATCH_CONFIG", "relayer.toml")], &["--batch-max-size", "3000"]));
    assert!(err.contains("got 3000"), "{err}");
    // A name older releases read is read, and the warning names its successor.
    let err = stderr(&relay(d, &[("ZKBATCH_RELAYER_BATCH_MAX_SIZE", "4000")], &["--config", "relayer.toml"]));
    assert!(err.contains("got 4000") && err.contains("ZKBATCH_RELAYER_BATCH_MAX_SIZE is now ZKBATCH_BATCH_MAX_SIZE"), "{err}");
    // Where a shell holds both names with different values, the old one keeps the value it gave
    // the relayer before, and the warning says to unset one.
    let err = stderr(&relay(d, &[("ZKBATCH_RELAYER_BATCH_MAX_SIZE", "4000"), ("ZKBATCH_BATCH_MAX_SIZE", "2000")], &["--config", "relayer.toml"]));
    assert!(err.contains("got 4000") && err.contains("both are set and differ"), "{err}");
    // Without a file, the flags must say at least where the chain and the registry are.
    let err = stderr(&relay(d, &[], &["--batch-max-size", "8"]));
    assert!(err.contains("give --config, or at least --rpc-url, --registry and --circuit"), "{err}");
}

/// `zkbatch migrate` (the Kubernetes migration Job's command) brings a new database to the newest
/// schema, SQLite and PostgreSQL alike, and is a no-op the second time; a database it cannot open
/// is an error that names it.
#[test]
fn migrate_brings_a_database_to_the_newest_schema_once() {
    let newest: i64 = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../relayer/migrations/postgres"))
        .expect("migrations")
        .filter_map(|e| e.ok()?.file_name().to_str()?.split('_').next()?.parse().ok())
        .max()
        .expect("a migration");
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = zkbatch_testing::postgres::Postgres::start();
    let sqlite = dir.path().join("zkbatch.db");
    for database in [sqlite.to_str().unwrap(), pg.url.as_str()] {
        for _ in 0..2 {
            let out = Command::new(env!("CARGO_BIN_EXE_zkbatch")).args(["--json", "migrate"]).env("ZKBATCH_DATABASE", database).output().expect("zkbatch migrate");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            assert_eq!(report["schema_version"], newest, "{report}");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_zkbatch")).args(["migrate", "--database", "postgres://nobody@127.0.0.1:9/none"]).output().expect("zkbatch migrate");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("opening the database"), "{}", String::from_utf8_lossy(&out.stderr));
}
