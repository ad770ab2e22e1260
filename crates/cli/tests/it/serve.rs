//! `zkbatch serve` as users run it: node processes over real HTTP, on a SQLite file or a
//! PostgreSQL server of the test's own, killed with SIGKILL and drained with SIGTERM; proofs checked
//! by our verifier and by snarkjs; on-chain results counted from anvil's events.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::B256;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use alloy::transports::http::reqwest;
use serde_json::{json, Value};
use zkbatch_evm::bindings::ProofRegistry;
use zkbatch_prover::snarkjs::{public_from_json, read_verifying_key, ProofJson};
use zkbatch_prover::verify::PreparedKey;
use zkbatch_testing::postgres::Postgres;
use zkbatch_testing::tool;

use crate::circom::product;

/// A `zkbatch serve` process, killed when dropped.
pub(crate) struct Node {
    child: Child,
    pub(crate) url: String,
}

impl Node {
    /// Starts `zkbatch serve --config CONFIG` with `args`, and waits until it says it is ready.
    pub(crate) fn start(dir: &Path, config: &str, args: &[&str]) -> Node {
        Node::start_with(dir, config, args, &[])
    }

    /// [`Node::start`] with these environment variables set.
    pub(crate) fn start_with(dir: &Path, config: &str, args: &[&str], env: &[(&str, &str)]) -> Node {
        let child = Command::new(env!("CARGO_BIN_EXE_zkbatch"))
            .current_dir(dir)
            .args(["--json", "serve", "--config", config])
            .args(args)
            .env_remove("ZKBATCH_CONFIG")
            // Key images (and converted zkeys) in the test's folder, not the user's cache (unless
            // the test names another).
            .env("ZKBATCH_CACHE_DIR", dir.join("cache"))
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn zkbatch serve");
        // Killed on the way out of a failed start too.
        let mut node = Node { child, url: String::new() };
        let stdout = node.child.stdout.take().expect("stdout");
        let mut documents = serde_json::Deserializer::from_reader(stdout).into_iter::<Value>();
        let started = match documents.next() {
            Some(Ok(v)) => v,
            other => panic!("zkbatch serve did not start: {other:?}"),
        };
        std::thread::spawn(move || documents.for_each(drop));
        node.url = format!("http://{}", started["listen"].as_str().expect("listen"));
        node
    }

    pub(crate) fn signal(&self, signal: &str) {
        assert!(Command::new("kill").args([signal, &self.child.id().to_string()]).status().expect("kill").success());
    }

    /// Waits for the process to exit (a bound against hanging, not a speed requirement).
    fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(start.elapsed() < limit, "the node did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("HTTP client")
}

/// POSTs `body` (a JSON value or raw text) to `url`; the status and the answer.
async fn post(client: &reqwest::Client, url: &str, body: String) -> (u16, Value, Option<String>) {
    let r = client.post(url).header("content-type", "application/json").body(body).send().await.expect("POST");
    let status = r.status().as_u16();
    let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(String::from);
    (status, r.json().await.unwrap_or(Value::Null), retry)
}

pub(crate) async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let r = client.get(url).send().await.expect("GET");
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Each job once it is proved or failed (long polls; `limit` bounds a hang).
pub(crate) async fn wait_all(client: &reqwest::Client, base: &str, ids: &[String], limit: Duration) -> HashMap<String, Value> {
    let start = Instant::now();
    let mut done = HashMap::new();
    for id in ids {
        loop {
            let (status, job) = get(client, &format!("{base}/v1/jobs/{id}?wait=10")).await;
            assert_eq!(status, 200, "{job}");
            if job["status"] == "proved" || job["status"] == "failed" {
                done.insert(id.clone(), job);
                break;
            }
            assert!(start.elapsed() < limit, "job {id} is still {} after {limit:?}", job["status"]);
        }
    }
    done
}

/// Checks a proved job's proof with our verifier.
fn verifies(vk: &PreparedKey, job: &Value) {
    let proof: ProofJson = serde_json::from_value(job["proof"].clone()).expect("proof.json");
    let public: Vec<String> = serde_json::from_value(job["public"].clone()).expect("public.json");
    let public = public_from_json(&public).expect("public");
    vk.verify(&proof.to_proof().expect("proof"), &public).unwrap_or_else(|e| panic!("job {}: {e}", job["id"]));
}

/// snarkjs verifies a job's proof.
fn snarkjs_verifies(dir: &Path, vk: &Path, job: &Value) {
    std::fs::write(dir.join("job-proof.json"), job["proof"].to_string()).unwrap();
    std::fs::write(dir.join("job-public.json"), job["public"].to_string()).unwrap();
    let out = Command::new(tool("snarkjs"))
        .current_dir(dir)
        .args(["groth16", "verify", &vk.display().to_string(), "job-public.json", "job-proof.json"])
        .output()
        .unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("OK!"), "snarkjs refused job {}", job["id"]);
}

pub(crate) fn zkbatch(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_zkbatch")).current_dir(dir).args(args).output().unwrap();
    assert!(out.status.success(), "zkbatch {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A built-in circuit's keys and `count` inputs, in `dir`.
pub(crate) fn builtin(dir: &Path, circuit: &str, count: usize) -> Vec<Value> {
    zkbatch(dir, &["setup", "--circuit", circuit, "--pk", "circuit.pk", "--vk", "verification_key.json"]);
    zkbatch(dir, &["inputs", "--circuit", circuit, "--count", &count.to_string(), "--out", "inputs"]);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("inputs")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap()).collect()
}

/// Sends a POST /v1/jobs head announcing `length` bytes of body, and one byte of it; returns what
/// the node answers within 3 seconds (empty if nothing).
async fn announce_and_stall(addr: &str, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!("POST /v1/jobs HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{");
    tcp.write_all(head.as_bytes()).await.expect("send");
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(3), tcp.read(&mut answer)).await.map_or(0, |r| r.unwrap_or(0));
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

fn job(circuit: &str, input: &Value) -> String {
    json!({ "circuit": circuit, "input": input }).to_string()
}

/// Posts every body at once; the answers in order.
pub(crate) async fn post_all(client: &reqwest::Client, urls: &[String], bodies: Vec<String>) -> Vec<(u16, Value, Option<String>)> {
    let mut set = tokio::task::JoinSet::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let (client, url) = (client.clone(), format!("{}/v1/jobs", urls[i % urls.len()]));
        set.spawn(async move { (i, post(&client, &url, body).await) });
    }
    let mut answers = vec![(0, Value::Null, None); set.len()];
    while let Some(r) = set.join_next().await {
        let (i, a) = r.expect("task");
        answers[i] = a;
    }
    answers
}

/// The ids of answers that must all be 202.
pub(crate) fn queued_ids(answers: Vec<(u16, Value, Option<String>)>) -> Vec<String> {
    answers
        .into_iter()
        .map(|(status, body, _)| {
            assert_eq!(status, 202, "{body}");
            assert_eq!(body["status"], "queued");
            body["id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_node_on_sqlite_proves_refuses_replays_throttles_and_drains() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inputs = builtin(d, "squares-2", 24);
    let circom = product();
    std::fs::write(
        d.join("zkbatch.toml"),
        format!(
            r#"listen = "127.0.0.1:0"
workers = 2
[http]
body_limit_bytes = 65536
[[circuits]]
id = "squares"
builtin = "squares-2"
pk = "circuit.pk"
[[circuits]]
id = "product"
zkey = "{0}/product.zkey"
wasm = "{0}/product_js/product.wasm"
r1cs = "{0}/product.r1cs"
"#,
            circom.display()
        ),
    )
    .unwrap();
    let mut node = Node::start(d, "zkbatch.toml", &[]);
    let client = http();
    let base = node.url.clone();
    let (status, ready) = get(&client, &format!("{base}/readyz")).await;
    assert_eq!(status, 200, "{ready}");
    // The keys' points are mapped from key images made on this first start (mmap_keys is the default).
    let images: Vec<String> = std::fs::read_dir(d.join("cache")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".zkbimg")).collect();
    assert_eq!(images.len(), 2, "{images:?}");

    // Good jobs of both circuits, all at once, and one whose witness fails (b[1] = 0).
    let mut bodies: Vec<String> = inputs.iter().map(|i| job("squares", i)).collect();
    for a in 1..=4 {
        bodies.push(job("product", &json!({ "a": a, "b": ["5", "7"], "c": "11" })));
    }
    bodies.push(job("product", &json!({ "a": "3", "b": ["5", "0"], "c": "11" })));
    let ids = queued_ids(post_all(&client, std::slice::from_ref(&base), bodies).await);
    let done = wait_all(&client, &base, &ids, Duration::from_secs(300)).await;
    let squares_vk = PreparedKey::new(&read_verifying_key(&d.join("verification_key.json")).unwrap());
    let product_vk = PreparedKey::new(&read_verifying_key(&circom.join("verification_key.json")).unwrap());
    for (i, id) in ids.iter().enumerate() {
        let job = &done[id];
        if i == ids.len() - 1 {
            assert_eq!(job["status"], "failed", "{job}");
            let error = job["error"].as_str().unwrap();
            assert!(error.contains("line: 13") || error.contains("Assert Failed"), "the generator's message: {error}");
            continue;
        }
        assert_eq!(job["status"], "proved", "{job}");
        assert_eq!(job["attempts"], 1);
        assert!(job["report"]["node"].is_string() && job["report"]["msm_a"].is_number(), "{job}");
        verifies(if i < inputs.len() { &squares_vk } else { &product_vk }, job);
    }
    snarkjs_verifies(d, &d.join("verification_key.json"), &done[&ids[0]]);
    snarkjs_verifies(d, &circom.join("verification_key.json"), &done[&ids[inputs.len()]]);

    // Every refusal names its problem, and nothing is queued for it.
    let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    let refusals: Vec<(String, u16, &str)> = vec![
        (job("nope", &inputs[0]), 400, "unknown circuit \"nope\"; this service proves: product, squares"),
        ("{".into(), 400, "the body is not a job request"),
        (json!({ "circuit": "squares" }).to_string(), 400, "missing field `input`"),
        (json!({ "circuit": "squares", "input": inputs[0], "extra": 1 }).to_string(), 400, "unknown field `extra`"),
        (job("squares", &json!({ "roots": ["1"] })), 400, "input: the circuit takes 2 roots, the input has 1"),
        (job("product", &json!({ "a": "3", "b": ["5", "7"] })), 400, "an input signal is missing"),
        (job("product", &json!({ "a": "3", "b": ["5", "7"], "c": "1", "d": "1" })), 400, "d is not an input signal of the circuit"),
        (job("product", &json!({ "a": "3", "b": ["5"], "c": "1" })), 400, "b takes 2 values, the file gives 1"),
        (job("product", &json!({ "a": r, "b": ["5", "7"], "c": "1" })), 400, "is not below the BN254 scalar field's modulus"),
        (job("squares", &json!({ "roots": ["1", "x".repeat(70_000)] })), 413, "larger than the limit (65536 bytes"),
        (json!({ "circuit": "squares", "input": inputs[0], "submit": true }).to_string(), 400, "has no verifier configured"),
    ];
    for (body, status, message) in refusals {
        let (got, answer, _) = post(&client, &format!("{base}/v1/jobs"), body.clone()).await;
        assert_eq!(got, status, "{answer} for {}", &body[..body.len().min(200)]);
        assert!(answer["error"].as_str().unwrap_or("").contains(message), "{answer} should say {message:?}");
    }
    // A gigabyte announced and one byte sent: refused at once, in the API's JSON.
    let announced = announce_and_stall(base.trim_start_matches("http://"), 1_000_000_000).await;
    assert!(announced.starts_with("HTTP/1.1 413") && announced.contains("\"error\":\"the body is larger than the limit"), "{announced}");

    // client_id: the same request answers with the first job; another request with it is a conflict.
    let first = json!({ "circuit": "squares", "input": inputs[1], "client_id": "order-17" }).to_string();
    let (status, a, _) = post(&client, &format!("{base}/v1/jobs"), first.clone()).await;
    assert_eq!(status, 202, "{a}");
    let (status, b, _) = post(&client, &format!("{base}/v1/jobs"), first).await;
    assert_eq!((status, &b["id"]), (200, &a["id"]), "{b}");
    let other = json!({ "circuit": "squares", "input": inputs[2], "client_id": "order-17" }).to_string();
    let (status, c, _) = post(&client, &format!("{base}/v1/jobs"), other).await;
    assert_eq!(status, 409, "{c}");
    assert!(c["error"].as_str().unwrap().contains(a["id"].as_str().unwrap()), "{c}");
    wait_all(&client, &base, &[a["id"].as_str().unwrap().to_string()], Duration::from_secs(120)).await;
    let (status, missing) = get(&client, &format!("{base}/v1/jobs/0123")).await;
    assert_eq!(status, 404, "{missing}");

    // The OpenAPI document is made from the router's own list: every route is in it, and every
    // path in it answers.
    let (status, doc) = get(&client, &format!("{base}/v1/openapi.json")).await;
    assert_eq!(status, 200);
    let mut paths: Vec<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["/healthz", "/metrics", "/readyz", "/v1/circuits", "/v1/jobs", "/v1/jobs/{id}"]);
    for path in paths {
        let methods = doc["paths"][path].as_object().unwrap();
        let url = format!("{base}{}", path.replace("{id}", a["id"].as_str().unwrap()));
        for method in methods.keys() {
            let status = match method.as_str() {
                "get" => client.get(&url).send().await.unwrap().status().as_u16(),
                "post" => client.post(&url).body("{}").send().await.unwrap().status().as_u16(),
                other => panic!("unexpected method {other}"),
            };
            assert!(status != 404 && status != 405, "{method} {path} answered {status}");
        }
    }
    assert!(doc["components"]["schemas"]["JobRequest"]["properties"]["client_id"].is_object(), "{doc}");

    let (_, circuits) = get(&client, &format!("{base}/v1/circuits")).await;
    assert_eq!(circuits["circuits"][0]["id"], "product");
    assert_eq!(circuits["circuits"][0]["kind"], "circom");
    assert_eq!(circuits["circuits"][1]["public_inputs"], 2);
    // The built-in circuit's memory per proof was measured on a warm-up proof at load.
    assert_eq!(circuits["circuits"][1]["proof_memory_measured"], true, "{circuits}");
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    for line in ["zkbatch_jobs_proved_total 29", "zkbatch_jobs_failed_total{reason=\"witness\"} 1", "zkbatch_jobs_rejected_total{reason=\"invalid_input\"} 5", "zkbatch_jobs_rejected_total{reason=\"malformed_request\"} 4", "zkbatch_jobs_rejected_total{reason=\"too_large\"} 2"] {
        assert!(metrics.contains(line), "/metrics lacks {line:?}:\n{metrics}");
    }

    // The CLI against the node: a folder proved remotely verifies here; `zkbatch jobs` reports.
    let remote = zkbatch(d, &["--json", "prove", "--remote", &base, "--circuit", "squares", "--input", "inputs", "--out", "remote", "--jobs", "8"]);
    let remote: Value = serde_json::from_str(&remote).unwrap();
    assert_eq!(remote["completed"], 24, "{remote}");
    zkbatch(d, &["verify", "--vk", "verification_key.json", "--dir", "remote"]);
    let one = zkbatch(d, &["prove", "--remote", &base, "--circuit", "squares", "--input", "inputs/input-000.json", "--proof", "p.json", "--public", "pub.json"]);
    assert!(one.contains("engine remote"), "{one}");
    zkbatch(d, &["verify", "--vk", "verification_key.json", "--proof", "p.json", "--public", "pub.json"]);
    let listed: Value = serde_json::from_str(&zkbatch(d, &["--json", "jobs", &base])).unwrap();
    assert_eq!(listed["counts"]["proved"], 29 + 25, "{listed}");
    assert_eq!(listed["counts"]["failed"], 1, "{listed}");
    let shown = zkbatch(d, &["jobs", &base, &ids[0], "--wait", "5"]);
    assert!(shown.starts_with(&format!("{} proved squares on ", ids[0])), "{shown}");

    // SIGTERM with jobs in flight: they finish, the node exits cleanly, no job is left leased.
    let bodies: Vec<String> = (10..30).map(|a| job("product", &json!({ "a": a, "b": ["5", "7"], "c": "11" }))).collect();
    let ids: Vec<String> = queued_ids(post_all(&client, std::slice::from_ref(&base), bodies).await);
    node.signal("-TERM");
    assert!(node.wait_exit(Duration::from_secs(120)).success(), "the node did not exit cleanly on SIGTERM");
    let store = zkbatch_relayer::store::Store::open(&d.join("zkbatch.db")).await.unwrap();
    let counts = zkbatch_service::jobs::Jobs::new(store.clone()).status_counts().await.unwrap();
    assert!(!counts.iter().any(|(s, _)| s == "proving"), "a drained node left leases: {counts:?}");
    // Started again, it proves what was left.
    let node = Node::start(d, "zkbatch.toml", &[]);
    let done = wait_all(&client, &node.url, &ids, Duration::from_secs(300)).await;
    assert!(done.values().all(|j| j["status"] == "proved"), "after a restart every job is proved");

    // A full queue answers 429 with Retry-After, exactly at its capacity (an intake node: no workers).
    let intake = Node::start(d, "zkbatch.toml", &["--workers", "0", "--queue-capacity", "3", "--database", "intake.db", "--mmap-keys", "false"]);
    let answers = post_all(&client, std::slice::from_ref(&intake.url), inputs[..8].iter().map(|i| job("squares", i)).collect()).await;
    let accepted = answers.iter().filter(|(s, _, _)| *s == 202).count();
    let full: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 429).collect();
    assert_eq!((accepted, full.len()), (3, 5), "{answers:?}");
    assert_eq!(full[0].2.as_deref(), Some("5"));
    assert!(full[0].1["error"].as_str().unwrap().contains("the queue is full (3 jobs waiting)"), "{:?}", full[0]);
}

/// Polls until `node` holds a lease on a job, stopped (SIGSTOP) so that it cannot finish it first,
/// then SIGKILLs it mid-proof.
async fn kill_mid_proof(node: &Node, jobs: &zkbatch_service::jobs::Jobs, node_id: &str) {
    for _ in 0..500 {
        node.signal("-STOP");
        if jobs.held_by(node_id).await.unwrap() > 0 {
            node.signal("-KILL");
            return;
        }
        node.signal("-CONT");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("node {node_id} never held a lease");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_on_postgres_prove_every_job_once_through_a_kill_and_a_drain() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inputs = builtin(d, "merkle-4", 300);
    let anvil = zkbatch_testing::anvil().spawn();
    let (verifiers, relay, registry) = deploy(d, &anvil);
    std::fs::write(
        d.join("zkbatch.toml"),
        format!(
            r#"listen = "127.0.0.1:0"
workers = 2
drain_timeout_ms = 60000
[lease]
duration_ms = 2000
heartbeat_ms = 250
[[circuits]]
id = "merkle"
builtin = "merkle-4"
pk = "circuit.pk"
vk = "verification_key.json"
{verifiers}{relay}"#
        ),
    )
    .unwrap();
    let db = ["--database", pg.url.as_str()];
    let nodes: Vec<Node> =
        ["a", "b", "c"].iter().map(|id| Node::start(d, "zkbatch.toml", &[&db[..], &["--node-id", id, "--roles", "prove"]].concat())).collect();
    // The relay role on a node of its own: proved jobs reach it through the database alone.
    let relayer = Node::start(d, "zkbatch.toml", &[&db[..], &["--node-id", "relay", "--roles", "relay"]].concat());
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    let client = http();
    let store = zkbatch_relayer::store::Store::open(Path::new(&pg.url)).await.unwrap();
    let jobs = zkbatch_service::jobs::Jobs::new(store);

    let bodies = inputs.iter().map(|i| json!({ "circuit": "merkle", "input": i, "submit": true }).to_string()).collect();
    let ids = queued_ids(post_all(&client, &urls, bodies).await);
    let mut nodes = nodes.into_iter();
    let (a, b, mut c) = (nodes.next().unwrap(), nodes.next().unwrap(), nodes.next().unwrap());
    kill_mid_proof(&b, &jobs, "b").await;
    // c drains while the queue is still full of work: what it holds it finishes; it claims nothing more.
    c.signal("-TERM");
    assert!(c.wait_exit(Duration::from_secs(120)).success(), "node c did not drain cleanly");

    let done = wait_all(&client, &a.url, &ids, Duration::from_secs(600)).await;
    let vk = PreparedKey::new(&read_verifying_key(&d.join("verification_key.json")).unwrap());
    let mut by_node: HashMap<String, usize> = HashMap::new();
    let mut retried = 0;
    for id in &ids {
        let job = &done[id];
        assert_eq!(job["status"], "proved", "{job}");
        verifies(&vk, job);
        *by_node.entry(job["report"]["node"].as_str().unwrap().to_string()).or_default() += 1;
        if job["attempts"].as_i64().unwrap() > 1 {
            // A loaded machine may stall a live node's heartbeat past its lease too: the job then
            // moves on all the same, and its one result is whoever held the lease last.
            let error = job["error"].as_str().unwrap();
            assert!(error.contains("lost its lease"), "{job}");
            if error.contains("node b lost its lease") {
                retried += 1;
                assert_ne!(job["report"]["node"], "b", "{job}");
            }
        }
    }
    assert!(retried >= 1, "the killed node's jobs were proved again by the others");
    assert_eq!(by_node.values().sum::<usize>(), 300);
    snarkjs_verifies(d, &d.join("verification_key.json"), &done[&ids[0]]);
    let counts = jobs.status_counts().await.unwrap();
    assert_eq!(counts, vec![("proved".to_string(), 300)], "one result per job, nothing left leased");
    // No other proof reached the relay queue: one row per job.
    let queued: i64 = jobs.store().status_counts().await.unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(queued, 300);
    let metrics = client.get(format!("{}/metrics", a.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("zkbatch_jobs_lease_expiries_total"), "{metrics}");
    drop(b);
    assert_eq!(confirmed_once(&client, &a.url, &ids, &anvil, &registry).await, ids.len());
    drop(relayer);
    drop(a);

    // The queue's bound is exact across nodes: two intake nodes (no workers), capacity 10, 60
    // posts at once through both: 10 queued, 50 told 429.
    let intake: Vec<Node> = ["i1", "i2"]
        .iter()
        .map(|id| Node::start(d, "zkbatch.toml", &[&db[..], &["--node-id", id, "--workers", "0", "--queue-capacity", "10"]].concat()))
        .collect();
    let urls: Vec<String> = intake.iter().map(|n| n.url.clone()).collect();
    let answers = post_all(&client, &urls, inputs[..60].iter().map(|i| job("merkle", i)).collect()).await;
    let accepted = answers.iter().filter(|(s, _, _)| *s == 202).count();
    let full = answers.iter().filter(|(s, _, _)| *s == 429).count();
    assert_eq!((accepted, full), (10, 50), "{answers:?}");
    let counts = jobs.status_counts().await.unwrap();
    assert!(counts.contains(&("queued".to_string(), 10)), "{counts:?}");
}

/// The registry and the circuit's verifiers deployed on `anvil` by `zkbatch deploy` (anvil's
/// account 0), and relayer.key (account 1) written: the `[[circuits]]` keys and the `[relay]` table
/// of a zkbatch.toml for them, and the registry's address.
pub(crate) fn deploy(dir: &Path, anvil: &alloy::node_bindings::AnvilInstance) -> (String, String, String) {
    std::fs::write(dir.join("relayer.key"), alloy::hex::encode(anvil.keys()[1].to_bytes())).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_zkbatch"))
        .current_dir(dir)
        .env("ZKBATCH_DEPLOYER_KEY", alloy::hex::encode(anvil.keys()[0].to_bytes()))
        .env("ZKBATCH_SOLC", tool("solc"))
        .args(["deploy", "--rpc-url", &anvil.endpoint(), "--circuit", "c=verification_key.json", "--config-out", "relayer.toml"])
        .args(["--relayer-key-file", "relayer.key"])
        .output()
        .unwrap();
    assert!(out.status.success(), "zkbatch deploy: {}", String::from_utf8_lossy(&out.stderr));
    let relayer: toml::Table = toml::from_str(&std::fs::read_to_string(dir.join("relayer.toml")).unwrap()).unwrap();
    let circuit = &relayer["circuits"].as_array().unwrap()[0];
    let verifiers = format!("verifier = {}\nbatch_verifier = {}\n", circuit["verifier"], circuit["batch_verifier"]);
    let relay = format!(
        "[relay]\nrpc_url = \"{}\"\nregistry = {}\nkey_file = \"relayer.key\"\nbatch = {{ max_size = 32, max_wait_ms = 300 }}\n",
        anvil.endpoint(),
        relayer["registry"]
    );
    (verifiers, relay, relayer["registry"].as_str().unwrap().to_string())
}

/// Waits until every job's proof is confirmed on-chain; then counts the registry's
/// `ProofVerified` events: each job's proof exactly once, and nothing else. Jobs of one statement
/// (the same circuit and input) share the proof that went on-chain; returns how many there were.
async fn confirmed_once(client: &reqwest::Client, base: &str, ids: &[String], anvil: &alloy::node_bindings::AnvilInstance, registry: &str) -> usize {
    let start = Instant::now();
    let mut keys = HashSet::new();
    for id in ids {
        loop {
            let (_, job) = get(client, &format!("{base}/v1/jobs/{id}")).await;
            assert_eq!(job["status"], "proved", "{job}");
            if job["chain"]["status"] == "confirmed" || job["chain"]["status"] == "finalized" {
                assert!(job["chain"]["tx_hash"].is_string() && job["chain"]["block"].is_number(), "{job}");
                keys.insert(job["chain"]["id"].as_str().unwrap().parse::<B256>().unwrap());
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(300), "job {id} not confirmed: {job}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let provider = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    let registry: alloy::primitives::Address = registry.parse().unwrap();
    let filter = Filter::new().address(registry).event_signature(ProofRegistry::ProofVerified::SIGNATURE_HASH).from_block(0);
    let mut events: HashMap<B256, usize> = HashMap::new();
    for log in provider.get_logs(&filter).await.unwrap() {
        *events.entry(log.topics()[1]).or_default() += 1;
    }
    assert!(events.values().all(|n| *n == 1), "{events:?}");
    assert_eq!(events.keys().copied().collect::<HashSet<_>>(), keys, "one event per statement, for the proof its jobs name");
    keys.len()
}

/// One node with both roles on SQLite: jobs with `submit` end confirmed on anvil, each statement
/// once (jobs of the same input share its proof).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn submitted_jobs_are_confirmed_on_chain_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inputs = builtin(d, "squares-2", 20);
    let anvil = zkbatch_testing::anvil().spawn();
    let (verifiers, relay, registry) = deploy(d, &anvil);
    std::fs::write(
        d.join("zkbatch.toml"),
        format!("listen = \"127.0.0.1:0\"\nroles = [\"prove\", \"relay\"]\nworkers = 2\n[[circuits]]\nid = \"squares\"\nbuiltin = \"squares-2\"\npk = \"circuit.pk\"\n{verifiers}{relay}"),
    )
    .unwrap();
    let node = Node::start(d, "zkbatch.toml", &[]);
    let client = http();
    // Three inputs twice: each job gets its own proof (the prover's randomness differs), but a
    // statement goes on-chain once.
    let bodies: Vec<String> =
        inputs.iter().chain(&inputs[..3]).map(|i| json!({ "circuit": "squares", "input": i, "submit": true }).to_string()).collect();
    let ids: Vec<String> = queued_ids(post_all(&client, std::slice::from_ref(&node.url), bodies).await);
    assert_eq!(ids.len(), 23);
    wait_all(&client, &node.url, &ids, Duration::from_secs(300)).await;
    assert_eq!(confirmed_once(&client, &node.url, &ids, &anvil, &registry).await, 20, "statements on-chain");
}

/// A node whose keys do not fit its memory budget, or whose configuration is wrong, refuses to
/// start and says why, naming the keys and their sizes.
#[test]
fn a_node_that_cannot_serve_refuses_to_start_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    builtin(d, "merkle-20", 1);
    std::fs::write(d.join("zkbatch.toml"), "listen = \"127.0.0.1:0\"\n[[circuits]]\nid = \"m\"\nbuiltin = \"merkle-20\"\npk = \"circuit.pk\"\n").unwrap();
    let serve = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_zkbatch"))
            .current_dir(d)
            .env("ZKBATCH_CACHE_DIR", d.join("cache"))
            .args(["serve", "--config", "zkbatch.toml"])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "zkbatch serve {args:?} should have refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = serve(&["--key-memory-mb", "0"]);
    assert!(err.contains("the proving keys need") && err.contains("the budget is 0 MiB (m: ") && err.contains("raise key_memory_mb"), "{err}");
    let err = serve(&["--roles", "prove,mint"]);
    assert!(err.contains("unknown role \"mint\": the roles are prove, relay and aggregate"), "{err}");
    let err = serve(&["--roles", "prove,aggregate"]);
    assert!(err.contains("the aggregate role needs an [aggregate] table naming its KZG parameters"), "{err}");
    let err = serve(&["--roles", "relay"]);
    assert!(err.contains("the relay role needs a [relay] table"), "{err}");
    std::fs::write(d.join("wrong.toml"), "[[circuits]]\nid = \"m\"\nbuiltin = \"squares-2\"\npk = \"circuit.pk\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_zkbatch")).current_dir(d).env("ZKBATCH_CACHE_DIR", d.join("cache")).args(["serve", "--config", "wrong.toml", "--listen", "127.0.0.1:0"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("is a proving key for merkle-20, not squares-2"), "{err}");
}
