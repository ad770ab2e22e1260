// Renders snarkjs's own Groth16 Solidity verifier for each forge fixture key, the baseline of the gas
// benchmarks: `node scripts/gen-snarkjs-verifiers.mjs` (run by `make test-forge`). This is what
// `snarkjs zkey export solidityverifier` does once it has read the verifying key out of a zkey
// (ejs over templates/verifier_groth16.sol.ejs); our fixture keys are arkworks keys, not zkeys,
// so we hand the template the verification_key.json directly. Output: test/snarkjs/ (git-ignored).
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "tools", "package.json"));
const ejs = require("ejs");
const snarkjsDir = join(root, "tools", "node_modules", "snarkjs");
const template = readFileSync(join(snarkjsDir, "templates", "verifier_groth16.sol.ejs"), "utf8");
const out = join(root, "test", "snarkjs");
mkdirSync(out, { recursive: true });
for (const n of [1, 2, 4, 8, 16]) {
  const vk = JSON.parse(readFileSync(join(root, "test", "fixtures", `verification_key_n${n}.json`), "utf8"));
  const source = ejs.render(template, vk).replace("contract Groth16Verifier", `contract SnarkjsVerifierN${n}`);
  writeFileSync(join(out, `SnarkjsVerifierN${n}.sol`), source);
}
console.log(`snarkjs verifiers for n = 1, 2, 4, 8, 16 in ${out}`);
