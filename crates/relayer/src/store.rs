//! The durable queue: every accepted proof, every batch and every signed transaction, in one
//! SQLite file (WAL, synchronous=FULL: a 202 means the proof survives a crash or power loss), or in
//! a PostgreSQL database shared by several relayer instances, each with its own signer key: an
//! instance claims queued proofs with `FOR UPDATE SKIP LOCKED`, so no two instances ever put the
//! same proof in a batch, and each reconciles only the batches its own key signed.
//!
//! A proof moves queued → batched (in a batch whose signed transaction is recorded, maybe not yet
//! broadcast) → submitted (broadcast) → confirmed → finalized, or → failed; a reorg takes a
//! confirmed proof back to submitted, or to queued when its nonce went to another transaction.
//! A batch's transaction is written
//! here before it is broadcast, so after a crash the relayer finds it and asks the chain what
//! became of it instead of building a second transaction for the same proofs.

use std::path::Path;

use alloy::primitives::{Address, B256};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::AnyPool;
use sqlx::{Executor, Row};

/// What went wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// It cannot be opened.
    #[error("database {path}: {source}")]
    Open {
        /// The file or URL.
        path: String,
        /// Why.
        source: sqlx::Error,
    },
    /// Its schema cannot be brought up to date.
    #[error("database {path}: migrating the schema: {source}")]
    Migrate {
        /// The file or URL.
        path: String,
        /// Which migration failed, and why.
        source: MigrateError,
    },
    /// A query failed.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// The path is not valid UTF-8 (it cannot be a URL nor a SQLite path sqlx takes).
    #[error("database {0:?}: not a file path nor a postgres:// URL")]
    Url(String),
    /// A row holds what this relayer never writes.
    #[error("database holds a malformed {what} (row {row}); was it written by another program?")]
    Corrupt {
        /// What is malformed.
        what: &'static str,
        /// The row's id.
        row: i64,
    },
}

mod aggregates;
pub use aggregates::{AggregateInfo, ClaimedAggregate, ReadyAggregate};

/// The schema, as versioned migrations for each dialect (`crates/relayer/migrations/`), applied in
/// order when a relayer opens the database; `_sqlx_migrations` records which. A released migration
/// is never edited (its checksum is checked at start): a change to the schema is a new file.
fn migrations(backend: Backend) -> Migrator {
    let mut migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("migrations/postgres"),
    };
    // The lock is taken in `Store::open` instead: sqlx's is a session lock on a key of its own.
    migrator.set_locking(false);
    migrator
}

/// The transaction-scoped advisory lock PostgreSQL instances take while bringing the schema up to
/// date: the key relayers took before migrations too, so instances old and new starting at once
/// exclude each other, and nothing outlives the transaction (a pooler in transaction mode would
/// strand a session lock).
const SCHEMA_LOCK: &str = "SELECT pg_advisory_xact_lock(7297305)";

/// A proof's state, as `GET /v1/proofs/{id}` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Accepted, waiting for a batch (or claimed by an instance forming one).
    Queued,
    /// In an aggregate being proved, or proved and waiting for the relay role.
    Aggregating,
    /// In a batch whose signed transaction is recorded, maybe not yet broadcast.
    Batched,
    /// Its batch's transaction was broadcast.
    Submitted,
    /// Its transaction is mined, successful and confirmed (`confirmations` deep), but its block
    /// could still be reorganised away; the relayer watches it.
    Confirmed,
    /// Its transaction's block is `finality_depth` deep: the relayer no longer watches it.
    Finalized,
    /// Refused on-chain, or unsubmittable; `error` says why.
    Failed,
}

impl Status {
    /// The status's name, as stored and reported.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Aggregating => "aggregating",
            Status::Batched => "batched",
            Status::Submitted => "submitted",
            Status::Confirmed => "confirmed",
            Status::Finalized => "finalized",
            Status::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Option<Status> {
        Some(match s {
            // Claimed: taken by an instance that is forming a batch with it; still waiting.
            "queued" | "claimed" => Status::Queued,
            "aggregating" => Status::Aggregating,
            "batched" => Status::Batched,
            "submitted" => Status::Submitted,
            "confirmed" => Status::Confirmed,
            "finalized" => Status::Finalized,
            "failed" => Status::Failed,
            _ => return None,
        })
    }
}

/// One proof's record, with its batch's transaction when it has one.
#[derive(Clone, Debug)]
pub struct ProofRecord {
    /// The proof's key (its public id).
    pub key: B256,
    /// What it proves (`EvmProof::statement`); none for rows stored before statements were.
    pub statement: Option<B256>,
    /// The `client_id` it was posted with.
    pub client_id: Option<String>,
    /// Its circuit's id.
    pub circuit: String,
    /// Where it is.
    pub status: Status,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When it was accepted (ms since the epoch).
    pub received_ms: i64,
    /// When it reached confirmed or failed.
    pub final_ms: Option<i64>,
    /// Its batch, once it has one.
    pub batch: Option<BatchInfo>,
    /// The aggregate it is (or was last) in, and that aggregate's status, for a circuit in
    /// aggregate mode.
    pub aggregate: Option<(i64, String)>,
    /// The proof in the chain's encoding (`EvmProof::to_bytes`).
    pub data: Vec<u8>,
}

/// A proof's batch, as its status reports it.
#[derive(Clone, Debug)]
pub struct BatchInfo {
    /// The batch's id.
    pub id: i64,
    /// `single` or `batch`.
    pub mode: String,
    /// Proofs in it.
    pub size: i64,
    /// Its transaction's nonce.
    pub nonce: u64,
    /// The mined transaction, once known; before that the latest one recorded.
    pub tx_hash: Option<B256>,
    /// The block it was mined in.
    pub block: Option<u64>,
    /// Its gasUsed.
    pub gas_used: Option<u64>,
    /// The mined transaction as signed (EIP-2718 bytes), once mined: what the chain ran, from
    /// which the proof's `isVerified` arguments are rebuilt.
    pub mined_raw: Option<Vec<u8>>,
}

/// A queued proof, as the batcher takes it.
#[derive(Clone, Debug)]
pub struct Queued {
    /// Its row.
    pub id: i64,
    /// The proof's key.
    pub key: B256,
    /// The proof in the chain's encoding (`EvmProof::to_bytes`).
    pub data: Vec<u8>,
    /// When it was accepted.
    pub received_ms: i64,
    /// Its lane: `relay` once its aggregate failed, `aggregate` when auto mode routed it there.
    pub lane: Option<String>,
}

/// A signed transaction, recorded before broadcast.
#[derive(Clone, Debug)]
pub struct TxRecord {
    /// Its hash.
    pub hash: B256,
    /// Its nonce.
    pub nonce: u64,
    /// The signed transaction, EIP-2718 encoded.
    pub raw: Vec<u8>,
    /// maxFeePerGas (wei).
    pub max_fee: u128,
    /// maxPriorityFeePerGas (wei).
    pub priority_fee: u128,
    /// Whether a node has accepted it.
    pub broadcast: bool,
    /// When it was signed.
    pub created_ms: i64,
}

/// A batch whose transaction has not been seen mined (yet).
#[derive(Clone, Debug)]
pub struct PendingBatch {
    /// Its row.
    pub id: i64,
    /// Its circuit.
    pub circuit: String,
    /// `single` or `batch`.
    pub mode: String,
    /// Its transactions' nonce.
    pub nonce: u64,
    /// Proofs in it.
    pub size: i64,
    /// When it was recorded.
    pub created_ms: i64,
    /// Every transaction signed for this batch's nonce, oldest first (replacements follow).
    pub txs: Vec<TxRecord>,
}

/// A confirmed batch, watched until its block is final.
#[derive(Clone, Debug)]
pub struct ConfirmedBatch {
    /// Its row.
    pub id: i64,
    /// Its transaction's nonce.
    pub nonce: u64,
    /// The mined transaction.
    pub tx_hash: B256,
    /// The block it was mined in.
    pub block: u64,
    /// That block's hash (none for batches confirmed before it was recorded).
    pub block_hash: Option<B256>,
}

/// What inserting a posted proof did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new row.
    New,
    /// The same proof (same key), or another proof of the same statement still live (not
    /// failed), was accepted before.
    Existing {
        /// The stored proof's key: the posted one's, or the first proof of the statement's.
        key: B256,
        /// The circuit it was accepted for.
        circuit: String,
        /// The `client_id` it was posted with.
        client_id: Option<String>,
    },
    /// Not stored: the queue held its capacity.
    Full,
}

/// A verified proof to queue.
#[derive(Clone, Copy, Debug)]
pub struct NewProof<'a> {
    /// The proof's key (`EvmProof::key`).
    pub key: B256,
    /// What it proves (`EvmProof::statement`): one live proof per statement is queued.
    pub statement: B256,
    /// Its circuit's id.
    pub circuit: &'a str,
    /// The proof in the chain's encoding (`EvmProof::to_bytes`).
    pub data: &'a [u8],
    /// The client's name for the submission, when it gave one: one proof per name.
    pub client_id: Option<&'a str>,
}

/// Which database a store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server, which several instances may share.
    Postgres,
}

/// The relayer's database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Milliseconds since the epoch, as the store records times.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn b256(bytes: &[u8], what: &'static str, row: i64) -> Result<B256, StoreError> {
    B256::try_from(bytes).map_err(|_| StoreError::Corrupt { what, row })
}

/// True for a `postgres://` or `postgresql://` URL (anything else is a SQLite file path).
pub fn is_postgres(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

impl Store {
    /// Opens (creating on first start) the database, a SQLite file path or a `postgres://` URL,
    /// and brings its schema up to date.
    pub async fn open(database: &Path) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let name = database.to_str().ok_or_else(|| StoreError::Url(database.display().to_string()))?;
        let open_err = |source| StoreError::Open { path: name.to_string(), source };
        let (pool, backend) = if is_postgres(name) {
            (AnyPoolOptions::new().max_connections(8).connect(name).await.map_err(open_err)?, Backend::Postgres)
        } else {
            let pool = AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // WAL: readers never block the writer. FULL: a committed 202 survives power
                        // loss, not only a process crash. busy_timeout: writers queue, not fail.
                        conn.execute(sqlx::raw_sql("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;"))
                            .await?;
                        Ok(())
                    })
                })
                .connect(&format!("sqlite://{name}?mode=rwc"))
                .await
                .map_err(open_err)?;
            (pool, Backend::Sqlite)
        };
        // One transaction: instances starting at once wait for each other (the lock on PostgreSQL,
        // the write lock on SQLite) and apply each migration once; a failure leaves nothing half done.
        let mut tx = pool.begin().await.map_err(open_err)?;
        if backend == Backend::Postgres {
            (&mut *tx).execute(sqlx::raw_sql(SCHEMA_LOCK)).await.map_err(open_err)?;
        }
        migrations(backend).run(&mut *tx).await.map_err(|source| StoreError::Migrate { path: name.to_string(), source })?;
        tx.commit().await.map_err(open_err)?;
        Ok(Store { pool, backend })
    }

    /// The newest migration applied to this database (its version number).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success").fetch_one(&self.pool).await?)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Stores an accepted proof as queued; a proof already stored, or another live proof of its
    /// statement, is left as it is.
    pub async fn insert_proof(&self, proof: NewProof<'_>) -> Result<Inserted, StoreError> {
        let mut db = self.pool.begin().await?;
        let inserted = Store::insert_proof_in(&mut db, proof).await?;
        db.commit().await?;
        Ok(inserted)
    }

    /// Stores accepted proofs as queued in one transaction (one commit, one sync to disk for all),
    /// each answered as [`Store::insert_proof`] answers it alone, except that a new proof finding
    /// `capacity` proofs queued is not stored ([`Inserted::Full`]); a failure stores none of them.
    /// The queue's depth is read once, under its lock (a row kept by triggers), so the bound holds
    /// exactly however many requests (or, on PostgreSQL, relayer instances) store at once.
    pub async fn insert_proofs(&self, proofs: &[NewProof<'_>], capacity: usize) -> Result<Vec<Inserted>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let queued = Store::lock_queue(&mut tx).await?;
        // The rows this transaction adds are counted as they go.
        let mut room = i64::try_from(capacity).unwrap_or(i64::MAX).saturating_sub(queued);
        let mut inserted = Vec::with_capacity(proofs.len());
        for proof in proofs {
            let answer = if room > 0 {
                Store::insert_row(&mut tx, proof).await?
            } else {
                match Store::stored(&mut tx, proof).await? {
                    Some(existing) => existing,
                    None => Inserted::Full,
                }
            };
            if answer == Inserted::New {
                room -= 1;
            }
            inserted.push(answer);
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Takes the queue's depth row (migration 0003, kept by triggers) for the rest of the
    /// transaction and reads it: an exact count, read without a scan. Taking it is a write, so on
    /// SQLite the transaction holds the write lock before it counts (no other writer queues a
    /// proof in between, and its snapshot is never upgraded after another commit, which SQLite
    /// refuses); on PostgreSQL it is the row's lock, which every change to the depth takes too.
    /// Intake takes it before inserting: a proof row waited for while holding it would otherwise
    /// risk a deadlock with a transaction that inserted that proof and waits for the depth.
    async fn lock_queue(db: &mut sqlx::AnyConnection) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("UPDATE queue_depth SET queued = queued WHERE id = 1 RETURNING queued").fetch_one(&mut *db).await?)
    }

    /// The stored row `proof` would duplicate: the same proof, else the proof posted under its
    /// `client_id`, else a live proof of its statement.
    async fn stored(db: &mut sqlx::AnyConnection, proof: &NewProof<'_>) -> Result<Option<Inserted>, StoreError> {
        let row = sqlx::query(
            "SELECT id, proof_key, circuit, client_id FROM proofs \
             WHERE proof_key = $1 OR client_id = $2 OR (statement_key = $3 AND status <> 'failed') \
             ORDER BY CASE WHEN proof_key = $4 THEN 0 WHEN client_id = $5 THEN 1 ELSE 2 END LIMIT 1",
        )
        .bind(proof.key.to_vec())
        .bind(proof.client_id)
        .bind(proof.statement.to_vec())
        .bind(proof.key.to_vec())
        .bind(proof.client_id)
        .fetch_optional(&mut *db)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("id")?;
        let key: Vec<u8> = row.try_get("proof_key")?;
        Ok(Some(Inserted::Existing { key: b256(&key, "proof key", id)?, circuit: row.try_get("circuit")?, client_id: row.try_get("client_id")? }))
    }

    /// [`Store::insert_proof`] on a connection (in a transaction) the caller holds: the proving
    /// service records a proof and queues it for the chain in one transaction.
    pub async fn insert_proof_in(db: &mut sqlx::AnyConnection, proof: NewProof<'_>) -> Result<Inserted, StoreError> {
        Store::lock_queue(db).await?;
        Store::insert_row(db, &proof).await
    }

    /// Inserts a queued proof unless it duplicates a stored one; the caller holds the queue's lock.
    async fn insert_row(db: &mut sqlx::AnyConnection, proof: &NewProof<'_>) -> Result<Inserted, StoreError> {
        // A row it conflicted with may fail (PostgreSQL, another instance's submitter) before it is
        // read: the statement is then free, and the next try stores the proof.
        for _ in 0..3 {
            // No conflict target: a stored proof key, client_id or live statement leaves the row out.
            let done = sqlx::query(
                "INSERT INTO proofs (proof_key, statement_key, client_id, circuit, data, status, received_ms) \
                 VALUES ($1, $2, $3, $4, $5, 'queued', $6) ON CONFLICT DO NOTHING",
            )
            .bind(proof.key.to_vec())
            .bind(proof.statement.to_vec())
            .bind(proof.client_id)
            .bind(proof.circuit)
            .bind(proof.data.to_vec())
            .bind(now_ms())
            .execute(&mut *db)
            .await?;
            if done.rows_affected() == 1 {
                return Ok(Inserted::New);
            }
            if let Some(existing) = Store::stored(db, proof).await? {
                return Ok(existing);
            }
        }
        Err(StoreError::Corrupt { what: "proof whose insert conflicts with no row it can read", row: 0 })
    }

    /// A proof's record, with its batch's transaction.
    pub async fn proof(&self, key: B256) -> Result<Option<ProofRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT p.id, p.statement_key, p.client_id, p.circuit, p.status, p.error, p.received_ms, p.final_ms, p.batch_id, p.aggregate_id, p.data, \
                    (SELECT a.status FROM aggregates a WHERE a.id = p.aggregate_id) AS aggregate_status, \
                    b.mode, b.size, b.nonce, b.tx_hash, b.block, b.gas_used, \
                    (SELECT hash FROM txs t WHERE t.batch_id = b.id ORDER BY t.attempt DESC LIMIT 1) AS last_tx, \
                    (SELECT raw FROM txs t WHERE t.hash = b.tx_hash) AS mined_raw \
             FROM proofs p LEFT JOIN batches b ON b.id = p.batch_id WHERE p.proof_key = $1",
        )
        .bind(key.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("id")?;
        let status: String = row.try_get("status")?;
        let status = Status::parse(&status).ok_or(StoreError::Corrupt { what: "proof status", row: id })?;
        let batch = match row.try_get::<Option<i64>, _>("batch_id")? {
            None => None,
            Some(batch_id) => {
                let mined: Option<Vec<u8>> = row.try_get("tx_hash")?;
                let last: Option<Vec<u8>> = row.try_get("last_tx")?;
                let tx_hash = match mined.or(last) {
                    Some(h) => Some(b256(&h, "transaction hash", batch_id)?),
                    None => None,
                };
                Some(BatchInfo {
                    id: batch_id,
                    mode: row.try_get::<Option<String>, _>("mode")?.unwrap_or_default(),
                    size: row.try_get::<Option<i64>, _>("size")?.unwrap_or_default(),
                    nonce: row.try_get::<Option<i64>, _>("nonce")?.unwrap_or_default() as u64,
                    tx_hash,
                    block: row.try_get::<Option<i64>, _>("block")?.map(|b| b as u64),
                    gas_used: row.try_get::<Option<i64>, _>("gas_used")?.map(|g| g as u64),
                    mined_raw: row.try_get("mined_raw")?,
                })
            }
        };
        let statement = match row.try_get::<Option<Vec<u8>>, _>("statement_key")? {
            Some(s) => Some(b256(&s, "statement key", id)?),
            None => None,
        };
        Ok(Some(ProofRecord {
            key,
            statement,
            client_id: row.try_get("client_id")?,
            circuit: row.try_get("circuit")?,
            status,
            error: row.try_get("error")?,
            received_ms: row.try_get("received_ms")?,
            final_ms: row.try_get("final_ms")?,
            batch,
            aggregate: match row.try_get::<Option<i64>, _>("aggregate_id")? {
                Some(a) => Some((a, row.try_get::<Option<String>, _>("aggregate_status")?.unwrap_or_default())),
                None => None,
            },
            data: row.try_get("data")?,
        }))
    }

    /// Proofs waiting for a batch.
    pub async fn queued_count(&self) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT queued FROM queue_depth WHERE id = 1").fetch_one(&self.pool).await?;
        usize::try_from(n).map_err(|_| StoreError::Corrupt { what: "queue depth", row: 1 })
    }

    /// Per circuit with queued proofs the relay takes: how many, and when the oldest arrived.
    /// Proofs in the `aggregate` lane are the aggregate workers'; so are the undecided ones of
    /// `fallback_only`'s circuits (those in aggregate mode): of those only the `relay` lane (their
    /// aggregate failed) counts.
    pub async fn queued_circuits(&self, fallback_only: &(dyn Fn(&str) -> bool + Sync)) -> Result<Vec<(String, usize, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT circuit, lane, COUNT(*) AS n, MIN(received_ms) AS oldest FROM proofs \
             WHERE status = 'queued' AND (lane IS NULL OR lane <> 'aggregate') GROUP BY circuit, lane ORDER BY oldest",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(String, usize, i64)> = Vec::new();
        for r in &rows {
            let circuit: String = r.try_get("circuit")?;
            let lane: Option<String> = r.try_get("lane")?;
            if lane.is_none() && fallback_only(&circuit) {
                continue;
            }
            let (n, oldest) = (r.try_get::<i64, _>("n")? as usize, r.try_get::<i64, _>("oldest")?);
            match out.iter_mut().find(|(c, _, _)| *c == circuit) {
                Some(entry) => {
                    entry.1 += n;
                    entry.2 = entry.2.min(oldest);
                }
                None => out.push((circuit, n, oldest)),
            }
        }
        out.sort_by_key(|(_, _, oldest)| *oldest);
        Ok(out)
    }

    /// Claims the oldest queued proofs of a circuit, at most `limit`, for `signer`: they leave the
    /// queue (status `claimed`) until [`Store::record_batch`] puts them in a batch or
    /// [`Store::release_claims`] gives them back. On PostgreSQL the rows are locked with
    /// `FOR UPDATE SKIP LOCKED`: two instances claiming at once get disjoint proofs, and neither
    /// waits for the other.
    ///
    /// Never proofs in the `aggregate` lane; with `fallback_only` (the circuit is in aggregate
    /// mode) only those in the `relay` lane, whose aggregate failed.
    pub async fn claim(&self, circuit: &str, limit: usize, signer: &str, fallback_only: bool) -> Result<Vec<Queued>, StoreError> {
        let lock = self.skip_locked();
        let fallback = if fallback_only { " AND lane = 'relay'" } else { " AND (lane IS NULL OR lane <> 'aggregate')" };
        let rows = sqlx::query(&format!(
            "UPDATE proofs SET status = 'claimed', claimed_by = $1 WHERE id IN \
             (SELECT id FROM proofs WHERE status = 'queued' AND circuit = $2{fallback} ORDER BY id LIMIT $3{lock}) \
             RETURNING id, proof_key, data, received_ms, lane"
        ))
        .bind(signer)
        .bind(circuit)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                let key: Vec<u8> = r.try_get("proof_key")?;
                Ok(Queued { id, key: b256(&key, "proof key", id)?, data: r.try_get("data")?, received_ms: r.try_get("received_ms")?, lane: r.try_get("lane")? })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by_key(|q| q.id);
        Ok(out)
    }

    /// Gives `signer`'s claimed proofs back to the queue (a batch that could not be sent now, or
    /// claims left by a crash of this instance).
    /// An aggregate the signer had taken is ready again, with its proofs.
    pub async fn release_claims(&self, signer: &str) -> Result<u64, StoreError> {
        let mut db = self.pool.begin().await?;
        sqlx::query(
            "UPDATE proofs SET status = 'aggregating', claimed_by = NULL WHERE status = 'claimed' AND claimed_by = $1 \
             AND aggregate_id IN (SELECT id FROM aggregates WHERE status = 'submitting' AND worker = $1)",
        )
        .bind(signer)
        .execute(&mut *db)
        .await?;
        sqlx::query("UPDATE aggregates SET status = 'ready' WHERE status = 'submitting' AND worker = $1").bind(signer).execute(&mut *db).await?;
        db.commit().await?;
        let done = sqlx::query("UPDATE proofs SET status = 'queued', claimed_by = NULL WHERE status = 'claimed' AND claimed_by = $1")
            .bind(signer)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Records a batch and its signed (not yet broadcast) transaction and moves its claimed
    /// proofs to batched, in one database transaction: after this returns, a crash cannot lose
    /// the knowledge that this nonce carries these proofs.
    pub async fn record_batch(&self, circuit: &str, mode: &str, signer: &str, proof_ids: &[i64], tx: &TxRecord) -> Result<i64, StoreError> {
        let mut db = self.pool.begin().await?;
        let batch_id: i64 = sqlx::query_scalar(
            "INSERT INTO batches (circuit, mode, signer, nonce, size, status, created_ms) VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
        )
        .bind(circuit)
        .bind(mode)
        .bind(signer)
        .bind(tx.nonce as i64)
        .bind(proof_ids.len() as i64)
        .bind(tx.created_ms)
        .fetch_one(&mut *db)
        .await?;
        insert_tx(&mut db, batch_id, tx, 0).await?;
        sqlx::query(
            "UPDATE aggregates SET status = 'submitted' WHERE status = 'submitting' AND id IN (SELECT aggregate_id FROM proofs WHERE id = $1)",
        )
        .bind(proof_ids.first().copied().unwrap_or(-1))
        .execute(&mut *db)
        .await?;
        for id in proof_ids {
            sqlx::query("UPDATE proofs SET status = 'batched', batch_id = $1, claimed_by = NULL WHERE id = $2 AND status = 'claimed'")
                .bind(batch_id)
                .bind(*id)
                .execute(&mut *db)
                .await?;
        }
        db.commit().await?;
        Ok(batch_id)
    }

    /// Records a replacement (same nonce, higher fees) before it is broadcast.
    pub async fn record_replacement(&self, batch_id: i64, tx: &TxRecord) -> Result<(), StoreError> {
        let mut db = self.pool.begin().await?;
        let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM txs WHERE batch_id = $1").bind(batch_id).fetch_one(&mut *db).await?;
        insert_tx(&mut db, batch_id, tx, attempts).await?;
        db.commit().await?;
        Ok(())
    }

    /// The node accepted the transaction (or already had it).
    pub async fn mark_broadcast(&self, batch_id: i64, hash: B256) -> Result<(), StoreError> {
        let mut db = self.pool.begin().await?;
        sqlx::query("UPDATE txs SET broadcast = 1 WHERE hash = $1").bind(hash.to_vec()).execute(&mut *db).await?;
        sqlx::query("UPDATE proofs SET status = 'submitted' WHERE batch_id = $1 AND status = 'batched'")
            .bind(batch_id)
            .execute(&mut *db)
            .await?;
        db.commit().await?;
        Ok(())
    }

    /// `signer`'s batches whose transaction has not been seen mined, oldest nonce first.
    pub async fn pending_batches(&self, signer: &str) -> Result<Vec<PendingBatch>, StoreError> {
        let rows = sqlx::query("SELECT id, circuit, mode, nonce, size, created_ms FROM batches WHERE status = 'pending' AND signer = $1 ORDER BY nonce")
            .bind(signer)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let txs = sqlx::query("SELECT hash, nonce, raw, max_fee, priority_fee, broadcast, created_ms FROM txs WHERE batch_id = $1 ORDER BY attempt")
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|t| {
                    let hash: Vec<u8> = t.try_get("hash")?;
                    let fee = |name: &str| -> Result<u128, StoreError> {
                        let s: String = t.try_get(name)?;
                        s.parse().map_err(|_| StoreError::Corrupt { what: "fee", row: id })
                    };
                    Ok(TxRecord {
                        hash: b256(&hash, "transaction hash", id)?,
                        nonce: t.try_get::<i64, _>("nonce")? as u64,
                        raw: t.try_get("raw")?,
                        max_fee: fee("max_fee")?,
                        priority_fee: fee("priority_fee")?,
                        broadcast: t.try_get::<i64, _>("broadcast")? != 0,
                        created_ms: t.try_get("created_ms")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.push(PendingBatch {
                id,
                circuit: r.try_get("circuit")?,
                mode: r.try_get("mode")?,
                nonce: r.try_get::<i64, _>("nonce")? as u64,
                size: r.try_get("size")?,
                created_ms: r.try_get("created_ms")?,
                txs,
            });
        }
        Ok(out)
    }

    /// The highest nonce any transaction `signer` signed uses.
    pub async fn max_nonce(&self, signer: &str) -> Result<Option<u64>, StoreError> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(nonce) FROM batches WHERE signer = $1").bind(signer).fetch_one(&self.pool).await?;
        Ok(n.map(|n| n as u64))
    }

    /// The genesis hash of the chain `signer` last submitted to, if recorded.
    pub async fn chain_genesis(&self, signer: &str) -> Result<Option<B256>, StoreError> {
        let g: Option<Vec<u8>> = sqlx::query_scalar("SELECT genesis FROM signer_chains WHERE signer = $1").bind(signer).fetch_optional(&self.pool).await?;
        g.map(|g| b256(&g, "genesis hash", 0)).transpose()
    }

    /// Records the chain `signer` submits to, when none is recorded yet.
    pub async fn record_chain(&self, signer: &str, genesis: B256) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO signer_chains (signer, genesis) VALUES ($1, $2) ON CONFLICT (signer) DO NOTHING")
            .bind(signer)
            .bind(genesis.to_vec())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The chain `signer` submits to was reset (it is now the one with `genesis`): none of its
    /// transactions is on it. Every batch confirmed or finalized on the old chain is pending
    /// again, its proofs `submitted`: its recorded transaction (same nonce, same chain id) is
    /// sent again, so each proof is still in one transaction and lands at most once. Returns
    /// (batches, proofs) moved.
    pub async fn reset_chain(&self, signer: &str, genesis: B256) -> Result<(u64, u64), StoreError> {
        let mut db = self.pool.begin().await?;
        let landed = "SELECT id FROM batches WHERE signer = $1 AND status IN ('confirmed', 'finalized')";
        let proofs = sqlx::query(&format!(
            "UPDATE proofs SET status = 'submitted', final_ms = NULL WHERE batch_id IN ({landed}) AND status IN ('confirmed', 'finalized')"
        ))
        .bind(signer)
        .execute(&mut *db)
        .await?
        .rows_affected();
        let batches = sqlx::query(
            "UPDATE batches SET status = 'pending', tx_hash = NULL, block = NULL, block_hash = NULL, gas_used = NULL \
             WHERE signer = $1 AND status IN ('confirmed', 'finalized')",
        )
        .bind(signer)
        .execute(&mut *db)
        .await?
        .rows_affected();
        sqlx::query("INSERT INTO signer_chains (signer, genesis) VALUES ($1, $2) ON CONFLICT (signer) DO UPDATE SET genesis = excluded.genesis")
            .bind(signer)
            .bind(genesis.to_vec())
            .execute(&mut *db)
            .await?;
        db.commit().await?;
        Ok((batches, proofs))
    }

    /// `signer`'s most recently finalized batch: its block and block hash. A final block the
    /// chain no longer has means the chain was reset.
    pub async fn last_finalized(&self, signer: &str) -> Result<Option<(u64, B256)>, StoreError> {
        let row: Option<(i64, i64, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT id, block, block_hash FROM batches WHERE signer = $1 AND status = 'finalized' AND block_hash IS NOT NULL ORDER BY block DESC LIMIT 1",
        )
        .bind(signer)
        .fetch_optional(&self.pool)
        .await?;
        row.and_then(|(id, block, hash)| hash.map(|h| b256(&h, "block hash", id).map(|h| (block as u64, h)))).transpose()
    }

    /// Marks failed the proofs of a batch whose successful transaction carries no `ProofVerified`
    /// event for them (`verified`: the keys it has events for); returns how many. Their status
    /// would otherwise say confirmed for a verification that never happened.
    /// `aggregate`: the batch went to an `AggregatedProofRegistry`, whose event names leaves.
    pub async fn fail_unverified(&self, batch_id: i64, verified: &[B256], tx_hash: B256, block: u64, registry: Address, aggregate: bool) -> Result<u64, StoreError> {
        let keys: Vec<(i64, Vec<u8>)> = sqlx::query_as("SELECT id, proof_key FROM proofs WHERE batch_id = $1 AND status IN ('batched', 'submitted')")
            .bind(batch_id)
            .fetch_all(&self.pool)
            .await?;
        let mut failed = 0;
        for (id, key) in keys {
            if verified.iter().any(|v| v.as_slice() == key.as_slice()) {
                continue;
            }
            let error = if aggregate {
                format!("transaction {tx_hash} succeeded in block {block} without this proof's statement in an AggregateVerified event from {registry}: is that address the circuit's AggregatedProofRegistry?")
            } else {
                format!("transaction {tx_hash} succeeded in block {block} without a ProofVerified event for this proof from {registry}: is that address the ProofRegistry contract?")
            };
            sqlx::query("UPDATE proofs SET status = 'failed', error = $1, final_ms = $2 WHERE id = $3").bind(error).bind(now_ms()).bind(id).execute(&self.pool).await?;
            failed += 1;
        }
        Ok(failed)
    }

    /// The batch's transaction is mined, successful and confirmed: its proofs are confirmed.
    /// Returns each proof's wait from acceptance to confirmation (ms), for the latency metric.
    pub async fn confirm_batch(&self, batch_id: i64, tx_hash: B256, block: u64, block_hash: B256, gas_used: u64) -> Result<Vec<i64>, StoreError> {
        let now = now_ms();
        let mut db = self.pool.begin().await?;
        sqlx::query("UPDATE batches SET status = 'confirmed', tx_hash = $1, block = $2, block_hash = $3, gas_used = $4 WHERE id = $5")
            .bind(tx_hash.to_vec())
            .bind(block as i64)
            .bind(block_hash.to_vec())
            .bind(gas_used as i64)
            .bind(batch_id)
            .execute(&mut *db)
            .await?;
        let received: Vec<i64> = sqlx::query_scalar("SELECT received_ms FROM proofs WHERE batch_id = $1 AND status IN ('batched', 'submitted')")
            .bind(batch_id)
            .fetch_all(&mut *db)
            .await?;
        sqlx::query("UPDATE proofs SET status = 'confirmed', final_ms = $1 WHERE batch_id = $2 AND status IN ('batched', 'submitted')")
            .bind(now)
            .bind(batch_id)
            .execute(&mut *db)
            .await?;
        db.commit().await?;
        Ok(received.into_iter().map(|r| now - r).collect())
    }

    /// `signer`'s confirmed batches not yet final, oldest block first.
    pub async fn confirmed_batches(&self, signer: &str) -> Result<Vec<ConfirmedBatch>, StoreError> {
        let rows = sqlx::query("SELECT id, nonce, tx_hash, block, block_hash FROM batches WHERE status = 'confirmed' AND signer = $1 ORDER BY block, nonce")
            .bind(signer)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                let tx: Option<Vec<u8>> = r.try_get("tx_hash")?;
                let tx = tx.ok_or(StoreError::Corrupt { what: "confirmed batch without its transaction", row: id })?;
                let block_hash = match r.try_get::<Option<Vec<u8>>, _>("block_hash")? {
                    Some(h) => Some(b256(&h, "block hash", id)?),
                    None => None,
                };
                let block: Option<i64> = r.try_get("block")?;
                Ok(ConfirmedBatch {
                    id,
                    nonce: r.try_get::<i64, _>("nonce")? as u64,
                    tx_hash: b256(&tx, "transaction hash", id)?,
                    block: block.ok_or(StoreError::Corrupt { what: "confirmed batch without its block", row: id })? as u64,
                    block_hash,
                })
            })
            .collect()
    }

    /// The confirmed batch's block is final: the batch and its confirmed proofs are finalized.
    /// Returns how many proofs.
    pub async fn finalize_batch(&self, batch_id: i64) -> Result<u64, StoreError> {
        let mut db = self.pool.begin().await?;
        sqlx::query("UPDATE batches SET status = 'finalized' WHERE id = $1 AND status = 'confirmed'").bind(batch_id).execute(&mut *db).await?;
        let done = sqlx::query("UPDATE proofs SET status = 'finalized' WHERE batch_id = $1 AND status = 'confirmed'").bind(batch_id).execute(&mut *db).await?;
        db.commit().await?;
        Ok(done.rows_affected())
    }

    /// The confirmed batch's block left the canonical chain: the batch is pending again (its
    /// recorded transactions are driven as any pending batch's: found mined again, sent again
    /// while the nonce is free, or given up when another transaction took the nonce) and its
    /// proofs are submitted, no longer confirmed.
    pub async fn unconfirm_batch(&self, batch_id: i64) -> Result<(), StoreError> {
        let mut db = self.pool.begin().await?;
        sqlx::query("UPDATE batches SET status = 'pending', tx_hash = NULL, block = NULL, block_hash = NULL, gas_used = NULL WHERE id = $1 AND status = 'confirmed'")
            .bind(batch_id)
            .execute(&mut *db)
            .await?;
        sqlx::query("UPDATE proofs SET status = 'submitted', final_ms = NULL WHERE batch_id = $1 AND status = 'confirmed'").bind(batch_id).execute(&mut *db).await?;
        db.commit().await?;
        Ok(())
    }

    /// The batch's transaction was mined and reverted: its proofs go back to the queue (the
    /// batcher's pre-flight check then isolates the cause), or fail after `max_reverts`.
    pub async fn revert_batch(&self, batch_id: i64, tx_hash: B256, block: u64, gas_used: u64, max_reverts: u32) -> Result<(), StoreError> {
        let mut db = self.pool.begin().await?;
        sqlx::query("UPDATE batches SET status = 'reverted', tx_hash = $1, block = $2, gas_used = $3 WHERE id = $4")
            .bind(tx_hash.to_vec())
            .bind(block as i64)
            .bind(gas_used as i64)
            .bind(batch_id)
            .execute(&mut *db)
            .await?;
        fall_back_from_aggregate(&mut db, batch_id).await?;
        let rows = sqlx::query("SELECT id, reverts FROM proofs WHERE batch_id = $1 AND status IN ('batched', 'submitted')")
            .bind(batch_id)
            .fetch_all(&mut *db)
            .await?;
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let reverts: i64 = r.try_get::<i64, _>("reverts")? + 1;
            if reverts >= max_reverts as i64 {
                sqlx::query("UPDATE proofs SET status = 'failed', reverts = $1, error = $2, final_ms = $3 WHERE id = $4")
                    .bind(reverts)
                    .bind(format!("its transactions reverted on-chain {reverts} times"))
                    .bind(now_ms())
                    .bind(id)
                    .execute(&mut *db)
                    .await?;
            } else {
                sqlx::query("UPDATE proofs SET status = 'queued', reverts = $1, batch_id = NULL WHERE id = $2")
                    .bind(reverts)
                    .bind(id)
                    .execute(&mut *db)
                    .await?;
            }
        }
        db.commit().await?;
        Ok(())
    }

    /// The batch's nonce was used by a transaction this relayer never signed: none of the
    /// batch's transactions can be mined, so its proofs go back to the queue.
    pub async fn abandon_batch(&self, batch_id: i64) -> Result<(), StoreError> {
        let mut db = self.pool.begin().await?;
        sqlx::query("UPDATE batches SET status = 'abandoned' WHERE id = $1 AND status = 'pending'").bind(batch_id).execute(&mut *db).await?;
        fall_back_from_aggregate(&mut db, batch_id).await?;
        sqlx::query("UPDATE proofs SET status = 'queued', batch_id = NULL WHERE batch_id = $1 AND status IN ('batched', 'submitted')")
            .bind(batch_id)
            .execute(&mut *db)
            .await?;
        db.commit().await?;
        Ok(())
    }

    /// A queued or claimed proof the chain refuses on its own (found by splitting a reverting
    /// batch), or one that cannot be submitted at all.
    pub async fn fail_queued(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE proofs SET status = 'failed', error = $1, final_ms = $2, claimed_by = NULL WHERE id = $3 AND status IN ('queued', 'claimed')")
            .bind(reason)
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Proofs per status, for the metrics.
    pub async fn status_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM proofs GROUP BY status").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
    }

    /// Direct access for tests and tools (e.g. to count rows).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// A batch of mode `aggregate` that reverted or was given up: its aggregate failed, and its proofs,
/// going back to the queue, are batch-verified from now on (an aggregate is not proved twice).
async fn fall_back_from_aggregate(db: &mut sqlx::AnyConnection, batch_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE aggregates SET status = 'failed', error = 'its transaction reverted or was given up' \
         WHERE id IN (SELECT p.aggregate_id FROM proofs p JOIN batches b ON b.id = p.batch_id WHERE p.batch_id = $1 AND b.mode = 'aggregate')",
    )
    .bind(batch_id)
    .execute(&mut *db)
    .await?;
    sqlx::query("UPDATE proofs SET lane = 'relay' WHERE batch_id = $1 AND batch_id IN (SELECT id FROM batches WHERE mode = 'aggregate')")
        .bind(batch_id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

async fn insert_tx(db: &mut sqlx::AnyConnection, batch_id: i64, tx: &TxRecord, attempt: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO txs (hash, batch_id, nonce, raw, max_fee, priority_fee, broadcast, attempt, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tx.hash.to_vec())
    .bind(batch_id)
    .bind(tx.nonce as i64)
    .bind(tx.raw.clone())
    .bind(tx.max_fee.to_string())
    .bind(tx.priority_fee.to_string())
    .bind(tx.broadcast as i64)
    .bind(attempt)
    .bind(tx.created_ms)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// `0x…` for a proof key, the public id.
pub fn key_hex(key: &B256) -> String {
    format!("{key:#x}")
}
