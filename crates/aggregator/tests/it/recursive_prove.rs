//! Real aggregate proofs: insecure KZG setup, keygen, proving, native verification, and the
//! rendered Solidity verifier compiled with the project's solc and deployed on anvil beside
//! AggregatedProofRegistry, whose `submit` transaction's gasUsed is reported: wall time, peak
//! memory per phase and gas on stderr.
//!
//! Minutes and gigabytes per run, so ignored in CI; `make bench-aggregation` runs it.
//! `ZKBATCH_AGG_NS=1,2,4` picks the batch sizes, `ZKBATCH_AGG_K` the rows (2^k, default: each N's
//! `Shape::default_k`). Each run's figures are also merged into benchmarks/aggregation.json (keyed
//! by k and N, with the date and commit), which `make plots` draws.

use std::time::Instant;

use alloy::network::EthereumWallet;
use alloy::primitives::{Bytes, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use zkbatch_aggregator::recursive::padding::pad;
use zkbatch_aggregator::recursive::shape::Shape;
use zkbatch_aggregator::recursive::{keys, params, prove, solidity, AggregationInput};
use zkbatch_evm::deploy::deploy_aggregate;
use zkbatch_evm::solc::find_solc;
use zkbatch_evm::submit::submit_aggregate;
use zkbatch_testing::keys::key_fixture;
use zkbatch_testing::root;

use crate::aggregation_cache as cache;

fn peak_rss_gib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / (1024.0 * 1024.0)
}

/// Resets the kernel's peak-RSS counter so the next phase's peak is its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[test]
#[ignore = "minutes and several GiB per batch size: make bench-aggregation"]
fn prove_and_verify_aggregates() {
    let fixed_k: Option<u32> = std::env::var("ZKBATCH_AGG_K").ok().and_then(|k| k.parse().ok());
    let ns: Vec<usize> = std::env::var("ZKBATCH_AGG_NS")
        .unwrap_or_else(|_| "1,2".into())
        .split(',')
        .map(|n| n.trim().parse().expect("ZKBATCH_AGG_NS: comma-separated sizes"))
        .collect();
    let fixture = key_fixture(2);
    let vk = fixture.prover.key().verifying_key().clone();

    // Two chains: Cancun (forge's evm_version, so figures compare with snapshots/AggregateGas.json)
    // and Osaka (mainnet since December 2025: EIP-7883 reprices the verifier's three modexp calls).
    // The code-size limit is lifted so an over-24 KB verifier is still measured (and reported).
    let anvils: Vec<_> = ["cancun", "osaka"]
        .into_iter()
        .map(|fork| {
            let anvil = zkbatch_testing::anvil().args(["--hardfork", fork, "--code-size-limit", "100000"]).spawn();
            let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
            let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(anvil.endpoint_url());
            (fork, anvil, provider)
        })
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let solc = find_solc(Some(&root()));

    let phase = |label: &str, start: Instant| {
        let (seconds, peak) = (start.elapsed().as_secs_f64(), peak_rss_gib());
        eprintln!("  {label}: {seconds:.1} s, peak RSS {peak:.2} GiB");
        (seconds, peak)
    };

    for n in ns {
        let k = fixed_k.unwrap_or_else(|| Shape::default_k(n));
        let start = Instant::now();
        let srs = params::insecure_cached(&cache(), k).expect("KZG parameters");
        phase(&format!("KZG parameters k = {k} (insecure)"), start);
        eprintln!("N = {n}, ℓ = 2, k = {k}");
        let mut record = serde_json::json!({
            "n": n,
            "k": k,
            "default_k": k == Shape::default_k(n),
            "inputs": 2,
            "circuit_version": zkbatch_aggregator::recursive::circuit::CIRCUIT_VERSION,
        });
        let shape = Shape { k, slots: n, inputs: 2 };
        reset_peak();
        let start = Instant::now();
        let (key, generated) = keys::cached(&cache(), &srs, shape, |p| eprintln!("  .. {p}")).expect("aggregation key");
        let (seconds, peak) = phase(if generated { "keygen (vk + pk) and write" } else { "key read from cache" }, start);
        if generated {
            record["keygen_s"] = serde_json::json!(seconds);
            record["keygen_peak_gib"] = serde_json::json!(peak);
        }

        let batch = pad(&fixture.batch[..n], n).expect("pad");
        let input = AggregationInput::new(&vk, &batch).expect("loadable batch");
        reset_peak();
        let start = Instant::now();
        let witness = prove::witness(&key, &input).expect("witness");
        phase("witness", start);
        reset_peak();
        let start = Instant::now();
        let proof = prove::prove_witness(&srs, &key, witness).expect("proof");
        let (seconds, peak) = phase(&format!("prove + self-check ({} proof bytes)", proof.proof.len()), start);
        record["prove_s"] = serde_json::json!(seconds);
        record["prove_peak_gib"] = serde_json::json!(peak);
        record["proof_bytes"] = serde_json::json!(proof.proof.len());

        let mut bad = proof.clone();
        bad.instances[1] += zkbatch_aggregator::recursive::HaloFr::one();
        assert!(!prove::verify(&srs, key.vk(), &bad), "a changed input must not verify");

        let name = solidity::contract_name(shape);
        let sol = solidity::verifier_solidity(&srs, key.vk(), shape, &name).expect("verifier");
        let instances: Vec<U256> = proof.instance_words().into_iter().map(U256::from_be_bytes).collect();
        for (fork, _anvil, provider) in &anvils {
            // The same calls as `zkbatch aggregate deploy` and `zkbatch aggregate submit`.
            let (gas, runtime_size) = runtime.block_on(async {
                let (verifier, registry) = deploy_aggregate(provider, &solc, &sol, &name, n, 2).await.expect("deploy");
                let runtime_size = provider.get_code_at(verifier).await.unwrap().len();
                let receipt = submit_aggregate(provider, registry, instances.clone(), Bytes::from(proof.proof.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("submit on anvil ({fork}): {e}"));
                (receipt.gas_used, runtime_size)
            });
            eprintln!(
                "  anvil {fork}: verifier {} bytes of Solidity, {runtime_size} bytes deployed{}; calldata {} bytes; \
                 AggregatedProofRegistry.submit gasUsed {gas} (all-in: {} per proof)",
                sol.len(),
                if runtime_size > 24_576 { " (OVER EIP-170's 24,576)" } else { "" },
                proof.calldata().len(),
                gas / n as u64
            );
            record["verifier_bytes"] = serde_json::json!(runtime_size);
            record[format!("gas_{fork}")] = serde_json::json!(gas);
        }
        record_run(record);
    }
}

/// Merges one run's figures into benchmarks/aggregation.json under "k{k}_n{n}", with the date
/// and the commit they were measured at.
fn record_run(mut record: serde_json::Value) {
    let path = root().join("benchmarks/aggregation.json");
    let mut all: serde_json::Map<String, serde_json::Value> =
        std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let git = |args: &[&str]| {
        std::process::Command::new("git").args(args).current_dir(root()).output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    record["commit"] = serde_json::json!(git(&["rev-parse", "--short", "HEAD"]));
    record["date"] = serde_json::json!(std::process::Command::new("date").arg("+%F").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()));
    let key = format!("k{}_n{}", record["k"], record["n"]);
    all.insert(key, record);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("benchmarks/");
    std::fs::write(&path, serde_json::to_string_pretty(&all).expect("json") + "\n").expect("write benchmarks/aggregation.json");
}

/// `params::insecure_setup` (fixed-base tables) beside halo2's `ParamsKZG::setup`, which makes the
/// same parameters with one full scalar multiplication per point, in one run.
#[test]
#[ignore = "timing: make bench-aggregation"]
fn insecure_setup_against_halo2s() {
    use halo2_base::halo2_proofs::halo2curves::bn256::Bn256;
    use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
    use rand::SeedableRng;
    let k: u32 = std::env::var("ZKBATCH_SETUP_K").ok().and_then(|k| k.parse().ok()).unwrap_or(16);
    let start = Instant::now();
    let ours = params::insecure_setup(k);
    let ours_t = start.elapsed();
    let start = Instant::now();
    // Any seed: only the time is compared here (equality is a unit test of params.rs).
    let theirs = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::from_seed([7; 32]));
    let theirs_t = start.elapsed();
    drop((ours, theirs));
    eprintln!("KZG setup k = {k}: insecure_setup {ours_t:.2?}, halo2 ParamsKZG::setup {theirs_t:.2?} ({:.1}x)", theirs_t.as_secs_f64() / ours_t.as_secs_f64());
}
