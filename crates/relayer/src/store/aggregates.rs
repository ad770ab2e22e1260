//! Aggregates in the database: claimed by aggregate workers under leases, proved, then taken by
//! the relay role as a batch of mode `aggregate` (migration 0008 describes the states).
//!
//! Fencing: every write of a worker names the worker and requires the aggregate still to be
//! `proving` under it, so a worker whose lease expired (and whose proofs another worker took)
//! changes nothing when it finishes late.

use alloy::primitives::B256;
use sqlx::Row;

use super::{b256, now_ms, Backend, Queued, Store, StoreError};

/// An aggregate a worker claimed: its proofs, oldest first.
#[derive(Clone, Debug)]
pub struct ClaimedAggregate {
    /// Its row.
    pub id: i64,
    /// The proofs in it.
    pub proofs: Vec<Queued>,
}

/// A proved aggregate the relay role took to submit.
#[derive(Clone, Debug)]
pub struct ReadyAggregate {
    /// Its row.
    pub id: i64,
    /// Its circuit.
    pub circuit: String,
    /// `AggregatedProofRegistry.submit(instances, proof)`, encoded by the worker.
    pub calldata: Vec<u8>,
    /// Its proofs (now `claimed` by the signer), oldest first.
    pub proofs: Vec<Queued>,
}

/// An aggregate's state, as a proof's status reports it.
#[derive(Clone, Debug)]
pub struct AggregateInfo {
    /// Its row.
    pub id: i64,
    /// proving, ready, submitting, submitted, expired or failed.
    pub status: String,
    /// The worker that claimed it.
    pub worker: String,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

fn queued(r: &sqlx::any::AnyRow) -> Result<Queued, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key: Vec<u8> = r.try_get("proof_key")?;
    Ok(Queued { id, key: b256(&key, "proof key", id)?, data: r.try_get("data")?, received_ms: r.try_get("received_ms")?, lane: r.try_get("lane")? })
}

impl Store {
    pub(super) fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// Aggregates still `proving` whose lease ran out (their worker died or hangs): expired, and
    /// their proofs queued again (for the next aggregate). Returns how many.
    pub async fn expire_aggregates(&self) -> Result<u64, StoreError> {
        let mut db = self.pool.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM aggregates WHERE status = 'proving' AND lease_until_ms < $1 ORDER BY id{}",
            self.skip_locked()
        ))
        .bind(now_ms())
        .fetch_all(&mut *db)
        .await?;
        for id in &ids {
            sqlx::query("UPDATE aggregates SET status = 'expired' WHERE id = $1").bind(id).execute(&mut *db).await?;
            sqlx::query("UPDATE proofs SET status = 'queued', aggregate_id = NULL, claimed_by = NULL WHERE aggregate_id = $1 AND status = 'aggregating'")
                .bind(id)
                .execute(&mut *db)
                .await?;
        }
        db.commit().await?;
        Ok(ids.len() as u64)
    }

    /// Claims `slots` queued proofs of `circuit` (oldest first) for `worker` under a lease of
    /// `lease_ms`. `undecided`: the circuit is in aggregate mode, and every proof not sent to the
    /// relay lane is the workers' (they are claimed when there are `slots` of them or the oldest
    /// has waited `max_wait_ms`; then fewer: the worker pads); else (auto mode) only the proofs the
    /// relay routed to the `aggregate` lane, at once. On PostgreSQL the rows are taken with
    /// `FOR UPDATE SKIP LOCKED`, so workers and relays claiming at once get disjoint proofs.
    pub async fn claim_aggregate(
        &self,
        circuit: &str,
        slots: usize,
        max_wait_ms: u64,
        undecided: bool,
        worker: &str,
        lease_ms: u64,
    ) -> Result<Option<ClaimedAggregate>, StoreError> {
        let mut db = self.pool.begin().await?;
        let lane = if undecided { "(lane IS NULL OR lane = 'aggregate')" } else { "lane = 'aggregate'" };
        let rows = sqlx::query(&format!(
            "SELECT id, proof_key, data, received_ms, lane FROM proofs WHERE status = 'queued' AND circuit = $1 AND {lane} ORDER BY id LIMIT $2{}",
            self.skip_locked()
        ))
        .bind(circuit)
        .bind(slots as i64)
        .fetch_all(&mut *db)
        .await?;
        let proofs = rows.iter().map(queued).collect::<Result<Vec<_>, _>>()?;
        let now = now_ms();
        let due = !undecided || proofs.len() >= slots || proofs.first().is_some_and(|p| now - p.received_ms >= max_wait_ms as i64);
        if proofs.is_empty() || !due {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO aggregates (circuit, status, worker, lease_until_ms, created_ms) VALUES ($1, 'proving', $2, $3, $4) RETURNING id",
        )
        .bind(circuit)
        .bind(worker)
        .bind(now + lease_ms as i64)
        .bind(now)
        .fetch_one(&mut *db)
        .await?;
        for p in &proofs {
            sqlx::query("UPDATE proofs SET status = 'aggregating', aggregate_id = $1 WHERE id = $2 AND status = 'queued'")
                .bind(id)
                .bind(p.id)
                .execute(&mut *db)
                .await?;
        }
        db.commit().await?;
        Ok(Some(ClaimedAggregate { id, proofs }))
    }

    /// Extends `worker`'s lease on a `proving` aggregate; false when it is no longer the worker's
    /// (it expired and was taken back): the worker then drops its work.
    pub async fn renew_aggregate(&self, id: i64, worker: &str, lease_ms: u64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE aggregates SET lease_until_ms = $1 WHERE id = $2 AND worker = $3 AND status = 'proving'")
            .bind(now_ms() + lease_ms as i64)
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records `worker`'s proved aggregate, ready for the relay role; false when the lease was
    /// lost (nothing is recorded).
    pub async fn aggregate_ready(&self, id: i64, worker: &str, calldata: &[u8]) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE aggregates SET status = 'ready', calldata = $1, proved_ms = $2 WHERE id = $3 AND worker = $4 AND status = 'proving'")
            .bind(calldata.to_vec())
            .bind(now_ms())
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// An aggregate that cannot be proved or verified (`worker`: the worker that says so, fenced
    /// as above; none: the relay role, for one refused on-chain): failed, and its proofs queued
    /// for batch verification instead. Returns the proofs moved.
    pub async fn aggregate_failed(&self, id: i64, worker: Option<&str>, error: &str) -> Result<u64, StoreError> {
        let mut db = self.pool.begin().await?;
        let done = match worker {
            Some(w) => {
                sqlx::query("UPDATE aggregates SET status = 'failed', error = $1 WHERE id = $2 AND worker = $3 AND status = 'proving'")
                    .bind(error)
                    .bind(id)
                    .bind(w)
                    .execute(&mut *db)
                    .await?
            }
            None => sqlx::query("UPDATE aggregates SET status = 'failed', error = $1 WHERE id = $2").bind(error).bind(id).execute(&mut *db).await?,
        };
        if done.rows_affected() == 0 {
            return Ok(0);
        }
        let moved = sqlx::query(
            "UPDATE proofs SET status = 'queued', lane = 'relay', claimed_by = NULL WHERE aggregate_id = $1 AND status IN ('aggregating', 'claimed')",
        )
        .bind(id)
        .execute(&mut *db)
        .await?;
        db.commit().await?;
        Ok(moved.rows_affected())
    }

    /// A draining worker's aggregates still proving: expired now rather than at the lease's end.
    pub async fn release_aggregates(&self, worker: &str) -> Result<u64, StoreError> {
        sqlx::query("UPDATE aggregates SET lease_until_ms = 0 WHERE worker = $1 AND status = 'proving'").bind(worker).execute(&self.pool).await?;
        self.expire_aggregates().await
    }

    /// The relay role takes the oldest ready aggregate for `signer`: it is `submitting` and its
    /// proofs `claimed`, until [`Store::record_batch`] records the transaction (both then
    /// `submitted`/`batched`) or [`Store::release_claims`] gives it back.
    pub async fn claim_ready_aggregate(&self, signer: &str) -> Result<Option<ReadyAggregate>, StoreError> {
        let mut db = self.pool.begin().await?;
        let row = sqlx::query(&format!("SELECT id, circuit, calldata FROM aggregates WHERE status = 'ready' ORDER BY id LIMIT 1{}", self.skip_locked()))
            .fetch_optional(&mut *db)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("id")?;
        sqlx::query("UPDATE aggregates SET status = 'submitting', worker = $1 WHERE id = $2").bind(signer).bind(id).execute(&mut *db).await?;
        let proofs = sqlx::query(
            "UPDATE proofs SET status = 'claimed', claimed_by = $1 WHERE aggregate_id = $2 AND status = 'aggregating' RETURNING id, proof_key, data, received_ms, lane",
        )
        .bind(signer)
        .bind(id)
        .fetch_all(&mut *db)
        .await?;
        let mut proofs = proofs.iter().map(queued).collect::<Result<Vec<_>, _>>()?;
        proofs.sort_by_key(|q| q.id);
        db.commit().await?;
        let calldata: Option<Vec<u8>> = row.try_get("calldata")?;
        Ok(Some(ReadyAggregate {
            id,
            circuit: row.try_get("circuit")?,
            calldata: calldata.ok_or(StoreError::Corrupt { what: "ready aggregate without calldata", row: id })?,
            proofs,
        }))
    }

    /// Auto mode chose aggregation for the proofs `signer` claimed: they go back to the queue in
    /// the `aggregate` lane, for the aggregate workers. Returns how many.
    pub async fn route_to_aggregate(&self, signer: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE proofs SET status = 'queued', lane = 'aggregate', claimed_by = NULL WHERE status = 'claimed' AND claimed_by = $1")
            .bind(signer)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// No aggregate node is alive for `circuit`: the proofs auto mode routed to aggregation wait
    /// for nothing and go back to the relay's choice.
    pub async fn unroute_aggregate(&self, circuit: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE proofs SET lane = NULL WHERE status = 'queued' AND lane = 'aggregate' AND circuit = $1")
            .bind(circuit)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// An aggregate node's sign of life for `circuit`, with the time its last aggregate took.
    pub async fn aggregate_node_seen(&self, node: &str, circuit: &str, prove_ms: Option<i64>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO aggregate_nodes (node, circuit, seen_ms, prove_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (node, circuit) DO UPDATE SET seen_ms = excluded.seen_ms, prove_ms = COALESCE(excluded.prove_ms, aggregate_nodes.prove_ms)",
        )
        .bind(node)
        .bind(circuit)
        .bind(now_ms())
        .bind(prove_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// For `circuit`: whether an aggregate node was seen within `alive_ms`, and the proving time
    /// (ms) most recently measured by any node.
    pub async fn aggregate_nodes(&self, circuit: &str, alive_ms: i64) -> Result<(bool, Option<i64>), StoreError> {
        let seen: Option<i64> = sqlx::query_scalar("SELECT MAX(seen_ms) FROM aggregate_nodes WHERE circuit = $1").bind(circuit).fetch_one(&self.pool).await?;
        let prove_ms: Option<i64> =
            sqlx::query_scalar("SELECT prove_ms FROM aggregate_nodes WHERE circuit = $1 AND prove_ms IS NOT NULL ORDER BY seen_ms DESC LIMIT 1")
                .bind(circuit)
                .fetch_optional(&self.pool)
                .await?
                .flatten();
        Ok((seen.is_some_and(|s| now_ms() - s <= alive_ms), prove_ms))
    }

    /// The keys and stored data of a batch's proofs.
    pub async fn batch_proofs(&self, batch_id: i64) -> Result<Vec<(B256, Vec<u8>)>, StoreError> {
        let rows = sqlx::query("SELECT id, proof_key, data FROM proofs WHERE batch_id = $1 ORDER BY id").bind(batch_id).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                let key: Vec<u8> = r.try_get("proof_key")?;
                Ok((b256(&key, "proof key", id)?, r.try_get("data")?))
            })
            .collect()
    }

    /// Aggregates per status, for the metrics.
    pub async fn aggregate_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM aggregates GROUP BY status").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
    }

    /// An aggregate's state.
    pub async fn aggregate(&self, id: i64) -> Result<Option<AggregateInfo>, StoreError> {
        let row = sqlx::query("SELECT id, status, worker, error FROM aggregates WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| Ok(AggregateInfo { id: r.try_get("id")?, status: r.try_get("status")?, worker: r.try_get("worker")?, error: r.try_get("error")? })).transpose()
    }
}
