SHELL := bash
.SHELLFLAGS := -euo pipefail -c

.PHONY: demo test bootstrap build test-rust test-forge bench

# The README's two commands -----------------------------------------------------------------

# Sets up the depth-20 Merkle circuit, proves a batch of proofs and verifies them (ours and snarkjs's verifier).
demo: bootstrap build
	scripts/demo.sh

# The whole test suite: Rust (prover, CLI; snarkjs checks our proofs) and forge.
test: bootstrap test-rust test-forge

# Pieces ------------------------------------------------------------------------------------

# Project-local toolchain (forge, anvil, solc, snarkjs) in .tools/bin; fast no-op when done.
bootstrap:
	scripts/bootstrap.sh

build:
	cargo build --release --locked -p zkbatch-cli

test-rust: bootstrap
	cargo test --workspace --locked

test-forge: bootstrap
	. scripts/env.sh && forge test

# Proving time against plain ark-groth16, side by side (figures in BENCHMARKS.md).
bench:
	cargo bench --locked -p zkbatch-prover --bench prove
