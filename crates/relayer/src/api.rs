//! The HTTP API (axum).
//!
//! - `POST /v1/proofs` `{"circuit", "proof", "public"}` → `202 {"id", "status"}` once the proof
//!   verified off-chain and is stored; `400 {"error"}` naming the problem; `429` with
//!   `Retry-After` when the queue is full; `200` with the existing record for a proof already
//!   accepted; `409` for the same proof under another circuit; `413` over the body limit.
//! - `GET /v1/proofs/{id}` → the proof's status, its batch and transaction, and once it landed
//!   `registry_check`: the arguments of the registry's `isVerified` for its statement.
//! - `GET /metrics` (Prometheus text), `GET /healthz`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::B256;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tower_http::timeout::TimeoutLayer;

use crate::intake::{self, ProofRequest, RejectReason};
use crate::metrics::Metrics;
use crate::shared::Shared;
use crate::store::{key_hex, Inserted, NewProof, ProofRecord, Status};
use zkbatch_evm::statement::RegistryCheck;

type AppState = Arc<Shared>;

/// The proofs' routes, with the configured body limit and timeout.
pub(crate) fn proof_routes(state: AppState) -> Router {
    let timeout = Duration::from_millis(state.config.http.request_timeout_ms.max(1));
    let limit = state.config.http.body_limit_bytes;
    Router::new()
        .route("/v1/proofs", post(post_proof))
        .route("/v1/proofs/{id}", get(get_proof))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(limit, refuse_announced_oversize))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .with_state(state)
}

/// A body announced (Content-Length) above the limit is refused before the handler: the body
/// limit alone refuses it only as the bytes arrive, so a client announcing a gigabyte and sending
/// nothing held its connection until the request timeout.
async fn refuse_announced_oversize(State(limit): State<usize>, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match admit(request, limit).await {
        Some(request) => next.run(request).await,
        None => too_large(limit),
    }
}

/// The most of a refused body that is read (and dropped) before the 413, and for how long.
const DRAIN_BYTES: usize = 1 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// `request` back, unless it announces (Content-Length) a body above `limit`: then `None`, once
/// what the client sends is read and dropped if it announced at most 1 MiB (for 5 s at most). A
/// connection closed with bytes unread is reset, and the reset can destroy the 413 before the
/// client reads it (a test saw it under load); a larger announcement is refused at once, so a
/// gigabyte announced and nothing sent holds nothing. The proving service's API uses it too.
pub async fn admit(request: axum::extract::Request, limit: usize) -> Option<axum::extract::Request> {
    let announced = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let Some(announced) = announced.filter(|n| *n > limit as u64) else {
        return Some(request);
    };
    if announced <= DRAIN_BYTES as u64 {
        let _ = tokio::time::timeout(DRAIN_TIME, axum::body::to_bytes(request.into_body(), DRAIN_BYTES)).await;
    }
    None
}

fn too_large(limit: usize) -> Response {
    error(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than the relayer's limit of {limit} bytes (http.body_limit_bytes); a proof request takes about 1 KiB"))
}

/// `/metrics` and `/healthz`, for a relayer on its own (`zkbatch serve` has its own, which include
/// the relay role's metrics).
pub(crate) fn status_routes(state: AppState) -> Router {
    Router::new().route("/metrics", get(metrics)).route("/healthz", get(healthz)).with_state(state)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn too_many(state: &AppState) -> Response {
    state.metrics.throttled.inc();
    let retry = state.config.queue.retry_after_s.to_string();
    let mut r = error(StatusCode::TOO_MANY_REQUESTS, format!("the queue is full ({} proofs waiting); retry later", state.config.queue.capacity));
    if let Ok(v) = retry.parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn reject(metrics: &Metrics, reason: RejectReason) -> Response {
    metrics.reject(reason.label());
    error(StatusCode::BAD_REQUEST, reason.to_string())
}

/// The client's IP address, when the server was started with it (`crate::serve` does).
struct Source(Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Source, Self::Rejection> {
        Ok(Source(parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())))
    }
}

async fn post_proof(State(state): State<AppState>, Source(source): Source, body: Result<Bytes, BytesRejection>) -> Response {
    state.metrics.received.inc();
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(state.config.http.body_limit_bytes),
        Err(e) => return error(e.status(), format!("the request body could not be read: {}", e.body_text())),
    };
    let capacity = state.config.queue.capacity;
    // Refuse early, before the pairing check, when there is no room anyway.
    if state.queued.load(Ordering::Relaxed) >= capacity {
        return too_many(&state);
    }
    let request: ProofRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            state.metrics.reject("malformed_request");
            return error(StatusCode::BAD_REQUEST, format!("the body is not a proof request ({{\"circuit\", \"proof\", \"public\"}}): {e}"));
        }
    };
    let Some(circuit) = state.circuits.get(&request.circuit) else {
        return reject(&state.metrics, RejectReason::UnknownCircuit(request.circuit));
    };
    let key = circuit.key.clone();
    let vk_hash = circuit.vk_hash;
    let circuit_id = request.circuit.clone();
    let client_id = request.client_id.clone();
    // Parsing checks every point (a G2 subgroup check among them): off the async workers too.
    let parse_key = key.clone();
    let parsed = match tokio::task::spawn_blocking(move || intake::parse(&parse_key, &request)).await {
        Ok(r) => r,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("verification task failed: {e}")),
    };
    let (proof, public) = match parsed {
        Ok(p) => p,
        Err(reason) => return reject(&state.metrics, reason),
    };
    // Encoded first (cheap), refused after the pairing check as before: a proof both invalid and
    // unencodable is refused as invalid.
    let encoded = intake::encode(&proof, &public);
    let checking = Instant::now();
    let verified = state.verifier.verify(&circuit_id, key, proof, public, source).await;
    state.metrics.verify_seconds.observe(checking.elapsed().as_secs_f64());
    let evm = match verified {
        Ok(Ok(())) => encoded,
        Ok(Err(e)) => Err(RejectReason::Verify(e)),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let evm = match evm {
        Ok(p) => p,
        Err(reason) => return reject(&state.metrics, reason),
    };
    // The bound is enforced where the row is stored (the count and the insert are one step); the
    // in-memory count above only refuses early what would surely not fit.
    let key = evm.key();
    let id = key_hex(&key);
    let storing = Instant::now();
    let data = evm.to_bytes();
    let row = NewProof { key, statement: evm.statement(&vk_hash), circuit: &circuit_id, data: &data, client_id: client_id.as_deref() };
    let inserted = state.writer.insert(row).await;
    state.metrics.store_seconds.observe(storing.elapsed().as_secs_f64());
    match inserted {
        Ok(Inserted::New) => {
            state.queued.fetch_add(1, Ordering::Relaxed);
            state.metrics.accepted.inc();
            state.notify.notify_one();
            (StatusCode::ACCEPTED, Json(json!({ "id": id, "status": "queued" }))).into_response()
        }
        Ok(Inserted::Full) => too_many(&state),
        Ok(Inserted::Existing { key: stored, circuit, client_id: stored_client }) => {
            state.metrics.duplicates.inc();
            let stored_id = key_hex(&stored);
            if let Some(c) = client_id.as_deref().filter(|c| stored != key && stored_client.as_deref() == Some(*c)) {
                return error(StatusCode::CONFLICT, format!("client_id {c:?} was used for another proof (id {stored_id}); a retry must post the same proof"));
            }
            if circuit != circuit_id {
                let what = if stored == key { "this proof" } else { "a proof of this statement (the same verifying key and public inputs)" };
                return error(StatusCode::CONFLICT, format!("{what} was already accepted for circuit {circuit:?} (id {stored_id})"));
            }
            // Another proof of the same statement is answered with the first one's record: the
            // statement goes on-chain once, whichever proof of it does.
            let duplicate = if stored == key { "proof" } else { "statement" };
            match state.store.proof(stored).await {
                Ok(Some(record)) => (StatusCode::OK, Json(status_json(&record, Some(duplicate)))).into_response(),
                Ok(None) => error(StatusCode::INTERNAL_SERVER_ERROR, "the proof vanished from the database"),
                Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "storing a proof");
            error(StatusCode::SERVICE_UNAVAILABLE, format!("the proof could not be stored: {e}"))
        }
    }
}

/// A proof's record as `GET /v1/proofs/{id}` answers it (the proving service shows the same for
/// a job's proof on its way on-chain).
pub fn proof_json(r: &ProofRecord) -> serde_json::Value {
    status_json(r, None)
}

/// `duplicate`: what a post that found this record duplicated (`proof` or `statement`).
fn status_json(r: &ProofRecord, duplicate: Option<&str>) -> serde_json::Value {
    let mut v = json!({
        "id": key_hex(&r.key),
        "circuit": r.circuit,
        "status": r.status.as_str(),
        "received_ms": r.received_ms,
    });
    if let Some(s) = &r.statement {
        v["statement"] = json!(key_hex(s));
    }
    if let Some(c) = &r.client_id {
        v["client_id"] = json!(c);
    }
    if let Some(what) = duplicate {
        v["duplicate"] = json!(what);
    }
    if let Some(e) = &r.error {
        v["error"] = json!(e);
    }
    if let Some(f) = r.final_ms {
        v["final_ms"] = json!(f);
    }
    if let Some((id, status)) = &r.aggregate {
        v["aggregate"] = json!({ "id": id, "status": status });
    }
    if let Some(b) = &r.batch {
        v["batch"] = json!({ "id": b.id, "mode": b.mode, "size": b.size, "nonce": b.nonce });
        if let Some(h) = b.tx_hash {
            v["tx_hash"] = json!(format!("{h:#x}"));
        }
        if let Some(block) = b.block {
            v["block"] = json!(block);
        }
        if let Some(g) = b.gas_used {
            v["gas_used"] = json!(g);
        }
        if matches!(r.status, Status::Confirmed | Status::Finalized) {
            if let Some(check) = b.mined_raw.as_deref().and_then(|raw| registry_check(raw, r)) {
                v["registry_check"] = check;
            }
        }
    }
    v
}

/// `isVerified`'s arguments for the proof `r` in the mined registry call `raw` (to
/// `ProofRegistry` or an `AggregatedProofRegistry`), for an application to check the statement
/// on-chain (`IStatementRegistry`).
fn registry_check(raw: &[u8], r: &ProofRecord) -> Option<serde_json::Value> {
    use alloy::consensus::Transaction;
    use alloy::eips::Decodable2718;
    let tx = alloy::consensus::TxEnvelope::decode_2718(&mut &raw[..]).ok()?;
    let (to, input) = (tx.to()?, tx.input());
    let c = RegistryCheck::from_registry_call(to, input, r.key)
        .or_else(|| RegistryCheck::from_aggregate_call(to, input, &zkbatch_evm::EvmProof::from_bytes(&r.data)?.inputs))?;
    Some(json!({
        "registry": format!("{:#x}", c.registry),
        "key": format!("{:#x}", B256::from(c.key)),
        "inputs_hash": format!("{:#x}", c.inputs_hash),
        "index": c.index,
        "width": c.width,
        "path": c.path.iter().map(|h| format!("{h:#x}")).collect::<Vec<_>>(),
        "root": format!("{:#x}", c.root),
    }))
}

async fn get_proof(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(key) = id.parse::<B256>() else {
        return error(StatusCode::BAD_REQUEST, format!("{id:?} is not a proof id (0x and 64 hex digits)"));
    };
    match state.store.proof(key).await {
        Ok(Some(record)) => Json(status_json(&record, None)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no proof with id {id}")),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// The relay's metrics text; the queue's depth and the proofs per status are read at scrape time.
pub(crate) async fn render_metrics(state: &Shared) -> String {
    let by_status = state.store.status_counts().await.unwrap_or_default();
    let depth = state.queued.load(Ordering::Relaxed);
    state.metrics.render(depth, &by_status)
}

async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], render_metrics(&state).await).into_response()
}

/// The content type of Prometheus's text exposition format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4";

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.queued_count().await {
        Ok(n) => Json(json!({ "ok": true, "queued": n })).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}")),
    }
}
