SHELL := bash
.SHELLFLAGS := -euo pipefail -c

.PHONY: demo test bootstrap build lint test-rust test-forge bench fixtures bindings gas-snapshot bench-circom bench-msm bench-relayer

# The README's two commands -----------------------------------------------------------------

# Sets up the depth-20 Merkle circuit, proves a batch of proofs and verifies them (ours and snarkjs's verifier).
demo: bootstrap build
	scripts/demo.sh

# The whole test suite: the lints, Rust (prover, CLI; snarkjs checks our proofs) and forge.
test: bootstrap lint test-rust test-forge

# Pieces ------------------------------------------------------------------------------------

# Project-local toolchain (forge, anvil, solc, snarkjs) in .tools/bin; fast no-op when done.
bootstrap:
	scripts/bootstrap.sh

build:
	cargo build --release --locked -p zkbatch-cli

# The workspace's lints that only clippy checks (every unsafe block documented): a failure is a
# denied lint; clippy's other advice prints as warnings.
lint:
	cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
	cargo clippy --workspace --all-targets --locked

test-rust: bootstrap
	cargo test --workspace --locked

# Hostile input at scale: the mutation tests that CI runs with 64 cases each (every prover parser,
# crates/prover/tests/hostile; the relayer's intake), with PROPTEST_CASES (default 20000) each.
.PHONY: fuzz
fuzz:
	PROPTEST_CASES=$${PROPTEST_CASES:-20000} cargo test --release --locked -p zkbatch-prover --test hostile
	PROPTEST_CASES=$${PROPTEST_CASES:-20000} cargo test --release --locked -p zkbatch-relayer --test it -- mutated_requests
	PROPTEST_CASES=$${PROPTEST_CASES:-20000} cargo test --release --locked -p zkbatch-service --lib -- mutated_job_requests

# Load and faults together, long: ZKBATCH_CHAOS_PROOFS (default 2000) posted without pause while the
# relayer is SIGKILLed, anvil stopped and a reorg happens; prints its report (CI runs 96 proofs).
.PHONY: chaos
chaos: bootstrap
	ZKBATCH_CHAOS_PROOFS=$${ZKBATCH_CHAOS_PROOFS:-2000} cargo test --release --locked -p zkbatch-relayer --test it -- chaos --nocapture

# forge tests, then the gas benchmarks against .gas-snapshot (the baselines' verifiers are rendered
# by snarkjs's own template first).
test-forge: bootstrap
	node scripts/gen-snarkjs-verifiers.mjs
	. scripts/env.sh && forge test && forge snapshot --check

# Rewrites .gas-snapshot after a deliberate gas change (review the diff).
gas-snapshot: bootstrap
	node scripts/gen-snarkjs-verifiers.mjs
	. scripts/env.sh && forge snapshot

# Regenerates the forge fixtures (verifiers, proofs, Poseidon contracts and vectors) and the
# generated contracts (Poseidon, verifier interfaces) with our prover and generators.
fixtures:
	ZKBATCH_UPDATE_FIXTURES=1 cargo test --locked -p zkbatch-solgen --test it fixtures::

# Regenerates the ABI (and registry bytecode) the Rust bindings are built from, crates/evm/abi/,
# from forge's artifacts of contracts/ (a test fails when they are stale).
bindings: bootstrap
	ZKBATCH_UPDATE_BINDINGS=1 cargo test --locked -p zkbatch-evm --test it bindings::

# Proving time against plain ark-groth16, side by side (figures in BENCHMARKS.md).
bench:
	cargo bench --locked -p zkbatch-prover --bench prove

# circom circuits: zkbatch vs snarkjs (CLI and in-process API) and ark-groth16 with the circom
# reduction, same zkey and witness; sets up a 2^16-constraint circuit once (figures in BENCHMARKS.md).
bench-circom: bootstrap
	scripts/bench-circom.sh

# MSM engines against arkworks' MSM, G1 and G2, 2^10 to 2^20 (figures in BENCHMARKS.md).
# ZKBATCH_BENCH_MSM_MAX_LOG=22 adds 2^22; ZKBATCH_BENCH_MSM_SIZES=16,20 picks sizes.
bench-msm:
	cargo bench --locked -p zkbatch-prover --bench msm

# A pairing check's cost: one proof alone against batches of 1 to 64 in one RLC check, one thread
# (figures in BENCHMARKS.md; the relayer's intake batch sizing is modelled on them).
.PHONY: bench-verify
bench-verify:
	cargo bench --locked -p zkbatch-prover --bench verify

# The relayer under load (release build): ZKBATCH_BENCH_PROOFS proofs (default 10,000) posted over HTTP
# by 64 clients to relayers on anvil + SQLite; intake checked one by one and in micro-batches, with 0, 10
# and 50 % bad proofs and under a hostile client; accepted/s, p50/p99 latency, proofs per pairing check;
# confirmed/s and gas per proof (figures in BENCHMARKS.md).
bench-relayer: bootstrap
	cargo test --release --locked -p zkbatch-relayer --test it load:: -- --ignored --nocapture

# The proving service against the CLI: ZKBATCH_BENCH_JOBS inputs (default 64) of merkle-20 and of the
# circom merkle20 fixture, proved by `zkbatch prove --jobs 2` and by `zkbatch serve` (one node, two
# nodes on PostgreSQL); proofs/s, p50/p99 latency, resident memory (figures in BENCHMARKS.md).
.PHONY: bench-serve
bench-serve: bootstrap
	cargo test --locked -p zkbatch-cli --test it serve_bench:: -- --ignored --nocapture

# The job queue's coordination ceiling on one PostgreSQL (installed by the test when missing, as
# root): the job table's real cycle (post, claim, heartbeat, complete) with 1, 8, 32 and 64 workers,
# proving replaced by a fixed sleep (ZKBATCH_BENCH_QUEUE_SLEEP_MS, default 20; then 0); cycles/s,
# claim and complete latency, the server's commits/s and CPU (figures in BENCHMARKS.md).
.PHONY: bench-queue
bench-queue:
	cargo test --locked -p zkbatch-cli --test it queue_bench:: -- --ignored --nocapture

# Recursive aggregation: the full halo2 circuit (pairing check) under MockProver, N = 1 and 2 valid,
# and the invalid cases (also in `make test`), plus N = 4 (ignored there), alone, with cell counts,
# columns and times on stderr. ZKBATCH_AGG_K picks 2^k rows.
.PHONY: test-aggregation
test-aggregation:
	cargo test --locked -p zkbatch-aggregator --test it recursive_mock:: -- --include-ignored --test-threads=1 --nocapture

# Recursive aggregation, real proofs (and the insecure KZG setup timed beside halo2's): insecure KZG setup, keygen (cached), proving, native checks
# and gas on anvil through AggregatedProofRegistry, for N = ZKBATCH_AGG_NS (default 1,2,4), with
# wall time and peak memory per phase on stderr (figures in BENCHMARKS.md). Minutes per N. The test
# profile builds dependencies (halo2, all the proving work) at opt-level 3, as release would.
# The benchmark plots in docs/plots/ (SVG): gas per proof against N for single, batch and
# aggregate (snapshots/BatchGas.json, benchmarks/aggregation.json), aggregation time and memory.
.PHONY: plots
plots:
	cargo run --locked -p zkbatch-testing --example plots

# Aggregates through the relayer (zkbatch serve with the prove, relay and aggregate roles on anvil)
# for N = 2, 4, 8 (ZKBATCH_AGG_RELAY_NS): proving time, gas, latency; benchmarks/aggregate-relay.json.
.PHONY: bench-aggregate-relay
bench-aggregate-relay: bootstrap
	ZKBATCH_AGG_RELAY_NS=$${ZKBATCH_AGG_RELAY_NS:-2,4,8} cargo test --locked -p zkbatch-cli --test it aggregate_relay::bench -- --ignored --nocapture

.PHONY: bench-aggregation fixtures-aggregate
bench-aggregation: bootstrap
	ZKBATCH_AGG_NS=$${ZKBATCH_AGG_NS:-1,2,4} cargo test --locked -p zkbatch-aggregator --test it recursive_prove:: -- --ignored --nocapture

# Regenerates the checked-in aggregate proof fixture (test/fixtures/AggregateVerifierN2L2K21.sol,
# AggregateFixtureN2L2K21.sol, aggregate_n2_l2_k21.json): one aggregate proof of N = 2 (minutes).
fixtures-aggregate:
	cargo test --locked -p zkbatch-aggregator --test it recursive_fixture::regenerate_fixture -- --ignored --nocapture
