//! Aggregate mode's lanes and fallbacks, with the aggregate workers' side played through the
//! store (the proving itself is tested with a real halo2 aggregate in the CLI's
//! aggregate_relay test): the relay role leaves a circuit's queued proofs to the workers, submits
//! what they record, and batch-verifies the proofs of an aggregate that failed to prove, that the
//! registry refuses, or whose lease ran out and never came back.

use std::time::Duration;

use zkbatch_relayer::config::{AggregateTarget, SubmitMode};
use zkbatch_relayer::Relayer;

use crate::harness::{config, Chain, Circuit, Http};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregate_mode_proofs_wait_for_the_workers_and_fall_back_to_batches_when_an_aggregate_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 41);
    let chain = Chain::start(&circuit, None).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    // The aggregate registry is an address with code whose `submit` reverts (ProofRegistry has
    // none): every aggregate sent there is refused in the pre-flight estimate.
    cfg.circuits[0].mode = SubmitMode::Aggregate;
    cfg.circuits[0].aggregate = Some(AggregateTarget { registry: chain.registry, slots: 2, max_wait_ms: 60_000, gas: 500_000, prove_s: None });
    let relayer = Relayer::start(cfg).await.expect("relayer starts");
    let http = Http::new(format!("http://{}", relayer.addr));
    let store = relayer.store.clone();

    let ids = http.post_proofs(&mut circuit, 6).await;
    // Past the batch wait (200 ms) several times over: the relay role batches none of them.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for id in &ids {
        let r = http.get(&format!("/v1/proofs/{id}")).await.unwrap();
        assert_eq!(r.json["status"], "queued", "left to the aggregate workers: {}", r.text);
    }

    // A worker proves an aggregate of the first two, and the registry refuses it.
    let a = store.claim_aggregate(crate::harness::CIRCUIT, 2, 60_000, true, "worker-a", 60_000).await.unwrap().expect("two queued");
    assert_eq!(a.proofs.len(), 2);
    let r = http.get(&format!("/v1/proofs/{}", ids[0])).await.unwrap();
    assert_eq!((r.json["status"].as_str(), r.json["aggregate"]["status"].as_str()), (Some("aggregating"), Some("proving")), "{}", r.text);
    // Another worker cannot record it (not its lease).
    assert!(!store.aggregate_ready(a.id, "worker-b", b"junk").await.unwrap());
    assert!(store.aggregate_ready(a.id, "worker-a", b"not a registry call").await.unwrap());
    // A second aggregate fails to prove.
    let b = store.claim_aggregate(crate::harness::CIRCUIT, 2, 60_000, true, "worker-a", 60_000).await.unwrap().expect("two more");
    assert_eq!(store.aggregate_failed(b.id, Some("worker-a"), "the prover failed").await.unwrap(), 2);
    // A third is claimed by a worker that dies: its lease runs out and nothing comes back.
    let c = store.claim_aggregate(crate::harness::CIRCUIT, 2, 60_000, true, "worker-dead", 1).await.unwrap().expect("the last two");
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.expire_aggregates().await.unwrap(), 1);
    assert!(!store.renew_aggregate(c.id, "worker-dead", 60_000).await.unwrap(), "an expired lease is not renewed");
    assert!(!store.aggregate_ready(c.id, "worker-dead", b"late").await.unwrap(), "a late result is dropped");
    // Those two are queued again for the next aggregate; a worker takes them and fails them too.
    let d = store.claim_aggregate(crate::harness::CIRCUIT, 2, 60_000, true, "worker-a", 60_000).await.unwrap().expect("the expired two");
    assert_eq!(d.proofs.iter().map(|q| q.key).collect::<Vec<_>>(), c.proofs.iter().map(|q| q.key).collect::<Vec<_>>());
    assert_eq!(store.aggregate_failed(d.id, Some("worker-a"), "the prover failed").await.unwrap(), 2);

    // Every proof ends batch-verified through ProofRegistry, exactly once, counted from the chain.
    let done = chain.landed_exactly_once(&http, &ids, Duration::from_secs(60)).await;
    for status in &done {
        assert_ne!(status["batch"]["mode"], "aggregate", "{status}");
        assert_eq!(status["aggregate"]["status"], "failed", "{status}");
    }
    let metrics = http.get("/metrics").await.unwrap().text;
    assert!(metrics.contains("zkbatch_relayer_aggregates_refused_total 1"), "{metrics}");
    relayer.stop().await;
}

/// Auto mode follows the model (`crate::choice`'s unit test checks each branch with fixed figures):
/// here with the relayer's own gas lines, an aggregate priced at 25k a proof, and the aggregate
/// node's liveness and proving time as the database has them. No node alive: batch. A node alive
/// and fast enough: the proofs are routed to it (and fall back to a batch when its aggregate
/// fails). A node whose measured time is past the latency bound: batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_mode_routes_to_a_live_aggregate_node_only_when_cheapest_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 43);
    let chain = Chain::start(&circuit, None).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    cfg.circuits[0].mode = SubmitMode::Auto;
    cfg.circuits[0].max_latency_s = Some(600.0);
    cfg.circuits[0].aggregate = Some(AggregateTarget { registry: chain.registry, slots: 4, max_wait_ms: 60_000, gas: 100_000, prove_s: Some(60.0) });
    // One decision per four proofs: a batch closes when full (the wait is long).
    cfg.batch.max_size = 4;
    cfg.batch.max_wait_ms = 60_000;
    let relayer = Relayer::start(cfg).await.expect("relayer starts");
    let http = Http::new(format!("http://{}", relayer.addr));
    let store = relayer.store.clone();
    let decisions = |text: &str, mode: &str| -> u64 {
        let line = format!("zkbatch_relayer_mode_decisions_total{{mode=\"{mode}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&line)).map_or(0, |n| n.trim().parse().unwrap())
    };

    // No aggregate node: batch verification (90k a proof against single's 231k).
    let first = http.post_proofs(&mut circuit, 4).await;
    let done = chain.landed_exactly_once(&http, &first, Duration::from_secs(60)).await;
    assert!(done.iter().all(|s| s["batch"]["mode"] == "batch"), "{done:?}");

    // A node alive, its time unmeasured but configured (60 s, within the 600 s bound): the four
    // go to the aggregate lane (25k a proof), where only an aggregate node claims them.
    store.aggregate_node_seen("node-x", crate::harness::CIRCUIT, None).await.unwrap();
    let second = http.post_proofs(&mut circuit, 4).await;
    let start = std::time::Instant::now();
    while decisions(&http.get("/metrics").await.unwrap().text, "aggregate") < 1 {
        assert!(start.elapsed() < Duration::from_secs(60), "no aggregate decision");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(store.claim_aggregate(crate::harness::CIRCUIT, 4, 60_000, false, "node-x", 60_000).await.unwrap().is_some_and(|a| {
        let mut got: Vec<String> = a.proofs.iter().map(|q| format!("{:#x}", q.key)).collect();
        let mut want = second.clone();
        got.sort();
        want.sort();
        got == want
    }));
    // Its aggregate fails: the four are batch-verified.
    let claimed = store.aggregate(1).await.unwrap().expect("aggregate 1");
    assert_eq!(claimed.status, "proving");
    store.aggregate_failed(1, Some("node-x"), "the prover failed").await.unwrap();
    chain.landed_exactly_once(&http, &[first.clone(), second.clone()].concat(), Duration::from_secs(60)).await;

    // The node measured 1,000 s an aggregate: past the bound, batch again.
    store.aggregate_node_seen("node-x", crate::harness::CIRCUIT, Some(1_000_000)).await.unwrap();
    let third = http.post_proofs(&mut circuit, 4).await;
    let done = chain.landed_exactly_once(&http, &[first, second, third.clone()].concat(), Duration::from_secs(60)).await;
    assert!(done[8..].iter().all(|s| s["batch"]["mode"] == "batch"), "{done:?}");
    let metrics = http.get("/metrics").await.unwrap().text;
    assert_eq!((decisions(&metrics, "aggregate"), decisions(&metrics, "single")), (1, 0), "{metrics}");
    assert!(decisions(&metrics, "batch") >= 3, "{metrics}");
    relayer.stop().await;
}
