//! The durable job table (`jobs`, in the relayer's database and migrations): intake with an exact
//! bound and idempotent `client_id`s, leases that fence results, and the hand-off of a proved
//! job's proof to the relay queue in the same transaction.
//!
//! A job moves queued → proving → proved or failed. Claiming sets the lease (owner, expiry) and
//! counts an attempt; the attempt number is the fencing token: a node writes a result only while
//! the row still carries its owner and attempt, so a node that lost its lease (paused, partitioned)
//! and comes back cannot overwrite the result of the node that took the job over. On PostgreSQL
//! claims take rows with `FOR UPDATE SKIP LOCKED`: nodes claiming at once get different jobs and
//! never wait for each other.

use alloy_primitives::{keccak256, B256};
use serde_json::Value;
use sqlx::{Executor, Row};
use zkbatch_relayer::store::{key_hex, now_ms, Backend, Inserted, NewProof, Store, StoreError};

/// A job's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Accepted, waiting for a worker.
    Queued,
    /// Leased to a node that is proving it.
    Proving,
    /// Proved: the proof is stored.
    Proved,
    /// Ended without a proof; `error` says why.
    Failed,
}

impl JobStatus {
    /// The status's name, as stored and reported.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Proving => "proving",
            JobStatus::Proved => "proved",
            JobStatus::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Option<JobStatus> {
        Some(match s {
            "queued" => JobStatus::Queued,
            "proving" => JobStatus::Proving,
            "proved" => JobStatus::Proved,
            "failed" => JobStatus::Failed,
            _ => return None,
        })
    }
    /// Proved or failed: nothing more happens to the job.
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Proved | JobStatus::Failed)
    }
}

/// A job as stored.
#[derive(Clone, Debug)]
pub struct Job {
    /// Its id (32 hex digits).
    pub id: String,
    /// The circuit's id.
    pub circuit: String,
    /// Where it is.
    pub status: JobStatus,
    /// Whether its proof goes on-chain.
    pub submit: bool,
    /// The client's idempotency key.
    pub client_id: Option<String>,
    /// Leases taken on it.
    pub attempts: i64,
    /// Why it failed, or why earlier attempts did.
    pub error: Option<String>,
    /// snarkjs proof.json, once proved.
    pub proof: Option<Value>,
    /// public.json, once proved.
    pub public: Option<Value>,
    /// Phase timings, engine and node, once proved.
    pub report: Option<Value>,
    /// The proof's id in the relay queue (`submit`).
    pub proof_key: Option<B256>,
    /// The node holding its lease.
    pub lease_owner: Option<String>,
    /// When it was accepted, claimed (last) and finished (ms since the epoch).
    pub created_ms: i64,
    /// When its last lease was taken.
    pub started_ms: Option<i64>,
    /// When it was proved or failed.
    pub finished_ms: Option<i64>,
    input_hash: Vec<u8>,
}

/// A new job, as posted.
pub struct NewJob<'a> {
    /// The circuit's id.
    pub circuit: &'a str,
    /// The input, checked.
    pub input: &'a Value,
    /// Whether its proof goes on-chain.
    pub submit: bool,
    /// The client's idempotency key.
    pub client_id: Option<&'a str>,
}

/// What posting a job did.
#[derive(Debug)]
pub enum Posted {
    /// Queued under this id.
    New(String),
    /// The `client_id` was used before for the same request: that job.
    Replay(Box<Job>),
    /// The `client_id` was used before for another request.
    Conflict(Box<Job>),
    /// The queue holds its capacity.
    Full,
}

/// A job a worker holds the lease on.
#[derive(Clone, Debug)]
pub struct Claimed {
    /// The job's id.
    pub id: String,
    /// Its circuit.
    pub circuit: String,
    /// Its input.json text.
    pub input: String,
    /// Whether its proof goes on-chain.
    pub submit: bool,
    /// This lease's attempt number: the fencing token.
    pub attempt: i64,
    /// When the job was accepted.
    pub created_ms: i64,
}

/// A proved job's result.
pub struct Outcome<'a> {
    /// proof.json.
    pub proof: &'a Value,
    /// public.json.
    pub public: &'a Value,
    /// The report.
    pub report: &'a Value,
    /// For `submit`: the proof as the relay queue takes it.
    pub relay: Option<NewProof<'a>>,
}

/// The transaction-scoped advisory lock PostgreSQL nodes take to count the queue and insert a job
/// as one step: the bound holds exactly however many nodes accept at once.
const INTAKE_LOCK: &str = "SELECT pg_advisory_xact_lock(7297306)";

const JOB_COLUMNS: &str = "id, circuit, status, submit, client_id, attempts, error, proof, public, report, proof_key, lease_owner, \
                           created_ms, started_ms, finished_ms, input_hash";

/// The job table, over the relayer's store.
#[derive(Clone)]
pub struct Jobs {
    store: Store,
}

impl Jobs {
    /// The jobs in `store`'s database (its migrations made the table).
    pub fn new(store: Store) -> Jobs {
        Jobs { store }
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Queues a job unless the queue is full; a `client_id` seen before answers with its job.
    pub async fn post(&self, job: &NewJob<'_>, capacity: usize) -> Result<Posted, StoreError> {
        let input = job.input.to_string();
        let hash = request_hash(job);
        if let Some(posted) = self.replay(job, &hash).await? {
            return Ok(posted);
        }
        let id = new_id();
        let mut db = self.store.pool().begin().await?;
        if self.store.backend() == Backend::Postgres {
            (&mut *db).execute(sqlx::raw_sql(INTAKE_LOCK)).await?;
        }
        // One statement: on SQLite it is one write, so the count and the insert cannot interleave
        // with another's (on PostgreSQL the lock above does that).
        let done = sqlx::query(
            "INSERT INTO jobs (id, circuit, input, input_hash, submit, client_id, status, created_ms) \
             SELECT $1, $2, $3, $4, $5, $6, 'queued', $7 WHERE (SELECT COUNT(*) FROM jobs WHERE status = 'queued') < $8 \
             ON CONFLICT (client_id) DO NOTHING",
        )
        .bind(&id)
        .bind(job.circuit)
        .bind(&input)
        .bind(hash.to_vec())
        .bind(job.submit as i64)
        .bind(job.client_id)
        .bind(now_ms())
        .bind(capacity as i64)
        .execute(&mut *db)
        .await?;
        db.commit().await?;
        if done.rows_affected() == 1 {
            return Ok(Posted::New(id));
        }
        // Nothing inserted: the same client_id raced in, or the queue is full.
        Ok(self.replay(job, &hash).await?.unwrap_or(Posted::Full))
    }

    async fn replay(&self, job: &NewJob<'_>, hash: &B256) -> Result<Option<Posted>, StoreError> {
        let Some(client_id) = job.client_id else { return Ok(None) };
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE client_id = $1")).bind(client_id).fetch_optional(self.store.pool()).await?;
        let Some(row) = row else { return Ok(None) };
        let existing = job_from_row(&row)?;
        Ok(Some(if existing.input_hash == hash.as_slice() { Posted::Replay(Box::new(existing)) } else { Posted::Conflict(Box::new(existing)) }))
    }

    /// A job by id.
    pub async fn get(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1")).bind(id).fetch_optional(self.store.pool()).await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Takes the oldest queued job of one of `circuits` for `node`, with a lease until
    /// `lease_ms` from now.
    pub async fn claim(&self, node: &str, circuits: &[String], lease_ms: u64) -> Result<Option<Claimed>, StoreError> {
        if circuits.is_empty() {
            return Ok(None);
        }
        let now = now_ms();
        let lock = match self.store.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let list = (0..circuits.len()).map(|i| format!("${}", i + 4)).collect::<Vec<_>>().join(", ");
        let query = format!(
            "UPDATE jobs SET status = 'proving', lease_owner = $1, lease_expires_ms = $2, attempts = attempts + 1, started_ms = $3 \
             WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND circuit IN ({list}) ORDER BY created_ms, id LIMIT 1{lock}) \
             RETURNING id, circuit, input, submit, attempts, created_ms"
        );
        let mut q = sqlx::query(&query).bind(node).bind(now + lease_ms as i64).bind(now);
        for c in circuits {
            q = q.bind(c);
        }
        let Some(row) = q.fetch_optional(self.store.pool()).await? else { return Ok(None) };
        Ok(Some(Claimed {
            id: row.try_get("id")?,
            circuit: row.try_get("circuit")?,
            input: row.try_get("input")?,
            submit: row.try_get::<i64, _>("submit")? != 0,
            attempt: row.try_get("attempts")?,
            created_ms: row.try_get("created_ms")?,
        }))
    }

    /// Renews `node`'s leases; returns how many it holds.
    pub async fn heartbeat(&self, node: &str, lease_ms: u64) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE jobs SET lease_expires_ms = $1 WHERE lease_owner = $2 AND status = 'proving'")
            .bind(now_ms() + lease_ms as i64)
            .bind(node)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Leases that expired (their node died or hung): the job goes back to the queue, or fails
    /// after `max_attempts` leases. Returns how many expired.
    pub async fn expire_leases(&self, max_attempts: u32) -> Result<u64, StoreError> {
        let now = now_ms();
        let reason = "COALESCE(error || '; ', '') || 'attempt ' || CAST(attempts AS TEXT) || ': node ' || lease_owner || ' lost its lease'";
        let mut db = self.store.pool().begin().await?;
        let failed = sqlx::query(&format!(
            "UPDATE jobs SET status = 'failed', error = {reason}, lease_owner = NULL, finished_ms = $1 \
             WHERE status = 'proving' AND lease_expires_ms < $1 AND attempts >= $2"
        ))
        .bind(now)
        .bind(max_attempts as i64)
        .execute(&mut *db)
        .await?;
        let requeued = sqlx::query(&format!(
            "UPDATE jobs SET status = 'queued', error = {reason}, lease_owner = NULL WHERE status = 'proving' AND lease_expires_ms < $1"
        ))
        .bind(now)
        .execute(&mut *db)
        .await?;
        db.commit().await?;
        Ok(failed.rows_affected() + requeued.rows_affected())
    }

    /// Records a proved job, if `claimed`'s lease is still this node's; with `relay`, queues its
    /// proof for the chain in the same transaction. Returns false when the lease was lost (the
    /// result is dropped: another node owns the job).
    pub async fn complete(&self, node: &str, claimed: &Claimed, outcome: &Outcome<'_>) -> Result<bool, StoreError> {
        let mut db = self.store.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET status = 'proved', proof = $1, public = $2, report = $3, proof_key = $4, finished_ms = $5, lease_owner = NULL \
             WHERE id = $6 AND lease_owner = $7 AND attempts = $8 AND status = 'proving'",
        )
        .bind(outcome.proof.to_string())
        .bind(outcome.public.to_string())
        .bind(outcome.report.to_string())
        .bind(outcome.relay.as_ref().map(|p| p.key.to_vec()))
        .bind(now_ms())
        .bind(&claimed.id)
        .bind(node)
        .bind(claimed.attempt)
        .execute(&mut *db)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(proof) = outcome.relay {
            if let Inserted::Existing { key, circuit, .. } = Store::insert_proof_in(&mut db, proof).await? {
                // Another job proved the same statement first: this job follows that proof, the
                // one that goes on-chain.
                tracing::info!(job = %claimed.id, %circuit, proof = %key_hex(&key), "the relay queue already holds a proof of this statement");
                sqlx::query("UPDATE jobs SET proof_key = $1 WHERE id = $2").bind(key.to_vec()).bind(&claimed.id).execute(&mut *db).await?;
            }
        }
        db.commit().await?;
        Ok(true)
    }

    /// Ends a job as failed (a witness that fails fails again), if the lease is still this node's.
    pub async fn fail(&self, node: &str, claimed: &Claimed, reason: &str) -> Result<bool, StoreError> {
        self.end_attempt(node, claimed, reason, JobStatus::Failed).await
    }

    /// Gives an attempt back after a failure that may pass on another try, or fails the job after
    /// `max_attempts`.
    pub async fn retry(&self, node: &str, claimed: &Claimed, reason: &str, max_attempts: u32) -> Result<bool, StoreError> {
        let next = if claimed.attempt >= max_attempts as i64 { JobStatus::Failed } else { JobStatus::Queued };
        self.end_attempt(node, claimed, reason, next).await
    }

    /// Ends `claimed`'s attempt with `reason` added to the job's errors: the job moves to `next`
    /// (failed, or queued for another attempt), if the lease is still this node's.
    async fn end_attempt(&self, node: &str, claimed: &Claimed, reason: &str, next: JobStatus) -> Result<bool, StoreError> {
        let finished = (next == JobStatus::Failed).then(now_ms);
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, error = COALESCE(error || '; ', '') || $2, finished_ms = $3, lease_owner = NULL \
             WHERE id = $4 AND lease_owner = $5 AND attempts = $6 AND status = 'proving'",
        )
        .bind(next.as_str())
        .bind(reason)
        .bind(finished)
        .bind(&claimed.id)
        .bind(node)
        .bind(claimed.attempt)
        .execute(self.store.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives `node`'s leases back (a drain that ran out of time): the jobs are queued again, the
    /// attempt not counted.
    pub async fn release(&self, node: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'queued', lease_owner = NULL, attempts = attempts - 1 WHERE lease_owner = $1 AND status = 'proving'",
        )
        .bind(node)
        .execute(self.store.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// The newest `limit` jobs, newest first.
    pub async fn recent(&self, limit: usize) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY created_ms DESC, id LIMIT $1"))
            .bind(limit as i64)
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Jobs `node` holds a lease on.
    pub async fn held_by(&self, node: &str) -> Result<i64, StoreError> {
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE lease_owner = $1 AND status = 'proving'").bind(node).fetch_one(self.store.pool()).await?;
        Ok(n)
    }

    /// Jobs per status.
    pub async fn status_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").fetch_all(self.store.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
    }
}

/// What makes two posts the same request: circuit, submit and the input (serde_json writes an
/// object's keys sorted, so key order does not matter).
fn request_hash(job: &NewJob<'_>) -> B256 {
    keccak256(format!("{}\n{}\n{}", job.circuit, job.submit, job.input))
}

/// 128 random bits, hex: ids nobody can guess or enumerate.
fn new_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn job_from_row(row: &sqlx::any::AnyRow) -> Result<Job, StoreError> {
    let id: String = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let corrupt = |what| StoreError::Corrupt { what, row: 0 };
    let status = JobStatus::parse(&status).ok_or(corrupt("job status"))?;
    let json = |name: &str| -> Result<Option<Value>, StoreError> {
        row.try_get::<Option<String>, _>(name)?.map(|t| serde_json::from_str(&t).map_err(|_| corrupt("job result"))).transpose()
    };
    let proof_key = row.try_get::<Option<Vec<u8>>, _>("proof_key")?.map(|k| B256::try_from(k.as_slice()).map_err(|_| corrupt("proof key"))).transpose()?;
    Ok(Job {
        circuit: row.try_get("circuit")?,
        status,
        submit: row.try_get::<i64, _>("submit")? != 0,
        client_id: row.try_get("client_id")?,
        attempts: row.try_get("attempts")?,
        error: row.try_get("error")?,
        proof: json("proof")?,
        public: json("public")?,
        report: json("report")?,
        proof_key,
        lease_owner: row.try_get("lease_owner")?,
        created_ms: row.try_get("created_ms")?,
        started_ms: row.try_get("started_ms")?,
        finished_ms: row.try_get("finished_ms")?,
        input_hash: row.try_get("input_hash")?,
        id,
    })
}
