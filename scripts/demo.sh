#!/usr/bin/env bash
# The demo behind `make demo`: set up the depth-20 Poseidon Merkle circuit, prove a batch of
# membership proofs with a bounded worker pool, verify them all, have snarkjs check one; then the
# whole on-chain path as a service: start anvil, deploy the registry and the circuit's verifiers,
# run `zkbatch serve` with both roles (prove and relay) on SQLite, post every input to it over HTTP
# as a job with submit, follow each to its confirmed transaction, and print gas per proof.
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
  echo "== 6. on-chain: anvil; deploy the registry and the generated single and batch verifiers; start zkbatch serve (prove + relay)"
  free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
  CHAIN_PORT="$(free_port)"
  SERVE_PORT="$(free_port)"
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
  ZKBATCH_SOLC="$ROOT/.tools/bin/solc" "$ZKBATCH" --json deploy --rpc-url "http://127.0.0.1:$CHAIN_PORT" --key-file deployer.key \
    --circuit merkle-20=verification_key.json --config-out relayer.toml --relayer-key-file relayer.key >deploy.json
  node -e '
    const d = JSON.parse(require("fs").readFileSync("deploy.json"));
    const c = d.circuits[0];
    console.log(`registry ${d.registry}, verifier ${c.verifier}, batch verifier ${c.batch_verifier}`);
    require("fs").writeFileSync("zkbatch.toml", [
      `listen = "127.0.0.1:'"$SERVE_PORT"'"`, `roles = ["prove", "relay"]`, `database = "zkbatch.db"`, `workers = '"$JOBS"'`,
      `[[circuits]]`, `id = "merkle-20"`, `builtin = "merkle-20"`, `pk = "merkle20.pk"`,
      `verifier = "${c.verifier}"`, `batch_verifier = "${c.batch_verifier}"`,
      `[relay]`, `rpc_url = "http://127.0.0.1:'"$CHAIN_PORT"'"`, `registry = "${d.registry}"`, `key_file = "relayer.key"`,
      `batch = { max_size = 16, max_wait_ms = 500 }`, ``].join("\n"));'
  "$ZKBATCH" serve --config zkbatch.toml >serve.log 2>&1 &
  pids+=($!)
  export ZKBATCH_RELAYER_URL="http://127.0.0.1:$SERVE_PORT"
  for _ in $(seq 300); do
    node -e 'fetch(process.env.ZKBATCH_RELAYER_URL + "/readyz").then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' && break
    sleep 0.2
  done
  head -n 1 serve.log
  echo
  echo "== 7. one finished proof posted alone to the relay role (a batch of one: single verification)"
  "$ZKBATCH" submit --wait proofs/input-000.proof.json proofs/input-000.public.json --circuit merkle-20
  echo
  echo "== 8. every input posted as a job with submit: proved by the service, batched on-chain (up to 16 a transaction)"
  node -e '
    const fs = require("fs");
    const base = process.env.ZKBATCH_RELAYER_URL;
    const post = (input) => fetch(base + "/v1/jobs", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ circuit: "merkle-20", input, submit: true }) }).then(r => r.json());
    const sleep = (ms) => new Promise(r => setTimeout(r, ms));
    (async () => {
      const names = fs.readdirSync("inputs").sort();
      const t0 = Date.now();
      const ids = await Promise.all(names.map(n => post(JSON.parse(fs.readFileSync("inputs/" + n))).then(a => a.id)));
      console.log(`${ids.length} jobs queued in ${Date.now() - t0} ms`);
      const jobs = [];
      for (const id of ids) {
        for (;;) {
          const j = await fetch(`${base}/v1/jobs/${id}?wait=30`).then(r => r.json());
          if (j.status === "failed") throw new Error(`job ${id} failed: ${j.error}`);
          if (j.status === "proved" && j.chain && (j.chain.status === "confirmed" || j.chain.status === "finalized" || j.chain.status === "failed")) { jobs.push(j); break; }
          await sleep(200);
        }
      }
      console.log(`all proved and on-chain in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      fs.writeFileSync("jobs.json", JSON.stringify(jobs, null, 2));
      console.log();
      console.log("== 9. gas per proof (transaction gasUsed / proofs in it, calldata and the 21,000 base included)");
      const txs = new Map();
      for (const j of jobs) txs.set(j.chain.tx_hash, j.chain);
      const byMode = {};
      for (const c of txs.values()) {
        const m = (byMode[c.batch.mode] ??= { txs: 0, proofs: 0, gas: 0 });
        m.txs++; m.proofs += c.batch.size; m.gas += c.gas_used;
      }
      console.log("mode    | transactions | proofs | gas per proof (all-in)");
      for (const [mode, m] of Object.entries(byMode))
        console.log(`${mode.padEnd(7)} | ${String(m.txs).padStart(12)} | ${String(m.proofs).padStart(6)} | ${Math.round(m.gas / m.proofs)}`);
      console.log();
      for (const j of jobs)
        console.log(`job ${j.id.slice(0, 12)}…  proved by ${j.report.node} in ${j.report.total.toFixed(0)} ms  ${j.chain.status}  block ${j.chain.block}  tx ${j.chain.tx_hash}`);
    })().catch(e => { console.error(e.message); console.error("see demo-out/serve.log"); process.exit(1); });
  '
  "$ZKBATCH" jobs "$ZKBATCH_RELAYER_URL" --limit 0

  if [[ "${AGGREGATE:-1}" != 0 ]]; then
    echo
    echo "== 10. recursive aggregation: proofs input-001 and input-002 in one halo2 proof (INSECURE test KZG setup)"
    mkdir -p aggregate-in
    for name in input-001 input-002; do cp "proofs/$name.proof.json" "proofs/$name.public.json" aggregate-in/; done
    "$ZKBATCH" aggregate --vk verification_key.json --proofs aggregate-in --out aggregate.json --insecure-params
    echo
    echo "== 11. its verifier (snark-verifier) and an AggregatedProofRegistry on anvil; submit the aggregate"
    "$ZKBATCH" solgen aggregate --slots 2 --inputs 2 --insecure-params --out AggregateVerifierN2L2K21.sol
    ZKBATCH_SOLC="$ROOT/.tools/bin/solc" "$ZKBATCH" aggregate deploy --rpc-url "http://127.0.0.1:$CHAIN_PORT" \
      --key-file deployer.key --verifier AggregateVerifierN2L2K21.sol --slots 2 --inputs 2 --json >aggregate-deploy.json
    registry="$(node -e 'console.log(JSON.parse(require("fs").readFileSync("aggregate-deploy.json")).registry)')"
    echo "AggregatedProofRegistry at $registry"
    "$ZKBATCH" aggregate submit --rpc-url "http://127.0.0.1:$CHAIN_PORT" --key-file deployer.key --registry "$registry" aggregate.json
  fi
fi
echo
echo "demo done: keys, inputs, proofs, the jobs (jobs.json) and the service's database are in $OUT"
