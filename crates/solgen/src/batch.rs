//! `Groth16BatchVerifier`: N proofs of one verifying key checked with one pairing call of N + 3
//! pairs, by a random linear combination whose challenges are bound to the whole batch.
//!
//! For proofs (Aᵢ, Bᵢ, Cᵢ) with inputs xᵢ and challenges rᵢ, the batch is valid iff
//!
//!   Πᵢ e(rᵢ·Aᵢ, Bᵢ) · e(R·α, −β) · e(L, −γ) · e(C*, −δ) = 1,
//!
//! where R = Σ rᵢ, C* = Σ rᵢ·Cᵢ and L = Σ rᵢ·Lᵢ = R·IC₀ + Σⱼ sⱼ·ICⱼ with sⱼ = Σᵢ rᵢ·xᵢⱼ mod r:
//! the inputs are folded in the scalar field first, so the inputs cost n + 1 ecMuls whatever N is.
//! Per proof that leaves one pairing pair, two ecMuls (rᵢ·Aᵢ, rᵢ·Cᵢ) and one ecAdd.
//!
//! The challenges are Fiat–Shamir (see [`BATCH_DOMAIN`]): r₀ = 1 and rᵢ (i ≥ 1) the low 128 bits of
//! keccak256(seed ‖ i), seed = keccak256(domain ‖ vk hash ‖ N ‖ every proof ‖ every input). A
//! prover who fixes the batch fixes the challenges, so false statements cannot be chosen to cancel
//! out (each invalid proof contributes a non-trivial factor raised to an unpredictable 128-bit
//! exponent). zkbatch-aggregator computes the same transcript natively.
//!
//! Unlike the single verifier, ecMul and ecAdd here see the caller's points, so each call's
//! success is checked; each gets exactly its price in gas, so an invalid point costs the caller
//! little before the revert.

use std::fmt::Write;

use ark_bn254::Fr;

use crate::evm::{g1_words, g2_words, hex, modulus_hex, vk_hash, Word};
use crate::verifier::{check_name, VerifierError};
use crate::yul::{push_indented, revert};
use zkbatch_prover::VerifyingKey;

/// The transcript's domain separator: these bytes, right-padded with zeros to one word.
pub const BATCH_DOMAIN: &[u8; 24] = b"zkbatch.groth16.batch.v1";

/// The domain separator as the transcript's first word.
pub fn domain_word() -> Word {
    let mut w = [0u8; 32];
    w[..BATCH_DOMAIN.len()].copy_from_slice(BATCH_DOMAIN);
    w
}

#[derive(Clone, Debug)]
pub struct BatchVerifierOptions {
    pub contract_name: String,
}

impl Default for BatchVerifierOptions {
    fn default() -> Self {
        BatchVerifierOptions { contract_name: "Groth16BatchVerifier".into() }
    }
}

/// The errors the contract reverts with, as (declaration, doc comment).
pub const BATCH_ERRORS: [(&str, &str); 5] = [
    ("EmptyBatch()", "The batch has no proofs."),
    ("BatchLengthMismatch()", "`proofs` and `inputs` have different lengths."),
    ("PublicInputNotInField()", "A public input is not a canonical scalar-field element (it is ≥ r)."),
    (
        "InvalidProofPoint()",
        "A proof point is not a canonical curve point (a coordinate ≥ p, off the curve, or B outside \
         G2), or a precompile ran out of gas.",
    ),
    ("BatchInvalid()", "The pairing check failed: at least one proof is not valid for its inputs."),
];

/// Folded inputs sⱼ live in memory from here: stack variables would cost a few gas less per
/// input but run into legacy code generation's 16 reachable stack slots.
const FOLDS: usize = 0xe0;

/// Gas for each ecMul and ecAdd call: their exact prices (EIP-1108).
const ECMUL_GAS: u32 = 6000;
const ECADD_GAS: u32 = 150;

/// Checks the batch's lengths (`count` is N) and leaves the seed at 0x00.
/// Memory while hashing: 0x00 domain, 0x20 vk hash, 0x40 N, 0x60 the proofs (N × 0x100 bytes),
/// then the inputs (N × n words).
fn seed(n: usize) -> String {
    format!(
        r#"let count := proofs.length
if iszero(count) {{ {empty} }}
if iszero(eq(inputs.length, count)) {{ {mismatch} }}
{{
    mstore(0x00, DOMAIN)
    mstore(0x20, VK_HASH)
    mstore(0x40, count)
    let proofBytes := shl(8, count)
    calldatacopy(0x60, proofs.offset, proofBytes)
    let inputBytes := mul(count, {stride:#x})
    calldatacopy(add(0x60, proofBytes), inputs.offset, inputBytes)
    mstore(0x00, keccak256(0x00, add(0x60, add(proofBytes, inputBytes))))
}}
"#,
        empty = revert("EmptyBatch()"),
        mismatch = revert("BatchLengthMismatch()"),
        stride = 0x20 * n,
    )
}

/// rᵢ for the index stored at 0x20 (seed at 0x00).
const CHALLENGE: &str = "and(keccak256(0x00, 0x40), MASK128)";

/// The verification body: on exit `ok` (every precompile call succeeded), `valid` (every input
/// < r) and mload(0x00) the pairing's verdict.
///
/// Memory after the seed (pairs of the pairing input are 0xc0 bytes: G1 x, y; G2 x1, x0, y1, y0):
///   0x000  seed
///   0x020  i                     keccak256(0x00, 0x40) → rᵢ
///   0x040  C*.x C*.y              Σ rᵢ·Cᵢ so far; the ecAdd input is 0x040..0x0c0
///   0x080  Cᵢ.x Cᵢ.y rᵢ           ecMul input, its output at 0x080
///   0x0e0  s₁..sₙ                 the folded inputs
///   PAIRS  (rᵢ·Aᵢ, Bᵢ) for each i, then (R·α, −β), (L, −γ), (C*, −δ)
/// rᵢ·Aᵢ is computed in its pair: ecMul reads (Aᵢ, rᵢ) from the pair's first 0x60 bytes and writes
/// 0x40, then Bᵢ overwrites rᵢ. L is accumulated the same way in its pair with (ICⱼ, sⱼ) as scratch.
fn body(out: &mut String, vk: &VerifyingKey, indent: &str) {
    let n = vk.gamma_abc_g1.len() - 1;
    let fold = |j: usize| FOLDS + 0x20 * j;
    let pairs = fold(n);
    let stride = 0x20 * n;
    let mut s = format!(
        r#"// Memory. While hashing: 0x000 domain, 0x020 VK_HASH, 0x040 N, 0x060 the proofs, then the inputs.
// Then: 0x000 seed, 0x020 i (keccak256(0x00, 0x40) → rᵢ)
//       0x040 C*.x C*.y     Σ rᵢ·Cᵢ so far; ecAdd input 0x040..0x0c0
//       0x080 Cᵢ.x Cᵢ.y rᵢ  ecMul input, output at 0x080
//       0x0e0 s₁..sₙ        folded inputs Σᵢ rᵢ·xᵢⱼ mod r
//       {pairs:#05x} pairing input, 0xc0 per pair: (rᵢ·Aᵢ, Bᵢ) for each i, then (R·α, −β), (L, −γ), (C*, −δ)
"#
    );
    s.push_str(&seed(n));
    let _ = write!(
        s,
        r#"let ok := 1
let valid := 1
let sum := 1
// proof 0, r₀ = 1: A₀ and B₀ as they are, C* = C₀
calldatacopy({pairs:#x}, proofs.offset, 0xc0)
calldatacopy(0x40, add(proofs.offset, 0xc0), 0x40)
"#
    );
    for j in 0..n {
        let _ = writeln!(
            s,
            "{{ let v := calldataload(add(inputs.offset, {:#x})) valid := and(valid, lt(v, R)) mstore({:#x}, v) }}",
            0x20 * j,
            fold(j)
        );
    }
    let _ = write!(
        s,
        r#"let end := add(proofs.offset, shl(8, count))
let x := add(inputs.offset, {stride:#x})
let slot := {slot1:#x}
let i := 1
for {{ let p := add(proofs.offset, 0x100) }} lt(p, end) {{ p := add(p, 0x100) }} {{
    mstore(0x20, i)
    let r := {CHALLENGE}
    sum := add(sum, r)
    // rᵢ·Aᵢ into the pair, then Bᵢ
    calldatacopy(slot, p, 0x40)
    mstore(add(slot, 0x40), r)
    ok := and(ok, staticcall({ECMUL_GAS}, 0x07, slot, 0x60, slot, 0x40))
    calldatacopy(add(slot, 0x40), add(p, 0x40), 0x80)
    // C* += rᵢ·Cᵢ
    calldatacopy(0x80, add(p, 0xc0), 0x40)
    mstore(0xc0, r)
    ok := and(ok, staticcall({ECMUL_GAS}, 0x07, 0x80, 0x60, 0x80, 0x40))
    ok := and(ok, staticcall({ECADD_GAS}, 0x06, 0x40, 0x80, 0x40, 0x40))
"#,
        slot1 = pairs + 0xc0,
    );
    // sⱼ += rᵢ·xᵢⱼ
    for j in 0..n {
        let _ = writeln!(
            s,
            "    {{ let v := calldataload(add(x, {:#x})) valid := and(valid, lt(v, R)) mstore({at:#x}, addmod(mload({at:#x}), mulmod(r, v, R), R)) }}",
            0x20 * j,
            at = fold(j)
        );
    }
    let alpha = g1_words(&vk.alpha_g1);
    let neg = |g: &ark_bn254::G2Affine| g2_words(&(-*g));
    let g2_store = |s: &mut String, at: &str, words: [Word; 4]| {
        for (k, w) in words.iter().enumerate() {
            let _ = writeln!(s, "mstore(add({at}, {:#x}), {})", 0x40 + 0x20 * k, hex(w));
        }
    };
    let _ = write!(
        s,
        r#"    i := add(i, 1)
    slot := add(slot, 0xc0)
    x := add(x, {stride:#x})
}}
// (R·α, −β); slot is pair N
mstore(slot, {ax})
mstore(add(slot, 0x20), {ay})
mstore(add(slot, 0x40), sum)
ok := and(ok, staticcall({ECMUL_GAS}, 0x07, slot, 0x60, slot, 0x40))
"#,
        ax = hex(&alpha[0]),
        ay = hex(&alpha[1]),
    );
    g2_store(&mut s, "slot", neg(&vk.beta_g2));
    let ic = |k: usize| g1_words(&vk.gamma_abc_g1[k]);
    let _ = write!(
        s,
        r#"// (L, −γ), L = R·IC₀ + Σⱼ sⱼ·ICⱼ
slot := add(slot, 0xc0)
mstore(slot, {x0})
mstore(add(slot, 0x20), {y0})
mstore(add(slot, 0x40), sum)
ok := and(ok, staticcall({ECMUL_GAS}, 0x07, slot, 0x60, slot, 0x40))
"#,
        x0 = hex(&ic(0)[0]),
        y0 = hex(&ic(0)[1]),
    );
    for j in 0..n {
        let [icx, icy] = ic(j + 1);
        let _ = write!(
            s,
            r#"mstore(add(slot, 0x40), {icx})
mstore(add(slot, 0x60), {icy})
mstore(add(slot, 0x80), {sj})
ok := and(ok, staticcall({ECMUL_GAS}, 0x07, add(slot, 0x40), 0x60, add(slot, 0x40), 0x40))
ok := and(ok, staticcall({ECADD_GAS}, 0x06, slot, 0x80, slot, 0x40))
"#,
            icx = hex(&icx),
            icy = hex(&icy),
            sj = format!("mload({:#x})", fold(j)),
        );
    }
    g2_store(&mut s, "slot", neg(&vk.gamma_g2));
    let _ = write!(
        s,
        r#"// (C*, −δ)
slot := add(slot, 0xc0)
mstore(slot, mload(0x40))
mstore(add(slot, 0x20), mload(0x60))
"#
    );
    g2_store(&mut s, "slot", neg(&vk.delta_g2));
    let _ = write!(
        s,
        r#"ok := and(ok, staticcall(gas(), 0x08, {pairs:#x}, sub(add(slot, 0xc0), {pairs:#x}), 0x00, 0x20))
"#
    );
    push_indented(out, indent, &s);
}

/// The Solidity source of a batch verifier for `vk`.
pub fn groth16_batch_verifier(vk: &VerifyingKey, options: &BatchVerifierOptions) -> Result<String, VerifierError> {
    let name = &options.contract_name;
    check_name(name)?;
    let n = match vk.gamma_abc_g1.len() {
        0 => return Err(VerifierError::NoIc),
        1 => return Err(VerifierError::NoPublicInputs),
        len => len - 1,
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"// SPDX-License-Identifier: MIT
// Generated by zkbatch solgen {version} from a Groth16 verifying key (BN254, {n} public inputs).
// Do not edit: regenerate with `zkbatch solgen --vk verification_key.json --batch`.
pragma solidity ^0.8.24;

/// @title Batch Groth16 verifier for one circuit over BN254
/// @notice `verifyBatch` checks N proofs with one pairing call of N + 3 pairs (a random linear
/// combination with Fiat–Shamir challenges over the whole batch) and reverts with a named error
/// unless every proof is valid for its inputs. Proofs are A, B, C as 8 words (B as x1, x0, y1, y0),
/// as the single verifier's `verify` takes them.
contract {name} {{
"#,
        version = env!("CARGO_PKG_VERSION"),
    );
    for (sig, doc) in BATCH_ERRORS {
        let _ = writeln!(s, "    /// {doc}\n    error {sig};");
    }
    let _ = write!(
        s,
        r#"
    /// Number of public inputs per proof.
    uint256 public constant PUBLIC_INPUTS = {n};
    /// keccak256 of the verifying key's words (α, β, γ, δ, IC₀..ICₙ; G2 as x1, x0, y1, y0).
    bytes32 public constant VK_HASH = {vk_hash};
    /// The transcript's domain separator.
    bytes32 public constant DOMAIN = "{domain}";

    uint256 private constant R = {r};
    uint256 private constant MASK128 = 0xffffffffffffffffffffffffffffffff;

    /// Reverts with a named error unless every `proofs[i]` is valid for `inputs[i]`.
    function verifyBatch(uint256[8][] calldata proofs, uint256[{n}][] calldata inputs) external view {{
        assembly {{
"#,
        vk_hash = hex(&vk_hash(vk)),
        domain = std::str::from_utf8(BATCH_DOMAIN).expect("ASCII"),
        r = modulus_hex::<Fr>(),
    );
    body(&mut s, vk, "            ");
    let _ = write!(
        s,
        r#"            if iszero(valid) {{ {field} }}
            if iszero(ok) {{ {bad} }}
            if iszero(mload(0x00)) {{ {invalid} }}
            return(0x00, 0x00)
        }}
    }}

    /// The challenges `verifyBatch` uses for this batch, r₀ = 1 first: for off-chain tools that
    /// must agree with the contract.
    function batchChallenges(uint256[8][] calldata proofs, uint256[{n}][] calldata inputs)
        external
        pure
        returns (uint256[] memory)
    {{
        assembly {{
"#,
        field = revert("PublicInputNotInField()"),
        bad = revert("InvalidProofPoint()"),
        invalid = revert("BatchInvalid()"),
    );
    let mut tail = seed(n);
    tail.push_str(&format!(
        r#"// the result, ABI-encoded, from 0x40: offset, length, r₀..
mstore(0x40, 0x20)
mstore(0x60, count)
mstore(0x80, 1)
for {{ let i := 1 }} lt(i, count) {{ i := add(i, 1) }} {{
    mstore(0x20, i)
    mstore(add(0x80, shl(5, i)), {CHALLENGE})
}}
return(0x40, add(0x40, shl(5, count)))
"#
    ));
    push_indented(&mut s, "            ", &tail);
    s.push_str("        }\n    }\n}\n");
    Ok(s)
}
