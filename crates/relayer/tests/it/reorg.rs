//! Reorgs, made by anvil (`anvil_reorg`, `evm_snapshot`/`evm_revert`) under a running relayer: a
//! confirmed batch whose block leaves the canonical chain is found mined again or sent again, or,
//! when another transaction took its nonce, its proofs are batched again; a batch is `finalized`
//! once `finality_depth` deep. Counted from the canonical chain's `ProofVerified` events.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use serde_json::{json, Value};
use zkbatch_relayer::config::Config;
use zkbatch_relayer::Relayer;

use crate::harness::{config, Chain, Circuit, Http};

/// A bound against hanging, not a speed requirement.
const LIMIT: Duration = Duration::from_secs(120);
/// Proofs per test: one batch (the harness closes batches at 8).
const PROOFS: usize = 8;

async fn head(chain: &Chain) -> u64 {
    chain.provider.get_block_number().await.expect("eth_blockNumber")
}

/// A relayer on `chain` with `finality_depth` 6, nonces given up after 1 s, and batches closed at
/// 8 proofs, not by time (so each test's proofs are one batch in one block).
fn relayer_config(dir: &std::path::Path, chain: &Chain, circuit: &Circuit) -> Config {
    let mut c = config(dir, chain, circuit);
    c.finality_depth = Some(6);
    c.batch.max_wait_ms = 60_000;
    c.retry.orphan_after_ms = 1_000;
    c
}

/// Posts `PROOFS` proofs and waits until every one is confirmed; returns their ids and the
/// block their batch is in.
async fn post_and_confirm(http: &Http, circuit: &mut Circuit) -> (Vec<String>, u64) {
    let ids = http.post_proofs(circuit, PROOFS).await;
    let done = http.wait_final(&ids, LIMIT).await;
    let blocks: Vec<u64> = ids.iter().map(|id| done[id]["block"].as_u64().expect("a block")).collect();
    assert!(blocks.iter().all(|b| *b == blocks[0]), "one batch: {blocks:?}");
    (ids, blocks[0])
}

/// Waits until the metrics show `metric` at `value` or more.
async fn wait_metric(http: &Http, metric: &str, value: u64) {
    let start = Instant::now();
    loop {
        let text = http.get("/metrics").await.expect("metrics").text;
        let seen = text.lines().find_map(|l| l.strip_prefix(metric)?.trim().parse::<u64>().ok()).unwrap_or(0);
        if seen >= value {
            return;
        }
        assert!(start.elapsed() < LIMIT, "{metric} stayed at {seen}, below {value}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every id landed once on the canonical chain ([`Chain::landed_exactly_once`]), each status
/// naming the block the chain has its transaction in.
async fn exactly_once(chain: &Chain, http: &Http, ids: &[String]) -> Vec<Value> {
    let done = chain.landed_exactly_once(http, ids, LIMIT).await;
    for status in &done {
        let tx: alloy::primitives::B256 = status["tx_hash"].as_str().expect("tx_hash").parse().expect("a hash");
        let receipt = chain.provider.get_transaction_receipt(tx).await.expect("eth_getTransactionReceipt");
        assert_eq!(receipt.and_then(|r| r.block_number), status["block"].as_u64(), "{status}");
    }
    done
}

/// Mines `finality_depth` blocks and waits until every id is finalized.
async fn finalize(chain: &Chain, http: &Http, ids: &[String]) {
    chain.rpc("anvil_mine", json!([6])).await;
    http.wait_status(ids, "finalized", LIMIT).await;
}

/// A reorg of depth 1 and one of depth 3 (deeper than `confirmations`, 1), each taking away the
/// block that confirmed a batch: the relayer sees it, the batch lands again, once, and is
/// finalized after `finality_depth` more blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_block_is_reorganised_away_lands_again_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut circuit = Circuit::new(dir.path(), 11);
    let chain = Chain::start(&circuit, None).await;
    let relayer = Relayer::start(relayer_config(dir.path(), &chain, &circuit)).await.expect("relayer starts");
    let http = Arc::new(Http::new(format!("http://{}", relayer.addr)));
    let mut all = Vec::new();
    for (round, depth) in [(1u64, 1u64), (2, 3)] {
        let (ids, block) = post_and_confirm(&http, &mut circuit).await;
        // Blocks on top, so the batch's block is `depth` deep when the reorg takes `depth` blocks.
        if depth > 1 {
            chain.rpc("anvil_mine", json!([depth - 1])).await;
        }
        assert_eq!(head(&chain).await, block + depth - 1);
        chain.rpc("anvil_reorg", json!([depth, []])).await;
        wait_metric(&http, "zkbatch_relayer_batches_reorged_total", round).await;
        all.extend(ids);
        exactly_once(&chain, &http, &all).await;
    }
    finalize(&chain, &http, &all).await;
    let metrics = http.get("/metrics").await.expect("metrics").text;
    assert!(metrics.contains(&format!("zkbatch_relayer_proofs_finalized_total {}", 2 * PROOFS)), "{metrics}");
    relayer.stop().await;
}

/// The batch's block is reverted away while the relayer is down, and its key's nonce is used by
/// another transaction before it comes back: the recorded transaction can never be mined, so the
/// proofs are batched again under a new nonce, and land once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_that_gives_the_batchs_nonce_to_another_transaction_requeues_its_proofs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut circuit = Circuit::new(dir.path(), 12);
    let chain = Chain::start(&circuit, None).await;
    let snapshot = chain.rpc("evm_snapshot", json!([])).await;
    let relayer = Relayer::start(relayer_config(dir.path(), &chain, &circuit)).await.expect("relayer starts");
    let http = Http::new(format!("http://{}", relayer.addr));
    let (ids, _) = post_and_confirm(&http, &mut circuit).await;
    let first = http.get(&format!("/v1/proofs/{}", ids[0])).await.expect("GET").json;
    let nonce = first["batch"]["nonce"].as_u64().expect("a nonce");
    relayer.stop().await;

    assert_eq!(chain.rpc("evm_revert", json!([snapshot])).await, json!(true));
    // The relayer's key sends something else with the batch's nonce.
    let key: PrivateKeySigner = chain.relayer_key.parse().expect("key");
    let from = key.address();
    let wallet = ProviderBuilder::new().wallet(EthereumWallet::from(key)).connect_http(chain.anvil.endpoint_url());
    let other = TransactionRequest::default().with_from(from).with_to(from).with_value(U256::from(1)).with_nonce(nonce);
    let receipt = wallet.send_transaction(other).await.expect("send").get_receipt().await.expect("mined");
    assert!(receipt.status());

    let relayer = Relayer::start(relayer_config(dir.path(), &chain, &circuit)).await.expect("relayer restarts");
    let http = Http::new(format!("http://{}", relayer.addr));
    wait_metric(&http, "zkbatch_relayer_batches_reorged_total", 1).await;
    let done = exactly_once(&chain, &http, &ids).await;
    for status in &done {
        assert_ne!(status["batch"]["nonce"].as_u64(), Some(nonce), "{status}");
    }
    relayer.stop().await;
}
