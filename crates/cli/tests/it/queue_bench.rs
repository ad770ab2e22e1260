//! The job queue's coordination ceiling on one PostgreSQL (`make bench-queue`, ignored in `cargo
//! test`). **Proving is replaced by a fixed sleep, so this measures coordination, not proving**:
//! the job table's real cycle from [`Jobs`] (post → claim → heartbeat → complete) against one
//! PostgreSQL server of the test's own, with 1, 8, 32 and 64 concurrent workers.
//!
//! Each worker is a node as a 2-core machine runs it by default (one worker): its own node id,
//! its own [`Store`] opened on the `postgres://` URL as `zkbatch serve` opens it (so its own pool of
//! the node's size), its own heartbeat task (renew this node's leases, expire others', every
//! `lease.heartbeat_ms`, the node's defaults). A worker claims a job with a lease, sleeps
//! ZKBATCH_BENCH_QUEUE_SLEEP_MS (default 20) in place of proving, and completes it with a small
//! fixed outcome; it stops when the queue is empty. The queue is filled before the clock starts
//! (ZKBATCH_BENCH_QUEUE_JOBS jobs per configuration; by default enough for about 10 s at the
//! workers' ideal rate), through `Jobs::post` from 8 concurrent posters: its rate is reported too.
//! Then the same with workers that do not sleep (pure coordination; ZKBATCH_BENCH_QUEUE_ZERO,
//! default `1,8,64`, empty to skip). ZKBATCH_BENCH_QUEUE_WORKERS picks the worker counts.
//!
//! Reported per configuration: completed cycles per second against the ideal `workers / sleep`,
//! p50/p99 of the `claim` call and of the `complete` call, and the server's load: transactions
//! committed per second (`pg_stat_database.xact_commit`) and the CPU seconds of the server's
//! processes (postmaster and its children, from /proc), beside the bench process's own (the clients
//! share the machine's cores with the server). Markdown on stdout, JSON in target/bench-queue.json.
//!
//! Asserted, counted from the database: every posted job ends `proved` after exactly one lease, with
//! the outcome of the worker that claimed it; no claim handed out a job twice, no complete lost its
//! lease. No timing is asserted.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zkbatch_relayer::store::Store;
use zkbatch_service::jobs::{JobStatus, Jobs, NewJob, Outcome, Posted};
use zkbatch_testing::postgres::Postgres;

/// The node's default `max_attempts` (config.rs).
const MAX_ATTEMPTS: u32 = 3;
/// Concurrent posters filling the queue (HTTP handlers on intake nodes).
const POSTERS: usize = 8;
const CIRCUIT: &str = "bench";

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name).unwrap_or_else(|_| default.to_string()).split(',').filter_map(|v| v.trim().parse().ok()).collect()
}

/// Debian's PostgreSQL binaries (Postgres::start installed them).
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").expect("/usr/lib/postgresql").flatten().map(|e| e.path().join("bin")).collect();
    versions.sort();
    versions.into_iter().rev().find(|b| b.join("psql").exists()).expect("psql under /usr/lib/postgresql")
}

/// One statement through psql; its rows, unaligned, `|` between columns.
fn psql(url: &str, sql: &str) -> String {
    let out = Command::new(pg_bin().join("psql")).args([url, "-XtAq", "-c", sql]).output().expect("run psql");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Each node's pool holds up to 8 connections, and a worker that claims again at once can open a
/// new one before the last is back in its pool: 64 nodes need more than the default 100.
/// max_connections takes a restart; pg_ctl restarts with the server's own options.
fn raise_max_connections(url: &str, n: usize) {
    psql(url, &format!("ALTER SYSTEM SET max_connections = {n}"));
    let data = psql(url, "SHOW data_directory");
    let pg_ctl = pg_bin().join("pg_ctl");
    let log = Path::new(&data).parent().unwrap().join("restart.log");
    let args = [pg_ctl.to_str().unwrap(), "-D", &data, "-l", log.to_str().unwrap(), "-m", "fast", "-w", "restart"];
    let mut c = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]);
        c
    } else {
        Command::new("env")
    };
    assert!(c.args(args).status().unwrap().success(), "pg_ctl restart");
    assert_eq!(psql(url, "SHOW max_connections"), n.to_string());
}

/// CPU seconds (user + system) in a /proc/PID/stat: its own, and with `children`, its reaped
/// children's too.
fn cpu_ticks(pid: u32, children: bool) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    // Fields after the command's closing parenthesis: state is field 3; utime 14, stime 15,
    // cutime 16, cstime 17.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<u64> = rest.split_whitespace().map(|v| v.parse().unwrap_or(0)).collect();
    f[11] + f[12] + if children { f[13] + f[14] } else { 0 }
}

fn ticks_per_second() -> f64 {
    Command::new("getconf").arg("CLK_TCK").output().ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100.0)
}

/// The server's CPU seconds so far: the postmaster, its live children (backends, background
/// workers) and the children it reaped.
fn server_cpu(postmaster: u32) -> f64 {
    let mut ticks = cpu_ticks(postmaster, true);
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else { continue };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { continue };
        if status.lines().any(|l| l.strip_prefix("PPid:").is_some_and(|p| p.trim() == postmaster.to_string())) {
            ticks += cpu_ticks(pid, false);
        }
    }
    ticks as f64 / ticks_per_second()
}

fn self_cpu() -> f64 {
    cpu_ticks(std::process::id(), false) as f64 / ticks_per_second()
}

/// Transactions committed in the database so far.
fn commits(url: &str) -> i64 {
    psql(url, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").parse().unwrap()
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1] as f64 / 1e3
}

/// Fills the queue with `n` jobs through `Jobs::post`, from POSTERS tasks at once. Returns the
/// posting time and the rate of the first and last tenth of the posts (the bound's count grows
/// with the queue).
async fn fill(jobs: &Jobs, n: usize) -> (f64, f64, f64) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..POSTERS {
        let (jobs, next) = (jobs.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut at = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return at;
                }
                let input = json!({ "a": i.to_string() });
                let posted = jobs.post(&NewJob { circuit: CIRCUIT, input: &input, submit: false, client_id: None }, n + 1).await.unwrap();
                assert!(matches!(posted, Posted::New(_)), "{posted:?}");
                at.push(start.elapsed().as_secs_f64());
            }
        }));
    }
    let mut at: Vec<f64> = Vec::new();
    for t in tasks {
        at.extend(t.await.unwrap());
    }
    at.sort_by(f64::total_cmp);
    let total = at.last().copied().unwrap_or(0.0);
    let tenth = (n / 10).max(1);
    let first = tenth as f64 / at[tenth - 1];
    let last = tenth as f64 / (total - at[n - tenth - 1].min(total)).max(1e-9);
    (total, first, last)
}

/// What one worker did: the jobs it completed, its claim and complete latencies (µs).
struct WorkerLog {
    node: String,
    slept_us: u64,
    ids: Vec<String>,
    claim_us: Vec<u32>,
    complete_us: Vec<u32>,
}

/// One node's worker: claim, "prove" (sleep), complete, until the queue is empty.
async fn worker(jobs: Jobs, node: String, sleep: Duration, lease_ms: u64) -> WorkerLog {
    let circuits = vec![CIRCUIT.to_string()];
    let (proof, public) = (json!({ "pi_a": ["1", "2", "1"], "protocol": "groth16" }), json!(["1"]));
    let mut log = WorkerLog { node: node.clone(), slept_us: 0, ids: Vec::new(), claim_us: Vec::new(), complete_us: Vec::new() };
    loop {
        let t = Instant::now();
        let claimed = jobs.claim(&node, &circuits, lease_ms).await.unwrap();
        log.claim_us.push(t.elapsed().as_micros() as u32);
        let Some(job) = claimed else { return log };
        if !sleep.is_zero() {
            let t = Instant::now();
            tokio::time::sleep(sleep).await;
            log.slept_us += t.elapsed().as_micros() as u64;
        }
        let report = json!({ "node": node, "attempt": job.attempt, "total_ms": sleep.as_millis() as u64 });
        let outcome = Outcome { proof: &proof, public: &public, report: &report, relay: None };
        let t = Instant::now();
        let written = jobs.complete(&node, &job, &outcome).await.unwrap();
        log.complete_us.push(t.elapsed().as_micros() as u32);
        assert!(written, "node {node} lost its lease on job {} (attempt {})", job.id, job.attempt);
        log.ids.push(job.id);
    }
}

/// The node's heartbeat task (worker.rs): renew this node's leases, expire others', every beat
/// (the first beat, at the node's start, is taken before the clock starts).
async fn heartbeat(jobs: Jobs, node: String, every: Duration, lease_ms: u64, mut stop: tokio::sync::watch::Receiver<bool>) -> u64 {
    let mut beats = 0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return beats;
        }
        beat(&jobs, &node, lease_ms).await;
        beats += 1;
    }
}

/// One beat: this node's leases renewed, expired ones (none here) handed back.
async fn beat(jobs: &Jobs, node: &str, lease_ms: u64) {
    jobs.heartbeat(node, lease_ms).await.unwrap();
    assert_eq!(jobs.expire_leases(MAX_ATTEMPTS).await.unwrap(), 0, "a lease expired during the bench");
}

/// One configuration: an empty queue filled with `n` jobs, then `workers` nodes at it.
async fn run(pg: &Postgres, postmaster: u32, workers: usize, sleep_ms: u64, n: usize) -> Value {
    let lease = zkbatch_service::config::LeaseConfig::default();
    psql(&pg.url, "TRUNCATE jobs");
    psql(&pg.url, "VACUUM ANALYZE jobs");
    let intake = Store::open(Path::new(&pg.url)).await.unwrap();
    let (fill_s, fill_first, fill_last) = fill(&Jobs::new(intake.clone()), n).await;
    intake.pool().close().await;
    psql(&pg.url, "VACUUM ANALYZE jobs");

    let mut nodes = Vec::new();
    for i in 0..workers {
        nodes.push((format!("bench-{workers}-{i:02}"), Jobs::new(Store::open(Path::new(&pg.url)).await.unwrap())));
    }
    // Each node's first beat, as at its start (its pool's connection is then open).
    for (node, jobs) in &nodes {
        beat(jobs, node, lease.duration_ms).await;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (commits0, server0, self0) = (commits(&pg.url), server_cpu(postmaster), self_cpu());
    let start = Instant::now();
    let beats: Vec<_> = nodes
        .iter()
        .map(|(node, jobs)| tokio::spawn(heartbeat(jobs.clone(), node.clone(), Duration::from_millis(lease.heartbeat_ms), lease.duration_ms, stopped.clone())))
        .collect();
    let tasks: Vec<_> =
        nodes.iter().map(|(node, jobs)| tokio::spawn(worker(jobs.clone(), node.clone(), Duration::from_millis(sleep_ms), lease.duration_ms))).collect();
    let mut logs = Vec::new();
    for t in tasks {
        logs.push(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    stop.send(true).unwrap();
    let mut heartbeats = 0;
    for b in beats {
        heartbeats += b.await.unwrap();
    }
    let connections: i64 = psql(&pg.url, "SELECT COUNT(*) - 1 FROM pg_stat_activity WHERE backend_type = 'client backend'").parse().unwrap();
    // Closed pools end their backends, which flush their statistics as they exit.
    for (_, jobs) in &nodes {
        jobs.store().pool().close().await;
    }
    let (commits1, server1, self1) = (commits(&pg.url), server_cpu(postmaster), self_cpu());

    // Correctness, from the database: every job proved once, by the worker that claimed it.
    let claimed_by: HashMap<&str, &str> = logs.iter().flat_map(|l| l.ids.iter().map(move |id| (id.as_str(), l.node.as_str()))).collect();
    let total: usize = logs.iter().map(|l| l.ids.len()).sum();
    assert_eq!(claimed_by.len(), total, "a job was handed to two claims");
    assert_eq!(total, n, "workers completed {total} of {n} jobs");
    let check = Jobs::new(Store::open(Path::new(&pg.url)).await.unwrap());
    assert_eq!(check.status_counts().await.unwrap(), vec![("proved".to_string(), n as i64)]);
    let stored = check.recent(n + 1).await.unwrap();
    assert_eq!(stored.len(), n);
    let mut seen = HashSet::new();
    for job in &stored {
        assert!(seen.insert(job.id.clone()), "job {} listed twice", job.id);
        assert_eq!(job.status, JobStatus::Proved, "{job:?}");
        assert_eq!(job.attempts, 1, "job {} was leased {} times", job.id, job.attempts);
        assert!(job.lease_owner.is_none() && job.finished_ms.is_some(), "{job:?}");
        let node = job.report.as_ref().and_then(|r| r["node"].as_str()).unwrap_or_default();
        assert_eq!(Some(&node), claimed_by.get(job.id.as_str()), "job {}: the result of another node than its claimer", job.id);
    }
    let row = psql(&pg.url, "SELECT COUNT(*), COUNT(DISTINCT id), SUM(attempts) FROM jobs WHERE status = 'proved' AND lease_owner IS NULL");
    assert_eq!(row, format!("{n}|{n}|{n}"), "proved jobs, distinct ids, leases taken");
    check.store().pool().close().await;

    let mut claim: Vec<u32> = logs.iter().flat_map(|l| l.claim_us.iter().copied()).collect();
    let mut complete: Vec<u32> = logs.iter().flat_map(|l| l.complete_us.iter().copied()).collect();
    claim.sort_unstable();
    complete.sort_unstable();
    let rate = n as f64 / elapsed;
    let ideal = (sleep_ms > 0).then(|| workers as f64 * 1e3 / sleep_ms as f64);
    let row = json!({
        "workers": workers, "sleep_ms": sleep_ms, "jobs": n, "seconds": elapsed,
        "cycles_per_second": rate, "ideal_per_second": ideal, "of_ideal": ideal.map(|i| rate / i),
        // Each worker's time per cycle beyond its actual sleep: claim + complete + waiting for a core.
        "overhead_ms_per_cycle": elapsed * workers as f64 / n as f64 * 1e3 - logs.iter().map(|l| l.slept_us).sum::<u64>() as f64 / 1e3 / n as f64,
        "claim_ms": { "p50": percentile(&claim, 0.5), "p99": percentile(&claim, 0.99), "max": percentile(&claim, 1.0) },
        "complete_ms": { "p50": percentile(&complete, 0.5), "p99": percentile(&complete, 0.99), "max": percentile(&complete, 1.0) },
        "heartbeats": heartbeats, "connections": connections,
        // tokio's timer sleeps at least the time asked, to its next millisecond.
        "slept_ms_mean": logs.iter().map(|l| l.slept_us).sum::<u64>() as f64 / 1e3 / n as f64,
        "commits": commits1 - commits0, "commits_per_second": (commits1 - commits0) as f64 / elapsed,
        "commits_per_cycle": (commits1 - commits0) as f64 / n as f64,
        "server_cpu_s": server1 - server0, "server_cores": (server1 - server0) / elapsed,
        "server_cpu_ms_per_cycle": (server1 - server0) * 1e3 / n as f64,
        "bench_cpu_s": self1 - self0, "bench_cores": (self1 - self0) / elapsed,
        "fill": { "seconds": fill_s, "posts_per_second": n as f64 / fill_s, "first_tenth_per_second": fill_first, "last_tenth_per_second": fill_last },
    });
    eprintln!("{row}");
    row
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench-queue"]
async fn queue_ceiling_on_one_postgres() {
    let sleep_ms = env_usize("ZKBATCH_BENCH_QUEUE_SLEEP_MS").unwrap_or(20) as u64;
    let counts = env_list("ZKBATCH_BENCH_QUEUE_WORKERS", "1,8,32,64");
    let zero = env_list("ZKBATCH_BENCH_QUEUE_ZERO", "1,8,64");
    let jobs_for = |workers: usize, sleep_ms: u64| {
        env_usize("ZKBATCH_BENCH_QUEUE_JOBS").unwrap_or(if sleep_ms == 0 {
            // Pure coordination: about a millisecond a cycle alone, a few thousand a second at once.
            if workers == 1 { 10_000 } else { 25_000 }
        } else {
            // About 10 s at the ideal rate, a cycle being the sleep and ~2 ms of coordination.
            (workers * 10_000 / (sleep_ms as usize + 2)).clamp(500, 20_000)
        })
    };
    let max_workers = counts.iter().chain(&zero).copied().max().unwrap_or(1);

    let pg = Postgres::start();
    raise_max_connections(&pg.url, (8 * max_workers + 40).max(100));
    let version = psql(&pg.url, "SHOW server_version");
    let settings = psql(&pg.url, "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')");
    let data = psql(&pg.url, "SHOW data_directory");
    let postmaster: u32 =
        std::fs::read_to_string(Path::new(&data).join("postmaster.pid")).unwrap().lines().next().unwrap().trim().parse().unwrap();
    let lease = zkbatch_service::config::LeaseConfig::default();
    // Migrations, once.
    Store::open(Path::new(&pg.url)).await.unwrap().pool().close().await;

    let mut rows = Vec::new();
    for &w in &counts {
        rows.push(run(&pg, postmaster, w, sleep_ms, jobs_for(w, sleep_ms)).await);
    }
    for &w in &zero {
        rows.push(run(&pg, postmaster, w, 0, jobs_for(w, 0)).await);
    }

    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!("\n## The job queue on one PostgreSQL: coordination only (proving replaced by a fixed sleep)\n");
    println!(
        "PostgreSQL {version} ({settings}) on this machine ({cpus} CPUs, shared with the bench's clients); \
         each worker a node of its own (own node id, own pool, heartbeat every {} ms, leases of {} ms); \
         the queue filled before timing. Proving is a fixed sleep: this measures coordination, not proving.\n",
        lease.heartbeat_ms, lease.duration_ms
    );
    println!("| workers | sleep ms (slept) | jobs | s | cycles/s | ideal (workers / sleep) | of ideal | overhead ms / cycle | claim p50 / p99 ms | complete p50 / p99 ms | commits/s | commits / cycle | PostgreSQL CPU s (cores) | PG CPU ms / cycle | bench CPU s (cores) | connections |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    for r in &rows {
        let (ideal, of) = match r["ideal_per_second"].as_f64() {
            Some(i) => (format!("{i:.0}"), format!("{:.0} %", f(&r["of_ideal"]) * 100.0)),
            None => ("—".into(), "—".into()),
        };
        println!(
            "| {} | {} ({:.1}) | {} | {:.1} | {:.0} | {ideal} | {of} | {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {:.0} | {:.2} | {:.1} ({:.2}) | {:.3} | {:.1} ({:.2}) | {} |",
            r["workers"], r["sleep_ms"], f(&r["slept_ms_mean"]), r["jobs"], f(&r["seconds"]), f(&r["cycles_per_second"]), f(&r["overhead_ms_per_cycle"]),
            f(&r["claim_ms"]["p50"]), f(&r["claim_ms"]["p99"]), f(&r["complete_ms"]["p50"]), f(&r["complete_ms"]["p99"]),
            f(&r["commits_per_second"]), f(&r["commits_per_cycle"]), f(&r["server_cpu_s"]), f(&r["server_cores"]),
            f(&r["server_cpu_ms_per_cycle"]), f(&r["bench_cpu_s"]), f(&r["bench_cores"]), r["connections"],
        );
    }
    println!("\nIntake (`Jobs::post`, {POSTERS} posters at once, before each run; one advisory lock and a count of the queued jobs per post):\n");
    println!("| jobs | s | posts/s | first tenth posts/s | last tenth posts/s |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        let fill = &r["fill"];
        println!("| {} | {:.1} | {:.0} | {:.0} | {:.0} |", r["jobs"], f(&fill["seconds"]), f(&fill["posts_per_second"]), f(&fill["first_tenth_per_second"]), f(&fill["last_tenth_per_second"]));
    }
    let out = zkbatch_testing::root().join("target/bench-queue.json");
    let doc = json!({ "postgres": version, "settings": settings, "cpus": cpus, "lease": { "duration_ms": lease.duration_ms, "heartbeat_ms": lease.heartbeat_ms }, "runs": rows });
    std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    println!("\n{}", out.display());
}
