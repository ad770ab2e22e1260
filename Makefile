SHELL := bash
.SHELLFLAGS := -euo pipefail -c

.PHONY: bootstrap test-forge

# Project-local toolchain (forge, anvil, solc, snarkjs) in .tools/bin; fast no-op when done.
bootstrap:
	scripts/bootstrap.sh

test-forge: bootstrap
	. scripts/env.sh && forge test
