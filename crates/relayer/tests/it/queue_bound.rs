//! The queue's bound, where it is enforced: in the store, counting and inserting as one step, on
//! SQLite and across instances on one PostgreSQL server (started by the test).

use std::sync::Arc;

use alloy::primitives::B256;
use zkbatch_relayer::store::{Inserted, Store};
use zkbatch_testing::postgres::Postgres;

/// `n` distinct proof keys, from `first` on.
fn keys(first: u8, n: u8) -> Vec<B256> {
    (first..first + n).map(B256::repeat_byte).collect()
}

async fn insert(store: &Store, keys: &[B256], capacity: usize) -> Vec<Inserted> {
    let data = [0u8; 320];
    let rows: Vec<(B256, &str, &[u8])> = keys.iter().map(|k| (*k, "squares-2", &data[..])).collect();
    store.insert_proofs(&rows, capacity).await.expect("insert")
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
    assert_eq!(insert(&store, &keys(1, 1), 10).await, vec![Inserted::Existing { circuit: "squares-2".into() }]);
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
