//! A PostgreSQL server of a test's own: Debian's `postgresql` package (installed with apt-get
//! when missing and running as root, as on CI), initdb in a temporary folder, a free port.

use std::path::PathBuf;
use std::process::Command;

/// Debian's server binaries: /usr/lib/postgresql/<version>/bin.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path().join("bin")).collect();
    versions.sort();
    versions.into_iter().rev().find(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
}

fn install_postgres() -> PathBuf {
    crate::debian::ensure(&["postgresql"], server_bin)
}

/// A PostgreSQL server of the test's own, stopped when dropped.
pub struct Postgres {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    root: bool,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`, trusting local connections.
    pub url: String,
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

    /// initdb in a temporary folder, then the server on a free port.
    pub fn start() -> Postgres {
        let bin = install_postgres();
        let dir = tempfile::tempdir().unwrap();
        let root = crate::debian::is_root();
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

