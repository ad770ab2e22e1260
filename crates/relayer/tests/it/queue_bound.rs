//! The queue's bound, where it is enforced: in the store, counting and inserting as one step, on
//! SQLite and across instances on one PostgreSQL server (started by the test); and the depth row
//! its triggers keep, which must equal a count of the queue after every move a proof makes; and
//! what the store takes as one entry of the queue: one live proof per statement, one proof per
//! client_id.

use std::sync::Arc;

use alloy::primitives::B256;
use zkbatch_relayer::store::{now_ms, Inserted, NewProof, Store, TxRecord};
use zkbatch_testing::postgres::Postgres;

/// `n` distinct proof keys, from `first` on.
fn keys(first: u8, n: u8) -> Vec<B256> {
    (first..first + n).map(B256::repeat_byte).collect()
}

/// Stores a proof under each key, each of its own statement (the key's bytes reversed).
async fn insert(store: &Store, keys: &[B256], capacity: usize) -> Vec<Inserted> {
    let statements: Vec<B256> = keys.iter().map(|k| statement_of(*k)).collect();
    insert_statements(store, keys, &statements, capacity).await
}

fn statement_of(key: B256) -> B256 {
    let mut s = key.0;
    s.reverse();
    B256::from(s) ^ B256::repeat_byte(0x55)
}

async fn insert_statements(store: &Store, keys: &[B256], statements: &[B256], capacity: usize) -> Vec<Inserted> {
    let data = [0u8; 320];
    let rows: Vec<NewProof> = keys.iter().zip(statements).map(|(k, s)| NewProof { key: *k, statement: *s, circuit: "squares-2", data: &data, client_id: None }).collect();
    store.insert_proofs(&rows, capacity).await.expect("insert")
}

fn existing(key: B256) -> Inserted {
    Inserted::Existing { key, circuit: "squares-2".into(), client_id: None }
}

async fn rows(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM proofs").fetch_one(store.pool()).await.expect("count")
}

#[tokio::test]
async fn a_group_commit_stores_up_to_the_capacity_and_no_more() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("relayer.db")).await.expect("open");
    let got = insert(&store, &keys(1, 20), 10).await;
    assert_eq!(got.iter().filter(|i| **i == Inserted::New).count(), 10, "{got:?}");
    assert!(got[10..].iter().all(|i| *i == Inserted::Full), "{got:?}");
    // A proof already stored is answered as such even when the queue is full.
    assert_eq!(insert(&store, &keys(1, 1), 10).await, vec![existing(keys(1, 1)[0])]);
    assert_eq!(rows(&store).await, 10);
}

/// Two instances on one PostgreSQL database, eight group commits of 5 at once against a capacity
/// of 10: exactly 10 rows, however the commits interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_postgres_store_no_more_than_the_capacity() {
    let pg = Postgres::start();
    let stores = [Store::open(std::path::Path::new(&pg.url)).await.expect("open"), Store::open(std::path::Path::new(&pg.url)).await.expect("open")].map(Arc::new);
    let tasks: Vec<_> = (0..8u8)
        .map(|i| {
            let store = stores[usize::from(i % 2)].clone();
            tokio::spawn(async move { insert(&store, &keys(1 + 5 * i, 5), 10).await })
        })
        .collect();
    let mut new = 0;
    for t in tasks {
        new += t.await.expect("task").iter().filter(|i| **i == Inserted::New).count();
    }
    assert_eq!((new, rows(&stores[0]).await), (10, 10));
}

/// The depth the store reads (its trigger-kept row) and a scan of the queue.
async fn depth(store: &Store) -> (usize, usize) {
    let scanned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM proofs WHERE status = 'queued'").fetch_one(store.pool()).await.expect("count");
    (store.queued_count().await.expect("depth"), scanned as usize)
}

/// A signed transaction's record, as the store keeps it (the store never reads `raw`).
fn tx(nonce: u64) -> TxRecord {
    TxRecord { hash: B256::repeat_byte(0xa0 + nonce as u8), nonce, raw: vec![0x02], max_fee: 2, priority_fee: 1, broadcast: false, created_ms: now_ms() }
}

/// Every move into and out of the queue, in turn, with the depth checked against a scan after
/// each: insert (new and already stored), claim, release, batch, broadcast, revert (requeued,
/// then failed), abandon, confirm, a refused proof and a deleted row.
async fn the_depth_follows_every_move(store: &Store) {
    macro_rules! expect {
        ($n:expr, $after:expr) => {
            assert_eq!(depth(store).await, ($n, $n), "after {}", $after)
        };
    }
    expect!(0, "opening");
    insert(store, &keys(1, 6), 100).await;
    insert(store, &keys(1, 2), 100).await;
    expect!(6, "inserting 6, then 2 already stored");
    assert_eq!(store.claim("squares-2", 4, "signer-a", false).await.expect("claim").len(), 4);
    expect!(2, "claiming 4");
    assert_eq!(store.release_claims("signer-a").await.expect("release"), 4);
    expect!(6, "releasing them");
    let claimed_again = store.claim("squares-2", 3, "signer-a", false).await.expect("claim");
    let ids: Vec<i64> = claimed_again.iter().map(|q| q.id).collect();
    let batch = store.record_batch("squares-2", "batch", "signer-a", &ids, &tx(0)).await.expect("batch");
    store.mark_broadcast(batch, tx(0).hash).await.expect("broadcast");
    expect!(3, "batching 3");
    store.revert_batch(batch, tx(0).hash, 1, 21_000, 2).await.expect("revert");
    expect!(6, "a revert putting them back");
    let ids: Vec<i64> = store.claim("squares-2", 3, "signer-a", false).await.expect("claim").iter().map(|q| q.id).collect();
    let batch = store.record_batch("squares-2", "batch", "signer-a", &ids, &tx(1)).await.expect("batch");
    store.revert_batch(batch, tx(1).hash, 2, 21_000, 2).await.expect("revert");
    expect!(3, "a second revert failing them");
    let ids: Vec<i64> = store.claim("squares-2", 2, "signer-a", false).await.expect("claim").iter().map(|q| q.id).collect();
    let batch = store.record_batch("squares-2", "batch", "signer-a", &ids, &tx(2)).await.expect("batch");
    store.abandon_batch(batch).await.expect("abandon");
    expect!(3, "abandoning a batch of 2");
    let ids: Vec<i64> = store.claim("squares-2", 2, "signer-a", false).await.expect("claim").iter().map(|q| q.id).collect();
    let batch = store.record_batch("squares-2", "batch", "signer-a", &ids, &tx(3)).await.expect("batch");
    store.confirm_batch(batch, tx(3).hash, 3, B256::repeat_byte(0xbb), 21_000).await.expect("confirm");
    expect!(1, "confirming 2");
    store.unconfirm_batch(batch).await.expect("a reorg");
    expect!(1, "a reorg taking their block away (they are submitted again, not queued)");
    store.confirm_batch(batch, tx(3).hash, 4, B256::repeat_byte(0xbc), 21_000).await.expect("confirm");
    assert_eq!(store.finalize_batch(batch).await.expect("finalize"), 2);
    expect!(1, "finalizing them");
    let last = store.claim("squares-2", 1, "signer-a", false).await.expect("claim");
    store.release_claims("signer-a").await.expect("release");
    store.fail_queued(last[0].id, "refused on its own").await.expect("fail");
    expect!(0, "failing the last");
    insert(store, &keys(100, 2), 100).await;
    sqlx::query("DELETE FROM proofs WHERE proof_key = $1").bind(keys(100, 1)[0].to_vec()).execute(store.pool()).await.expect("delete");
    expect!(1, "inserting 2 and deleting one");
}

#[tokio::test]
async fn the_depth_follows_every_move_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    the_depth_follows_every_move(&Store::open(&dir.path().join("relayer.db")).await.expect("open")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_depth_follows_every_move_on_postgres() {
    let pg = Postgres::start();
    the_depth_follows_every_move(&Store::open(std::path::Path::new(&pg.url)).await.expect("open")).await;
}

/// One live proof per statement: another proof of it (as (−A, −B, C) or a fresh proof would be)
/// is answered with the first, in another commit or in the same one, and even when the queue is
/// full; once the first has failed, a new proof of the statement is stored.
async fn one_live_proof_per_statement(store: &Store) {
    let [a, b, c, d] = [1u8, 2, 3, 4].map(B256::repeat_byte);
    let s = B256::repeat_byte(0x77);
    assert_eq!(insert_statements(store, &[a], &[s], 10).await, vec![Inserted::New]);
    assert_eq!(insert_statements(store, &[b], &[s], 10).await, vec![existing(a)], "another proof, another commit");
    assert_eq!(insert_statements(store, &[b], &[s], 1).await, vec![existing(a)], "with the queue full");
    let t = B256::repeat_byte(0x78);
    assert_eq!(insert_statements(store, &[c, d], &[t, t], 10).await, vec![Inserted::New, existing(c)], "in one commit");
    assert_eq!(rows(store).await, 2);

    let ids: Vec<i64> = store.claim("squares-2", 1, "signer-a", false).await.expect("claim").iter().map(|q| q.id).collect();
    store.fail_queued(ids[0], "refused on-chain").await.expect("fail");
    assert_eq!(insert_statements(store, &[a], &[s], 10).await, vec![existing(a)], "the failed proof itself, posted again");
    assert_eq!(insert_statements(store, &[b], &[s], 10).await, vec![Inserted::New], "a new proof of a failed statement");
    let record = store.proof(b).await.expect("read").expect("stored");
    assert_eq!(record.statement, Some(s));
    assert_eq!(rows(store).await, 3);
}

/// One proof per `client_id`: the same name with the same proof, or with another, finds the
/// first (the API answers 200 or 409 from it); names do not stop other proofs being stored.
async fn one_proof_per_client_id(store: &Store) {
    let data = [0u8; 320];
    let row = |k: u8, client_id: Option<&'static str>| {
        let key = B256::repeat_byte(k);
        NewProof { key, statement: statement_of(key), circuit: "squares-2", data: &data, client_id }
    };
    let first = Inserted::Existing { key: B256::repeat_byte(0x10), circuit: "squares-2".into(), client_id: Some("order-1".into()) };
    assert_eq!(store.insert_proofs(&[row(0x10, Some("order-1"))], 100).await.expect("insert"), vec![Inserted::New]);
    assert_eq!(store.insert_proofs(&[row(0x10, Some("order-1"))], 100).await.expect("insert"), vec![first.clone()], "a retry");
    assert_eq!(store.insert_proofs(&[row(0x11, Some("order-1"))], 100).await.expect("insert"), vec![first], "another proof, same name");
    let fresh = [row(0x11, None), row(0x12, None), row(0x13, Some("order-2"))];
    assert_eq!(store.insert_proofs(&fresh, 100).await.expect("insert"), vec![Inserted::New; 3]);
    let record = store.proof(B256::repeat_byte(0x13)).await.expect("read").expect("stored");
    assert_eq!(record.client_id.as_deref(), Some("order-2"));
}

#[tokio::test]
async fn statements_and_client_ids_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("relayer.db")).await.expect("open");
    one_live_proof_per_statement(&store).await;
    one_proof_per_client_id(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_and_client_ids_on_postgres() {
    let pg = Postgres::start();
    let store = Store::open(std::path::Path::new(&pg.url)).await.expect("open");
    one_live_proof_per_statement(&store).await;
    one_proof_per_client_id(&store).await;
}
