//! A client for the service's API: what `zkbatch prove --remote` and `zkbatch jobs` use. The
//! HTTP plumbing is the relayer client's (the same conventions: JSON, `{"error"}`, 429).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
pub use zkbatch_relayer::client::ClientError;

/// A client for one node (60-second request timeout; long polls ask for 30 s at a time).
pub struct JobClient {
    http: zkbatch_relayer::client::Client,
}

impl JobClient {
    /// A client for the node at `base`.
    pub fn new(base: &str) -> Result<JobClient, ClientError> {
        Ok(JobClient { http: zkbatch_relayer::client::Client::new(base)? })
    }

    /// Posts a job; the node's answer (`id`, `status`), or the first job for a `client_id` seen before.
    pub async fn post(&self, circuit: &str, input: &Value, submit: bool, client_id: Option<&str>) -> Result<Value, ClientError> {
        let body = json!({ "circuit": circuit, "input": input, "submit": submit, "client_id": client_id });
        self.http.post_json("/v1/jobs", body.to_string()).await
    }

    /// A job, held up to `wait_s` seconds until it is proved or failed.
    pub async fn job(&self, id: &str, wait_s: u64) -> Result<Value, ClientError> {
        self.http.get_json(&format!("/v1/jobs/{id}?wait={wait_s}")).await
    }

    /// Jobs per status and the newest `limit`.
    pub async fn list(&self, limit: usize) -> Result<Value, ClientError> {
        self.http.get_json(&format!("/v1/jobs?limit={limit}")).await
    }

    /// A job followed until it is proved or failed (`limit` bounds the wait).
    pub async fn wait(&self, id: &str, limit: Duration) -> Result<Value, ClientError> {
        let start = Instant::now();
        loop {
            let job = self.job(id, 30).await?;
            if matches!(job["status"].as_str(), Some("proved" | "failed")) {
                return Ok(job);
            }
            if start.elapsed() > limit {
                return Err(ClientError::Timeout { id: id.into(), limit });
            }
        }
    }

    /// Posts a job, retrying while the queue is full (after its Retry-After), and follows it until
    /// it is proved or failed.
    pub async fn prove(&self, circuit: &str, input: &Value, limit: Duration) -> Result<Value, ClientError> {
        let start = Instant::now();
        let accepted = loop {
            match self.post(circuit, input, false, None).await {
                Err(ClientError::Refused { status: 429, retry_after, .. }) if start.elapsed() < limit => {
                    let secs = retry_after.and_then(|r| r.parse().ok()).unwrap_or(1);
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                }
                other => break other?,
            }
        };
        let id = accepted["id"].as_str().unwrap_or_default().to_string();
        self.wait(&id, limit.saturating_sub(start.elapsed())).await
    }
}
