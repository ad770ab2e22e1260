//! Nonce self-healing, on anvil under a running relayer: another user of the relayer's key, a
//! transaction dropped from the node's pool, and a node restarted with an empty pool. None may
//! jam the relayer or lose a proof: every proof lands once (the canonical chain's events), and
//! each test prints how long the relayer took to recover (not asserted: the machines are noisy).

use std::time::{Duration, Instant};

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use serde_json::json;
use zkbatch_relayer::config::Config;
use zkbatch_relayer::Relayer;

use crate::harness::{config, Chain, Circuit, Http};

/// A bound against hanging, not a speed requirement.
const LIMIT: Duration = Duration::from_secs(120);

/// Batches closed at 8 proofs, orphaned nonces given up after 1 s.
fn relayer_config(dir: &std::path::Path, chain: &Chain, circuit: &Circuit) -> Config {
    let mut c = config(dir, chain, circuit);
    c.batch.max_wait_ms = 60_000;
    c.retry.orphan_after_ms = 1_000;
    c
}

/// Someone else sends two transactions with the relayer's key while it runs: its next batch takes
/// the nonce after theirs (not one it would have to give up as orphaned, twice), and every proof
/// lands once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_user_of_the_key_does_not_jam_the_relayer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut circuit = Circuit::new(dir.path(), 21);
    let chain = Chain::start(&circuit, None).await;
    // Orphaned nonces are given up only after two minutes, as by default: the relayer must not
    // need that path (one orphan per nonce taken) to get going again.
    let mut cfg = relayer_config(dir.path(), &chain, &circuit);
    cfg.retry.orphan_after_ms = 120_000;
    let relayer = Relayer::start(cfg).await.expect("relayer starts");
    let http = Http::new(format!("http://{}", relayer.addr));
    let mut ids = http.post_proofs(&mut circuit, 8).await;
    http.wait_final(&ids, LIMIT).await;

    let key: PrivateKeySigner = chain.relayer_key.parse().expect("key");
    let from = key.address();
    let other = ProviderBuilder::new().wallet(EthereumWallet::from(key)).connect_http(chain.anvil.endpoint_url());
    for _ in 0..2 {
        let tx = TransactionRequest::default().with_from(from).with_to(from).with_value(U256::from(1));
        assert!(other.send_transaction(tx).await.expect("send").get_receipt().await.expect("mined").status());
    }
    let start = Instant::now();
    let more = http.post_proofs(&mut circuit, 8).await;
    http.wait_final(&more, LIMIT).await;
    eprintln!("another user of the key: the next batch landed {:?} after its proofs were posted", start.elapsed());
    ids.extend(more);
    chain.landed_exactly_once(&http, &ids, LIMIT).await;
    relayer.stop().await;
}

/// The node drops the relayer's broadcast transaction from its pool (`anvil_dropAllTransactions`,
/// as a node under pressure evicts one): the relayer sends its recorded transaction again and
/// every proof lands once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_dropped_from_the_pool_is_sent_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut circuit = Circuit::new(dir.path(), 22);
    let chain = Chain::start(&circuit, None).await;
    // Nothing is mined until the test says so: the transaction waits in the pool.
    chain.rpc("evm_setAutomine", json!([false])).await;
    // No fee-bumped replacement within the test (a replacement would be sent too): the recorded
    // transaction itself must be sent again.
    let mut cfg = relayer_config(dir.path(), &chain, &circuit);
    cfg.fees.replace_after_ms = 600_000;
    let relayer = Relayer::start(cfg).await.expect("relayer starts");
    let http = Http::new(format!("http://{}", relayer.addr));
    let ids = http.post_proofs(&mut circuit, 8).await;
    http.wait_status(&ids, "submitted", LIMIT).await;

    chain.rpc("anvil_dropAllTransactions", json!([])).await;
    let pool = chain.rpc("txpool_status", json!([])).await;
    assert_eq!(pool["pending"], json!("0x0"), "{pool}");
    let dropped = Instant::now();
    chain.rpc("evm_setAutomine", json!([true])).await;
    http.wait_final(&ids, LIMIT).await;
    eprintln!("a transaction dropped from the pool: landed {:?} after the drop", dropped.elapsed());
    chain.landed_exactly_once(&http, &ids, LIMIT).await;
    relayer.stop().await;
}

/// The node restarts (SIGTERM, then started again from the chain it wrote) while the relayer's
/// transaction waits in its pool: the pool comes back empty, the relayer sends its recorded
/// transaction again, and every proof lands once. The chain is the same one (same genesis), so
/// nothing is taken for a reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_with_an_empty_pool_gets_the_transaction_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("anvil-state.json");
    let mut circuit = Circuit::new(dir.path(), 25);
    let chain = Chain::start_with_state(&circuit, &state).await;
    let mut cfg = relayer_config(dir.path(), &chain, &circuit);
    cfg.fees.replace_after_ms = 600_000;
    let relayer = Relayer::start(cfg).await.expect("relayer starts");
    let http = Http::new(format!("http://{}", relayer.addr));
    // One batch landed before the restart, one waiting in the pool at the restart.
    let mut ids = http.post_proofs(&mut circuit, 8).await;
    http.wait_final(&ids, LIMIT).await;
    chain.rpc("evm_setAutomine", json!([false])).await;
    let waiting = http.post_proofs(&mut circuit, 8).await;
    http.wait_status(&waiting, "submitted", LIMIT).await;
    let pool = chain.rpc("txpool_status", json!([])).await;
    assert_eq!(pool["pending"], json!("0x1"), "{pool}");

    let chain = chain.restart(&state).await;
    let restarted = Instant::now();
    let pool = chain.rpc("txpool_status", json!([])).await;
    assert_eq!(pool["pending"], json!("0x0"), "the pool comes back empty: {pool}");
    ids.extend(waiting);
    chain.landed_exactly_once(&http, &ids, LIMIT).await;
    eprintln!("a node restarted with an empty pool: landed {:?} after the restart", restarted.elapsed());
    assert_eq!(http.get("/metrics").await.expect("metrics").text.lines().find(|l| l.starts_with("zkbatch_relayer_chain_resets_total ")), Some("zkbatch_relayer_chain_resets_total 0"));
    relayer.stop().await;
}
