//! `zkbatch jobs`: a `zkbatch serve` node's jobs, one or the counts.

use std::time::Duration;

use anyhow::{bail, Result};
use clap::Args;
use serde_json::Value;
use zkbatch_service::client::JobClient;

use crate::output::Output;

/// `zkbatch jobs`'s arguments.
#[derive(Args)]
pub(crate) struct JobsArgs {
    /// The node's URL.
    url: String,
    /// A job's id; without one, the jobs per status and the newest.
    id: Option<String>,
    /// With an id: wait up to this many seconds for the job to be proved or failed.
    #[arg(long, default_value_t = 0)]
    wait: u64,
    /// Without an id: how many of the newest jobs to list.
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

/// One line for a job: id, status, circuit, and what there is to say.
fn line(job: &Value) -> String {
    let mut s = format!("{} {} {}", job["id"].as_str().unwrap_or("?"), job["status"].as_str().unwrap_or("?"), job["circuit"].as_str().unwrap_or("?"));
    if let Some(node) = job["report"]["node"].as_str() {
        s.push_str(&format!(" on {node} in {:.1} ms", job["report"]["total"].as_f64().unwrap_or(0.0)));
    }
    if job["chain"].is_object() {
        s.push_str(&format!(" chain {} {}", job["chain"]["status"].as_str().unwrap_or("?"), job["chain"]["tx_hash"].as_str().unwrap_or("")));
    }
    if let Some(e) = job["error"].as_str() {
        s.push_str(&format!(" ({e})"));
    }
    s
}

pub(crate) fn run(out: &Output, args: JobsArgs) -> Result<()> {
    let client = JobClient::new(&args.url)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        match &args.id {
            Some(id) => {
                let job = if args.wait > 0 { client.wait(id, Duration::from_secs(args.wait)).await } else { client.job(id, 0).await }?;
                out.say(line(&job));
                out.result(job.clone());
                if job["status"] == "failed" {
                    bail!("job {id} failed");
                }
            }
            None => {
                let list = client.list(args.limit).await?;
                let counts = list["counts"].as_object().map(|c| c.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")).unwrap_or_default();
                out.say(format!("jobs: {}", if counts.is_empty() { "none".into() } else { counts }));
                for job in list["jobs"].as_array().into_iter().flatten() {
                    out.say(format!("  {}", line(job)));
                }
                out.result(list);
            }
        }
        Ok(())
    })
}
