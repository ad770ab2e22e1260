//! Load and faults together: clients post proofs without pause (retrying what a dead relayer did
//! not answer) while the relayer process is SIGKILLed and restarted, anvil is stopped (SIGSTOP)
//! and resumed, and a reorg takes blocks away. At the end every accepted proof is confirmed
//! exactly once on the canonical chain, counted from its `ProofVerified` events.
//!
//! It prints one JSON report: proofs, faults, lost (must be 0), duplicated (must be 0), and the
//! time from the end of each fault until every proof accepted before it is confirmed on-chain
//! (reported, not asserted: the machines are noisy). `ZKBATCH_CHAOS_PROOFS` sets the proofs (default 96 here; `make chaos`
//! runs 2,000).

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::B256;
use alloy::providers::Provider;
use serde_json::json;

use crate::harness::{body, config, landed, spawn_relayer, wait_healthy, Chain, Circuit, Http, CIRCUIT};

/// A bound against hanging, not a speed requirement.
const LIMIT: Duration = Duration::from_secs(600);
/// Concurrent clients.
const CLIENTS: usize = 4;

/// Posts `body` until the relayer answers 202 or 200 (a restart refuses connections, a full
/// queue answers 429); returns the proof's id.
async fn post_until_answered(http: &Http, body: String) -> String {
    let start = Instant::now();
    loop {
        match http.post("/v1/proofs", body.clone()).await {
            Ok(r) if r.status == 202 || r.status == 200 => return r.json["id"].as_str().expect("id").to_string(),
            Ok(r) => assert!(r.status == 429 || r.status == 503, "{}: {}", r.status, r.text),
            Err(_) => {} // the relayer is down: try again
        }
        assert!(start.elapsed() < LIMIT, "a proof was never accepted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the chain shows at least `target` proofs verified (those accepted before the
/// fault); returns how long that took: the time to recover.
async fn recovered(chain: &Chain, target: usize) -> Duration {
    let start = Instant::now();
    while chain.verified().await.len() < target {
        assert!(start.elapsed() < LIMIT, "the proofs accepted before the fault were never all confirmed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    start.elapsed()
}

/// Waits until at least `n` proofs have been accepted.
async fn accepted_at_least(accepted: &Mutex<Vec<String>>, n: usize) {
    let start = Instant::now();
    while accepted.lock().expect("ids").len() < n {
        assert!(start.elapsed() < LIMIT, "posting stalled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_proof_lands_once_through_kills_pauses_and_a_reorg_under_load() {
    let proofs: usize = std::env::var("ZKBATCH_CHAOS_PROOFS").ok().and_then(|n| n.parse().ok()).unwrap_or(96);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut circuit = Circuit::new(dir.path(), 41);
    let chain = Chain::start(&circuit, None).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    cfg.batch.max_size = 8;
    cfg.batch.max_wait_ms = 100;
    cfg.retry.rpc_timeout_ms = 1_000;
    cfg.retry.orphan_after_ms = 2_000;
    cfg.finality_depth = Some(8);
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port();
    cfg.listen = format!("127.0.0.1:{port}").parse().expect("addr");
    let config_path = dir.path().join("relayer.toml");
    std::fs::write(&config_path, toml::to_string(&cfg).expect("config")).expect("write config");
    let log = dir.path().join("relayer.log");
    let http = Arc::new(Http::new(format!("http://127.0.0.1:{port}")));
    let mut relayer = spawn_relayer(&config_path, &log);
    wait_healthy(&http).await;

    // The clients: each takes the next proof and posts it until it is answered, then the next.
    let bodies: Vec<String> = (0..proofs).map(|_| circuit.proof()).map(|(p, x)| body(CIRCUIT, &p, &x)).collect();
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (http, bodies, next, accepted) = (http.clone(), bodies.clone(), next.clone(), accepted.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(b) = bodies.get(i) else { return };
                    let id = post_until_answered(&http, b.clone()).await;
                    accepted.lock().expect("ids").push(id);
                    // A steady stream rather than one burst, so the faults land mid-load.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        })
        .collect();

    let mut recoveries = Vec::new();
    let count = |accepted: &Mutex<Vec<String>>| accepted.lock().expect("ids").iter().collect::<HashSet<_>>().len();
    // 1. SIGKILL the relayer a quarter of the way in, and start it again.
    accepted_at_least(&accepted, proofs / 4).await;
    relayer.0.kill().expect("SIGKILL");
    relayer.0.wait().expect("reaped");
    let target = count(&accepted);
    relayer = spawn_relayer(&config_path, &log);
    wait_healthy(&http).await;
    recoveries.push(("relayer SIGKILLed and restarted", recovered(&chain, target).await));

    // 2. Stop anvil for 3 s half way in.
    accepted_at_least(&accepted, proofs / 2).await;
    let pid = chain.pid().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().expect("kill").success());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(Command::new("kill").args(["-CONT", &pid]).status().expect("kill").success());
    let target = count(&accepted);
    recoveries.push(("anvil stopped for 3 s", recovered(&chain, target).await));

    // 3. A reorg of depth 2 three quarters of the way in (or at once, if the pause let every
    // proof in): what it took away lands again.
    accepted_at_least(&accepted, 3 * proofs / 4).await;
    let target = chain.verified().await.len().max(count(&accepted));
    let _: serde_json::Value = chain.provider.raw_request("anvil_reorg".into(), json!([2, []])).await.expect("anvil_reorg");
    recoveries.push(("reorg of depth 2", recovered(&chain, target).await));

    for c in clients {
        c.await.expect("client");
    }
    let ids: Vec<String> = accepted.lock().expect("ids").clone();
    let done = http.wait_final(&ids, LIMIT).await;
    let events = chain.verified().await;
    let unique: HashSet<&String> = ids.iter().collect();
    let lost: Vec<&&String> = unique.iter().filter(|id| !events.contains_key(&id.parse::<B256>().expect("key"))).collect();
    let duplicated: Vec<(&B256, &usize)> = events.iter().filter(|(_, n)| **n > 1).collect();
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let report = json!({
        "proofs": proofs,
        "accepted": unique.len(),
        "faults": recoveries.len(),
        "lost": lost.len(),
        "duplicated": duplicated.len(),
        "seconds_to_recover": recoveries.iter().map(|(f, d)| json!({ "fault": f, "s": d.as_secs_f64() })).collect::<Vec<_>>(),
    });
    println!("CHAOS {report}");
    assert_eq!(unique.len(), proofs, "every proof posted was accepted once");
    assert!(lost.is_empty() && duplicated.is_empty(), "{report}\n{log_text}");
    assert!(done.values().all(|s| landed(&s["status"])), "{report}");
    assert_eq!(events.len(), proofs, "events for proofs never accepted: {report}");
    drop(relayer);
}

