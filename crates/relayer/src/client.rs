//! A small client for the relayer's API (what `zkbatch submit` uses); its JSON requests also carry
//! the proving service's client (zkbatch-service), which speaks the same conventions.

use std::path::Path;
use std::time::{Duration, Instant};

use alloy::transports::http::reqwest;
use serde_json::Value;

use zkbatch_prover::snarkjs::read_json;

use crate::intake::ProofRequest;

/// Why a request could not be made or the relayer did not accept it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The proof.json or public.json could not be read, or is not JSON of its shape (the
    /// relayer checks the values).
    #[error(transparent)]
    File(#[from] zkbatch_prover::snarkjs::FileError),
    /// The relayer could not be reached, or its answer could not be read.
    #[error("relayer at {url}: {source}")]
    Http {
        /// The URL requested (the base URL when the HTTP client itself could not be built).
        url: String,
        /// What the transport failed with.
        source: reqwest::Error,
    },
    /// The service answered with an unexpected status.
    #[error("refused ({status}): {message}")]
    Refused {
        /// The HTTP status; 0 when the request could not be serialised and was never sent.
        status: u16,
        /// The answer's `error` field, or its whole body if it has none.
        message: String,
        /// The `Retry-After` header (seconds) a full queue's 429 carries, when present.
        retry_after: Option<String>,
    },
    /// [`Client::wait`] ran out of time.
    #[error("proof {id} did not reach confirmed or failed within {limit:?}")]
    Timeout {
        /// The proof's id.
        id: String,
        /// How long it waited.
        limit: Duration,
    },
}

/// An HTTP client for one relayer (60-second request timeout).
pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// A client for the relayer at `base` (a trailing `/` is dropped); refused only if the HTTP
    /// client cannot be built.
    pub fn new(base: &str) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|source| ClientError::Http { url: base.into(), source })?;
        Ok(Client { http, base: base.trim_end_matches('/').to_string() })
    }

    /// The request for a proof.json + public.json pair.
    pub fn request(circuit: &str, proof: &Path, public: &Path) -> Result<ProofRequest, ClientError> {
        Ok(ProofRequest { circuit: circuit.into(), proof: read_json(proof)?, public: read_json(public)?, client_id: None })
    }

    /// Posts a proof; the relayer's answer (`id`, `status`) on 200 or 202.
    pub async fn submit(&self, request: &ProofRequest) -> Result<Value, ClientError> {
        let body = serde_json::to_string(request).map_err(|e| ClientError::Refused { status: 0, message: e.to_string(), retry_after: None })?;
        self.post_json("/v1/proofs", body).await
    }

    /// The proof's status record (`GET /v1/proofs/{id}`); any answer but 200 (an unknown or
    /// malformed id included) is refused.
    pub async fn status(&self, id: &str) -> Result<Value, ClientError> {
        self.get_json(&format!("/v1/proofs/{id}")).await
    }

    /// POSTs a JSON `body` to `path`; the answer on 200 or 202, else refused with its `error`.
    pub async fn post_json(&self, path: &str, body: String) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let request = self.http.post(&url).header("content-type", "application/json").body(body);
        self.send(&url, request, &[200, 202]).await
    }

    /// GETs `path`; the answer on 200, else refused with its `error`.
    pub async fn get_json(&self, path: &str) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let request = self.http.get(&url);
        self.send(&url, request, &[200]).await
    }

    async fn send(&self, url: &str, request: reqwest::RequestBuilder, ok: &[u16]) -> Result<Value, ClientError> {
        let r = request.send().await.map_err(|source| ClientError::Http { url: url.into(), source })?;
        let status = r.status().as_u16();
        let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(String::from);
        let text = r.text().await.map_err(|source| ClientError::Http { url: url.into(), source })?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if ok.contains(&status) {
            return Ok(json);
        }
        let message = json["error"].as_str().map(String::from).unwrap_or(text);
        Err(ClientError::Refused { status, message, retry_after })
    }

    /// Polls until the proof is confirmed (or finalized) or failed.
    pub async fn wait(&self, id: &str, limit: Duration) -> Result<Value, ClientError> {
        let start = Instant::now();
        loop {
            let s = self.status(id).await?;
            if matches!(s["status"].as_str(), Some("confirmed" | "finalized" | "failed")) {
                return Ok(s);
            }
            if start.elapsed() > limit {
                return Err(ClientError::Timeout { id: id.into(), limit });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
