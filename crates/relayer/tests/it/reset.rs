//! A chain reset under the relayer: anvil restarted without its state (as a developer restarts
//! it), the contracts deployed again at the same addresses. The relayer's transactions are gone
//! with the old chain, confirmations and final ones included, and its nonce count is ahead of the
//! new chain's. It must find the reset (the genesis block changed), send its recorded
//! transactions again, and land every proof, old and new, exactly once on the new chain: while
//! running, and when the reset happened while it was stopped. Recovery times are printed, not
//! asserted (the machines are noisy).

use std::time::{Duration, Instant};

use serde_json::json;
use zkbatch_relayer::Relayer;

use crate::harness::{config, Chain, Circuit, Http};

/// A bound against hanging, not a speed requirement.
const LIMIT: Duration = Duration::from_secs(120);

/// Waits until the relayer's metrics count `resets` chain resets.
async fn wait_resets(http: &Http, resets: u64) {
    let start = Instant::now();
    let line = format!("zkbatch_relayer_chain_resets_total {resets}");
    loop {
        let metrics = http.get("/metrics").await.expect("GET /metrics").text;
        if metrics.lines().any(|l| l == line) {
            return;
        }
        assert!(start.elapsed() < LIMIT, "the relayer never counted {resets} chain resets");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_reset_jams_nothing_and_every_proof_lands_once_on_the_new_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut circuit = Circuit::new(dir.path(), 24);
    let chain = Chain::start(&circuit, None).await;
    let relayer = Relayer::start(config(dir.path(), &chain, &circuit)).await.expect("relayer starts");
    let http = Http::new(format!("http://{}", relayer.addr));

    // On the old chain: eight proofs final (anvil's finality depth is 4 blocks), four confirmed.
    let mut ids = http.post_proofs(&mut circuit, 8).await;
    http.wait_final(&ids, LIMIT).await;
    chain.rpc("anvil_mine", json!([4])).await;
    http.wait_status(&ids, "finalized", LIMIT).await;
    let confirmed = http.post_proofs(&mut circuit, 4).await;
    http.wait_final(&confirmed, LIMIT).await;
    ids.extend(confirmed);

    let chain = chain.reset(&circuit).await;
    let reset = Instant::now();
    wait_resets(&http, 1).await;
    ids.extend(http.post_proofs(&mut circuit, 6).await);
    chain.landed_exactly_once(&http, &ids, LIMIT).await;
    eprintln!("chain reset under a running relayer: {} proofs landed on the new chain {:?} after the reset", ids.len(), reset.elapsed());
    relayer.stop().await;

    // The same while the relayer is stopped: it finds the reset when it starts.
    let chain = chain.reset(&circuit).await;
    let reset = Instant::now();
    let relayer = Relayer::start(config(dir.path(), &chain, &circuit)).await.expect("relayer starts again");
    let http = Http::new(format!("http://{}", relayer.addr));
    wait_resets(&http, 1).await;
    ids.extend(http.post_proofs(&mut circuit, 2).await);
    chain.landed_exactly_once(&http, &ids, LIMIT).await;
    eprintln!("chain reset while the relayer was stopped: {} proofs landed on the new chain {:?} after the reset", ids.len(), reset.elapsed());
    relayer.stop().await;
}

/// The registry loses its code while the relayer runs (`anvil_setCode` to nothing: what a reset
/// looks like before it is found): the batch sent meanwhile succeeds and does nothing. Its proofs
/// are not failed: they wait in the queue until the registry has code again, then land once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_sent_to_a_registry_that_lost_its_code_wait_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut circuit = Circuit::new(dir.path(), 26);
    let chain = Chain::start(&circuit, None).await;
    let relayer = Relayer::start(config(dir.path(), &chain, &circuit)).await.expect("relayer starts");
    let http = Http::new(format!("http://{}", relayer.addr));
    let mut ids = http.post_proofs(&mut circuit, 4).await;
    http.wait_final(&ids, LIMIT).await;

    let sent = || async {
        let metrics = http.get("/metrics").await.expect("GET /metrics").text;
        let line = metrics.lines().find_map(|l| l.strip_prefix("zkbatch_relayer_batches_sent_total ").map(String::from));
        line.expect("batches_sent metric").parse::<u64>().expect("a count")
    };
    let before = sent().await;
    let code = chain.rpc("eth_getCode", json!([chain.registry, "latest"])).await;
    chain.rpc("anvil_setCode", json!([chain.registry, "0x"])).await;
    let waiting = http.post_proofs(&mut circuit, 4).await;
    // The batch goes out, is mined without effect, and its proofs are queued again.
    let start = Instant::now();
    while sent().await == before {
        assert!(start.elapsed() < LIMIT, "no batch sent to the codeless registry");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    http.wait_status(&waiting, "queued", LIMIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for id in &waiting {
        let s = http.get(&format!("/v1/proofs/{id}")).await.expect("GET").json;
        assert_eq!(s["status"], "queued", "{s}");
    }

    chain.rpc("anvil_setCode", json!([chain.registry, code])).await;
    ids.extend(waiting);
    chain.landed_exactly_once(&http, &ids, LIMIT).await;
    relayer.stop().await;
}
