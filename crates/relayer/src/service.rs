//! Starting and stopping the relayer: the database, the circuits' keys, the HTTP server and the
//! submitter, wired together.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use alloy::primitives::Address;
use alloy::providers::{Provider, ProviderBuilder};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::api::{self, AppState};
use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};
use crate::submitter::Submitter;

/// A configured circuit, its verifying key loaded and prepared once for every proof it checks.
pub struct Circuit {
    pub key: Arc<zkbatch_prover::verify::PreparedKey>,
    pub verifier: Address,
    pub batch_verifier: Option<Address>,
}

pub type Circuits = HashMap<String, Circuit>;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("rpc_url {url:?} is not a URL: {reason}")]
    RpcUrl { url: String, reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

pub fn load_circuits(config: &Config) -> Result<Circuits, ConfigError> {
    let mut circuits = HashMap::new();
    for c in &config.circuits {
        let vk = zkbatch_prover::snarkjs::read_verifying_key(&c.vk)
            .map_err(|e| ConfigError::VerifyingKey { id: c.id.clone(), path: c.vk.clone(), reason: e.to_string() })?;
        circuits.insert(c.id.clone(), Circuit { key: Arc::new(zkbatch_prover::verify::PreparedKey::new(&vk)), verifier: c.verifier, batch_verifier: c.batch_verifier });
    }
    Ok(circuits)
}

/// A running relayer.
pub struct Relayer {
    /// Where the HTTP API listens (the configured address, with the port the OS chose for 0).
    pub addr: SocketAddr,
    pub store: Store,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    submitter: JoinHandle<()>,
}

impl Relayer {
    /// Opens the database, loads the keys, binds the listener and starts both tasks.
    pub async fn start(config: Config) -> Result<Relayer, StartError> {
        config.validate()?;
        let signer = config.signer()?;
        let circuits = Arc::new(load_circuits(&config)?);
        let store = Store::open(&config.database).await?;
        let url: alloy::transports::http::reqwest::Url =
            config.rpc_url.parse().map_err(|e: url_error::ParseError| StartError::RpcUrl { url: config.rpc_url.clone(), reason: e.to_string() })?;
        // No fillers: the submitter sets every field itself and signs locally.
        let provider = ProviderBuilder::new().disable_recommended_fillers().connect_http(url).erased();
        let metrics = Arc::new(Metrics::default());
        let queued = Arc::new(AtomicUsize::new(store.queued_count().await?));
        let notify = Arc::new(Notify::new());
        let config = Arc::new(config);
        let (shutdown, rx) = watch::channel(false);

        let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let state = AppState {
            store: store.clone(),
            circuits: circuits.clone(),
            metrics: metrics.clone(),
            queued: queued.clone(),
            notify: notify.clone(),
            config: config.clone(),
        };
        let router = api::router(state);
        let mut server_rx = rx.clone();
        let server = tokio::spawn(async move {
            let stop = async move {
                let _ = server_rx.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "HTTP server stopped");
            }
        });
        let submitter = Submitter::new(store.clone(), provider, signer, config.clone(), circuits, metrics, queued, notify);
        let submitter = tokio::spawn(submitter.run(rx));
        tracing::info!(%addr, database = %config.database.display(), "relayer listening");
        Ok(Relayer { addr, store, shutdown, server, submitter })
    }

    /// Stops accepting, finishes in-flight requests, stops the submitter between steps.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        let _ = self.submitter.await;
    }
}

/// Runs the relayer until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let relayer = Relayer::start(config).await?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    relayer.stop().await;
    Ok(())
}

async fn wait_for_signal() {
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

mod url_error {
    pub use alloy::transports::http::reqwest::Url;
    pub type ParseError = <Url as std::str::FromStr>::Err;
}
