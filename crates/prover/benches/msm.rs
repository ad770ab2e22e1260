//! MSM time, each engine side by side with arkworks' `msm_bigint`, G1 and G2:
//!
//!     cargo bench -p zkbatch-prover --bench msm            # sizes 2^10, 2^12, …, 2^20
//!     ZKBATCH_BENCH_MSM_MAX_LOG=22 cargo bench -p zkbatch-prover --bench msm   # up to 2^22
//!     ZKBATCH_BENCH_MSM_SIZES=16,20 cargo bench -p zkbatch-prover --bench msm  # chosen sizes
//!
//! Engines: arkworks (the baseline), `cpu-batch-affine` (zkbatch's engine, no tables, scalar field
//! arithmetic), `cpu-batch-affine-ifma` (the same with additions eight at a time, where the CPU has
//! AVX-512 IFMA: the engine's default there) and, up to 2^ZKBATCH_BENCH_MSM_TABLES_MAX_LOG
//! (default 16), `…+tables` (the default engine with precomputed tables for the bases, as a prover
//! gets them for its key's bases; their build time and size are printed, not counted).
//!
//! A plain timing harness, not criterion: one 2^20 G2 MSM takes seconds, and what matters on a
//! shared machine is that all engines run under the same load. So for every size the engines take
//! turns (arkworks, then each engine, repeated), each result is checked against arkworks', and the
//! table at the end gives median times and the median over rounds of arkworks' time / the
//! engine's time in the same round (above 1.0: faster than arkworks).
//! `ZKBATCH_BENCH_MSM_SECONDS` (default 8) is the time each size and group aims to take, at
//! least 3 and at most 15 rounds.

use std::time::{Duration, Instant};

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::CurveGroup;
use ark_ff::{PrimeField, UniformRand};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use rayon::prelude::*;
use zkbatch_prover::msm::{ArkworksMsm, CpuMsm, KeyBases, KeyG1, Msm};
use zkbatch_prover::ScalarBigInt;

/// Random-looking distinct points fast: a random start plus multiples of a random step, in
/// parallel runs (2^20 independent random points would take minutes of scalar multiplications).
fn points<P: SWCurveConfig>(n: usize, seed: u64) -> Vec<Affine<P>> {
    const RUN: usize = 4096;
    (0..n.div_ceil(RUN))
        .into_par_iter()
        .flat_map_iter(|run| {
            let mut rng = StdRng::seed_from_u64(seed ^ (run as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let step = Projective::<P>::rand(&mut rng);
            let mut p = Projective::<P>::rand(&mut rng);
            let len = RUN.min(n - run * RUN);
            let run: Vec<Projective<P>> = (0..len)
                .map(|_| {
                    p += step;
                    p
                })
                .collect();
            Projective::normalize_batch(&run)
        })
        .collect()
}

fn scalars(n: usize, seed: u64) -> Vec<ScalarBigInt> {
    (0..n)
        .into_par_iter()
        .with_min_len(4096)
        .map_init(|| None, |rng: &mut Option<StdRng>, i| {
            let rng = rng.get_or_insert_with(|| StdRng::seed_from_u64(seed ^ (i as u64) << 20));
            Fr::rand(rng).into_bigint()
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Row {
    group: &'static str,
    log: u32,
    arkworks: Duration,
    /// Each engine's median time, and the median over rounds of arkworks' time / the engine's
    /// time in the same round (see [`bench_group`]).
    engines: Vec<(&'static str, Duration, f64)>,
}

fn median_f64(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Repetitions so that a size takes about the same wall time whatever its cost.
fn repetitions(one_run: Duration) -> usize {
    let budget = Duration::from_secs(env_log("ZKBATCH_BENCH_MSM_SECONDS", 8).into());
    ((budget.as_secs_f64() / one_run.as_secs_f64().max(1e-6)) as usize).clamp(3, 15)
}

fn bench_group<A: Sync, G: PartialEq + std::fmt::Debug>(
    group: &'static str,
    log: u32,
    bases: &[A],
    scalars: &[ScalarBigInt],
    engines: &[&dyn Msm],
    run: impl Fn(&dyn Msm, &[A], &[ScalarBigInt]) -> G,
) -> Row {
    let time = |engine: &dyn Msm| {
        let t = Instant::now();
        let r = run(engine, bases, scalars);
        (t.elapsed(), r)
    };
    let (first, expected) = time(&ArkworksMsm);
    let reps = repetitions(first);
    let mut ark = vec![first];
    let mut ours = vec![Vec::new(); engines.len()];
    for rep in 0..reps {
        if rep > 0 {
            ark.push(time(&ArkworksMsm).0);
        }
        for (e, engine) in engines.iter().enumerate() {
            let (d, r) = time(*engine);
            assert_eq!(r, expected, "{} disagrees with arkworks on {group} 2^{log}", engine.name());
            ours[e].push(d);
        }
    }
    // Ratios are taken round by round, arkworks against each engine in the same round, so
    // that load which comes and goes on a shared machine affects both sides of each ratio alike.
    let ratio = |d: &[Duration]| median_f64(ark.iter().zip(d).map(|(a, d)| a.as_secs_f64() / d.as_secs_f64()).collect());
    let row = Row {
        group,
        log,
        arkworks: median(ark.clone()),
        engines: engines.iter().zip(ours).map(|(e, d)| (e.name(), median(d.clone()), ratio(&d))).collect(),
    };
    let engines: Vec<String> = row.engines.iter().map(|(name, d, r)| format!("{name} {:.1} ms ({r:.2}x)", ms(*d))).collect();
    println!("{group} 2^{log}: arkworks {:.1} ms, {} [{} runs]", ms(row.arkworks), engines.join(", "), reps);
    row
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn sizes() -> Vec<u32> {
    if let Ok(list) = std::env::var("ZKBATCH_BENCH_MSM_SIZES") {
        return list.split(',').filter_map(|s| s.trim().parse().ok()).collect();
    }
    (10..=env_log("ZKBATCH_BENCH_MSM_MAX_LOG", 20)).step_by(2).collect()
}

/// The engine with tables for one G1 and one G2 vector, prepared the way a prover prepares its
/// key's vectors (but built at once): calls go through the prepared-key entry points.
struct WithTables(CpuMsm);

impl Msm for WithTables {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn g1(&self, bases: &[G1Affine], scalars: &[ScalarBigInt]) -> G1Projective {
        self.0.key_g1(KeyG1::A, bases, scalars)
    }

    fn g2(&self, bases: &[G2Affine], scalars: &[ScalarBigInt]) -> G2Projective {
        self.0.key_g2(bases, scalars)
    }
}

fn env_log(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, so keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let sizes = if quick { vec![10] } else { sizes() };
    let tables_max = env_log("ZKBATCH_BENCH_MSM_TABLES_MAX_LOG", 16);
    println!("threads: {}", rayon::current_num_threads());
    let mut rows = Vec::new();
    let mut names: Vec<&'static str> = Vec::new();
    for &log in &sizes {
        let n = 1usize << log;
        let s = scalars(n, log as u64);
        let g1: Vec<G1Affine> = points(n, 1 + log as u64);
        let g2: Vec<G2Affine> = points(n, 2 + log as u64);
        let plain = CpuMsm::with_table_budget(0);
        let mut engines: Vec<Box<dyn Msm>> = vec![Box::new(CpuMsm::with_table_budget(0).scalar_arithmetic())];
        if plain.uses_ifma() {
            engines.push(Box::new(plain));
        }
        if log <= tables_max {
            // Tables wherever they make an MSM faster, whatever their build costs: this column
            // shows what they buy once built.
            let key = KeyBases { a: &g1, b_g1: &[], b_g2: &g2, h: &[], l: &[] };
            let build = |mut cpu: CpuMsm| {
                let t = Instant::now();
                cpu.prepare(&key);
                let what = if cpu.uses_ifma() { "IFMA doublings" } else { "scalar arithmetic" };
                println!("tables for 2^{log} G1 + G2 bases ({what}): {:.1} MiB, built in {:.1} s", cpu.table_bytes() as f64 / (1 << 20) as f64, t.elapsed().as_secs_f64());
                cpu
            };
            let cpu = build(CpuMsm::with_tables(usize::MAX, u32::MAX).eager());
            if cpu.uses_ifma() {
                // The baseline for the build time: the same tables built the scalar way.
                drop(build(CpuMsm::with_tables(usize::MAX, u32::MAX).eager().scalar_arithmetic()));
            }
            engines.push(Box::new(WithTables(cpu)));
        }
        let engines: Vec<&dyn Msm> = engines.iter().map(|e| e.as_ref()).collect();
        for e in &engines {
            if !names.contains(&e.name()) {
                names.push(e.name());
            }
        }
        rows.push(bench_group("G1", log, &g1, &s, &engines, |e, b, s| e.g1(b, s)));
        rows.push(bench_group("G2", log, &g2, &s, &engines, |e, b, s| e.g2(b, s)));
    }

    println!("\n| group | size | arkworks | {} |", names.iter().map(|n| format!("{n} | ratio")).collect::<Vec<_>>().join(" | "));
    println!("|---|---|---|{}", "---|---|".repeat(names.len()));
    for row in &rows {
        let cells: Vec<String> = names
            .iter()
            .map(|name| match row.engines.iter().find(|(n, _, _)| n == name) {
                Some((_, d, r)) => format!("{:.1} ms | {r:.2}", ms(*d)),
                None => "– | –".to_string(),
            })
            .collect();
        println!("| {} | 2^{} | {:.1} ms | {} |", row.group, row.log, ms(row.arkworks), cells.join(" | "));
    }
}
