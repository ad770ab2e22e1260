//! The load benchmark (`make bench-relayer`, ignored in `cargo test`; built with `--release`),
//! against relayers on anvil and SQLite files: N proofs (default 10,000; ZKBATCH_BENCH_PROOFS)
//! posted over HTTP by 64 concurrent clients (ZKBATCH_BENCH_CLIENTS), each posting its next proof
//! when its last is answered:
//!
//! - **Intake**, side by side in one run: proofs checked one by one (`verify.max_batch = 1`, the
//!   relayer before micro-batches) and in micro-batches (the default), with 0 %, 10 % and 50 % of
//!   the posts bad (a valid proof with a wrong public input: refused by the pairing check alone);
//!   accepted proofs/s, p50/p99 latency of each request.
//! - **Hostile load**: the N good proofs from 127.0.0.1 while 8 clients at 127.0.0.2 post bad
//!   proofs without pause: one by one, micro-batches without quarantine, micro-batches with it.
//! - **End to end**: the all-good micro-batch run's proofs confirmed on-chain, each exactly once
//!   by the registry's events; confirmed/s, gas per proof.
//!
//! Each run has a chain and a relayer of its own; the relayer keeps submitting while proofs
//! arrive. The clients share the relayer's cores (they run in this process), and so does anvil,
//! at the lowest priority: a relayer's chain is another machine. ZKBATCH_BENCH_RUNS="one by
//! one;micro-batches" picks runs by name; ZKBATCH_BENCH_VERIFY_THREADS and
//! ZKBATCH_BENCH_VERIFY_WINDOW_MS set `verify.threads` and `verify.window_ms`. No timing is
//! asserted; every answer is.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Row;
use zkbatch_relayer::Relayer;

use crate::harness::{body, config, Chain, Circuit, Http, CIRCUIT};

/// One run's shape.
struct Run {
    name: &'static str,
    max_batch: usize,
    quarantine: bool,
    /// Every k-th post is bad (0: none).
    bad_every: usize,
    attacker: bool,
}

struct Outcome {
    accepted: usize,
    refused: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    attacker_answered: u64,
    /// Proofs per pairing check, and pairing checks, from the relayer's metrics.
    mean_batch: f64,
    /// Proofs stored per commit, from the relayer's metrics.
    mean_commit: f64,
    /// Mean milliseconds a request spent in its pairing check (waiting included) and its commit.
    check_ms: f64,
    commit_ms: f64,
    checks: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
}

/// Posts `posts` (body, whether it is good) with 16 clients, and with 8 attackers beside them
/// when asked; every answer checked.
async fn run(dir: &std::path::Path, circuit: &Circuit, shape: &Run, posts: Vec<(String, bool)>, attack: &str, end_to_end: bool) -> Outcome {
    let chain = Chain::start(circuit, None).await;
    lowest_priority(chain.pid());
    let mut cfg = config(dir, &chain, circuit);
    cfg.batch.max_size = 32;
    cfg.batch.max_wait_ms = 500;
    cfg.batch.max_in_flight = 4;
    cfg.queue.capacity = posts.len() + 1;
    cfg.verify.max_batch = shape.max_batch;
    let knob = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(t) = knob("ZKBATCH_BENCH_VERIFY_THREADS") {
        cfg.verify.threads = t as usize;
    }
    if let Some(w) = knob("ZKBATCH_BENCH_VERIFY_WINDOW_MS") {
        cfg.verify.window_ms = w;
    }
    if !shape.quarantine {
        cfg.verify.quarantine_ms = 0;
    }
    let relayer = Relayer::start(cfg).await.expect("relayer starts");
    let base = format!("http://{}", relayer.addr);

    let stop = Arc::new(AtomicBool::new(false));
    let attacker_answered = Arc::new(AtomicU64::new(0));
    let mut attackers = Vec::new();
    if shape.attacker {
        let http = Arc::new(Http::from_address(base.clone(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))));
        for _ in 0..8 {
            let (http, stop, answered, attack) = (http.clone(), stop.clone(), attacker_answered.clone(), attack.to_string());
            attackers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let r = http.post("/v1/proofs", attack.clone()).await.expect("POST");
                    assert_eq!(r.status, 400, "{}", r.text);
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
    }

    let http = Arc::new(Http::new(base));
    let n = posts.len();
    let queue = Arc::new(tokio::sync::Mutex::new(posts));
    let start = Instant::now();
    let clients: usize = std::env::var("ZKBATCH_BENCH_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, queue) = (http.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let Some((b, good)) = queue.lock().await.pop() else { break };
                let t = Instant::now();
                let r = http.post("/v1/proofs", b).await.expect("POST");
                seen.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(r.status, if good { 202 } else { 400 }, "{}", r.text);
                if !good {
                    assert_eq!(r.json["error"], "the proof does not verify against these public inputs and verifying key", "{}", r.text);
                }
            }
            seen
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    for c in tasks {
        latencies.extend(c.await.expect("client"));
    }
    let seconds = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        a.await.expect("attacker");
    }
    latencies.sort_by(f64::total_cmp);
    let metrics = http.get("/metrics").await.expect("metrics").text;
    let value = |name: &str| metrics.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).unwrap_or(0.0);
    let batches = value("zkbatch_relayer_verify_batch_size_count");
    let refused = if shape.bad_every == 0 { 0 } else { n.div_ceil(shape.bad_every) };
    let mean = |name: &str| value(&format!("{name}_sum")) / value(&format!("{name}_count")).max(1.0);
    let outcome = Outcome {
        accepted: n - refused,
        refused,
        seconds,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        attacker_answered: attacker_answered.load(Ordering::Relaxed),
        mean_batch: value("zkbatch_relayer_verify_batch_size_sum") / batches.max(1.0),
        mean_commit: mean("zkbatch_relayer_intake_commit_size"),
        check_ms: mean("zkbatch_relayer_intake_verify_seconds") * 1000.0,
        commit_ms: mean("zkbatch_relayer_intake_store_seconds") * 1000.0,
        checks: value("zkbatch_relayer_verify_checks_total "),
    };
    if end_to_end {
        confirm_all(&relayer, &chain, outcome.accepted, start).await;
    }
    relayer.stop().await;
    outcome
}

/// A relayer's chain is another machine; here anvil shares the relayer's cores, so each of its
/// threads runs under SCHED_IDLE: only on CPU the relayer leaves. (At nice 19 it still took a
/// quarter of the two cores while the relayer was saturated: the scheduler gives even nice-19
/// threads their share of every gap in a pipeline of handoffs.)
fn lowest_priority(pid: u32) {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("anvil's threads");
    for task in tasks {
        let tid = task.expect("a thread").file_name();
        let status = std::process::Command::new("chrt").args(["--idle", "-p", "0"]).arg(&tid).stdout(std::process::Stdio::null()).status().expect("chrt");
        assert!(status.success(), "chrt --idle of anvil's thread {tid:?}");
    }
}

/// Waits for every accepted proof to be confirmed; checks each has exactly one event on-chain.
async fn confirm_all(relayer: &Relayer, chain: &Chain, n: usize, start: Instant) {
    let pool = relayer.store.pool().clone();
    loop {
        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM proofs WHERE status IN ('confirmed', 'failed')").fetch_one(&pool).await.unwrap();
        if done as usize == n {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(3600), "{done} of {n} done after an hour");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let confirmed = start.elapsed();
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM proofs WHERE status = 'failed'").fetch_one(&pool).await.unwrap();
    assert_eq!(failed, 0);
    let events = chain.verified().await;
    assert_eq!(events.len(), n, "distinct proofs with an event");
    assert!(events.values().all(|c| *c == 1), "a proof has two events");
    let row = sqlx::query("SELECT COUNT(*) AS txs, SUM(gas_used) AS gas, SUM(size) AS proofs FROM batches WHERE status = 'confirmed'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (txs, gas, proofs): (i64, i64, i64) = (row.get("txs"), row.get("gas"), row.get("proofs"));
    println!("RESULT end-to-end proofs={n} confirmed_s={:.2} confirmed_per_s={:.1} txs={txs} gas_per_proof={:.0}", confirmed.as_secs_f64(), n as f64 / confirmed.as_secs_f64(), gas as f64 / proofs as f64);
    let by_mode = sqlx::query("SELECT mode, COUNT(*) AS txs, SUM(size) AS proofs, SUM(gas_used) AS gas FROM batches WHERE status = 'confirmed' GROUP BY mode")
        .fetch_all(&pool)
        .await
        .unwrap();
    for r in by_mode {
        let (mode, t, p, g): (String, i64, i64, i64) = (r.get("mode"), r.get("txs"), r.get("proofs"), r.get("gas"));
        println!("RESULT mode={mode} txs={t} proofs={p} gas_per_proof={:.0}", g as f64 / p as f64);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench-relayer"]
async fn load_benchmark() {
    let n: usize = std::env::var("ZKBATCH_BENCH_PROOFS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 42);
    let t = Instant::now();
    // A good proof and its bad twin (a public input changed: canonical, on the curve, refused
    // only by the pairing check) for every post.
    let proofs: Vec<(String, String)> = (0..n)
        .map(|_| {
            let (p, x) = circuit.proof();
            let mut wrong = x.clone();
            wrong[0] = "5".into();
            (body(CIRCUIT, &p, &x), body(CIRCUIT, &p, &wrong))
        })
        .collect();
    eprintln!("proved {n} squares-2 proofs in {:.1} s", t.elapsed().as_secs_f64());
    let attack = proofs[0].1.clone();

    let one = |name, bad_every, attacker| Run { name, max_batch: 1, quarantine: true, bad_every, attacker };
    let batched = |name, bad_every, attacker| Run { name, max_batch: 64, quarantine: true, bad_every, attacker };
    let runs = [
        one("one by one", 0, false),
        batched("micro-batches", 0, false),
        one("one by one, 10 % bad", 10, false),
        batched("micro-batches, 10 % bad", 10, false),
        one("one by one, 50 % bad", 2, false),
        batched("micro-batches, 50 % bad", 2, false),
        one("one by one, attacker", 0, true),
        Run { name: "micro-batches, attacker, no quarantine", max_batch: 64, quarantine: false, bad_every: 0, attacker: true },
        batched("micro-batches, attacker", 0, true),
    ];
    println!("| run | posts | accepted | refused | s | accepted/s | p50 ms | p99 ms | attacker's posts answered/s | proofs per pairing check | pairing checks | proofs per commit | ms in the check (mean) | ms in the commit (mean) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    // ZKBATCH_BENCH_RUNS="one by one;micro-batches": only the runs of these names.
    let only: Vec<String> = std::env::var("ZKBATCH_BENCH_RUNS").map(|v| v.split(';').map(str::to_string).collect()).unwrap_or_default();
    for (i, shape) in runs.iter().enumerate() {
        if !only.is_empty() && !only.iter().any(|o| o == shape.name) {
            continue;
        }
        let sub = dir.path().join(format!("run{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        // Bad posts spread evenly through the stream (the clients pop from the end).
        let posts: Vec<(String, bool)> = proofs
            .iter()
            .enumerate()
            .map(|(j, (good, bad))| if shape.bad_every > 0 && j % shape.bad_every == 0 { (bad.clone(), false) } else { (good.clone(), true) })
            .collect();
        let end_to_end = shape.max_batch > 1 && shape.bad_every == 0 && !shape.attacker;
        let o = run(&sub, &circuit, shape, posts, &attack, end_to_end).await;
        println!(
            "| {} | {n} | {} | {} | {:.2} | {:.0} | {:.1} | {:.1} | {} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1} |",
            shape.name,
            o.accepted,
            o.refused,
            o.seconds,
            o.accepted as f64 / o.seconds,
            o.p50_ms,
            o.p99_ms,
            if shape.attacker { format!("{:.0}", o.attacker_answered as f64 / o.seconds) } else { "—".into() },
            o.mean_batch,
            o.checks,
            o.mean_commit,
            o.check_ms,
            o.commit_ms
        );
    }
}
