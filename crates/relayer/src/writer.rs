//! Accepted proofs stored in group commits: requests that arrive while a commit is under way are
//! stored together in the next one, so many 202s share one transaction and one sync to disk
//! (SQLite's `synchronous = FULL`, PostgreSQL's WAL flush) instead of one each. A request waits
//! for no one: an idle writer commits the first proof at once, alone.

use std::sync::Arc;

use alloy::primitives::B256;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::store::{Inserted, NewProof, Store, StoreError};

/// At most this many proofs in one commit, so one commit's latency stays bounded under a burst.
const MAX_GROUP: usize = 256;

/// Why a proof was not stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    /// Its commit failed (every proof of the commit gets this).
    #[error(transparent)]
    Store(Arc<StoreError>),
    /// The writer has stopped: the relayer is shutting down.
    #[error("the relayer is stopping")]
    Stopped,
}

/// A proof to store and where its answer goes.
struct Row {
    key: B256,
    statement: B256,
    circuit: String,
    data: Vec<u8>,
    client_id: Option<String>,
    reply: oneshot::Sender<Result<Inserted, WriteError>>,
}

/// The handle requests use; the writer task runs until every handle is dropped.
pub(crate) struct Writer {
    tx: mpsc::UnboundedSender<Row>,
}

impl Writer {
    /// Starts the writer task (on the current tokio runtime).
    /// Stores at most `capacity` queued proofs ([`Inserted::Full`] beyond).
    pub(crate) fn start(store: Store, capacity: usize, metrics: Arc<Metrics>) -> Writer {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(store, capacity, metrics, rx));
        Writer { tx }
    }

    /// Stores `proof` as queued, as [`Store::insert_proofs`] does, answering once its commit is
    /// durable.
    pub(crate) async fn insert(&self, proof: NewProof<'_>) -> Result<Inserted, WriteError> {
        let (reply, answer) = oneshot::channel();
        let row = Row {
            key: proof.key,
            statement: proof.statement,
            circuit: proof.circuit.to_string(),
            data: proof.data.to_vec(),
            client_id: proof.client_id.map(str::to_string),
            reply,
        };
        if self.tx.send(row).is_err() {
            return Err(WriteError::Stopped);
        }
        answer.await.unwrap_or(Err(WriteError::Stopped))
    }
}

async fn run(store: Store, capacity: usize, metrics: Arc<Metrics>, mut rx: mpsc::UnboundedReceiver<Row>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(row) => group.push(row),
                Err(_) => break,
            }
        }
        let rows: Vec<NewProof> =
            group.iter().map(|r| NewProof { key: r.key, statement: r.statement, circuit: &r.circuit, data: &r.data, client_id: r.client_id.as_deref() }).collect();
        let result = store.insert_proofs(&rows, capacity).await;
        metrics.commit_size.observe(group.len() as f64);
        match result {
            Ok(inserted) => {
                for (row, inserted) in group.into_iter().zip(inserted) {
                    let _ = row.reply.send(Ok(inserted));
                }
            }
            Err(e) => {
                let e = Arc::new(e);
                for row in group {
                    let _ = row.reply.send(Err(WriteError::Store(e.clone())));
                }
            }
        }
    }
}
