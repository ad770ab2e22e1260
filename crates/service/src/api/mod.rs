//! The HTTP API (axum), with the relayer's conventions (`{"error"}` naming the problem, 429 with
//! `Retry-After`, 413 above the body limit):
//!
//! - `POST /v1/jobs` `{"circuit", "input", "submit", "client_id"}` → `202 {"id", "status"}` once
//!   the job is durable; `400` for an unknown circuit, a malformed body or input; `200` with the
//!   job for a `client_id` seen before with the same request, `409` with another; `429` when the
//!   queue is full.
//! - `GET /v1/jobs[?limit=N]` → jobs per status and the newest jobs.
//! - `GET /v1/jobs/{id}[?wait=SECONDS]` → the job: status, proof.json, public.json, error, report,
//!   and for `submit` its proof's way on-chain; `wait` holds the answer until the job is proved or
//!   failed (long poll).
//! - `GET /v1/circuits`, `GET /metrics`, `GET /healthz` (alive), `GET /readyz` (keys loaded).
//! - `GET /v1/openapi.json`: the OpenAPI document, derived from the handlers and `views`' types.
//! - `GET /docs`: that document in Swagger UI, embedded in the binary (`docs`).
//! - With the relay role, the relayer's `POST /v1/proofs` and `GET /v1/proofs/{id}`.

mod docs;
mod views;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use views::JobRequest;
use views::{CircuitList, CircuitView, ErrorBody, Health, JobAccepted, JobList, JobView, Readiness};

use crate::circuits::Circuit;
use crate::jobs::{Job, NewJob, Posted};
use crate::metrics::Gauges;
use crate::shared::Node;

type AppState = Arc<Node>;

#[derive(OpenApi)]
#[openapi(info(
    title = "zkbatch serve",
    description = "Proving as a service: post a circuit's input, get its Groth16 proof (and, with submit, get it on-chain)."
))]
struct ApiDoc;

/// The node's routes, and the OpenAPI document made from the same list.
pub(crate) fn router(state: AppState) -> Router {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(post_job, list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(circuits))
        .routes(routes!(metrics))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .split_for_parts();
    let doc = Arc::new(doc);
    router
        .route("/v1/openapi.json", get(move || async move { Json(doc.as_ref().clone()) }))
        .merge(docs::routes()) // GET /docs: the page, not in the document (docs.rs says why)
        .fallback(relay_or_404)
        .layer(DefaultBodyLimit::max(state.config.http.body_limit_bytes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), refuse_announced_oversize))
        .with_state(state)
}

/// A body announced (Content-Length) above the limit is refused before the handler: the body
/// limit alone refuses it only as the bytes arrive, so a client announcing a gigabyte and sending
/// nothing would hold its connection open ([`zkbatch_relayer::admit`] reads a modest one first,
/// so that the client sees the 413).
async fn refuse_announced_oversize(State(state): State<AppState>, request: Request, next: axum::middleware::Next) -> Response {
    match zkbatch_relayer::admit(request, state.config.http.body_limit_bytes).await {
        Some(request) => next.run(request).await,
        None => too_large(&state),
    }
}

fn too_large(state: &AppState) -> Response {
    let limit = state.config.http.body_limit_bytes;
    refuse(state, StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("the body is larger than the limit ({limit} bytes; http.body_limit_bytes)"))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(ErrorBody { error: message.into() })).into_response()
}

fn refuse(state: &AppState, status: StatusCode, reason: &'static str, message: impl Into<String>) -> Response {
    state.metrics.rejected.inc(reason);
    error(status, message)
}

/// Queue a job: the input is checked (the circuit's signals, each value below r) before the job
/// is stored; a witness that fails later ends the job `failed` with the generator's message.
#[utoipa::path(post, path = "/v1/jobs", request_body = JobRequest, responses(
    (status = 202, description = "Queued: durable from here on", body = JobAccepted),
    (status = 200, description = "The job of an earlier request with this client_id", body = JobView),
    (status = 400, description = "Unknown circuit, malformed body or input (the message names it)", body = ErrorBody),
    (status = 409, description = "The client_id was used for another request", body = ErrorBody),
    (status = 413, description = "The body is larger than http.body_limit_bytes", body = ErrorBody),
    (status = 429, description = "The queue is full; retry after Retry-After seconds", body = ErrorBody),
))]
async fn post_job(State(state): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    state.metrics.received.inc();
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(&state),
        Err(e) => return refuse(&state, e.status(), "malformed_request", e.body_text()),
    };
    let Some(circuits) = state.circuits.as_ref() else {
        return refuse(&state, StatusCode::NOT_FOUND, "no_prove_role", "this node does not prove (its roles have no prove): post jobs to a prove node");
    };
    let request: JobRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return refuse(&state, StatusCode::BAD_REQUEST, "malformed_request", format!("the body is not a job request ({{\"circuit\", \"input\", \"submit\", \"client_id\"}}): {e}"))
        }
    };
    let Some(circuit) = circuits.by_id.get(&request.circuit).cloned() else {
        return refuse(&state, StatusCode::BAD_REQUEST, "unknown_circuit", format!("unknown circuit {:?}; this service proves: {}", request.circuit, circuits.ids().join(", ")));
    };
    if request.submit && !circuit.relayable {
        return refuse(&state, StatusCode::BAD_REQUEST, "not_relayable", format!("circuit {:?} has no verifier configured: submit needs one (and a relay node)", circuit.id));
    }
    if request.client_id.as_deref().is_some_and(|c| c.is_empty() || c.len() > 256) {
        return refuse(&state, StatusCode::BAD_REQUEST, "malformed_request", "client_id must be 1 to 256 characters");
    }
    // A circom input is checked by instantiating the witness generator: off the async workers.
    let input = request.input;
    let checked = {
        let circuit = circuit.clone();
        tokio::task::spawn_blocking(move || circuit.check_input(&input).map(|()| input)).await
    };
    let input = match checked {
        Ok(Ok(input)) => input,
        Ok(Err(e)) => return refuse(&state, StatusCode::BAD_REQUEST, "invalid_input", e.to_string()),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("checking the input failed: {e}")),
    };
    let job = NewJob { circuit: &circuit.id, input: &input, submit: request.submit, client_id: request.client_id.as_deref() };
    match state.jobs.post(&job, state.config.queue.capacity).await {
        Ok(Posted::New(id)) => {
            state.metrics.accepted.inc();
            state.work.notify_one();
            (StatusCode::ACCEPTED, Json(JobAccepted { id, status: "queued".into() })).into_response()
        }
        Ok(Posted::Replay(existing)) => {
            state.metrics.replayed.inc();
            (StatusCode::OK, Json(job_json(&state, &existing).await)).into_response()
        }
        Ok(Posted::Conflict(existing)) => refuse(
            &state,
            StatusCode::CONFLICT,
            "client_id_conflict",
            format!("client_id {:?} was used for another request (job {})", existing.client_id.as_deref().unwrap_or_default(), existing.id),
        ),
        Ok(Posted::Full) => {
            let capacity = state.config.queue.capacity;
            let mut r = refuse(&state, StatusCode::TOO_MANY_REQUESTS, "queue_full", format!("the queue is full ({capacity} jobs waiting); retry later"));
            if let Ok(v) = state.config.queue.retry_after_s.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "storing a job");
            error(StatusCode::SERVICE_UNAVAILABLE, format!("the job could not be stored: {e}"))
        }
    }
}

/// A job as the API shows it, with its proof's way on-chain.
async fn job_json(state: &AppState, job: &Job) -> JobView {
    let chain = match job.proof_key {
        None => None,
        Some(key) => Some(match state.jobs.store().proof(key).await {
            Ok(Some(record)) => zkbatch_relayer::proof_json(&record),
            Ok(None) => json!({ "id": format!("{key:#x}"), "status": "unknown" }),
            Err(e) => json!({ "id": format!("{key:#x}"), "error": e.to_string() }),
        }),
    };
    JobView {
        id: job.id.clone(),
        circuit: job.circuit.clone(),
        status: job.status.as_str().into(),
        submit: job.submit,
        attempts: job.attempts,
        created_ms: job.created_ms,
        client_id: job.client_id.clone(),
        error: job.error.clone(),
        proof: job.proof.clone(),
        public: job.public.clone(),
        report: job.report.clone(),
        node: job.lease_owner.clone(),
        started_ms: job.started_ms,
        finished_ms: job.finished_ms,
        chain,
    }
}

/// How often a long poll reads a job again that this node is not ending (another node may).
const OTHER_NODES_POLL: Duration = Duration::from_secs(1);

/// `?limit=N`.
#[derive(Deserialize, utoipa::IntoParams)]
struct Limit {
    /// Jobs to list, newest first (default 20, at most 1000).
    limit: Option<usize>,
}

/// Jobs per status, and the newest jobs (their proofs left out: `GET /v1/jobs/{id}` has them).
#[utoipa::path(get, path = "/v1/jobs", params(Limit), responses(
    (status = 200, description = "Counts and the newest jobs", body = JobList),
    (status = 503, description = "The database cannot be reached", body = ErrorBody),
))]
async fn list_jobs(State(state): State<AppState>, Query(limit): Query<Limit>) -> Response {
    let limit = limit.limit.unwrap_or(20).min(1000);
    let (counts, recent) = match (state.jobs.status_counts().await, state.jobs.recent(limit).await) {
        (Ok(c), Ok(r)) => (c, r),
        (Err(e), _) | (_, Err(e)) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let mut jobs = Vec::with_capacity(recent.len());
    for job in &recent {
        let mut view = job_json(&state, job).await;
        (view.proof, view.public) = (None, None);
        jobs.push(view);
    }
    Json(JobList { counts: counts.into_iter().collect(), jobs }).into_response()
}

/// `?wait=SECONDS`.
#[derive(Deserialize, utoipa::IntoParams)]
struct Wait {
    /// Hold the answer until the job is proved or failed, this many seconds at most (capped by
    /// http.max_wait_s).
    wait: Option<f64>,
}

/// A job: its status, and once proved its proof.json, public.json and report.
#[utoipa::path(get, path = "/v1/jobs/{id}", params(("id" = String, Path, description = "The job's id"), Wait), responses(
    (status = 200, description = "The job", body = JobView),
    (status = 400, description = "A malformed wait", body = ErrorBody),
    (status = 404, description = "No such job", body = ErrorBody),
))]
async fn get_job(State(state): State<AppState>, Path(id): Path<String>, wait: Result<Query<Wait>, axum::extract::rejection::QueryRejection>) -> Response {
    let wait = match wait {
        Ok(Query(w)) => w.wait.unwrap_or(0.0),
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("wait must be a number of seconds: {e}")),
    };
    if !(wait.is_finite() && wait >= 0.0) {
        return error(StatusCode::BAD_REQUEST, "wait must be a number of seconds, 0 or more");
    }
    let limit = Duration::from_secs_f64(wait.min(state.config.http.max_wait_s as f64));
    let start = Instant::now();
    let mut stopping = state.stopping.clone();
    loop {
        // Listening before the read: a job this node ends after it wakes this poll at once.
        let finished = state.finished.notified();
        tokio::pin!(finished);
        finished.as_mut().enable();
        let job = match state.jobs.get(&id).await {
            Ok(Some(job)) => job,
            Ok(None) => return error(StatusCode::NOT_FOUND, format!("no job with id {id:?}")),
            Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        };
        let left = limit.saturating_sub(start.elapsed());
        if job.status.is_final() || left.is_zero() || *stopping.borrow() {
            return Json(job_json(&state, &job).await).into_response();
        }
        // Other nodes end jobs too, and say so only in the database: it is read again each second.
        tokio::select! {
            _ = finished => {}
            _ = tokio::time::sleep(left.min(OTHER_NODES_POLL)) => {}
            _ = stopping.changed() => {}
        }
    }
}

fn circuit_view(c: &Circuit) -> CircuitView {
    let kind = match c.source {
        crate::config::CircuitSource::Circom { .. } => "circom",
        crate::config::CircuitSource::Builtin { .. } => "builtin",
    };
    let loaded = c.loaded();
    CircuitView {
        id: c.id.clone(),
        kind: kind.into(),
        relayable: c.relayable,
        loaded: loaded.is_some(),
        constraints: loaded.map(|l| l.constraints),
        public_inputs: loaded.map(|l| l.public_inputs),
        key_bytes: loaded.map(|l| l.key_bytes),
        proof_memory_bytes: loaded.map(|l| l.bytes_per_proof),
        proof_memory_measured: loaded.map(|l| l.measured),
        engine: loaded.map(|l| l.engine().to_string()),
    }
}

/// The circuits this node proves, and whether their keys are loaded.
#[utoipa::path(get, path = "/v1/circuits", responses((status = 200, description = "The circuits, by id", body = CircuitList)))]
async fn circuits(State(state): State<AppState>) -> Json<CircuitList> {
    let circuits = match state.circuits.as_ref() {
        None => Vec::new(),
        Some(c) => c.ids().iter().filter_map(|id| c.by_id.get(*id)).map(|c| circuit_view(c)).collect(),
    };
    Json(CircuitList { circuits })
}

/// Prometheus metrics (text format): jobs by status and reason, phase latencies, leases, memory,
/// and the relay role's.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> Response {
    let by_status = state.jobs.status_counts().await.unwrap_or_default();
    let gauges = Gauges {
        by_status: &by_status,
        in_flight: state.in_flight.load(Ordering::Relaxed),
        workers: state.workers.load(Ordering::Relaxed),
        key_bytes: state.key_bytes.load(Ordering::Relaxed),
        ready: state.ready.load(Ordering::Relaxed),
    };
    let mut text = state.metrics.render(&gauges);
    if let Some((role, _)) = state.relay.get() {
        text.push_str(&role.metrics().await);
    }
    ([(header::CONTENT_TYPE, zkbatch_relayer::PROMETHEUS_TEXT)], text).into_response()
}

/// Liveness: the process answers and reaches its database.
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, description = "Alive", body = Health),
    (status = 503, description = "The database cannot be reached", body = ErrorBody),
))]
async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(state.jobs.store().pool()).await {
        Ok(_) => Json(Health { ok: true, node: state.node_id.clone() }).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}")),
    }
}

/// Readiness: the proving keys are loaded and the roles run.
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "Still loading (`loading` names the circuits)", body = Readiness),
))]
async fn readyz(State(state): State<AppState>) -> Response {
    let roles = state.config.roles.iter().map(|r| r.as_str().to_string()).collect();
    let loading = match state.circuits.as_ref() {
        None => Vec::new(),
        Some(c) => c.ids().into_iter().filter(|id| c.by_id.get(*id).is_some_and(|c| c.loaded().is_none())).map(String::from).collect(),
    };
    let ready = state.ready.load(Ordering::Relaxed);
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(Readiness { ready, node: state.node_id.clone(), roles, loading })).into_response()
}

/// The relay role's routes, when this node plays it.
async fn relay_or_404(State(state): State<AppState>, request: Request) -> Response {
    match state.relay.get() {
        Some((_, routes)) => match routes.clone().oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        },
        None => {
            let path = request.uri().path().to_string();
            let hint = if path.starts_with("/v1/proofs") { ": proofs are posted to a node with the relay role" } else { "" };
            error(StatusCode::NOT_FOUND, format!("no route {path}{hint}"))
        }
    }
}
