//! Starting and stopping the relayer: the database, the circuits' keys, the HTTP server and the
//! submitter, wired together.

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use std::collections::HashMap;

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use axum::Router;
use zkbatch_prover::VerifyingKey;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::api;
use crate::circuits::load_circuits;
use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;
use crate::shared::Shared;
use crate::store::{Store, StoreError};
use crate::submitter::Submitter;
use crate::verifier::Verifier;
use crate::writer::Writer;

/// Why the relayer did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database cannot be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `rpc_url` is not a URL.
    #[error("rpc_url {url:?} is not a URL: {source}")]
    RpcUrl {
        /// The value.
        url: String,
        /// Why.
        source: url_error::ParseError,
    },
    /// The HTTP listener cannot bind.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The relay role over a database someone opened: the circuits' verifying keys, the HTTP routes
/// for proofs, and the submitter. [`Relayer`] is this role alone behind a listener of its own;
/// `zkbatch serve` puts it beside the prove role, behind one listener, on one database.
pub struct RelayRole {
    shared: Arc<Shared>,
    provider: DynProvider,
    signer: PrivateKeySigner,
}

impl RelayRole {
    /// Checks the configuration, reads the signer's key and the circuits' verifying keys (one in
    /// `given` is taken in place of the circuit's `vk` file), and connects to the chain's RPC.
    pub async fn new(config: Config, store: Store, given: &HashMap<String, VerifyingKey>) -> Result<RelayRole, StartError> {
        config.validate()?;
        let signer = config.signer()?;
        let circuits = load_circuits(&config, given)?;
        let url: url_error::Url = config.rpc_url.parse().map_err(|source| StartError::RpcUrl { url: config.rpc_url.clone(), source })?;
        // No fillers: the submitter sets every field itself and signs locally.
        let provider = ProviderBuilder::new().disable_recommended_fillers().connect_http(url).erased();
        let metrics = Arc::new(Metrics::default());
        let shared = Arc::new(Shared {
            queued: AtomicUsize::new(store.queued_count().await?),
            writer: Writer::start(store.clone(), config.queue.capacity, metrics.clone()),
            store,
            verifier: Verifier::start(config.verify.clone(), metrics.clone()),
            config,
            circuits,
            metrics,
            notify: Notify::new(),
        });
        Ok(RelayRole { shared, provider, signer })
    }

    /// `POST /v1/proofs` and `GET /v1/proofs/{id}`, with the configured body limit and timeout.
    pub fn routes(&self) -> Router {
        api::proof_routes(self.shared.clone())
    }

    /// The role's metrics, in Prometheus's text format.
    pub async fn metrics(&self) -> String {
        api::render_metrics(&self.shared).await
    }

    /// Wakes the submitter: proofs were queued in the database by someone else in this process.
    pub fn notify(&self) {
        self.shared.notify.notify_one();
    }

    /// Starts the submitter; it stops between steps once `shutdown` holds true.
    pub fn spawn_submitter(&self, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(Submitter::new(self.shared.clone(), self.provider.clone(), self.signer.clone()).run(shutdown))
    }
}

/// A running relayer.
pub struct Relayer {
    /// Where the HTTP API listens (the configured address, with the port the OS chose for 0).
    pub addr: SocketAddr,
    /// The relayer's database (tests count its rows).
    pub store: Store,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    submitter: JoinHandle<()>,
}

impl Relayer {
    /// Opens the database, loads the keys, binds the listener and starts both tasks.
    pub async fn start(config: Config) -> Result<Relayer, StartError> {
        config.validate()?;
        let store = Store::open(&config.database).await?;
        let listen = config.listen;
        let role = RelayRole::new(config, store.clone(), &HashMap::new()).await?;
        let (shutdown, rx) = watch::channel(false);
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|source| StartError::Listen { addr: listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: listen, source })?;
        let router = role.routes().merge(api::status_routes(role.shared.clone()));
        let server = serve(listener, router, rx.clone());
        tracing::info!(%addr, database = %role.shared.config.database.display(), "relayer listening");
        let submitter = role.spawn_submitter(rx);
        Ok(Relayer { addr, store, shutdown, server, submitter })
    }

    /// Stops accepting, finishes in-flight requests, stops the submitter between steps.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        let _ = self.submitter.await;
    }
}

/// Serves `router` on `listener` until `shutdown` holds true, then finishes the requests in flight.
pub fn serve(listener: tokio::net::TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let stop = async move {
            let _ = shutdown.wait_for(|s| *s).await;
        };
        // With the peer's address: the proof verifier keeps a client whose proofs fail apart.
        let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    })
}

/// Runs the relayer until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let relayer = Relayer::start(config).await?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    relayer.stop().await;
    Ok(())
}

/// Returns on Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The URL type alloy's HTTP transport takes, and its parse error.
mod url_error {
    pub(super) use alloy::transports::http::reqwest::Url;
    pub(super) type ParseError = <Url as std::str::FromStr>::Err;
}
