//! A database written before the schema had migrations, by the relayer of that time, opened by
//! today's: every proof, batch and transaction is kept, the migrations are recorded, and the
//! relayer works on what it found.
//!
//! SQLite: `tests/fixtures/relayer-v0.sqlite`, written by the relayer at 423cfef (proofs in every
//! status, batches pending, confirmed, reverted and abandoned, a replaced transaction).
//! PostgreSQL: a database the test fills with that relayer's DDL and the SQLite file's rows, as a
//! dump and restore would. The DDL is migration 0001's text, which is that relayer's schema string
//! verbatim (and cannot drift: the migrator refuses a database whose applied migration's checksum
//! differs from the file's).

use std::path::{Path, PathBuf};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, Row};
use zkbatch_relayer::store::{NewProof, Status, Store};

use zkbatch_testing::postgres::Postgres;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

async fn connect(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new().max_connections(1).connect(url).await.expect("connect")
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Every row of the three tables, every column, in id order: what must survive.
async fn dump(pool: &AnyPool) -> Vec<String> {
    let mut out = Vec::new();
    for r in sqlx::query("SELECT * FROM proofs ORDER BY id").fetch_all(pool).await.expect("proofs") {
        out.push(format!(
            "proof {} {:?} {} {:?} {} {:?} {} {:?} {:?} {} {:?}",
            r.get::<i64, _>("id"),
            r.get::<Vec<u8>, _>("proof_key"),
            r.get::<String, _>("circuit"),
            r.get::<Vec<u8>, _>("data"),
            r.get::<String, _>("status"),
            r.get::<Option<i64>, _>("batch_id"),
            r.get::<i64, _>("reverts"),
            r.get::<Option<String>, _>("claimed_by"),
            r.get::<Option<String>, _>("error"),
            r.get::<i64, _>("received_ms"),
            r.get::<Option<i64>, _>("final_ms"),
        ));
    }
    for r in sqlx::query("SELECT * FROM batches ORDER BY id").fetch_all(pool).await.expect("batches") {
        out.push(format!(
            "batch {} {} {} {} {} {} {} {:?} {:?} {:?} {}",
            r.get::<i64, _>("id"),
            r.get::<String, _>("circuit"),
            r.get::<String, _>("mode"),
            r.get::<String, _>("signer"),
            r.get::<i64, _>("nonce"),
            r.get::<i64, _>("size"),
            r.get::<String, _>("status"),
            r.get::<Option<Vec<u8>>, _>("tx_hash"),
            r.get::<Option<i64>, _>("block"),
            r.get::<Option<i64>, _>("gas_used"),
            r.get::<i64, _>("created_ms"),
        ));
    }
    for r in sqlx::query("SELECT * FROM txs ORDER BY batch_id, attempt").fetch_all(pool).await.expect("txs") {
        out.push(format!(
            "tx {:?} {} {} {:?} {} {} {} {} {}",
            r.get::<Vec<u8>, _>("hash"),
            r.get::<i64, _>("batch_id"),
            r.get::<i64, _>("nonce"),
            r.get::<Vec<u8>, _>("raw"),
            r.get::<String, _>("max_fee"),
            r.get::<String, _>("priority_fee"),
            r.get::<i64, _>("broadcast"),
            r.get::<i64, _>("attempt"),
            r.get::<i64, _>("created_ms"),
        ));
    }
    out
}

/// What the fixture holds: enough of every kind that a lost row or column shows.
fn assert_the_fixture_is_all_there(rows: &[String]) {
    let count = |prefix: &str| rows.iter().filter(|r| r.starts_with(prefix)).count();
    for status in ["queued", "claimed", "batched", "submitted", "confirmed", "failed"] {
        assert!(rows.iter().any(|r| r.starts_with("proof ") && r.contains(&format!(" {status} "))), "no {status} proof in the fixture");
    }
    for status in ["pending", "confirmed", "reverted", "abandoned"] {
        assert!(rows.iter().any(|r| r.starts_with("batch ") && r.contains(&format!(" {status} "))), "no {status} batch in the fixture");
    }
    assert!(count("proof ") >= 20 && count("batch ") >= 5 && count("tx ") >= 6, "{rows:#?}");
}

async fn versions(pool: &AnyPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version").fetch_all(pool).await.expect("_sqlx_migrations")
}

/// The relayer works on the migrated rows: a confirmed proof reads back with its transaction,
/// the queue has its proofs, and a new proof takes the next id.
async fn the_store_works_on_them(store: &Store) {
    let confirmed: Vec<u8> = sqlx::query_scalar("SELECT proof_key FROM proofs WHERE status = 'confirmed' ORDER BY id LIMIT 1")
        .fetch_one(store.pool())
        .await
        .expect("a confirmed proof");
    let record = store.proof(confirmed.as_slice().try_into().expect("32 bytes")).await.expect("read").expect("found");
    assert_eq!(record.status, Status::Confirmed);
    assert!(record.batch.and_then(|b| b.tx_hash).is_some(), "its transaction");
    // The depth row migration 0003 seeds and its triggers keep, against a scan.
    let scanned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM proofs WHERE status = 'queued'").fetch_one(store.pool()).await.expect("count");
    assert!(scanned > 0);
    assert_eq!(store.queued_count().await.expect("depth"), scanned as usize);
    let before: i64 = sqlx::query_scalar("SELECT MAX(id) FROM proofs").fetch_one(store.pool()).await.expect("max id");
    let row = NewProof { key: [0xee; 32].into(), statement: [0xef; 32].into(), circuit: "squares-2", data: &[0u8; 320], client_id: None };
    store.insert_proof(row).await.expect("a new proof");
    let after: i64 = sqlx::query_scalar("SELECT MAX(id) FROM proofs").fetch_one(store.pool()).await.expect("max id");
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn a_sqlite_database_from_before_migrations_keeps_every_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relayer.db");
    std::fs::copy(fixture("relayer-v0.sqlite"), &path).expect("copy the fixture");
    let before = {
        let pool = connect(&sqlite_url(&path)).await;
        let rows = dump(&pool).await;
        let migrated: Option<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name = '_sqlx_migrations'").fetch_optional(&pool).await.expect("sqlite_master");
        assert_eq!(migrated, None, "the fixture predates migrations");
        pool.close().await;
        rows
    };
    assert_the_fixture_is_all_there(&before);

    let store = Store::open(&path).await.expect("today's relayer opens it");
    assert_eq!(dump(store.pool()).await, before, "rows changed in migration");
    assert_eq!(versions(store.pool()).await, [1, 2, 3, 4, 5, 6, 7, 8], "the baseline, the proving service's jobs, the queue's depth, statements, client ids, finality, chain resets, aggregates");
    drop(store);
    // A second start finds nothing to do.
    let store = Store::open(&path).await.expect("opens again");
    assert_eq!(dump(store.pool()).await, before);
    the_store_works_on_them(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_from_before_migrations_keeps_every_row() {
    let pg = Postgres::start();
    let sqlite = connect(&sqlite_url(&fixture("relayer-v0.sqlite"))).await;
    let rows = dump(&sqlite).await;
    let postgres = connect(&pg.url).await;
    postgres.execute(sqlx::raw_sql(include_str!("../../migrations/postgres/0001_baseline.sql"))).await.expect("the old DDL");
    restore(&sqlite, &postgres).await;
    let before = dump(&postgres).await;
    assert_eq!(before, rows, "the restore itself lost something");
    postgres.close().await;

    let store = Store::open(Path::new(&pg.url)).await.expect("today's relayer opens it");
    assert_eq!(dump(store.pool()).await, before, "rows changed in migration");
    assert_eq!(versions(store.pool()).await, [1, 2, 3, 4, 5, 6, 7, 8], "the baseline, the proving service's jobs, the queue's depth, statements, client ids, finality, chain resets, aggregates");
    the_store_works_on_them(&store).await;
}

/// Copies every row, ids included, and moves the id sequences past them, as pg_restore does.
async fn restore(from: &AnyPool, to: &AnyPool) {
    for r in sqlx::query("SELECT * FROM proofs ORDER BY id").fetch_all(from).await.expect("proofs") {
        sqlx::query(
            "INSERT INTO proofs (id, proof_key, circuit, data, status, batch_id, reverts, claimed_by, error, received_ms, final_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(r.get::<i64, _>("id"))
        .bind(r.get::<Vec<u8>, _>("proof_key"))
        .bind(r.get::<String, _>("circuit"))
        .bind(r.get::<Vec<u8>, _>("data"))
        .bind(r.get::<String, _>("status"))
        .bind(r.get::<Option<i64>, _>("batch_id"))
        .bind(r.get::<i64, _>("reverts"))
        .bind(r.get::<Option<String>, _>("claimed_by"))
        .bind(r.get::<Option<String>, _>("error"))
        .bind(r.get::<i64, _>("received_ms"))
        .bind(r.get::<Option<i64>, _>("final_ms"))
        .execute(to)
        .await
        .expect("insert a proof");
    }
    for r in sqlx::query("SELECT * FROM batches ORDER BY id").fetch_all(from).await.expect("batches") {
        sqlx::query(
            "INSERT INTO batches (id, circuit, mode, signer, nonce, size, status, tx_hash, block, gas_used, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(r.get::<i64, _>("id"))
        .bind(r.get::<String, _>("circuit"))
        .bind(r.get::<String, _>("mode"))
        .bind(r.get::<String, _>("signer"))
        .bind(r.get::<i64, _>("nonce"))
        .bind(r.get::<i64, _>("size"))
        .bind(r.get::<String, _>("status"))
        .bind(r.get::<Option<Vec<u8>>, _>("tx_hash"))
        .bind(r.get::<Option<i64>, _>("block"))
        .bind(r.get::<Option<i64>, _>("gas_used"))
        .bind(r.get::<i64, _>("created_ms"))
        .execute(to)
        .await
        .expect("insert a batch");
    }
    for r in sqlx::query("SELECT * FROM txs ORDER BY batch_id, attempt").fetch_all(from).await.expect("txs") {
        sqlx::query(
            "INSERT INTO txs (hash, batch_id, nonce, raw, max_fee, priority_fee, broadcast, attempt, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.get::<Vec<u8>, _>("hash"))
        .bind(r.get::<i64, _>("batch_id"))
        .bind(r.get::<i64, _>("nonce"))
        .bind(r.get::<Vec<u8>, _>("raw"))
        .bind(r.get::<String, _>("max_fee"))
        .bind(r.get::<String, _>("priority_fee"))
        .bind(r.get::<i64, _>("broadcast"))
        .bind(r.get::<i64, _>("attempt"))
        .bind(r.get::<i64, _>("created_ms"))
        .execute(to)
        .await
        .expect("insert a transaction");
    }
    for table in ["proofs", "batches"] {
        sqlx::query(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
            .execute(to)
            .await
            .expect("setval");
    }
}
