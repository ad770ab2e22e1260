#!/usr/bin/env bash
# The demo behind `make demo`: set up the depth-20 Poseidon Merkle circuit, prove a batch of
# membership proofs with a bounded worker pool, verify them all, and have snarkjs check one.
# Everything lands in demo-out/ (git-ignored). COUNT and JOBS override the batch size and workers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
ZKBATCH="$ROOT/target/release/zkbatch"
OUT="$ROOT/demo-out"
COUNT="${COUNT:-16}"
JOBS="${JOBS:-2}"
rm -rf "$OUT" && mkdir -p "$OUT" && cd "$OUT"

echo "== 1. setup: Poseidon Merkle membership, depth 20"
"$ZKBATCH" setup --circuit merkle-20 --pk merkle20.pk --vk verification_key.json
echo
echo "== 2. $COUNT random members of random trees"
"$ZKBATCH" inputs --circuit merkle-20 --count "$COUNT" --out inputs
echo
echo "== 3. prove them all ($JOBS at a time)"
"$ZKBATCH" prove --pk merkle20.pk --input inputs --out proofs --jobs "$JOBS"
echo
echo "== 4. verify every proof"
"$ZKBATCH" verify --vk verification_key.json --dir proofs | tail -n 1
echo
echo "== 5. snarkjs, an independent verifier, checks one of them"
"$ROOT/.tools/bin/snarkjs" groth16 verify verification_key.json proofs/input-000.public.json proofs/input-000.proof.json
echo
echo "demo done: keys, inputs and proofs are in $OUT"
