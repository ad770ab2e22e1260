//! The proving service against the CLI (`make bench-serve`, ignored in `cargo test`): the same
//! inputs proved by `zkbatch prove --jobs 2` and by `zkbatch serve` (one node with 2 workers on
//! SQLite; two nodes with 1 worker each on PostgreSQL), posted all at once with `zkbatch prove
//! --remote`; proofs per second, p50/p99 latency from acceptance to proof, resident and
//! proportional memory per node, with the keys' points memory-mapped from key images (the default)
//! and read into each node's heap. Merkle-20 (built in) and the circom merkle20 fixture; ZKBATCH_BENCH_JOBS inputs each
//! (default 64). Then memory with a large key (`key_memory`). Figures in BENCHMARKS.md; JSON in
//! target/bench-serve.json.

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

/// The node's resident and proportional memory (MiB), from its /metrics.
async fn memory_mb(url: &str) -> (f64, f64) {
    let text = http().get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
    let gauge = |name: &str| {
        let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{name}"));
        line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() / (1 << 20) as f64
    };
    (gauge("process_resident_memory_bytes"), gauge("zkbatch_process_pss_bytes"))
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
        let (one_rss, one_pss) = memory_mb(&node.url).await;
        drop(node);

        // Two nodes, 1 worker each, PostgreSQL: the keys mapped from images, then in each heap.
        let mut two = Vec::new();
        for mmap in ["true", "false"] {
            let pg = Postgres::start();
            let nodes: Vec<Node> = ["x", "y"]
                .iter()
                .map(|id| Node::start(d, "zkbatch.toml", &["--workers", "1", "--database", &pg.url, "--node-id", id, "--mmap-keys", mmap]))
                .collect();
            let rate = remote(d, &nodes[0].url, "c", &format!("two-{mmap}"));
            let (p50, p99) = latencies(&nodes[0].url, n).await;
            let (x, y) = (memory_mb(&nodes[0].url).await, memory_mb(&nodes[1].url).await);
            two.push(json!({ "mmap_keys": mmap == "true", "proofs_per_second": rate, "p50_ms": p50, "p99_ms": p99, "of_cli": rate / cli_rate,
                "resident_mb": [x.0, y.0], "pss_mb": [x.1, y.1] }));
            drop(nodes);
        }

        let row = json!({
            "circuit": kind, "jobs": n, "cli_proofs_per_second": cli_rate,
            "one_node": { "proofs_per_second": one_rate, "p50_ms": one_p50, "p99_ms": one_p99, "resident_mb": one_rss, "pss_mb": one_pss, "of_cli": one_rate / cli_rate },
            "two_nodes": two,
        });
        eprintln!("{row}");
        rows.push(row);
    }
    eprintln!("\n| circuit | jobs | `prove --jobs 2` proofs/s | 1 node (2 workers) proofs/s | of the CLI | p50 / p99 ms | 2 nodes (1 worker each), keys mapped | of the CLI | p50 / p99 ms | 2 nodes, keys in the heap | of the CLI |");
    eprintln!("|---|---|---|---|---|---|---|---|---|---|---|");
    let f = |v: &Value| v.as_f64().unwrap();
    for r in &rows {
        let (o, m, h) = (&r["one_node"], &r["two_nodes"][0], &r["two_nodes"][1]);
        eprintln!(
            "| {} | {} | {:.2} | {:.2} | {:.0} % | {:.0} / {:.0} | {:.2} | {:.0} % | {:.0} / {:.0} | {:.2} | {:.0} % |",
            r["circuit"].as_str().unwrap(), r["jobs"], f(&r["cli_proofs_per_second"]),
            f(&o["proofs_per_second"]), f(&o["of_cli"]) * 100.0, f(&o["p50_ms"]), f(&o["p99_ms"]),
            f(&m["proofs_per_second"]), f(&m["of_cli"]) * 100.0, f(&m["p50_ms"]), f(&m["p99_ms"]),
            f(&h["proofs_per_second"]), f(&h["of_cli"]) * 100.0,
        );
    }
    eprintln!("\n| circuit | 1 node RSS / PSS MiB | 2 nodes, keys mapped: RSS / PSS MiB per node | 2 nodes, keys in the heap: RSS / PSS MiB per node |");
    eprintln!("|---|---|---|---|");
    for r in &rows {
        let (o, m, h) = (&r["one_node"], &r["two_nodes"][0], &r["two_nodes"][1]);
        let pair = |v: &Value| format!("{:.0} / {:.0}, {:.0} / {:.0}", f(&v["resident_mb"][0]), f(&v["pss_mb"][0]), f(&v["resident_mb"][1]), f(&v["pss_mb"][1]));
        eprintln!("| {} | {:.0} / {:.0} | {} | {} |", r["circuit"].as_str().unwrap(), f(&o["resident_mb"]), f(&o["pss_mb"]), pair(m), pair(h));
    }
    let memory = key_memory().await;
    let out = zkbatch_testing::root().join("target/bench-serve.json");
    std::fs::write(&out, serde_json::to_string_pretty(&json!({ "throughput": rows, "memory": memory })).unwrap()).unwrap();
    eprintln!("\n{}", out.display());
}

/// Two nodes on one machine with a large key (merkle-DEPTH, ZKBATCH_BENCH_MEMORY_DEPTH, default
/// 640: about 160k constraints), its points mapped from one key image or read into each heap, with
/// the MSM engine's tables (per process, in the heap either way) at their default budget and off:
/// each node's resident and proportional memory after 4 proofs.
async fn key_memory() -> Value {
    let depth: usize = std::env::var("ZKBATCH_BENCH_MEMORY_DEPTH").ok().and_then(|v| v.parse().ok()).unwrap_or(640);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let circuit = format!("merkle-{depth}");
    builtin(d, &circuit, 4);
    let key_mb = std::fs::metadata(d.join("circuit.pk")).unwrap().len() as f64 / (1 << 20) as f64;
    std::fs::write(d.join("zkbatch.toml"), format!("listen = \"127.0.0.1:0\"\n[[circuits]]\nid = \"c\"\nbuiltin = \"{circuit}\"\npk = \"circuit.pk\"\n")).unwrap();
    // The key image is made once, by a first start, as on a machine that ran a node before: the
    // nodes measured open it (making it costs the maker a heap copy of the key for a while).
    drop(Node::start(d, "zkbatch.toml", &["--workers", "0", "--database", "image.db"]));
    let mut runs = Vec::new();
    for tables in ["default", "0"] {
        for mmap in ["true", "false"] {
            let pg = Postgres::start();
            let env: Vec<(&str, &str)> = if tables == "0" { vec![("ZKBATCH_MSM_TABLE_MB", "0")] } else { Vec::new() };
            let nodes: Vec<Node> = ["x", "y"]
                .iter()
                .map(|id| Node::start_with(d, "zkbatch.toml", &["--workers", "1", "--database", &pg.url, "--node-id", id, "--mmap-keys", mmap], &env))
                .collect();
            remote(d, &nodes[0].url, "c", &format!("mem-{tables}-{mmap}"));
            let (x, y) = (memory_mb(&nodes[0].url).await, memory_mb(&nodes[1].url).await);
            runs.push(json!({ "tables": tables, "mmap_keys": mmap == "true", "resident_mb": [x.0, y.0], "pss_mb": [x.1, y.1] }));
            drop(nodes);
        }
    }
    eprintln!("\n{circuit}: key file {key_mb:.0} MiB; two nodes, 1 worker each, after 4 proofs:\n");
    eprintln!("| MSM tables | keys | RSS MiB (x, y) | PSS MiB (x, y) | PSS both nodes |");
    eprintln!("|---|---|---|---|---|");
    let f = |v: &Value| v.as_f64().unwrap();
    for r in &runs {
        let keys = if r["mmap_keys"] == true { "mapped from one image" } else { "in each heap" };
        eprintln!(
            "| {} | {keys} | {:.0}, {:.0} | {:.0}, {:.0} | {:.0} |",
            r["tables"].as_str().unwrap(), f(&r["resident_mb"][0]), f(&r["resident_mb"][1]), f(&r["pss_mb"][0]), f(&r["pss_mb"][1]),
            f(&r["pss_mb"][0]) + f(&r["pss_mb"][1])
        );
    }
    json!({ "circuit": circuit, "key_mb": key_mb, "runs": runs })
}
