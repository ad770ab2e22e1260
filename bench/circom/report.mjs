// Prints the table of `make bench-circom` from its results (one JSON object a line, several per
// circuit, merged by "circuit"). Times are medians in ms; ratios are how many times faster zkbatch's
// prover is (the other's time / zkbatch's).
import { readFileSync } from "node:fs";

const rows = new Map();
for (const line of readFileSync(process.argv[2], "utf8").split("\n")) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  rows.set(r.circuit, { ...(rows.get(r.circuit) ?? {}), ...r });
}

const t = (v) => (v == null ? "–" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const x = (a, b) => (a == null || b == null ? "–" : `${(a / b).toFixed(1)}×`);
const n = (v) => v?.toLocaleString("en-US") ?? "–";

console.log("\n| circuit | constraints | zkbatch | ark-groth16, circom reduction | snarkjs in process | snarkjs CLI | zkbatch CLI | vs snarkjs in process | vs ark-groth16 |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows.values()) {
  console.log(
    `| ${r.circuit} | ${n(r.constraints)} | ${t(r.zkbatch_ms)} | ${t(r.ark_ms)} | ${t(r.snarkjs_api_ms)} | ${t(r.snarkjs_cli_ms)} | ${t(r.zkbatch_cli_ms)} | ` +
      `${x(r.snarkjs_api_ms, r.zkbatch_ms)} | ${x(r.ark_ms, r.zkbatch_ms)} |`,
  );
}
console.log("\n| circuit | MSM engine | zkbatch: QAP / MSMs | + self-check | zkey → key (once) | cached key load | engine prepare | witness from .wasm |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows.values()) {
  console.log(
    `| ${r.circuit} | ${r.engine ?? "–"} | ${t(r.qap_ms)} / ${t(r.msm_ms)} | ${t(r.zkbatch_checked_ms)} | ${t(r.convert_ms)} | ${t(r.cached_load_ms)} | ` +
      `${t(r.prepare_ms)} | ${t(r.witness_wasm_ms)} |`,
  );
}
