// snarkjs's in-process Groth16 prover, timed: what a node app that proves with snarkjs runs.
//
//   node bench/circom/snarkjs-prove.mjs ZKEY WTNS RUNS
//
// Loads snarkjs from tools/node_modules (scripts/bootstrap.sh), reads both files into memory once,
// proves once to warm up (snarkjs builds its BN254 curve and worker threads on first use), checks
// that proof against the zkey's verifying key, then times RUNS calls of groth16.prove on the
// in-memory files. Prints one JSON line: {"runs": [...ms], "median_ms": …, "min_ms": …}.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const snarkjs = await import(pathToFileURL(resolve(root, "tools/node_modules/snarkjs/main.js")).href);

const [zkeyPath, wtnsPath, runsArg] = process.argv.slice(2);
if (!zkeyPath || !wtnsPath) {
  console.error("usage: node snarkjs-prove.mjs ZKEY WTNS [RUNS]");
  process.exit(2);
}
const runs = Number(runsArg ?? 5);
// snarkjs takes {type: "mem"} objects wherever it takes file names; each call parses them afresh,
// as it does with files, but no disk read is timed.
const zkey = { type: "mem", data: new Uint8Array(readFileSync(zkeyPath)) };
const wtns = { type: "mem", data: new Uint8Array(readFileSync(wtnsPath)) };

const warm = await snarkjs.groth16.prove(zkey, wtns);
const vk = await snarkjs.zKey.exportVerificationKey(zkey);
if (!(await snarkjs.groth16.verify(vk, warm.publicSignals, warm.proof))) {
  console.error("snarkjs's own proof does not verify");
  process.exit(1);
}

const times = [];
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  await snarkjs.groth16.prove(zkey, wtns);
  times.push(performance.now() - start);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
console.log(JSON.stringify({ runs: times, median_ms: median, min_ms: sorted[0] }));
process.exit(0); // snarkjs's worker threads would keep node alive
