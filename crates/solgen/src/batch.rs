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
//! The challenges are Fiat–Shamir: r₀ = 1 and rᵢ (i ≥ 1) the low 128 bits of keccak256(seed ‖ i),
//! seed = keccak256(domain ‖ vk hash ‖ N ‖ every proof ‖ every input). A prover who fixes the batch
//! fixes the challenges, so false statements cannot be chosen to cancel out (each invalid proof
//! contributes a non-trivial factor raised to an unpredictable 128-bit exponent). The transcript,
//! in this Yul form and natively, is `zkbatch_evm::batch_transcript`.
//!
//! Unlike the single verifier, ecMul and ecAdd here see the caller's points, so each call's
//! success is checked; each gets exactly its price in gas, so an invalid point costs the caller
//! little before the revert.

use std::fmt::Write;

use ark_bn254::Fr;

use zkbatch_evm::batch_transcript::{yul_seed, CHALLENGE_MASK, DOMAIN, YUL_CHALLENGE};
use zkbatch_evm::word::{g1_words, g2_words, hex, modulus, vk_hash, Word};
use zkbatch_prover::VerifyingKey;

use crate::verifier::{check_name, VerifierError, VerifierOptions, INPUT_NOT_IN_FIELD, INVALID_PROOF_POINT};
use crate::yul::{key_contract_header, push_indented, revert, Errors, EC_ADD, EC_MUL, EC_PAIRING};

/// The errors the contract reverts with, as (declaration, doc comment).
pub(crate) const BATCH_ERRORS: &Errors = &[
    ("EmptyBatch()", "The batch has no proofs."),
    ("BatchLengthMismatch()", "`proofs` and `inputs` have different lengths."),
    INPUT_NOT_IN_FIELD,
    INVALID_PROOF_POINT,
    ("BatchInvalid()", "The pairing check failed: at least one proof is not valid for its inputs."),
];

/// Folded inputs sⱼ live in memory from here: stack variables would cost a few gas less per
/// input but run into legacy code generation's 16 reachable stack slots.
const FOLDS: usize = 0xe0;

/// Gas for each ecMul and ecAdd call: their exact prices (EIP-1108).
const ECMUL_GAS: u32 = 6000;
const ECADD_GAS: u32 = 150;

/// Checks the batch's lengths (`count` is N) and leaves the transcript's seed at 0x00.
fn seed(n: usize) -> String {
    format!(
        "let count := proofs.length\nif iszero(count) {{ {empty} }}\nif iszero(eq(inputs.length, count)) {{ {mismatch} }}\n{hash}",
        empty = revert("EmptyBatch()"),
        mismatch = revert("BatchLengthMismatch()"),
        hash = yul_seed(n),
    )
}

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
    let r := {YUL_CHALLENGE}
    sum := add(sum, r)
    // rᵢ·Aᵢ into the pair, then Bᵢ
    calldatacopy(slot, p, 0x40)
    mstore(add(slot, 0x40), r)
    ok := and(ok, staticcall({ECMUL_GAS}, {EC_MUL}, slot, 0x60, slot, 0x40))
    calldatacopy(add(slot, 0x40), add(p, 0x40), 0x80)
    // C* += rᵢ·Cᵢ
    calldatacopy(0x80, add(p, 0xc0), 0x40)
    mstore(0xc0, r)
    ok := and(ok, staticcall({ECMUL_GAS}, {EC_MUL}, 0x80, 0x60, 0x80, 0x40))
    ok := and(ok, staticcall({ECADD_GAS}, {EC_ADD}, 0x40, 0x80, 0x40, 0x40))
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
ok := and(ok, staticcall({ECMUL_GAS}, {EC_MUL}, slot, 0x60, slot, 0x40))
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
ok := and(ok, staticcall({ECMUL_GAS}, {EC_MUL}, slot, 0x60, slot, 0x40))
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
mstore(add(slot, 0x80), mload({sj:#x}))
ok := and(ok, staticcall({ECMUL_GAS}, {EC_MUL}, add(slot, 0x40), 0x60, add(slot, 0x40), 0x40))
ok := and(ok, staticcall({ECADD_GAS}, {EC_ADD}, slot, 0x80, slot, 0x40))
"#,
            icx = hex(&icx),
            icy = hex(&icy),
            sj = fold(j),
        );
    }
    g2_store(&mut s, "slot", neg(&vk.gamma_g2));
    let _ = writeln!(
        s,
        r#"// (C*, −δ)
slot := add(slot, 0xc0)
mstore(slot, mload(0x40))
mstore(add(slot, 0x20), mload(0x60))"#
    );
    g2_store(&mut s, "slot", neg(&vk.delta_g2));
    let _ = writeln!(
        s,
        r#"ok := and(ok, staticcall(gas(), {EC_PAIRING}, {pairs:#x}, sub(add(slot, 0xc0), {pairs:#x}), 0x00, 0x20))"#
    );
    push_indented(out, indent, &s);
}

/// The Solidity source of a batch verifier for `vk`.
pub fn groth16_batch_verifier(vk: &VerifyingKey, options: &VerifierOptions) -> Result<String, VerifierError> {
    let name = &options.contract_name;
    check_name(name)?;
    zkbatch_prover::verify::check_key(vk)?;
    let n = match vk.gamma_abc_g1.len() {
        0 => return Err(VerifierError::NoIc),
        1 => return Err(VerifierError::NoPublicInputs),
        len => len - 1,
    };
    let natspec = "/// @title Batch Groth16 verifier for one circuit over BN254
/// @notice `verifyBatch` checks N proofs with one pairing call of N + 3 pairs (a random linear
/// combination with Fiat–Shamir challenges over the whole batch) and reverts with a named error
/// unless every proof is valid for its inputs. Proofs are A, B, C as 8 words (B as x1, x0, y1, y0),
/// as the single verifier's `verify` takes them.
";
    let mut s = key_contract_header(name, n, "zkbatch solgen --vk verification_key.json --batch", natspec, BATCH_ERRORS);
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
    uint256 private constant MASK128 = {mask};

    /// Reverts with a named error unless every `proofs[i]` is valid for `inputs[i]`.
    function verifyBatch(uint256[8][] calldata proofs, uint256[{n}][] calldata inputs) external view {{
        assembly {{
"#,
        vk_hash = hex(&vk_hash(vk)),
        domain = DOMAIN.escape_ascii(),
        r = hex(&modulus::<Fr>()),
        mask = CHALLENGE_MASK,
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
    mstore(add(0x80, shl(5, i)), {YUL_CHALLENGE})
}}
return(0x40, add(0x40, shl(5, count)))
"#
    ));
    push_indented(&mut s, "            ", &tail);
    s.push_str("        }\n    }\n}\n");
    Ok(s)
}
