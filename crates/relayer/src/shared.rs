//! What the HTTP API and the submitter share: the queue, the configuration, the circuits' keys,
//! the metrics, and the in-memory count of queued proofs behind the early 429.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

use crate::circuits::Circuits;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};
use crate::verifier::Verifier;
use crate::writer::Writer;

/// One relayer's shared state, held in an `Arc` by both tasks.
pub(crate) struct Shared {
    pub(crate) store: Store,
    pub(crate) config: Config,
    pub(crate) circuits: Circuits,
    pub(crate) metrics: Arc<Metrics>,
    /// Verifies posted proofs in micro-batches.
    pub(crate) verifier: Verifier,
    /// Stores accepted proofs in group commits.
    pub(crate) writer: Writer,
    /// Proofs queued and not yet in a transaction, as last counted (read again from the database
    /// every 500 ms): a request that would surely not fit is refused early with it. The exact
    /// bound is the store's ([`Store::insert_proofs`]).
    pub(crate) queued: AtomicUsize,
    /// Wakes the submitter when a proof arrives.
    pub(crate) notify: Notify,
}

impl Shared {
    /// The in-memory count of queued proofs, read again from the database (other instances
    /// sharing a PostgreSQL queue take proofs this one accepted).
    pub(crate) async fn resync_queue(&self) -> Result<(), StoreError> {
        let n = self.store.queued_count().await?;
        self.queued.store(n, Ordering::Relaxed);
        Ok(())
    }
}
