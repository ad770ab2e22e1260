//! Two relayer instances, each with its own signer key, sharing one PostgreSQL database: every
//! proof is confirmed exactly once (from the chain's events), whichever instance took it.
//!
//! The test starts its own PostgreSQL server (Debian's `postgresql` package; installed with
//! apt-get when missing and running as root, as on CI) in a temporary folder, on a free port.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{body, config, Chain, Circuit, Http, CIRCUIT};
use zkbatch_relayer::Relayer;

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Debian's server binaries: /usr/lib/postgresql/<version>/bin.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path().join("bin")).collect();
    versions.sort();
    versions.into_iter().rev().find(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
}

fn install_postgres() -> PathBuf {
    if let Some(bin) = server_bin() {
        return bin;
    }
    assert!(is_root(), "PostgreSQL is not installed: apt-get install postgresql (this test installs it itself only as root)");
    let ok = Command::new("bash")
        .args(["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "apt-get install postgresql failed");
    server_bin().expect("postgresql installed but no initdb under /usr/lib/postgresql")
}

struct Postgres {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    root: bool,
    url: String,
}

impl Postgres {
    /// `cmd` as the postgres user when we are root (the server refuses to run as root).
    fn run(&self, args: &[&str]) -> std::process::ExitStatus {
        let mut c = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]);
            c
        } else {
            Command::new("env")
        };
        c.args(args).status().expect("run a PostgreSQL command")
    }

    fn start() -> Postgres {
        let bin = install_postgres();
        let dir = tempfile::tempdir().unwrap();
        let root = is_root();
        if root {
            assert!(Command::new("chown").args(["-R", "postgres:postgres", dir.path().to_str().unwrap()]).status().unwrap().success());
        }
        let data = dir.path().join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = Postgres { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), _dir: dir, data, bin, root };
        let initdb = pg.bin.join("initdb");
        assert!(pg.run(&[initdb.to_str().unwrap(), "-D", pg.data.to_str().unwrap(), "-A", "trust", "-U", "postgres", "--no-sync"]).success(), "initdb");
        let pg_ctl = pg.bin.join("pg_ctl");
        let socket_dir = pg.data.parent().unwrap().to_str().unwrap().to_string();
        let opts = format!("-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off");
        let log = pg.data.parent().unwrap().join("server.log");
        assert!(
            pg.run(&[pg_ctl.to_str().unwrap(), "-D", pg.data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &opts, "-w", "start"]).success(),
            "pg_ctl start"
        );
        pg
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let _ = self.run(&[pg_ctl.to_str().unwrap(), "-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_confirm_every_proof_once() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 7);
    let chain = Chain::start(&circuit, None).await;
    let mut relayers = Vec::new();
    for i in 0..2 {
        let sub = dir.path().join(format!("instance-{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        let mut cfg = config(&sub, &chain, &circuit);
        cfg.database = PathBuf::from(&pg.url);
        cfg.batch.max_size = 4;
        cfg.batch.max_wait_ms = 100;
        // Each instance signs with its own key (anvil accounts 1 and 2): its own nonces.
        let key_file = sub.join("relayer.key");
        std::fs::write(&key_file, alloy::hex::encode(chain.anvil.keys()[1 + i].to_bytes())).unwrap();
        cfg.key_file = Some(key_file);
        relayers.push(Relayer::start(cfg).await.expect("relayer on PostgreSQL starts"));
    }
    let https: Vec<Arc<Http>> = relayers.iter().map(|r| Arc::new(Http::new(format!("http://{}", r.addr)))).collect();

    // 64 proofs, posted alternately to the two instances, 8 requests in flight.
    let mut tasks = Vec::new();
    let bodies: Vec<String> = (0..64)
        .map(|_| {
            let (p, x) = circuit.proof();
            body(CIRCUIT, &p, &x)
        })
        .collect();
    for (chunk_index, chunk) in bodies.chunks(8).enumerate() {
        let http = https[chunk_index % 2].clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for b in chunk {
                let r = http.post("/v1/proofs", b).await.expect("POST");
                assert_eq!(r.status, 202, "{}", r.text);
                ids.push(r.json["id"].as_str().unwrap().to_string());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    // Either instance answers for any proof: the state is in the shared database.
    let done = https[0].wait_final(&ids, Duration::from_secs(300)).await;
    assert!(done.values().all(|s| s["status"] == "confirmed"), "{done:?}");
    let events = chain.verified().await;
    for id in &ids {
        let key: alloy::primitives::B256 = id.parse().unwrap();
        assert_eq!(events.get(&key).copied().unwrap_or(0), 1, "proof {id}: events on-chain");
    }
    assert_eq!(events.len(), ids.len(), "events for proofs never accepted");
    let signers: Vec<(String, i64)> = {
        use sqlx::Row;
        sqlx::query("SELECT signer, COUNT(*) AS n FROM batches WHERE status = 'confirmed' GROUP BY signer")
            .fetch_all(relayers[0].store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("signer"), r.get("n")))
            .collect()
    };
    eprintln!("confirmed batches per instance: {signers:?}");
    for r in relayers {
        r.stop().await;
    }
}
