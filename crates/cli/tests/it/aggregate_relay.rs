//! The relay role in aggregate mode, end to end: one `zkbatch serve` process with the prove,
//! relay and aggregate roles on SQLite and anvil; two merkle-20 jobs with `submit` are proved,
//! aggregated in one halo2 proof (N = 2, k = 21, the insecure test KZG setup) and landed through
//! `AggregatedProofRegistry`. The node is SIGKILLed while it proves the aggregate and started
//! again: the lease runs out, the proofs are aggregated again, and each statement is recorded on
//! the chain exactly once, counted from the registry's `AggregateVerified` events.
//!
//! Minutes (the aggregation key is made once and cached with the aggregator tests' parameters in
//! target/tmp/aggregation; each aggregate proof takes about 4 minutes on 2 cores, 7.5 GiB).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use serde_json::{json, Value};
use zkbatch_evm::bindings::{AggregatedProofRegistry, ProofRegistry};
use zkbatch_evm::statement;
use zkbatch_testing::{root, tool};

use crate::serve::{builtin, deploy, get, http, post_all, queued_ids, wait_all, zkbatch, Node};

/// The proof status of a job's relay record.
async fn chain_status(client: &alloy::transports::http::reqwest::Client, base: &str, id: &str) -> Value {
    let (_, job) = get(client, &format!("{base}/v1/jobs/{id}")).await;
    job["chain"].clone()
}

/// Polls until `done` holds for every job's relay record, or panics after `limit`.
async fn wait_chain(client: &alloy::transports::http::reqwest::Client, base: &str, ids: &[String], limit: Duration, what: &str, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let mut all = Vec::new();
        for id in ids {
            all.push(chain_status(client, base, id).await);
        }
        if all.iter().all(&done) {
            return all;
        }
        assert!(start.elapsed() < limit, "{what}: not reached after {limit:?}: {all:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aggregate_mode_lands_each_statement_once_through_a_kill_mid_proof() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inputs = builtin(d, "merkle-20", 2);
    let anvil = zkbatch_testing::anvil().spawn();
    let (verifiers, relay, registry) = deploy(d, &anvil);
    // The aggregate verifier for N = 2, ℓ = 2 at k = 21 with the insecure setup: the checked-in
    // fixture's (it is the shape's, not the Groth16 key's: the key is the proof's instance 0).
    let verifier_sol = root().join("test/fixtures/AggregateVerifierN2L2K21.sol");
    std::fs::write(d.join("deployer.key"), alloy::hex::encode(anvil.keys()[0].to_bytes())).unwrap();
    let deployed: Value = serde_json::from_str(&zkbatch(
        d,
        &["--json", "aggregate", "deploy", "--rpc-url", &anvil.endpoint(), "--key-file", "deployer.key", "--verifier", verifier_sol.to_str().unwrap(), "--slots", "2", "--inputs", "2", "--solc", tool("solc").to_str().unwrap()],
    ))
    .unwrap();
    let aggregate_registry: Address = deployed["registry"].as_str().unwrap().parse().unwrap();
    // Shared with the aggregator's tests: the k = 21 parameters and the aggregation key are made once.
    let cache = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("aggregation");
    std::fs::write(
        d.join("zkbatch.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nroles = [\"prove\", \"relay\", \"aggregate\"]\nworkers = 1\n\
             [lease]\nduration_ms = 8000\nheartbeat_ms = 2000\n[aggregate]\ninsecure_test_setup = true\nk = 21\n\
             [[circuits]]\nid = \"merkle\"\nbuiltin = \"merkle-20\"\npk = \"circuit.pk\"\nvk = \"verification_key.json\"\nmode = \"aggregate\"\n{verifiers}\
             aggregate = {{ registry = \"{aggregate_registry}\", slots = 2, max_wait_ms = 600000 }}\n{relay}"
        ),
    )
    .unwrap();

    let cache = cache.to_str().unwrap();
    let env = [("RUST_LOG", "zkbatch_service=info,zkbatch_relayer=info"), ("ZKBATCH_CACHE_DIR", cache)];
    let node = Node::start_with(d, "zkbatch.toml", &[], &env);
    let client = http();
    let bodies: Vec<String> = inputs.iter().map(|i| json!({ "circuit": "merkle", "input": i, "submit": true }).to_string()).collect();
    let ids = queued_ids(post_all(&client, std::slice::from_ref(&node.url), bodies).await);
    // Limits are bounds against hanging: on a fresh machine the node makes the aggregation key
    // (minutes) before its roles run.
    wait_all(&client, &node.url, &ids, Duration::from_secs(1_800)).await;
    // Both proofs in one aggregate being proved: then the node dies.
    let proving = wait_chain(&client, &node.url, &ids, Duration::from_secs(600), "aggregating", |c| c["status"] == "aggregating" && c["aggregate"]["status"] == "proving").await;
    let first = proving[0]["aggregate"]["id"].clone();
    assert_eq!(proving[1]["aggregate"]["id"], first, "one aggregate of both: {proving:?}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    node.signal("-KILL");
    drop(node);

    // Started again: the killed node's lease runs out, the proofs go back and are aggregated again.
    let node = Node::start_with(d, "zkbatch.toml", &[], &env);
    let landed = wait_chain(&client, &node.url, &ids, Duration::from_secs(1_800), "confirmed", |c| c["status"] == "confirmed" || c["status"] == "finalized").await;
    for c in &landed {
        assert_eq!(c["batch"]["mode"], "aggregate", "{c}");
        assert_ne!(c["aggregate"]["id"], first, "the killed node's aggregate was not the one landed: {c}");
        assert_eq!(c["aggregate"]["status"], "submitted", "{c}");
    }

    // Counted from the chain: one AggregateVerified, each statement a leaf of it exactly once, and
    // nothing through ProofRegistry.
    let provider = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    let logs = provider.get_logs(&Filter::new().address(aggregate_registry).event_signature(AggregatedProofRegistry::AggregateVerified::SIGNATURE_HASH).from_block(0)).await.unwrap();
    assert_eq!(logs.len(), 1, "one aggregate on-chain: {logs:?}");
    let event = logs[0].log_decode::<AggregatedProofRegistry::AggregateVerified>().unwrap().inner.data;
    let mut leaves: HashMap<B256, usize> = HashMap::new();
    for leaf in &event.leaves {
        *leaves.entry(*leaf).or_default() += 1;
    }
    for id in &ids {
        let (_, job) = get(&client, &format!("{}/v1/jobs/{id}", node.url)).await;
        let public: Vec<U256> = job["public"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().parse().unwrap()).collect();
        let leaf = statement::leaf(event.vkHash, statement::inputs_hash(&public));
        assert_eq!(leaves.get(&leaf), Some(&1), "job {id}'s statement once in the aggregate");
        // What an application checks, with the arguments the status gives.
        let check = &job["chain"]["registry_check"];
        assert_eq!(check["registry"].as_str().unwrap().parse::<Address>().unwrap(), aggregate_registry, "{job}");
        let path: Vec<B256> = check["path"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().parse().unwrap()).collect();
        let contract = AggregatedProofRegistry::new(aggregate_registry, &provider);
        let key: U256 = check["key"].as_str().unwrap().parse::<B256>().unwrap().into();
        let verified = contract
            .isVerified(key, statement::inputs_hash(&public), U256::from(check["index"].as_u64().unwrap()), U256::from(2), path)
            .call()
            .await
            .unwrap();
        assert!(verified, "isVerified with the status's arguments: {job}");
    }
    let registry: Address = registry.parse().unwrap();
    let batch_logs = provider.get_logs(&Filter::new().address(registry).event_signature(ProofRegistry::ProofVerified::SIGNATURE_HASH).from_block(0)).await.unwrap();
    assert!(batch_logs.is_empty(), "nothing batch-verified: {batch_logs:?}");
    let metrics = client.get(format!("{}/metrics", node.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("zkbatch_aggregate_lease_expiries_total 1"), "the killed node's lease expired once: {metrics}");
    assert!(metrics.contains("zkbatch_aggregates_proved_total 1"), "{metrics}");
}

/// `make bench-aggregate-relay` (ignored in CI): for each N in `ZKBATCH_AGG_RELAY_NS` (default
/// 2,4,8) a fresh anvil and node (prove, relay, aggregate; SQLite; the insecure setup at N's
/// default k; keys from the aggregator tests' cache), N merkle-20 jobs with `submit` in aggregate
/// mode, each landed through `AggregatedProofRegistry`: the aggregate's proving time (the node's
/// metric), its transaction's gas, and the time from the last job proved to every proof confirmed.
/// Merged into benchmarks/aggregate-relay.json.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "minutes per N and up to 16 GiB: make bench-aggregate-relay"]
async fn bench_aggregate_relay() {
    let ns: Vec<usize> = std::env::var("ZKBATCH_AGG_RELAY_NS")
        .unwrap_or_else(|_| "2,4,8".into())
        .split(',')
        .map(|n| n.trim().parse().expect("ZKBATCH_AGG_RELAY_NS: comma-separated sizes"))
        .collect();
    let cache = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("aggregation");
    let path = root().join("benchmarks/aggregate-relay.json");
    let mut all: serde_json::Map<String, Value> = std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    for n in ns {
        let k = zkbatch_aggregator::recursive::shape::Shape::default_k(n);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let inputs = builtin(d, "merkle-20", n);
        let anvil = zkbatch_testing::anvil().args(["--code-size-limit", "100000"]).spawn();
        let (verifiers, relay, _) = deploy(d, &anvil);
        // The verifier for this shape, rendered from the cached parameters and key.
        let srs = zkbatch_aggregator::recursive::params::insecure_cached(&cache, k).expect("parameters");
        let shape = zkbatch_aggregator::recursive::shape::Shape { k, slots: n, inputs: 2 };
        let vk = zkbatch_aggregator::recursive::keys::verifying_key(&srs, shape).expect("verifying key");
        let name = zkbatch_aggregator::recursive::solidity::contract_name(shape);
        let sol = zkbatch_aggregator::recursive::solidity::verifier_solidity(&srs, &vk, shape, &name).expect("verifier");
        std::fs::write(d.join("verifier.sol"), sol).unwrap();
        std::fs::write(d.join("deployer.key"), alloy::hex::encode(anvil.keys()[0].to_bytes())).unwrap();
        let deployed: Value = serde_json::from_str(&zkbatch(
            d,
            &["--json", "aggregate", "deploy", "--rpc-url", &anvil.endpoint(), "--key-file", "deployer.key", "--verifier", "verifier.sol", "--name", &name, "--slots", &n.to_string(), "--inputs", "2", "--solc", tool("solc").to_str().unwrap()],
        ))
        .unwrap();
        let registry: Address = deployed["registry"].as_str().unwrap().parse().unwrap();
        std::fs::write(
            d.join("zkbatch.toml"),
            format!(
                "listen = \"127.0.0.1:0\"\nroles = [\"prove\", \"relay\", \"aggregate\"]\nworkers = 1\n[aggregate]\ninsecure_test_setup = true\n\
                 [[circuits]]\nid = \"merkle\"\nbuiltin = \"merkle-20\"\npk = \"circuit.pk\"\nvk = \"verification_key.json\"\nmode = \"aggregate\"\n{verifiers}\
                 aggregate = {{ registry = \"{registry}\", slots = {n}, max_wait_ms = 600000 }}\n{relay}"
            ),
        )
        .unwrap();
        let env = [("ZKBATCH_CACHE_DIR", cache.to_str().unwrap())];
        let node = Node::start_with(d, "zkbatch.toml", &[], &env);
        let client = http();
        let bodies: Vec<String> = inputs.iter().map(|i| json!({ "circuit": "merkle", "input": i, "submit": true }).to_string()).collect();
        let ids = queued_ids(post_all(&client, std::slice::from_ref(&node.url), bodies).await);
        wait_all(&client, &node.url, &ids, Duration::from_secs(3_600)).await;
        let proved = Instant::now();
        let landed = wait_chain(&client, &node.url, &ids, Duration::from_secs(3_600), "confirmed", |c| c["status"] == "confirmed" || c["status"] == "finalized").await;
        let seconds = proved.elapsed().as_secs_f64();
        let gas = landed[0]["gas_used"].as_u64().expect("gas_used");
        assert!(landed.iter().all(|c| c["batch"]["mode"] == "aggregate" && c["gas_used"].as_u64() == Some(gas)), "one aggregate: {landed:?}");
        let metrics = client.get(format!("{}/metrics", node.url)).send().await.unwrap().text().await.unwrap();
        let sum = |name: &str| metrics.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().parse::<f64>().unwrap());
        let prove_s = sum("zkbatch_aggregate_seconds_sum ").expect("the aggregate's proving time");
        eprintln!("N = {n}, k = {k}: aggregate proved in {prove_s:.1} s; confirmed {seconds:.1} s after the last job was proved; {gas} gas ({} per proof)", gas / n as u64);
        all.insert(
            format!("n{n}"),
            json!({ "n": n, "k": k, "prove_s": prove_s, "proved_to_confirmed_s": seconds, "gas": gas, "gas_per_proof": gas / n as u64 }),
        );
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap() + "\n").unwrap();
    }
}
