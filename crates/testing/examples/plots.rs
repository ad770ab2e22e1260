//! `make plots`: the benchmark plots in docs/plots/, from the figures the benchmarks keep:
//! snapshots/BatchGas.json (forge: single and batch verification, all-in per proof) and
//! benchmarks/aggregation.json (`make bench-aggregation`: each aggregate's gas, proving time and
//! memory). Aggregation beyond the measured N is a least-squares line through the measured points
//! at each N's default k, drawn dashed.

use std::collections::BTreeMap;

use serde_json::Value;
use zkbatch_testing::plot::{Chart, Series};
use zkbatch_testing::root;

fn read(path: &str) -> Value {
    let file = root().join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e} (run the benchmark that writes it)", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// The least-squares line y = a + b·x through `points`.
fn fit(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let (sx, sy) = points.iter().fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (sx / n, sy / n);
    let sxx: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - b * mx, b)
}

fn main() {
    let batch = read("snapshots/BatchGas.json");
    let aggregation = read("benchmarks/aggregation.json");
    let out = root().join("docs/plots");
    std::fs::create_dir_all(&out).expect("docs/plots");

    let sizes = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
    let single = number(&batch["single_n2_tx_per_proof"]).expect("single_n2_tx_per_proof");
    let batched: Vec<(f64, f64)> =
        sizes.iter().filter_map(|n| number(&batch[format!("batch_n2_N{n}_tx_per_proof")]).map(|g| (*n, g))).collect();
    // The aggregates measured at each N's default k, circuit version 2, by N.
    let mut measured: BTreeMap<u64, &Value> = BTreeMap::new();
    for r in aggregation.as_object().expect("an object").values() {
        if r["default_k"] == true && r["circuit_version"] == 2 && r["gas_cancun"].is_number() {
            measured.insert(r["n"].as_u64().expect("n"), r);
        }
    }
    let gas: Vec<(f64, f64)> = measured.iter().map(|(n, r)| (*n as f64, number(&r["gas_cancun"]).expect("gas"))).collect();
    let (a, b) = fit(&gas);
    let last = gas.last().map_or(1.0, |p| p.0);
    let projected: Vec<(f64, f64)> = sizes.iter().filter(|n| **n >= last).map(|n| (*n, (a + b * n) / n)).collect();
    let chart = Chart {
        title: "Gas per proof, all-in, against N (2 public inputs)".into(),
        x_label: "N: proofs per transaction".into(),
        y_label: "gas per proof (21,000 + calldata + execution, / N)".into(),
        log2_x: true,
        series: vec![
            Series { name: "single (verify, one per tx)".into(), points: sizes.iter().map(|n| (*n, single)).collect(), dashed: false },
            Series { name: "batch (verifyBatch)".into(), points: batched, dashed: false },
            Series { name: "aggregate (measured, default k)".into(), points: gas.iter().map(|(n, g)| (*n, g / n)).collect(), dashed: false },
            Series { name: format!("aggregate, linear fit ({a:.0} {} {:.0}·N)", if b < 0.0 { "−" } else { "+" }, b.abs()), points: projected, dashed: true },
        ],
    };
    std::fs::write(out.join("gas-per-proof.svg"), chart.svg()).expect("write");

    let series = |field: &str| -> Vec<(f64, f64)> { measured.iter().filter_map(|(n, r)| number(&r[field]).map(|v| (*n as f64, v))).collect() };
    let fitted = |points: &[(f64, f64)]| -> Vec<(f64, f64)> {
        let (a, b) = fit(points);
        let last = points.last().map_or(1.0, |p| p.0);
        [last, 16.0, 32.0].iter().filter(|n| **n >= last).map(|n| (*n, a + b * n)).collect()
    };
    let prove = series("prove_s");
    let keygen = series("keygen_s");
    let chart = Chart {
        title: "Aggregation time against N (default k, 2 cores)".into(),
        x_label: "N: proofs per aggregate".into(),
        y_label: "seconds".into(),
        log2_x: true,
        series: vec![
            Series { name: "prove + self-check".into(), points: prove.clone(), dashed: false },
            Series { name: "keygen (once per shape)".into(), points: keygen, dashed: false },
            Series { name: "prove, linear fit".into(), points: fitted(&prove), dashed: true },
        ],
    };
    std::fs::write(out.join("aggregation-time.svg"), chart.svg()).expect("write");
    let memory = series("prove_peak_gib");
    let chart = Chart {
        title: "Aggregation peak memory against N (default k)".into(),
        x_label: "N: proofs per aggregate".into(),
        y_label: "peak RSS while proving (GiB)".into(),
        log2_x: true,
        series: vec![
            Series { name: "prove".into(), points: memory.clone(), dashed: false },
            Series { name: "linear fit".into(), points: fitted(&memory), dashed: true },
        ],
    };
    std::fs::write(out.join("aggregation-memory.svg"), chart.svg()).expect("write");
    println!("wrote docs/plots/gas-per-proof.svg, aggregation-time.svg, aggregation-memory.svg ({} aggregate sizes measured: {:?})", measured.len(), measured.keys().collect::<Vec<_>>());
    println!("aggregate gas fit: {a:.0} {} {:.0}·N; per proof at N = 16: {:.0}, N = 32: {:.0}", if b < 0.0 { "−" } else { "+" }, b.abs(), (a + 16.0 * b) / 16.0, (a + 32.0 * b) / 32.0);
    let (pa, pb) = fit(&series("prove_s"));
    let (ma, mb) = fit(&series("prove_peak_gib"));
    println!("proving time fit: {pa:.0} + {pb:.1}·N s (N = 32: {:.0} s); memory fit: {ma:.2} + {mb:.2}·N GiB (N = 16: {:.1}, N = 32: {:.1})", pa + 32.0 * pb, ma + 16.0 * mb, ma + 32.0 * mb);
}
