//! The proving service against the CLI (`make bench-serve`, ignored in `cargo test`): the same
//! inputs proved by `zkbatch prove --jobs 2` and by `zkbatch serve` (one node with 2 workers on
//! SQLite; two nodes with 1 worker each on PostgreSQL), posted all at once with `zkbatch prove
//! --remote`; proofs per second, p50/p99 latency from acceptance to proof, resident memory per
//! node. Merkle-20 (built in) and the circom merkle20 fixture; ZKBATCH_BENCH_JOBS inputs each
//! (default 64). Figures in BENCHMARKS.md; JSON in target/bench-serve.json.

use std::path::Path;

use serde_json::{json, Value};
use zkbatch_testing::postgres::Postgres;

use crate::serve::{builtin, get, http, zkbatch, Node};

/// Latencies (queued → proved, ms) of the node's newest `n` jobs: p50 and p99.
async fn latencies(url: &str, n: usize) -> (f64, f64) {
    let (_, list) = get(&http(), &format!("{url}/v1/jobs?limit={n}")).await;
    let mut ms: Vec<f64> = list["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| (j["finished_ms"].as_i64().unwrap_or(0) - j["created_ms"].as_i64().unwrap_or(0)) as f64)
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
    (at(0.5), at(0.99))
}

/// The node's resident memory (MiB), from its /metrics.
async fn resident_mb(url: &str) -> f64 {
    let text = http().get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("process_resident_memory_bytes ")).expect("process_resident_memory_bytes");
    line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() / (1 << 20) as f64
}

/// `zkbatch prove --remote` over `inputs`; proofs per second as the client saw them.
fn remote(dir: &Path, url: &str, circuit: &str, out: &str) -> f64 {
    let r: Value = serde_json::from_str(&zkbatch(dir, &["--json", "prove", "--remote", url, "--circuit", circuit, "--input", "inputs", "--out", out, "--jobs", "32"])).unwrap();
    r["proofs_per_second"].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench-serve"]
async fn serve_against_the_cli() {
    let n: usize = std::env::var("ZKBATCH_BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../prover/tests/fixtures/merkle20");
    let mut rows = Vec::new();
    for kind in ["builtin merkle-20", "circom merkle20"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // The key's flags for `zkbatch prove`, and the node's zkbatch.toml.
        let (cli_key, toml): (Vec<String>, String) = if kind.starts_with("builtin") {
            builtin(d, "merkle-20", n);
            (vec!["--pk".into(), "circuit.pk".into()], "[[circuits]]\nid = \"c\"\nbuiltin = \"merkle-20\"\npk = \"circuit.pk\"\n".into())
        } else {
            std::fs::create_dir(d.join("inputs")).unwrap();
            let input = std::fs::read_to_string(fixture.join("input.json")).unwrap();
            for i in 0..n {
                std::fs::write(d.join(format!("inputs/input-{i:03}.json")), &input).unwrap();
            }
            let (zkey, wasm) = (fixture.join("merkle20.zkey").display().to_string(), fixture.join("merkle20.wasm").display().to_string());
            let toml = format!("cache_dir = \"cache\"\n[[circuits]]\nid = \"c\"\nzkey = \"{zkey}\"\nwasm = \"{wasm}\"\n");
            (vec!["--zkey".into(), zkey, "--wasm".into(), wasm, "--cache-dir".into(), "cache".into()], toml)
        };
        std::fs::write(d.join("zkbatch.toml"), format!("listen = \"127.0.0.1:0\"\n{toml}")).unwrap();
        let cli_key: Vec<&str> = cli_key.iter().map(String::as_str).collect();

        // The CLI, 2 proofs at once (its figure leaves key loading out, as the service's does).
        let cli: Value = serde_json::from_str(&zkbatch(d, &[&["--json", "prove"][..], &cli_key, &["--input", "inputs", "--out", "cli", "--jobs", "2"]].concat())).unwrap();
        let cli_rate = cli["proofs_per_second"].as_f64().unwrap();

        // One node, 2 workers, SQLite.
        let node = Node::start(d, "zkbatch.toml", &["--workers", "2", "--database", "one.db"]);
        let one_rate = remote(d, &node.url, "c", "one");
        let (one_p50, one_p99) = latencies(&node.url, n).await;
        let one_rss = resident_mb(&node.url).await;
        drop(node);

        // Two nodes, 1 worker each, PostgreSQL.
        let pg = Postgres::start();
        let nodes: Vec<Node> = ["x", "y"].iter().map(|id| Node::start(d, "zkbatch.toml", &["--workers", "1", "--database", &pg.url, "--node-id", id])).collect();
        let two_rate = remote(d, &nodes[0].url, "c", "two");
        let (two_p50, two_p99) = latencies(&nodes[0].url, n).await;
        let two_rss = [resident_mb(&nodes[0].url).await, resident_mb(&nodes[1].url).await];
        drop(nodes);

        let row = json!({
            "circuit": kind, "jobs": n, "cli_proofs_per_second": cli_rate,
            "one_node": { "proofs_per_second": one_rate, "p50_ms": one_p50, "p99_ms": one_p99, "resident_mb": one_rss, "of_cli": one_rate / cli_rate },
            "two_nodes": { "proofs_per_second": two_rate, "p50_ms": two_p50, "p99_ms": two_p99, "resident_mb": two_rss, "of_cli": two_rate / cli_rate },
        });
        eprintln!("{row}");
        rows.push(row);
    }
    eprintln!("\n| circuit | jobs | `prove --jobs 2` proofs/s | 1 node (2 workers) proofs/s | of the CLI | p50 / p99 ms | RSS MiB | 2 nodes (1 worker each) proofs/s | of the CLI | p50 / p99 ms | RSS MiB per node |");
    eprintln!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let (o, t) = (&r["one_node"], &r["two_nodes"]);
        eprintln!(
            "| {} | {} | {:.2} | {:.2} | {:.0} % | {:.0} / {:.0} | {:.0} | {:.2} | {:.0} % | {:.0} / {:.0} | {:.0}, {:.0} |",
            r["circuit"].as_str().unwrap(), r["jobs"], r["cli_proofs_per_second"].as_f64().unwrap(),
            o["proofs_per_second"].as_f64().unwrap(), o["of_cli"].as_f64().unwrap() * 100.0, o["p50_ms"].as_f64().unwrap(), o["p99_ms"].as_f64().unwrap(), o["resident_mb"].as_f64().unwrap(),
            t["proofs_per_second"].as_f64().unwrap(), t["of_cli"].as_f64().unwrap() * 100.0, t["p50_ms"].as_f64().unwrap(), t["p99_ms"].as_f64().unwrap(),
            t["resident_mb"][0].as_f64().unwrap(), t["resident_mb"][1].as_f64().unwrap(),
        );
    }
    let out = zkbatch_testing::root().join("target/bench-serve.json");
    std::fs::write(&out, serde_json::to_string_pretty(&rows).unwrap()).unwrap();
    eprintln!("\n{}", out.display());
}
