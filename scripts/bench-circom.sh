#!/usr/bin/env bash
# `make bench-circom`: zkbatch against snarkjs (its CLI and its in-process JS API) and plain
# ark-groth16 with the circom reduction, on the same snarkjs zkeys and witnesses, side by side in
# one run. Circuits: merkle20 (the shared vectors' circom --O2 depth-20 Poseidon Merkle circuit,
# 5,313 constraints) and chain (bench/circom/chain.circom, 65,400 constraints, a 2^16 domain),
# compiled with circom2 and set up with snarkjs here: powers of tau 2^16 made locally (one
# contribution), Groth16 setup, one phase-2 contribution. The chain setup takes minutes and is kept
# in $ZKBATCH_BENCH_DIR (default target/bench-circom); delete it to start over.
#
# Env: RUNS_SMALL (merkle20, default 10), RUNS_LARGE (chain, default 3) proofs per prover;
# CIRCUITS (default "merkle20 chain") to run a subset.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
WORK="${ZKBATCH_BENCH_DIR:-$ROOT/target/bench-circom}"
RUNS_SMALL="${RUNS_SMALL:-10}"
RUNS_LARGE="${RUNS_LARGE:-3}"
CIRCUITS="${CIRCUITS:-merkle20 chain}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$ROOT/.tools/bin"
F="$ROOT/crates/prover/tests/fixtures/merkle20"

step() { printf 'bench-circom: %s\n' "$*" >&2; }

"$ROOT/scripts/bootstrap.sh" >/dev/null
mkdir -p "$WORK"

setup_chain() {
  local dir="$WORK/chain"
  if [[ -f "$dir/chain.zkey" && -f "$dir/chain.wtns" && -f "$dir/chain_js/chain.wasm" ]]; then
    return
  fi
  step "setting up chain (65,400 constraints): circom2, powers of tau 2^16, Groth16 setup; a few minutes, once"
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$dir"
    "$BIN/circom2" "$ROOT/bench/circom/chain.circom" --r1cs --wasm --O2 -o . >/dev/null
    s() { "$BIN/snarkjs" "$@" >/dev/null; }
    s powersoftau new bn128 16 pot_0.ptau
    s powersoftau contribute pot_0.ptau pot_1.ptau --name=bench -e="zkbatch bench $RANDOM"
    s powersoftau prepare phase2 pot_1.ptau pot.ptau
    s groth16 setup chain.r1cs pot.ptau chain_0.zkey
    s zkey contribute chain_0.zkey chain.zkey --name=bench -e="zkbatch bench $RANDOM"
    echo '{"x": "3", "k": "7"}' >input.json
    s wtns calculate chain_js/chain.wasm input.json chain.wtns
    rm -f pot_0.ptau pot_1.ptau chain_0.zkey
  )
}
if [[ " $CIRCUITS " == *" chain "* ]]; then
  setup_chain
fi

step "building (release)"
cargo build --release --locked -p zkbatch-cli >&2
cargo bench --locked -p zkbatch-prover --bench circom --no-run >&2

results="$WORK/results.jsonl"
: >"$results"

# name zkey wtns runs wasm input
cases=(
  "merkle20 $F/merkle20.zkey $F/merkle20.wtns $RUNS_SMALL $F/merkle20.wasm $F/input.json"
  "chain $WORK/chain/chain.zkey $WORK/chain/chain.wtns $RUNS_LARGE $WORK/chain/chain_js/chain.wasm $WORK/chain/input.json"
)

now_ms() { date +%s%N | awk '{ printf "%.1f", $1 / 1e6 }'; }

for c in "${cases[@]}"; do
  read -r name zkey wtns runs wasm input <<<"$c"
  [[ " $CIRCUITS " == *" $name "* ]] || continue
  step "$name: zkbatch and ark-groth16 ($runs proofs each)"
  cargo bench --locked -q -p zkbatch-prover --bench circom -- "$name" "$zkey" "$wtns" "$runs" "$wasm" "$input" \
    | sed -n 's/^RESULT //p' >>"$results"

  step "$name: snarkjs in process ($runs proofs)"
  node "$ROOT/bench/circom/snarkjs-prove.mjs" "$zkey" "$wtns" "$runs" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(JSON.stringify({circuit:process.argv[1],snarkjs_api_ms:r.median_ms}))})' "$name" >>"$results"

  step "$name: snarkjs groth16 prove and zkbatch prove --zkey, as commands ($runs each)"
  tmp="$(mktemp -d)"
  cache="$tmp/cache"
  ZKBATCH_CACHE_DIR="$cache" "$TARGET/release/zkbatch" prove --zkey "$zkey" --wtns "$wtns" --proof "$tmp/p.json" --public "$tmp/q.json" >/dev/null
  cli=() ours=()
  for ((i = 0; i < runs; i++)); do
    t0=$(now_ms)
    "$BIN/snarkjs" groth16 prove "$zkey" "$wtns" "$tmp/proof.json" "$tmp/public.json" >/dev/null
    t1=$(now_ms)
    ZKBATCH_CACHE_DIR="$cache" "$TARGET/release/zkbatch" prove --zkey "$zkey" --wtns "$wtns" --proof "$tmp/p.json" --public "$tmp/q.json" >/dev/null
    t2=$(now_ms)
    cli+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    ours+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')")
  done
  "$BIN/snarkjs" zkey export verificationkey "$zkey" "$tmp/vk.json" >/dev/null
  if ! "$BIN/snarkjs" groth16 verify "$tmp/vk.json" "$tmp/q.json" "$tmp/p.json" | grep -q 'OK!'; then
    step "$name: snarkjs refused the proof zkbatch prove just wrote"
    exit 1
  fi
  node -e 'const m=a=>{a=a.map(Number).sort((x,y)=>x-y);const n=a.length;return n%2?a[(n-1)/2]:(a[n/2-1]+a[n/2])/2};
    console.log(JSON.stringify({circuit:process.argv[1],snarkjs_cli_ms:m(process.argv[2].split(" ")),zkbatch_cli_ms:m(process.argv[3].split(" "))}))' \
    "$name" "${cli[*]}" "${ours[*]}" >>"$results"
  rm -rf "$tmp"
done

node "$ROOT/bench/circom/report.mjs" "$results"
