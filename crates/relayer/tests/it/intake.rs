//! Posted proofs verified in micro-batches, over HTTP: a batch holding bad proofs answers each
//! request for its own proof, and every refusal reads word for word as it does when each proof is
//! checked alone (`zkbatch_relayer::intake::check`, the one-by-one path).

use std::sync::Arc;

use zkbatch_prover::snarkjs::ProofJson;
use zkbatch_prover::verify::PreparedKey;
use zkbatch_relayer::intake::{self, ProofRequest};
use zkbatch_relayer::Relayer;

use crate::harness::{body, config, Chain, Circuit, Http, CIRCUIT};

/// The 400 a request gets when its proof is checked alone.
fn alone(key: &PreparedKey, request: &str) -> String {
    let request: ProofRequest = serde_json::from_str(request).expect("a proof request");
    intake::check(key, &request).expect_err("a refused proof").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn micro_batches_answer_each_proof_for_itself_and_refuse_as_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 7);
    let key = PreparedKey::new(&circuit.vk);
    let chain = Chain::start(&circuit, None).await;

    // Every refusal case, against a relayer that batches (with a window, so concurrent requests
    // share batches) and one that checks one by one.
    let (proof, public) = circuit.proof();
    let (other, other_public) = circuit.proof();
    let mut wrong_input = public.clone();
    wrong_input[0] = "5".into();
    let mut off_curve = proof.clone();
    off_curve.pi_a[0] = "1".into();
    let mut too_big = public.clone();
    too_big[1] = "21888242871839275222246405745257275088548364400416034343698204186575808495617".into();
    let mut swapped: ProofJson = proof.clone();
    swapped.pi_c = other.pi_c.clone();
    let refused = [
        body(CIRCUIT, &proof, &wrong_input),
        body(CIRCUIT, &proof, &public[..1]),
        body(CIRCUIT, &off_curve, &public),
        body(CIRCUIT, &proof, &too_big),
        body(CIRCUIT, &swapped, &public),
        body(CIRCUIT, &proof, &other_public),
    ];
    let mut relayers = Vec::new();
    for (name, max_batch, window_ms) in [("batched", 64, 400), ("one-by-one", 1, 0)] {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let mut cfg = config(&sub, &chain, &circuit);
        cfg.verify.max_batch = max_batch;
        cfg.verify.window_ms = window_ms;
        // One client here (127.0.0.1): quarantine would give its bad proofs a lane of their own,
        // and this test wants them mixed with the good ones.
        cfg.verify.quarantine_ms = 0;
        let relayer = Relayer::start(cfg).await.expect("relayer starts");
        let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));
        for request in &refused {
            let r = http.post("/v1/proofs", request.clone()).await.unwrap();
            assert_eq!(r.status, 400, "{name}: {}", r.text);
            assert_eq!(r.json["error"].as_str().unwrap(), alone(&key, request), "{name}");
        }
        relayers.push((name, relayer, http));
    }

    // A micro-batch: 12 good proofs and the invalid ones above, posted at once; each answered
    // for itself, the good ones queued. A relayer of its own: the refusals above raised the
    // batched one's failure rate, and with it its lane checks one by one.
    let sub = dir.path().join("mixed");
    std::fs::create_dir_all(&sub).unwrap();
    let mut cfg = config(&sub, &chain, &circuit);
    cfg.verify.window_ms = 400;
    cfg.verify.quarantine_ms = 0;
    let relayer = Relayer::start(cfg).await.expect("relayer starts");
    let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));
    relayers.push(("mixed", relayer, http.clone()));
    let mut requests: Vec<(String, bool)> = (0..12)
        .map(|_| {
            let (p, x) = circuit.proof();
            (body(CIRCUIT, &p, &x), true)
        })
        .collect();
    for (i, bad) in [0, 4, 5].into_iter().enumerate() {
        requests.insert(3 + 4 * i, (refused[bad].clone(), false));
    }
    let tasks: Vec<_> = requests
        .iter()
        .map(|(b, _)| {
            let (http, b) = (http.clone(), b.clone());
            tokio::spawn(async move { http.post("/v1/proofs", b).await.unwrap() })
        })
        .collect();
    for (task, (request, good)) in tasks.into_iter().zip(&requests) {
        let r = task.await.unwrap();
        if *good {
            assert_eq!(r.status, 202, "{}", r.text);
        } else {
            assert_eq!(r.status, 400, "{}", r.text);
            assert_eq!(r.json["error"].as_str().unwrap(), alone(&key, request));
        }
    }
    let metrics = http.get("/metrics").await.unwrap().text;
    let value = |name: &str| -> f64 { metrics.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or_else(|| panic!("{name} in\n{metrics}")) };
    let batches = value("zkbatch_relayer_verify_batch_size_count");
    assert!(value("zkbatch_relayer_verify_batch_size_sum") > batches, "no batch of more than one proof:\n{metrics}");
    assert!(value("zkbatch_relayer_verify_checks_total ") > batches, "no batch was split:\n{metrics}");
    for (_, relayer, _) in relayers {
        relayer.stop().await;
    }
}

/// A posted body, mutated byte by byte (flipped, overwritten, cut, extended), through what intake
/// does before the queue: JSON, then every check and the pairing check. Each gets an answer,
/// never a panic. Cases: `PROPTEST_CASES` (default 64; `make fuzz` runs many more).
#[test]
fn mutated_requests_are_answered_never_panicked_on() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut circuit = Circuit::new(dir.path(), 31);
    let key = PreparedKey::new(&circuit.vk);
    let (proof, public) = circuit.proof();
    let valid = body(CIRCUIT, &proof, &public).into_bytes();
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let change = (any::<usize>(), any::<u8>(), 0u8..3);
    runner
        .run(&prop::collection::vec(change, 1..6), |changes| {
            let mut bytes = valid.clone();
            for (at, byte, kind) in changes {
                let at = at % bytes.len().max(1);
                match kind {
                    0 => bytes[at] = byte,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, byte),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let answer = std::panic::catch_unwind(|| serde_json::from_slice::<ProofRequest>(&bytes).map(|r| intake::check(&key, &r).map(|_| ())));
            prop_assert!(answer.is_ok(), "intake panicked on {:?}", String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .expect("every mutated request answered");
}
