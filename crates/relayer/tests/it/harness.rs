//! The real parts every end-to-end test uses: anvil (from the project's toolchain), a small
//! circuit's keys and proofs from our prover, the verifier generated for that key compiled with
//! solc and deployed, the registry deployed, a relayer (in process or as its own process) on a
//! real SQLite file, and an HTTP client. Nothing is mocked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::node_bindings::AnvilInstance;
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use alloy::transports::http::reqwest;
use ark_std::rand::{rngs::StdRng, SeedableRng};

use zkbatch_evm::bindings::ProofRegistry;
use zkbatch_evm::deploy::{deploy_registry, deploy_source};
use zkbatch_evm::solc::find_solc;
use zkbatch_prover::circuits::SquaresCircuit;
use zkbatch_prover::snarkjs::{public_to_json, ProofJson};
use zkbatch_prover::{Prover, ProvingKey};
use zkbatch_relayer::config::{BatchConfig, CircuitConfig, Config, FeeConfig, HttpConfig, QueueConfig, RetryConfig, VerifyConfig};
use zkbatch_solgen::{groth16_batch_verifier, groth16_verifier, VerifierError, VerifierOptions};

pub(crate) const CIRCUIT: &str = "squares-2";

pub(crate) fn anvil(block_time: Option<u64>) -> AnvilInstance {
    let mut a = zkbatch_testing::anvil();
    if let Some(b) = block_time {
        a = a.block_time(b);
    }
    a.spawn()
}

/// A squares-2 key and proofs from it.
pub(crate) struct Circuit {
    pub(crate) vk_path: PathBuf,
    pub(crate) vk: zkbatch_prover::VerifyingKey,
    prover: Prover,
    rng: StdRng,
}

impl Circuit {
    pub(crate) fn new(dir: &Path, seed: u64) -> Circuit {
        let mut rng = StdRng::seed_from_u64(seed);
        let pk = ProvingKey::setup(CIRCUIT, SquaresCircuit { inputs: 2, roots: None }, &mut rng).expect("setup");
        let vk = pk.verifying_key().clone();
        let vk_path = dir.join("verification_key.json");
        zkbatch_prover::snarkjs::write_verifying_key(&vk_path, &vk).expect("write vk");
        Circuit { vk_path, vk, prover: Prover::new(Arc::new(pk)).expect("prover"), rng }
    }

    /// A fresh valid proof and its public signals, as snarkjs JSON.
    pub(crate) fn proof(&mut self) -> (ProofJson, Vec<String>) {
        let circuit = SquaresCircuit::random(2, &mut self.rng);
        let (proof, public, _) = self.prover.prove(circuit, &mut self.rng).expect("prove");
        (ProofJson::from_proof(&proof), public_to_json(&public))
    }
}

pub(crate) fn body(circuit: &str, proof: &ProofJson, public: &[String]) -> String {
    serde_json::json!({ "circuit": circuit, "proof": proof, "public": public }).to_string()
}

/// Anvil with the registry and the circuit's verifier deployed.
pub(crate) struct Chain {
    pub(crate) anvil: AnvilInstance,
    pub(crate) provider: DynProvider,
    pub(crate) registry: Address,
    pub(crate) verifier: Address,
    pub(crate) batch_verifier: Address,
    /// The relayer's key (anvil's account 1; account 0 deploys).
    pub(crate) relayer_key: String,
}

impl Chain {
    pub(crate) async fn start(circuit: &Circuit, block_time: Option<u64>) -> Chain {
        // RUST_LOG=zkbatch_relayer=debug shows the relayer's log in a failing test's output.
        let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_test_writer().try_init();
        Chain::deploy(circuit, anvil(block_time)).await
    }

    /// Resets the chain as a developer restarts anvil: the node is killed and a new one, without
    /// the old state, listens on the same port; the contracts are deployed again, at the same
    /// addresses (same deployer, same nonces).
    pub(crate) async fn reset(self, circuit: &Circuit) -> Chain {
        let (port, registry, verifier) = (self.anvil.port(), self.registry, self.verifier);
        drop(self);
        // anvil's genesis block carries its start time in seconds: a restart within the same
        // second would make the very same genesis block.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let chain = Chain::deploy(circuit, zkbatch_testing::anvil().port(port).spawn()).await;
        assert_eq!((chain.registry, chain.verifier), (registry, verifier), "contracts at the same addresses");
        chain
    }

    /// Anvil keeping its chain in `state` (`anvil --state`: loaded at start, written at exit),
    /// with the contracts deployed.
    pub(crate) async fn start_with_state(circuit: &Circuit, state: &Path) -> Chain {
        Chain::deploy(circuit, zkbatch_testing::anvil().arg("--state").arg(state).spawn()).await
    }

    /// Restarts a node started by [`Chain::start_with_state`] as an operator does: SIGTERM (it
    /// writes its chain to `state`), then a new node on the same port from that file. Blocks and
    /// accounts survive; the transaction pool does not.
    pub(crate) async fn restart(mut self, state: &Path) -> Chain {
        let port = self.anvil.port();
        let pid = self.pid().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        self.anvil.child_mut().wait().expect("anvil exits");
        assert!(state.exists(), "anvil wrote its state on exit");
        let anvil = zkbatch_testing::anvil().port(port).arg("--state").arg(state).spawn();
        self.anvil = anvil;
        self
    }

    async fn deploy(circuit: &Circuit, anvil: AnvilInstance) -> Chain {
        let deployer: PrivateKeySigner = anvil.keys()[0].clone().into();
        let provider = ProviderBuilder::new().wallet(EthereumWallet::from(deployer)).connect_http(anvil.endpoint_url()).erased();
        let registry = deploy_registry(&provider).await.expect("deploy registry");
        // The circuit's generated verifiers, single and batch, compiled with the project's solc.
        let solc = find_solc(Some(&zkbatch_testing::root()));
        let mut deployed = Vec::new();
        let generators: [(_, fn(&_, &_) -> Result<String, VerifierError>); 2] =
            [(VerifierOptions::single(), groth16_verifier), (VerifierOptions::batch(), groth16_batch_verifier)];
        for (options, generate) in generators {
            let source = generate(&circuit.vk, &options).expect("render the verifier");
            deployed.push(deploy_source(&provider, &solc, &source, &options.contract_name).await.expect("deploy the verifier"));
        }
        let (verifier, batch_verifier) = (deployed[0], deployed[1]);
        let relayer_key = alloy::hex::encode(anvil.keys()[1].to_bytes());
        Chain { anvil, provider, registry, verifier, batch_verifier, relayer_key }
    }

    /// `ProofVerified` events from the registry, counted per proof key.
    pub(crate) async fn verified(&self) -> HashMap<B256, usize> {
        let filter = Filter::new().address(self.registry).event_signature(ProofRegistry::ProofVerified::SIGNATURE_HASH).from_block(0);
        let logs = self.provider.get_logs(&filter).await.expect("eth_getLogs");
        let mut counts = HashMap::new();
        for log in logs {
            let key = log.topics()[1];
            *counts.entry(key).or_insert(0) += 1;
        }
        counts
    }

    /// Asks the registry, as an application contract would, whether a landed proof's statement
    /// is verified, with the `registry_check` its status gives; and whether the same arguments
    /// with other inputs are (they must not be).
    pub(crate) async fn statement_verified(&self, status: &serde_json::Value) -> (bool, bool) {
        let c = &status["registry_check"];
        assert_eq!(c["registry"].as_str().map(str::to_lowercase), Some(format!("{:#x}", self.registry)), "{status}");
        let word = |v: &serde_json::Value| v.as_str().expect("a hex word").parse::<B256>().expect("32 bytes");
        let path: Vec<B256> = c["path"].as_array().expect("a path").iter().map(word).collect();
        let index = alloy::primitives::U256::from(c["index"].as_u64().expect("an index"));
        let width = alloy::primitives::U256::from(c["width"].as_u64().expect("a width"));
        let key: alloy::primitives::U256 = word(&c["key"]).into();
        let registry = ProofRegistry::new(self.registry, &self.provider);
        let ask = |inputs_hash: B256| registry.isVerified(key, inputs_hash, index, width, path.clone());
        let ours = ask(word(&c["inputs_hash"])).call().await.expect("isVerified");
        let other = ask(B256::repeat_byte(7)).call().await.expect("isVerified");
        (ours, other)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.anvil.child().id()
    }

    /// One JSON-RPC call to anvil (its test methods: `anvil_reorg`, `evm_snapshot`, …).
    pub(crate) async fn rpc(&self, method: &'static str, params: serde_json::Value) -> serde_json::Value {
        self.provider.raw_request(method.into(), params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// Waits until every id has landed, then checks each has exactly one `ProofVerified` event on
    /// the canonical chain and that no other proof has one; returns the final statuses in order.
    pub(crate) async fn landed_exactly_once(&self, http: &Http, ids: &[String], limit: Duration) -> Vec<serde_json::Value> {
        let done = http.wait_final(ids, limit).await;
        let events = self.verified().await;
        for id in ids {
            assert!(landed(&done[id]["status"]), "{}", done[id]);
            assert_eq!(events.get(&id.parse::<B256>().expect("key")).copied(), Some(1), "proof {id}: events on the canonical chain");
        }
        assert_eq!(events.len(), ids.iter().collect::<std::collections::HashSet<_>>().len(), "events for proofs never accepted: {events:?}");
        ids.iter().map(|id| done[id].clone()).collect()
    }
}

/// A relayer configuration for the test's chain: both verifiers, so the gas model picks (single
/// for a batch of one, batch verification from two proofs on).
pub(crate) fn config(dir: &Path, chain: &Chain, circuit: &Circuit) -> Config {
    let key_file = dir.join("relayer.key");
    std::fs::write(&key_file, &chain.relayer_key).expect("write key");
    Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        database: dir.join("relayer.db"),
        rpc_url: chain.anvil.endpoint(),
        registry: chain.registry,
        key_file: Some(key_file),
        key_env: zkbatch_relayer::config::DEFAULT_KEY_ENV.into(),
        confirmations: 1,
        finality_depth: None,
        batch: BatchConfig { max_size: 8, max_wait_ms: 200, max_in_flight: 4 },
        queue: QueueConfig::default(),
        http: HttpConfig::default(),
        verify: VerifyConfig::default(),
        fees: FeeConfig::default(),
        retry: RetryConfig { initial_backoff_ms: 100, max_backoff_ms: 1_000, rpc_timeout_ms: 2_000, max_reverts: 3, orphan_after_ms: 120_000 },
        circuits: vec![CircuitConfig { id: CIRCUIT.into(), vk: Some(circuit.vk_path.clone()), verifier: chain.verifier, batch_verifier: Some(chain.batch_verifier), mode: Default::default(), aggregate: None, max_latency_s: None }],
    }
}

pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<String>,
    pub(crate) json: serde_json::Value,
    pub(crate) text: String,
}

impl Http {
    pub(crate) fn new(base: String) -> Http {
        Http { client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client"), base }
    }

    /// A client whose connections come from `local` (another loopback address: another client
    /// as the relayer sees it).
    pub(crate) fn from_address(base: String, local: std::net::IpAddr) -> Http {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).local_address(local).build().expect("client");
        Http { client, base }
    }

    pub(crate) async fn post(&self, path: &str, body: String) -> Result<Reply, reqwest::Error> {
        let r = self.client.post(format!("{}{path}", self.base)).header("content-type", "application/json").body(body).send().await?;
        Self::reply(r).await
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Reply, reqwest::Error> {
        let r = self.client.get(format!("{}{path}", self.base)).send().await?;
        Self::reply(r).await
    }

    async fn reply(r: reqwest::Response) -> Result<Reply, reqwest::Error> {
        let status = r.status().as_u16();
        let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(String::from);
        let text = r.text().await?;
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Ok(Reply { status, retry_after, json, text })
    }

    /// Posts `n` fresh valid proofs of `circuit`, each answered `202`; returns their ids.
    pub(crate) async fn post_proofs(&self, circuit: &mut Circuit, n: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let (p, x) = circuit.proof();
            let r = self.post("/v1/proofs", body(CIRCUIT, &p, &x)).await.expect("POST");
            assert_eq!(r.status, 202, "{}", r.text);
            ids.push(r.json["id"].as_str().expect("id").to_string());
        }
        ids
    }

    /// Polls every id until each has `status`; panics after `limit`.
    pub(crate) async fn wait_status(&self, ids: &[String], status: &str, limit: Duration) {
        let start = Instant::now();
        for id in ids {
            loop {
                let r = self.get(&format!("/v1/proofs/{id}")).await.expect("GET");
                if r.json["status"] == status {
                    break;
                }
                assert!(start.elapsed() < limit, "{id} never {status}: {}", r.text);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Polls every id until each is confirmed (or failed); panics after `limit`, which is a
    /// bound against hanging forever, not a speed requirement.
    pub(crate) async fn wait_final(&self, ids: &[String], limit: Duration) -> HashMap<String, serde_json::Value> {
        let start = Instant::now();
        let mut done = HashMap::new();
        while done.len() < ids.len() {
            for id in ids {
                if done.contains_key(id) {
                    continue;
                }
                if let Ok(r) = self.get(&format!("/v1/proofs/{id}")).await {
                    let s = r.json["status"].as_str().unwrap_or("");
                    if landed_str(s) || s == "failed" {
                        done.insert(id.clone(), r.json);
                    }
                }
            }
            assert!(start.elapsed() < limit, "only {} of {} proofs reached an end within {limit:?}", done.len(), ids.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        done
    }
}

/// Whether a proof's status says its transaction is in the chain: confirmed, or finalized once
/// `finality_depth` deep.
pub(crate) fn landed(status: &serde_json::Value) -> bool {
    status.as_str().is_some_and(landed_str)
}

fn landed_str(s: &str) -> bool {
    s == "confirmed" || s == "finalized"
}

/// A relayer process, killed when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the `zkbatch-relayer` binary on `config_path`, its log appended to `log`.
pub(crate) fn spawn_relayer(config_path: &std::path::Path, log: &std::path::Path) -> Process {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    Process(
        Command::new(env!("CARGO_BIN_EXE_zkbatch-relayer"))
            .args(["--config", config_path.to_str().unwrap()])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start zkbatch-relayer"),
    )
}

/// Waits until `/healthz` answers 200 (30 s at most).
pub(crate) async fn wait_healthy(http: &Http) {
    for _ in 0..600 {
        if http.get("/healthz").await.is_ok_and(|r| r.status == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the relayer did not come up");
}

