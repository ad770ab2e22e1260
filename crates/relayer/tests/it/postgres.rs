//! Two relayer instances, each with its own signer key, sharing one PostgreSQL database: every
//! proof is confirmed exactly once (from the chain's events), whichever instance took it.
//!
//! The test starts its own PostgreSQL server (`pg`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use zkbatch_relayer::Relayer;

use crate::harness::{body, config, Chain, Circuit, Http, CIRCUIT};
use zkbatch_testing::postgres::Postgres;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_confirm_every_proof_once() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let mut circuit = Circuit::new(dir.path(), 7);
    let chain = Chain::start(&circuit, None).await;
    let mut cfgs = Vec::new();
    for i in 0..2 {
        let sub = dir.path().join(format!("instance-{i}"));
        std::fs::create_dir_all(&sub).unwrap();
        let mut cfg = config(&sub, &chain, &circuit);
        cfg.database = PathBuf::from(&pg.url);
        cfg.batch.max_size = 4;
        cfg.batch.max_wait_ms = 100;
        // Each instance signs with its own key (anvil accounts 1 and 2): its own nonces.
        let key_file = sub.join("relayer.key");
        std::fs::write(&key_file, alloy::hex::encode(chain.anvil.keys()[1 + i].to_bytes())).unwrap();
        cfg.key_file = Some(key_file);
        cfgs.push(cfg);
    }
    // Both start at once on the empty database: the schema lock makes one migrate and the
    // other find the schema done, rather than both creating the same tables.
    let [c0, c1]: [_; 2] = cfgs.try_into().expect("two configs");
    let (r0, r1) = tokio::join!(Relayer::start(c0), Relayer::start(c1));
    let relayers = [r0, r1].map(|r| r.expect("relayer on PostgreSQL starts"));
    let https: Vec<Arc<Http>> = relayers.iter().map(|r| Arc::new(Http::new(format!("http://{}", r.addr)))).collect();

    // 64 proofs, posted alternately to the two instances, 8 requests in flight.
    let mut tasks = Vec::new();
    let bodies: Vec<String> = (0..64)
        .map(|_| {
            let (p, x) = circuit.proof();
            body(CIRCUIT, &p, &x)
        })
        .collect();
    for (chunk_index, chunk) in bodies.chunks(8).enumerate() {
        let http = https[chunk_index % 2].clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for b in chunk {
                let r = http.post("/v1/proofs", b).await.expect("POST");
                assert_eq!(r.status, 202, "{}", r.text);
                ids.push(r.json["id"].as_str().unwrap().to_string());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    // Either instance answers for any proof: the state is in the shared database.
    let done = https[0].wait_final(&ids, Duration::from_secs(300)).await;
    assert!(done.values().all(|s| crate::harness::landed(&s["status"])), "{done:?}");
    let events = chain.verified().await;
    for id in &ids {
        let key: alloy::primitives::B256 = id.parse().unwrap();
        assert_eq!(events.get(&key).copied().unwrap_or(0), 1, "proof {id}: events on-chain");
    }
    assert_eq!(events.len(), ids.len(), "events for proofs never accepted");
    let signers: Vec<(String, i64)> = {
        use sqlx::Row;
        sqlx::query("SELECT signer, COUNT(*) AS n FROM batches WHERE status = 'confirmed' GROUP BY signer")
            .fetch_all(relayers[0].store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("signer"), r.get("n")))
            .collect()
    };
    eprintln!("confirmed batches per instance: {signers:?}");
    for r in relayers {
        r.stop().await;
    }
}
