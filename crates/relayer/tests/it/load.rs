//! The load benchmark (`make bench-relayer`, ignored in `cargo test`): N proofs (default 10,000;
//! ZKBATCH_BENCH_PROOFS) posted over HTTP by 16 concurrent clients to a relayer on anvil and a
//! SQLite file; prints proofs/s accepted and confirmed and gas per proof, and checks every proof
//! was confirmed exactly once from the chain's events.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Row;
use zkbatch_relayer::Relayer;

use crate::harness::{body, config, Chain, Circuit, Http, CIRCUIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench-relayer"]
async fn load_benchmark() {
    let n: usize = std::env::var("ZKBATCH_BENCH_PROOFS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 42);
    let chain = Chain::start(&circuit, None).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    cfg.batch.max_size = 32;
    cfg.batch.max_wait_ms = 500;
    cfg.batch.max_in_flight = 4;
    cfg.queue.capacity = n + 1;
    let relayer = Relayer::start(cfg).await.unwrap();
    let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));

    let t = Instant::now();
    let bodies: Vec<String> = (0..n)
        .map(|_| {
            let (p, x) = circuit.proof();
            body(CIRCUIT, &p, &x)
        })
        .collect();
    eprintln!("proved {n} squares-2 proofs in {:.1} s", t.elapsed().as_secs_f64());

    let start = Instant::now();
    let queue = Arc::new(tokio::sync::Mutex::new(bodies));
    let mut clients = Vec::new();
    for _ in 0..16 {
        let (http, queue) = (http.clone(), queue.clone());
        clients.push(tokio::spawn(async move {
            loop {
                let Some(b) = queue.lock().await.pop() else { break };
                let r = http.post("/v1/proofs", b).await.expect("POST");
                assert_eq!(r.status, 202, "{}", r.text);
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    let accepted = start.elapsed();

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
    let by_mode = sqlx::query("SELECT mode, COUNT(*) AS txs, SUM(size) AS proofs, SUM(gas_used) AS gas FROM batches WHERE status = 'confirmed' GROUP BY mode")
        .fetch_all(&pool)
        .await
        .unwrap();
    println!("RESULT proofs={n} accepted_s={:.2} accepted_per_s={:.1} confirmed_s={:.2} confirmed_per_s={:.1} txs={txs} gas_per_proof={:.0}",
        accepted.as_secs_f64(), n as f64 / accepted.as_secs_f64(), confirmed.as_secs_f64(), n as f64 / confirmed.as_secs_f64(), gas as f64 / proofs as f64);
    for r in by_mode {
        let (mode, t, p, g): (String, i64, i64, i64) = (r.get("mode"), r.get("txs"), r.get("proofs"), r.get("gas"));
        println!("RESULT mode={mode} txs={t} proofs={p} gas_per_proof={:.0}", g as f64 / p as f64);
    }
    relayer.stop().await;
}
