#!/usr/bin/env bash
# The demo behind `make demo`: set up the depth-20 Poseidon Merkle circuit, prove a batch of
# membership proofs with a bounded worker pool, verify them all, have snarkjs check one; then the
# whole on-chain path: start anvil, deploy the registry and the circuit's verifier, run the
# relayer, post every proof to it, and print gas per proof with each proof's transaction.
# Then recursive aggregation: two of the proofs in one halo2 proof (insecure test KZG setup; the
# first run makes the aggregation key, minutes, cached in ~/.cache/zkbatch), its verifier and
# AggregatedProofRegistry deployed, the aggregate submitted.
# Everything lands in demo-out/ (git-ignored). COUNT and JOBS override the batch size and workers;
# RELAY=0 skips the on-chain part, AGGREGATE=0 the aggregation.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
ZKBATCH="${ZKBATCH:-$ROOT/target/release/zkbatch}"
OUT="$ROOT/demo-out"
COUNT="${COUNT:-32}"
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
echo "== 4b. the same proofs as one batch (one multi-pairing: what the batch verifier checks on-chain)"
"$ZKBATCH" batch verify --vk verification_key.json --proofs proofs
echo
echo "== 5. snarkjs, an independent verifier, checks one of them"
"$ROOT/.tools/bin/snarkjs" groth16 verify verification_key.json proofs/input-000.public.json proofs/input-000.proof.json

if [[ "${RELAY:-1}" != 0 ]]; then
  echo
  echo "== 6. on-chain: anvil; deploy the registry and the generated single and batch verifiers; start the relayer"
  free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
  CHAIN_PORT="$(free_port)"
  RELAY_PORT="$(free_port)"
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
  "$ROOT/.tools/bin/anvil" --port "$CHAIN_PORT" >anvil.log 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    (echo >/dev/tcp/127.0.0.1/"$CHAIN_PORT") 2>/dev/null && break
    sleep 0.1
  done
  # anvil's well-known development accounts 0 (deployer) and 1 (relayer): local demo only.
  echo 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 >deployer.key
  echo 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d >relayer.key
  ZKBATCH_SOLC="$ROOT/.tools/bin/solc" "$ZKBATCH" deploy --rpc-url "http://127.0.0.1:$CHAIN_PORT" --key-file deployer.key \
    --circuit merkle-20=verification_key.json --config-out relayer.toml --relayer-key-file relayer.key
  "$ZKBATCH" relay --config relayer.toml --listen "127.0.0.1:$RELAY_PORT" --database relayer.db \
    --batch-max-size 16 --batch-max-wait-ms 500 >relayer.log 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    (echo >/dev/tcp/127.0.0.1/"$RELAY_PORT") 2>/dev/null && break
    sleep 0.1
  done
  echo
  export ZKBATCH_RELAYER_URL="http://127.0.0.1:$RELAY_PORT"
  mkdir -p receipts
  echo "== 7. one proof alone (a batch of one: the relayer's gas model picks single verification)"
  "$ZKBATCH" submit --wait proofs/input-000.proof.json proofs/input-000.public.json --circuit merkle-20
  "$ZKBATCH" submit --json --wait proofs/input-000.proof.json proofs/input-000.public.json --circuit merkle-20 >receipts/input-000.json
  echo
  echo "== 8. the other $((COUNT - 1)) at once (batches of up to 16: batch verification)"
  subs=()
  for f in proofs/*.proof.json; do
    name="$(basename "$f" .proof.json)"
    [[ $name == input-000 ]] && continue
    "$ZKBATCH" submit --json --wait "$f" "proofs/$name.public.json" --circuit merkle-20 >"receipts/$name.json" &
    subs+=($!)
  done
  failed=0
  for p in "${subs[@]}"; do wait "$p" || failed=1; done
  [[ $failed == 0 ]] || { echo "a submission failed; see demo-out/receipts and demo-out/relayer.log" >&2; exit 1; }
  echo
  echo "== 9. gas per proof (transaction gasUsed / proofs in it, calldata and the 21,000 base included)"
  node -e '
    const fs = require("fs");
    const rows = fs.readdirSync("receipts").sort().map(f => JSON.parse(fs.readFileSync("receipts/" + f)));
    const txs = new Map();
    for (const r of rows) txs.set(r.tx_hash, r);
    const byMode = {};
    for (const r of txs.values()) {
      const m = (byMode[r.batch.mode] ??= { txs: 0, proofs: 0, gas: 0 });
      m.txs++; m.proofs += r.batch.size; m.gas += r.gas_used;
    }
    console.log("mode    | transactions | proofs | gas per proof (all-in)");
    for (const [mode, m] of Object.entries(byMode))
      console.log(`${mode.padEnd(7)} | ${String(m.txs).padStart(12)} | ${String(m.proofs).padStart(6)} | ${Math.round(m.gas / m.proofs)}`);
    console.log();
    for (const r of rows) console.log(`${r.id.slice(0, 18)}…  ${r.status}  block ${r.block}  tx ${r.tx_hash}`);
  '

  if [[ "${AGGREGATE:-1}" != 0 ]]; then
    echo
    echo "== 10. recursive aggregation: proofs input-001 and input-002 in one halo2 proof (INSECURE test KZG setup)"
    mkdir -p aggregate-in
    for name in input-001 input-002; do cp "proofs/$name.proof.json" "proofs/$name.public.json" aggregate-in/; done
    "$ZKBATCH" aggregate --vk verification_key.json --proofs aggregate-in --out aggregate.json --insecure-params
    echo
    echo "== 11. its verifier (snark-verifier) and an AggregatedProofRegistry on anvil; submit the aggregate"
    "$ZKBATCH" solgen aggregate --slots 2 --inputs 2 --insecure-params --out AggregateVerifierN2L2K20.sol
    ZKBATCH_SOLC="$ROOT/.tools/bin/solc" "$ZKBATCH" aggregate deploy --rpc-url "http://127.0.0.1:$CHAIN_PORT" \
      --key-file deployer.key --verifier AggregateVerifierN2L2K20.sol --slots 2 --inputs 2 --json >aggregate-deploy.json
    registry="$(node -e 'console.log(JSON.parse(require("fs").readFileSync("aggregate-deploy.json")).registry)')"
    echo "AggregatedProofRegistry at $registry"
    "$ZKBATCH" aggregate submit --rpc-url "http://127.0.0.1:$CHAIN_PORT" --key-file deployer.key --registry "$registry" aggregate.json
  fi
fi
echo
echo "demo done: keys, inputs, proofs and the relayer database are in $OUT"
