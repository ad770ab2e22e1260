//! End to end, with real parts only: anvil, the generated verifier and the registry deployed on
//! it, our prover's proofs, a SQLite file, HTTP. "Exactly once" is checked from the chain's
//! `ProofVerified` events, not from the relayer's own records.

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::{B256, U256};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Field;
use ark_std::UniformRand;
use zkbatch_prover::snarkjs::ProofJson;
use zkbatch_prover::{Fr, Proof, VerifyingKey};
use zkbatch_evm::word::{proof_words, vk_hash};
use zkbatch_evm::EvmProof;
use zkbatch_relayer::store::NewProof;
use zkbatch_relayer::Relayer;

use crate::harness::{body, config, landed, spawn_relayer, wait_healthy, Chain, Circuit, Http, CIRCUIT};

/// A bound against hanging, not a speed requirement.
const LIMIT: Duration = Duration::from_secs(300);

async fn post_all(http: &Arc<Http>, bodies: Vec<String>, concurrency: usize) -> Vec<String> {
    let bodies = Arc::new(tokio::sync::Mutex::new(bodies.into_iter().enumerate().collect::<Vec<_>>()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, bodies) = (http.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let Some((i, b)) = bodies.lock().await.pop() else { break };
                let r = http.post("/v1/proofs", b).await.expect("POST");
                assert_eq!(r.status, 202, "proof {i}: {}", r.text);
                ids.push(r.json["id"].as_str().expect("id").to_string());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.expect("task"));
    }
    ids
}

/// Two other valid proofs of `proof`'s statement, made without its witness: (−A, −B, C), and
/// Groth16's re-randomisation (A/t, t·B + t·u·δ, C + u·A) for random t, u, which verifies since
/// e(A/t, t·B + t·u·δ) = e(A, B)·e(u·A, δ).
fn same_statement(proof: &ProofJson, vk: &VerifyingKey) -> [ProofJson; 2] {
    let p = proof.to_proof().expect("a valid proof");
    let negated = Proof { a: (-p.a.into_group()).into_affine(), b: (-p.b.into_group()).into_affine(), c: p.c };
    let mut rng = ark_std::test_rng();
    let (t, u) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let t_inv = t.inverse().expect("t is not zero");
    let rerandomised = Proof {
        a: (p.a * t_inv).into_affine(),
        b: (p.b * t + vk.delta_g2 * (t * u)).into_affine(),
        c: (p.c + p.a * u).into_affine(),
    };
    [negated, rerandomised].map(|q| ProofJson::from_proof(&q))
}

fn key(id: &str) -> B256 {
    id.parse().expect("id is a 32-byte hex key")
}

/// Every id confirmed, each with exactly one event; no event for anything else.
async fn assert_exactly_once(chain: &Chain, ids: &[String]) {
    let events = chain.verified().await;
    for id in ids {
        assert_eq!(events.get(&key(id)).copied().unwrap_or(0), 1, "proof {id}: events on-chain");
    }
    let ours: HashSet<B256> = ids.iter().map(|i| key(i)).collect();
    let extra: Vec<_> = events.keys().filter(|k| !ours.contains(*k)).collect();
    assert!(extra.is_empty(), "events for proofs never accepted: {extra:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_proofs_confirmed_exactly_once_bad_proofs_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 1);
    let chain = Chain::start(&circuit, None).await;
    let relayer = Relayer::start(config(dir.path(), &chain, &circuit)).await.expect("relayer starts");
    let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));

    let health = http.get("/healthz").await.unwrap();
    assert_eq!(health.status, 200, "{}", health.text);

    // Bad proofs: each is a 400 naming the problem, and none is ever submitted.
    let (proof, public) = circuit.proof();
    let mut wrong_input = public.clone();
    wrong_input[0] = "5".into();
    let r = http.post("/v1/proofs", body(CIRCUIT, &proof, &wrong_input)).await.unwrap();
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.json["error"].as_str().unwrap().contains("does not verify"), "{}", r.text);
    let r = http.post("/v1/proofs", body(CIRCUIT, &proof, &public[..1])).await.unwrap();
    assert_eq!(r.status, 400);
    assert!(r.json["error"].as_str().unwrap().contains("public inputs"), "{}", r.text);
    let mut off_curve = proof.clone();
    off_curve.pi_a[0] = "1".into();
    let r = http.post("/v1/proofs", body(CIRCUIT, &off_curve, &public)).await.unwrap();
    assert_eq!(r.status, 400);
    assert!(r.json["error"].as_str().unwrap().starts_with("proof: "), "{}", r.text);
    let mut too_big = public.clone();
    too_big[1] = "21888242871839275222246405745257275088548364400416034343698204186575808495617".into(); // r
    let r = http.post("/v1/proofs", body(CIRCUIT, &proof, &too_big)).await.unwrap();
    assert_eq!(r.status, 400);
    assert!(r.json["error"].as_str().unwrap().contains("public input 1"), "{}", r.text);
    let r = http.post("/v1/proofs", body("merkle-99", &proof, &public)).await.unwrap();
    assert_eq!(r.status, 400);
    assert!(r.json["error"].as_str().unwrap().contains("unknown circuit"), "{}", r.text);
    let r = http.post("/v1/proofs", "{\"circuit\": 3".into()).await.unwrap();
    assert_eq!(r.status, 400, "{}", r.text);
    let r = http.post("/v1/proofs", format!("{{\"pad\": \"{}\"}}", "x".repeat(100_000))).await.unwrap();
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(r.json["error"].as_str().unwrap().contains("larger than the relayer's limit of 65536 bytes"), "{}", r.text);
    // A gigabyte announced and nothing sent: refused at once (it was held until the 10 s timeout).
    let announced = announce_and_stall(relayer.addr, 1_000_000_000).await;
    assert!(announced.starts_with("HTTP/1.1 413") && announced.contains("\"error\":\"the request body is larger"), "{announced}");
    let bad_keys: Vec<B256> = [&wrong_input].iter().map(|p| {
        let words = proof_words(&proof.to_proof().unwrap()).map(U256::from_be_bytes);
        EvmProof { words, inputs: p.iter().map(|s| s.parse::<U256>().unwrap()).collect() }.key()
    }).collect();

    // 200 good proofs (the figure; squares-2 proves in ms), 16 requests at a time.
    let mut bodies = vec![body(CIRCUIT, &proof, &public)];
    for _ in 1..200 {
        let (p, x) = circuit.proof();
        bodies.push(body(CIRCUIT, &p, &x));
    }
    let first = bodies[0].clone();
    let mut ids = post_all(&http, bodies, 16).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 200);

    // The same proof again: the same id, not a second entry.
    let again = http.post("/v1/proofs", first).await.unwrap();
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["duplicate"], "proof");
    let first_id = again.json["id"].as_str().unwrap().to_string();
    assert!(ids.contains(&first_id));
    // Other valid proofs of the same statement, made without its witness: answered with the
    // first proof's record, and never submitted (`assert_exactly_once` finds no event for them).
    for other in same_statement(&proof, &circuit.vk) {
        let r = http.post("/v1/proofs", body(CIRCUIT, &other, &public)).await.unwrap();
        assert_eq!((r.status, &r.json["duplicate"], r.json["id"].as_str()), (200, &serde_json::json!("statement"), Some(first_id.as_str())), "{}", r.text);
    }

    // A client's own name for a submission: a retry gets the first record, another proof under
    // the name is refused, and a name out of bounds is a 400.
    let with_id = |p: &ProofJson, x: &[String], client_id: &str| {
        let mut b: serde_json::Value = serde_json::from_str(&body(CIRCUIT, p, x)).unwrap();
        b["client_id"] = serde_json::json!(client_id);
        b.to_string()
    };
    let (p, x) = circuit.proof();
    let (q, y) = circuit.proof();
    let r = http.post("/v1/proofs", with_id(&p, &x, "order-1")).await.unwrap();
    assert_eq!(r.status, 202, "{}", r.text);
    let p_id = r.json["id"].as_str().unwrap().to_string();
    let r = http.post("/v1/proofs", with_id(&p, &x, "order-1")).await.unwrap();
    assert_eq!((r.status, r.json["id"].as_str(), &r.json["client_id"]), (200, Some(p_id.as_str()), &serde_json::json!("order-1")), "{}", r.text);
    let r = http.post("/v1/proofs", with_id(&q, &y, "order-1")).await.unwrap();
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.json["error"].as_str().unwrap().contains(&format!("client_id \"order-1\" was used for another proof (id {p_id})")), "{}", r.text);
    for bad in [String::new(), "x".repeat(257)] {
        let r = http.post("/v1/proofs", with_id(&q, &y, &bad)).await.unwrap();
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.json["error"].as_str().unwrap().starts_with("client_id must be 1 to 256 characters"), "{}", r.text);
    }
    let r = http.post("/v1/proofs", with_id(&q, &y, "order-2")).await.unwrap();
    assert_eq!(r.status, 202, "{}", r.text);
    ids.extend([p_id, r.json["id"].as_str().unwrap().to_string()]);

    let done = http.wait_final(&ids, LIMIT).await;
    let mut per_proof = std::collections::HashMap::<&str, Vec<f64>>::new();
    for (id, status) in &done {
        assert!(landed(&status["status"]), "{id}: {status}");
        assert!(status["tx_hash"].as_str().is_some_and(|h| h.len() == 66), "{status}");
        assert!(status["block"].as_u64().is_some(), "{status}");
        // The gas model: one verification for a batch of one, batch verification from two on.
        let size = status["batch"]["size"].as_u64().unwrap();
        let mode = status["batch"]["mode"].as_str().unwrap();
        assert_eq!(mode, if size >= 2 { "batch" } else { "single" }, "{status}");
        if size == 8 {
            per_proof.entry(mode).or_default().push(status["gas_used"].as_f64().unwrap() / size as f64);
        }
        // What an application checks on-chain: the registry answers for this statement, with
        // the path the status gives, and not for other inputs.
        assert_eq!(chain.statement_verified(status).await, (true, false), "{id}: {status}");
        let check = &status["registry_check"];
        let verifier = if mode == "batch" { chain.batch_verifier } else { chain.verifier };
        assert_eq!(check["width"].as_u64(), Some(size), "{status}");
        assert_eq!(check["key"].as_str().map(|k| k[26..].to_string()), Some(format!("{verifier:x}")), "the key is the verifier: {status}");
    }
    // Full batches of 8 with 2 public inputs: well under the ~230k gas of one verification each.
    assert!(!per_proof["batch"].is_empty() && per_proof["batch"].iter().all(|g| *g < 110_000.0), "{per_proof:?}");
    assert_exactly_once(&chain, &ids).await;
    let events = chain.verified().await;
    for k in bad_keys {
        assert!(!events.contains_key(&k), "a refused proof reached the chain");
    }

    let metrics = http.get("/metrics").await.unwrap().text;
    assert!(metrics.contains("zkbatch_relayer_proofs_confirmed_total 202"), "{metrics}");
    assert!(metrics.contains("zkbatch_relayer_proofs_accepted_total 202"), "{metrics}");
    assert!(metrics.contains("zkbatch_relayer_proofs_rejected_total{reason=\"invalid\"} 1"), "{metrics}");
    assert!(metrics.contains("zkbatch_relayer_batch_size_count"), "{metrics}");
    relayer.stop().await;
}

/// Sends a POST's head announcing `length` bytes of body, and one byte of it; returns what the
/// server answers within 3 seconds (empty if nothing).
async fn announce_and_stall(addr: std::net::SocketAddr, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!("POST /v1/proofs HTTP/1.1\r\nHost: relayer\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{");
    tcp.write_all(head.as_bytes()).await.expect("send");
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut answer)).await.map_or(0, |r| r.unwrap_or(0));
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_answers_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 2);
    let chain = Chain::start(&circuit, None).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    // Nothing leaves the queue during the test: batches close at 100 proofs or after an hour.
    cfg.batch.max_size = 100;
    cfg.batch.max_wait_ms = 3_600_000;
    cfg.queue.capacity = 3;
    cfg.queue.retry_after_s = 7;
    let relayer = Relayer::start(cfg).await.unwrap();
    let http = Http::new(format!("http://{}", relayer.addr));
    for _ in 0..3 {
        let (p, x) = circuit.proof();
        assert_eq!(http.post("/v1/proofs", body(CIRCUIT, &p, &x)).await.unwrap().status, 202);
    }
    let (p, x) = circuit.proof();
    let r = http.post("/v1/proofs", body(CIRCUIT, &p, &x)).await.unwrap();
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.retry_after.as_deref(), Some("7"));
    let metrics = http.get("/metrics").await.unwrap().text;
    assert!(metrics.contains("zkbatch_relayer_queue_depth 3"), "{metrics}");
    assert!(metrics.contains("zkbatch_relayer_proofs_throttled_total 1"), "{metrics}");
    relayer.stop().await;
}

/// The queue's bound holds under a burst over HTTP: 120 valid proofs posted 16 at a time to a
/// queue of 10 that nothing drains leave exactly 10 rows and ten 202s, every other answer a 429.
/// (The in-memory count, read again from the database every 500 ms, once dropped the slots of
/// requests still committing: 114 rows for a capacity of 100. The store now enforces the bound;
/// `queue_bound` tests it there, where removing the guard fails.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_many_times_the_capacity_stores_exactly_the_capacity() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 2);
    let chain = Chain::start(&circuit, None).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    cfg.batch.max_size = 1000;
    cfg.batch.max_wait_ms = 3_600_000;
    cfg.queue.capacity = 10;
    let relayer = Relayer::start(cfg).await.unwrap();
    let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));
    let bodies: Vec<String> = (0..120).map(|_| {
        let (p, x) = circuit.proof();
        body(CIRCUIT, &p, &x)
    }).collect();
    let bodies = Arc::new(tokio::sync::Mutex::new(bodies));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (http, bodies) = (http.clone(), bodies.clone());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while let Some(b) = bodies.lock().await.pop() {
                    statuses.push(http.post("/v1/proofs", b).await.expect("POST").status);
                }
                statuses
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for c in clients {
        statuses.extend(c.await.unwrap());
    }
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert!(statuses.iter().all(|s| *s == 202 || *s == 429), "{statuses:?}");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM proofs").fetch_one(relayer.store.pool()).await.unwrap();
    assert_eq!((accepted, rows), (10, 10), "202s and rows for a queue of 10");
    relayer.stop().await;
}

/// `confirmed` means the registry said so. A registry address without code (a typo, a chain
/// reset): the relayer submits nothing and its proofs stay queued. An address whose code accepts
/// any call and emits nothing: its transactions succeed, and its proofs are `failed`, naming the
/// missing event, never `confirmed` (they were, before the receipt's events were read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_only_with_the_registrys_event_and_nothing_sent_to_a_registry_without_code() {
    use alloy::providers::Provider;
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 5);
    let chain = Chain::start(&circuit, None).await;
    let silent = alloy::primitives::Address::repeat_byte(0x5e);
    for (registry, code) in [(alloy::primitives::Address::repeat_byte(0x0c), None), (silent, Some("0x00"))] {
        if let Some(code) = code {
            // STOP: every call succeeds and logs nothing.
            let _: serde_json::Value = chain.provider.raw_request("anvil_setCode".into(), (registry, code)).await.unwrap();
        }
        let sub = dir.path().join(format!("{registry}"));
        std::fs::create_dir_all(&sub).unwrap();
        let mut cfg = config(&sub, &chain, &circuit);
        cfg.registry = registry;
        cfg.batch.max_size = 2;
        cfg.batch.max_wait_ms = 100;
        let relayer = Relayer::start(cfg).await.unwrap();
        let http = Http::new(format!("http://{}", relayer.addr));
        let mut ids = Vec::new();
        for _ in 0..2 {
            let (p, x) = circuit.proof();
            let r = http.post("/v1/proofs", body(CIRCUIT, &p, &x)).await.unwrap();
            assert_eq!(r.status, 202, "{}", r.text);
            ids.push(r.json["id"].as_str().unwrap().to_string());
        }
        let expected = if code.is_none() { "queued" } else { "failed" };
        let mut statuses = Vec::new();
        for _ in 0..100 {
            statuses.clear();
            for id in &ids {
                statuses.push(http.get(&format!("/v1/proofs/{id}")).await.unwrap().json);
            }
            if code.is_none() || statuses.iter().all(|s| s["status"] == "failed" || landed(&s["status"])) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if code.is_none() {
            // Time for the submitter's first rounds: it must not have sent anything.
            tokio::time::sleep(Duration::from_secs(2)).await;
            for id in &ids {
                statuses.push(http.get(&format!("/v1/proofs/{id}")).await.unwrap().json);
            }
        }
        for s in &statuses {
            assert_eq!(s["status"], expected, "{s}");
        }
        if code.is_some() {
            let error = statuses[0]["error"].as_str().unwrap_or_default();
            assert!(error.contains("without a ProofVerified event") && error.contains(&format!("{silent}")), "{error}");
            let metrics = http.get("/metrics").await.unwrap().text;
            assert!(metrics.contains("zkbatch_relayer_proofs_unverified_total 2"), "{metrics}");
        }
        relayer.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_the_chain_refuses_is_split_out_of_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 3);
    let chain = Chain::start(&circuit, None).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    cfg.batch.max_size = 6;
    cfg.batch.max_wait_ms = 3_600_000; // the batch closes when it has 6 proofs
    let relayer = Relayer::start(cfg).await.unwrap();
    let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));

    // A proof that passed no off-chain check, put straight into the queue (as a corrupted row
    // would be): a valid proof with one input changed. The verifier contract refuses it.
    let (p, x) = circuit.proof();
    let words = proof_words(&p.to_proof().unwrap()).map(U256::from_be_bytes);
    let mut inputs: Vec<U256> = x.iter().map(|s| s.parse().unwrap()).collect();
    inputs[0] += U256::from(1);
    let bad = EvmProof { words, inputs };
    let data = bad.to_bytes();
    let row = NewProof { key: bad.key(), statement: bad.statement(&vk_hash(&circuit.vk)), circuit: CIRCUIT, data: &data, client_id: None };
    relayer.store.insert_proof(row).await.unwrap();

    let mut bodies = Vec::new();
    for _ in 0..5 {
        let (p, x) = circuit.proof();
        bodies.push(body(CIRCUIT, &p, &x));
    }
    let ids = post_all(&http, bodies, 5).await;
    let bad_id = format!("{:#x}", bad.key());
    let mut all = ids.clone();
    all.push(bad_id.clone());
    let done = http.wait_final(&all, LIMIT).await;
    assert_eq!(done[&bad_id]["status"], "failed");
    assert!(done[&bad_id]["error"].as_str().unwrap().contains("ProofInvalid"), "{}", done[&bad_id]);
    for id in &ids {
        assert!(landed(&done[id]["status"]), "{}", done[id]);
    }
    assert_exactly_once(&chain, &ids).await;
    relayer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anvil_paused_for_10s_mid_run_relayer_retries_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 4);
    let chain = Chain::start(&circuit, None).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    cfg.batch.max_size = 4;
    cfg.retry.rpc_timeout_ms = 1_000;
    let relayer = Relayer::start(cfg).await.unwrap();
    let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));

    let mut first = Vec::new();
    for _ in 0..8 {
        let (p, x) = circuit.proof();
        first.push(body(CIRCUIT, &p, &x));
    }
    let mut ids = post_all(&http, first, 4).await;
    // The node stops answering (SIGSTOP: connections hang, as with a dead host) for 10 s while
    // more proofs arrive; intake goes on, submission retries.
    let pid = chain.pid().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    let mut more = Vec::new();
    for _ in 0..16 {
        let (p, x) = circuit.proof();
        more.push(body(CIRCUIT, &p, &x));
    }
    ids.extend(post_all(&http, more, 4).await);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());

    let done = http.wait_final(&ids, LIMIT).await;
    assert!(done.values().all(|s| landed(&s["status"])), "{done:?}");
    assert_exactly_once(&chain, &ids).await;
    let metrics = http.get("/metrics").await.unwrap().text;
    let errors: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("zkbatch_relayer_rpc_errors_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(errors > 0, "the pause should show as RPC errors:\n{metrics}");
    relayer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayer_sigkilled_mid_run_and_restarted_confirms_every_proof_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 5);
    // Blocks every second: transactions sit in the pool for a while, so the kill lands between
    // broadcast and receipt for some batches, before batching for others.
    let chain = Chain::start(&circuit, Some(1)).await;
    let mut cfg = config(dir.path(), &chain, &circuit);
    cfg.batch.max_size = 4;
    cfg.batch.max_in_flight = 3;
    // Single verification here (the other tests use the batch verifier): both modes go
    // through a crash.
    cfg.circuits[0].batch_verifier = None;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    cfg.listen = format!("127.0.0.1:{port}").parse().unwrap();
    let config_path = dir.path().join("relayer.toml");
    std::fs::write(&config_path, toml::to_string(&cfg).unwrap()).unwrap();
    let log = dir.path().join("relayer.log");
    let http = Arc::new(Http::new(format!("http://127.0.0.1:{port}")));

    let mut relayer = spawn_relayer(&config_path, &log);
    wait_healthy(&http).await;
    let mut bodies = Vec::new();
    for _ in 0..32 {
        let (p, x) = circuit.proof();
        bodies.push(body(CIRCUIT, &p, &x));
    }
    let ids = post_all(&http, bodies, 8).await;
    // Kill once some batch is on its way and not everything is confirmed.
    for _ in 0..400 {
        let r = http.get(&format!("/v1/proofs/{}", ids[0])).await.unwrap();
        let statuses: Vec<String> = {
            let mut v = Vec::new();
            for id in ids.iter().step_by(4) {
                v.push(http.get(&format!("/v1/proofs/{id}")).await.unwrap().json["status"].as_str().unwrap_or("").to_string());
            }
            v
        };
        let _ = r;
        if statuses.iter().any(|s| ["submitted", "batched", "confirmed", "finalized"].contains(&s.as_str())) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    relayer.0.kill().unwrap(); // SIGKILL
    relayer.0.wait().unwrap();
    let confirmed_before = chain.verified().await.len();

    let _relayer = spawn_relayer(&config_path, &log);
    wait_healthy(&http).await;
    let done = http.wait_final(&ids, LIMIT).await;
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(done.values().all(|s| landed(&s["status"])), "{done:?}\n{log_text}");
    assert_exactly_once(&chain, &ids).await;
    assert!(confirmed_before < ids.len(), "the kill came after everything was done: the test proved nothing");
    // The key is never logged.
    assert!(!log_text.contains(&chain.relayer_key), "the signer key appears in the log");
}

async fn metric(http: &Http, name: &str) -> u64 {
    let text = http.get("/metrics").await.unwrap().text;
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_transaction_is_replaced_with_higher_fees_and_lands_once() {
    use alloy::providers::Provider;
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 6);
    let chain = Chain::start(&circuit, None).await;
    // From here on nothing is mined until the test says so: the relayer's transaction is stuck.
    let _: serde_json::Value = chain.provider.raw_request("evm_setAutomine".into(), (false,)).await.unwrap();
    let mut cfg = config(dir.path(), &chain, &circuit);
    cfg.fees.replace_after_ms = 1_000;
    cfg.batch.max_wait_ms = 100;
    let relayer = Relayer::start(cfg).await.unwrap();
    let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));
    let mut bodies = Vec::new();
    for _ in 0..4 {
        let (p, x) = circuit.proof();
        bodies.push(body(CIRCUIT, &p, &x));
    }
    let ids = post_all(&http, bodies, 4).await;
    // Wait (bounded) for two replacements: the original and two fee bumps are all in the record.
    for _ in 0..600 {
        if metric(&http, "zkbatch_relayer_replacements_total").await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(metric(&http, "zkbatch_relayer_replacements_total").await >= 2, "no replacement was sent");
    let before = http.get(&format!("/v1/proofs/{}", ids[0])).await.unwrap().json;
    assert_eq!(before["status"], "submitted", "{before}");
    let _: serde_json::Value = chain.provider.raw_request("evm_mine".into(), ()).await.unwrap();
    let done = http.wait_final(&ids, LIMIT).await;
    assert!(done.values().all(|s| landed(&s["status"])), "{done:?}");
    assert_exactly_once(&chain, &ids).await;
    // What was mined is the last replacement, at the batch's nonce.
    let mined: alloy::primitives::B256 = done[&ids[0]]["tx_hash"].as_str().unwrap().parse().unwrap();
    let tx = chain.provider.get_transaction_by_hash(mined).await.unwrap().unwrap();
    assert_eq!(alloy::consensus::Transaction::nonce(&tx), before["batch"]["nonce"].as_u64().unwrap());
    relayer.stop().await;
}
