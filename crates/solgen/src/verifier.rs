//! `Groth16Verifier`: a Solidity verifier for one verifying key, every constant inlined.
//!
//! One description, three entry points: the verification core (public-input accumulation and the
//! pairing, see [`core`]) is emitted once per entry with a different source for the proof and the
//! inputs, so each entry is straight-line assembly with no internal calls.
//!
//! The check is e(A, B) · e(α, −β) · e(L, −γ) · e(C, −δ) = 1 with L = IC₀ + Σ xᵢ·ICᵢ: β, γ and δ
//! are negated here, at generation time, so no coordinate is negated on-chain. Any failing
//! precompile (a point off the curve or not canonical, B outside G2, or out of gas) reverts,
//! never returns false, so `eth_estimateGas` finds the real cost.

use std::fmt::Write;

use ark_bn254::{Fq, Fr};
use ark_ff::PrimeField;

use zkbatch_evm::word::{g1_words, g2_words, hex, modulus, Word};
use zkbatch_prover::VerifyingKey;

use crate::yul::{key_contract_header, literal, push_indented, revert, Errors, EC_ADD, EC_MUL, EC_PAIRING, MOD_EXP};

/// How to generate a verifier, single or batch.
#[derive(Clone, Debug)]
pub struct VerifierOptions {
    /// The contract's name (several verifiers can live in one Foundry project).
    pub contract_name: String,
}

impl VerifierOptions {
    /// The single verifier's default: `Groth16Verifier`.
    pub fn single() -> VerifierOptions {
        VerifierOptions { contract_name: "Groth16Verifier".into() }
    }

    /// The batch verifier's default: `Groth16BatchVerifier`.
    pub fn batch() -> VerifierOptions {
        VerifierOptions { contract_name: "Groth16BatchVerifier".into() }
    }
}

/// Why no verifier can be generated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifierError {
    /// The key has no IC points (not even IC₀).
    #[error("the verifying key has no IC points")]
    NoIc,
    /// A batch verifier needs at least one public input.
    #[error("the verifying key has no public inputs; a batch verifier needs at least one")]
    NoPublicInputs,
    /// The contract name is not a Solidity identifier.
    #[error("{0:?} is not a valid Solidity contract name")]
    Name(String),
    /// The key has α, β, γ or δ at infinity: the verifier would accept any inputs.
    #[error(transparent)]
    Degenerate(#[from] zkbatch_prover::verify::DegenerateKey),
}

/// A contract name must be a Solidity identifier.
pub(crate) fn check_name(name: &str) -> Result<(), VerifierError> {
    let is_ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if is_ident {
        Ok(())
    } else {
        Err(VerifierError::Name(name.to_string()))
    }
}

/// A public input ≥ r: both verifiers refuse it so.
pub(crate) const INPUT_NOT_IN_FIELD: (&str, &str) =
    ("PublicInputNotInField()", "A public input is not a canonical scalar-field element (it is ≥ r).");

/// A bad proof point or a failed precompile: both verifiers refuse it so.
pub(crate) const INVALID_PROOF_POINT: (&str, &str) = (
    "InvalidProofPoint()",
    "A proof point is not a canonical curve point (a coordinate ≥ p, off the curve, or B outside \
     G2), or a precompile ran out of gas.",
);

/// The errors the contract reverts with, as (declaration, doc comment).
pub(crate) const ERRORS: &Errors = &[
    ("ProofInvalid()", "The pairing check failed: the proof is not valid for these public inputs."),
    INPUT_NOT_IN_FIELD,
    INVALID_PROOF_POINT,
    ("InvalidProofLength()", "`proof` is not 256 bytes (A, B, C as 8 words)."),
    ("InvalidPublicInputCount()", "The number of public inputs is not the verifying key's."),
];

/// Where the core finds the public inputs: fixed calldata offsets, or a calldata pointer variable.
enum Inputs<'a> {
    At(usize),
    From(&'a str),
}

impl Inputs<'_> {
    fn load(&self, i: usize) -> String {
        match self {
            Inputs::At(base) => format!("calldataload({:#x})", base + 32 * i),
            Inputs::From(var) if i == 0 => format!("calldataload({var})"),
            Inputs::From(var) => format!("calldataload(add({var}, {:#x}))", 32 * i),
        }
    }
}

struct Key {
    alpha: [Word; 2],
    neg_beta: [Word; 4],
    neg_gamma: [Word; 4],
    neg_delta: [Word; 4],
    ic: Vec<[Word; 2]>,
}

/// The verification core. On entry A, B sit at 0x000..0x0c0 and C at 0x240..0x280; on exit `ok`
/// is whether every precompile succeeded, `valid` whether every input is < r, and mload(0) the
/// pairing's verdict. Memory (the pairing precompile's input, 4 pairs of 0xc0 bytes):
///   0x000  A.x  A.y  B.x1 B.x0 B.y1 B.y0     e(A, B)
///   0x0c0  α.x  α.y  −β (x1 x0 y1 y0)        e(α, −β)
///   0x180  L.x  L.y  −γ (x1 x0 y1 y0)        e(L, −γ)
///   0x240  C.x  C.y  −δ (x1 x0 y1 y0)        e(C, −δ)
/// While L is accumulated, 0x1c0..0x220 holds the ecMul input (ICᵢ.x, ICᵢ.y, xᵢ) and receives its
/// output, so the ecAdd input (L, xᵢ·ICᵢ) is 0x180..0x200 in place; −γ is written afterwards.
fn core(out: &mut String, key: &Key, inputs: Inputs, indent: &str) {
    let w = |out: &mut String, line: &str| {
        let _ = writeln!(out, "{indent}{line}");
    };
    // ecMul and ecAdd get valid points only (constants and their own outputs) and accept any
    // scalar, so they can fail only by running out of gas. A failed call burns all but 1/64 of the
    // gas, far too little for the pairing after it: the pairing's success alone decides `ok`.
    for line in [
        "// Memory: the pairing input, 4 pairs of 0xc0 bytes (G1 x, y; G2 x1, x0, y1, y0):",
        "//   0x000 (A, B)  0x0c0 (α, −β)  0x180 (L, −γ)  0x240 (C, −δ)",
        "// while L = IC₀ + Σ xᵢ·ICᵢ accumulates at 0x180, 0x1c0..0x220 holds the ecMul input (ICᵢ, xᵢ)",
        "// and receives its output, so the ecAdd input (L, xᵢ·ICᵢ) is 0x180..0x200 in place.",
    ] {
        w(out, line);
    }
    w(out, "let valid := 1");
    w(out, &format!("mstore(0x180, {})", hex(&key.ic[0][0])));
    w(out, &format!("mstore(0x1a0, {})", hex(&key.ic[0][1])));
    for (i, ic) in key.ic.iter().enumerate().skip(1) {
        w(out, &format!("// L += x{} · IC{i}", i - 1));
        w(out, &format!("let x{} := {}", i - 1, inputs.load(i - 1)));
        w(out, &format!("valid := and(valid, lt(x{}, R))", i - 1));
        w(out, &format!("mstore(0x1c0, {})", hex(&ic[0])));
        w(out, &format!("mstore(0x1e0, {})", hex(&ic[1])));
        w(out, &format!("mstore(0x200, x{})", i - 1));
        w(out, &format!("pop(staticcall(gas(), {EC_MUL}, 0x1c0, 0x60, 0x1c0, 0x40))"));
        w(out, &format!("pop(staticcall(gas(), {EC_ADD}, 0x180, 0x80, 0x180, 0x40))"));
    }
    w(out, "// the constant halves of the pairing input");
    let words: [(usize, &Word); 14] = [
        (0x0c0, &key.alpha[0]),
        (0x0e0, &key.alpha[1]),
        (0x100, &key.neg_beta[0]),
        (0x120, &key.neg_beta[1]),
        (0x140, &key.neg_beta[2]),
        (0x160, &key.neg_beta[3]),
        (0x1c0, &key.neg_gamma[0]),
        (0x1e0, &key.neg_gamma[1]),
        (0x200, &key.neg_gamma[2]),
        (0x220, &key.neg_gamma[3]),
        (0x280, &key.neg_delta[0]),
        (0x2a0, &key.neg_delta[1]),
        (0x2c0, &key.neg_delta[2]),
        (0x2e0, &key.neg_delta[3]),
    ];
    for (at, v) in words {
        w(out, &format!("mstore({at:#05x}, {})", hex(v)));
    }
    w(out, &format!("let ok := staticcall(gas(), {EC_PAIRING}, 0x000, 0x300, 0x000, 0x20)"));
}

/// Decompression helpers for `verifyCompressedProof`, as Yul functions. Scratch: 0x300..0x3c0
/// (the modexp precompile's input: three lengths, base, exponent, modulus).
fn decompress_functions(out: &mut String, indent: &str) {
    let b = <ark_bn254::g2::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
    let text = format!(
        r#"// base^e mod p, by the modexp precompile
function expmod(base, e) -> r {{
    mstore(0x300, 0x20)
    mstore(0x320, 0x20)
    mstore(0x340, 0x20)
    mstore(0x360, base)
    mstore(0x380, e)
    mstore(0x3a0, P)
    if iszero(staticcall(gas(), {MOD_EXP}, 0x300, 0xc0, 0x300, 0x20)) {{ {bad} }}
    r := mload(0x300)
}}
// (x, y) from x and bit 255 (y odd); y² = x³ + 3, y = (x³ + 3)^((p + 1) / 4) as p ≡ 3 mod 4
function decompressG1(w) -> x, y {{
    x := and(w, MASK)
    if iszero(lt(x, P)) {{ {bad} }}
    let rhs := addmod(mulmod(mulmod(x, x, P), x, P), 3, P)
    y := expmod(rhs, SQRT_EXP)
    if iszero(eq(mulmod(y, y, P), rhs)) {{ {bad} }}
    if iszero(eq(and(y, 1), shr(255, w))) {{ y := sub(P, y) }}
}}
// (x, y) in G2 from x = x0 + x1·u and bit 255 of w1 (the sign of y); y² = x³ + b′, u² = −1.
// Square root in Fq2 by norms: n = √(a0² + a1²), t = (a0 ± n) / 2, y0 = √t, y1 = a1 / (2·y0),
// where s = t^((p − 3) / 4) gives both √t = s·t and 1 / √t = s.
function decompressG2(w1, w0) -> x1, x0, y1, y0 {{
    x1 := and(w1, MASK)
    x0 := w0
    if iszero(and(lt(x1, P), lt(x0, P))) {{ {bad} }}
    let sq0 := addmod(mulmod(x0, x0, P), sub(P, mulmod(x1, x1, P)), P)
    let sq1 := mulmod(2, mulmod(x0, x1, P), P)
    let a0 := addmod(addmod(mulmod(sq0, x0, P), sub(P, mulmod(sq1, x1, P)), P), {b0}, P)
    let a1 := addmod(addmod(mulmod(sq0, x1, P), mulmod(sq1, x0, P), P), {b1}, P)
    let norm := addmod(mulmod(a0, a0, P), mulmod(a1, a1, P), P)
    let n := expmod(norm, SQRT_EXP)
    if iszero(eq(mulmod(n, n, P), norm)) {{ {bad} }}
    let t := mulmod(addmod(a0, n, P), HALF, P)
    let s := expmod(t, SQRT_EXP_M1)
    y0 := mulmod(s, t, P)
    if or(iszero(t), iszero(eq(mulmod(y0, y0, P), t))) {{
        t := mulmod(addmod(a0, sub(P, n), P), HALF, P)
        s := expmod(t, SQRT_EXP_M1)
        y0 := mulmod(s, t, P)
    }}
    y1 := mulmod(mulmod(a1, s, P), HALF, P)
    // (y0 + y1·u)² must be a0 + a1·u: otherwise x is not on the twist
    if iszero(and(eq(addmod(mulmod(y0, y0, P), sub(P, mulmod(y1, y1, P)), P), a0),
                  eq(mulmod(2, mulmod(y0, y1, P), P), a1))) {{ {bad} }}
    let sign := and(y0, 1)
    if iszero(y0) {{ sign := and(y1, 1) }}
    if iszero(eq(sign, shr(255, w1))) {{
        y0 := mod(sub(P, y0), P)
        y1 := mod(sub(P, y1), P)
    }}
}}
"#,
        bad = revert("InvalidProofPoint()"),
        b0 = literal(&b.c0),
        b1 = literal(&b.c1),
    );
    push_indented(out, indent, &text);
}

/// The Solidity source of a verifier for `vk`.
pub fn groth16_verifier(vk: &VerifyingKey, options: &VerifierOptions) -> Result<String, VerifierError> {
    let name = &options.contract_name;
    check_name(name)?;
    zkbatch_prover::verify::check_key(vk)?;
    if vk.gamma_abc_g1.is_empty() {
        return Err(VerifierError::NoIc);
    }
    let n = vk.gamma_abc_g1.len() - 1;
    let key = Key {
        alpha: g1_words(&vk.alpha_g1),
        neg_beta: g2_words(&(-vk.beta_g2)),
        neg_gamma: g2_words(&(-vk.gamma_g2)),
        neg_delta: g2_words(&(-vk.delta_g2)),
        ic: vk.gamma_abc_g1.iter().map(g1_words).collect(),
    };
    let natspec = "/// @title Groth16 verifier for one circuit over BN254
/// @notice `verifyProof` is a drop-in replacement for snarkjs's verifier (same signature, false for
/// an invalid proof). `verify` and `verifyCompressedProof` return nothing and revert with a named
/// error unless the proof is valid. All three revert when a precompile fails, so gas estimation
/// sees the true cost.
";
    let mut s = key_contract_header(name, n, "zkbatch solgen --vk verification_key.json", natspec, ERRORS);
    let _ = write!(
        s,
        r#"
    /// Number of public inputs.
    uint256 public constant PUBLIC_INPUTS = {n};

    // Base field modulus p and scalar field modulus r.
    uint256 private constant P = {p};
    uint256 private constant R = {r};
    // Compressed points: bit 255 picks y; exponents for square roots (p ≡ 3 mod 4) and 1/2 mod p.
    uint256 private constant MASK = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    uint256 private constant SQRT_EXP = {sqrt_exp};
    uint256 private constant SQRT_EXP_M1 = {sqrt_exp_m1};
    uint256 private constant HALF = {half};

    /// snarkjs-compatible: true iff the proof is valid; false for an invalid proof or an input ≥ r.
    /// Calldata: A at 0x04, B at 0x44 (x1, x0, y1, y0), C at 0xc4, inputs from 0x104.
    function verifyProof(
        uint256[2] calldata,
        uint256[2][2] calldata,
        uint256[2] calldata,
        uint256[{n}] calldata
    ) external view returns (bool) {{
        assembly {{
            calldatacopy(0x000, 0x04, 0xc0)
            calldatacopy(0x240, 0xc4, 0x40)
"#,
        p = hex(&modulus::<Fq>()),
        r = hex(&modulus::<Fr>()),
        sqrt_exp = (p() + 1u32) / 4u32,
        sqrt_exp_m1 = (p() - 3u32) / 4u32,
        half = (p() + 1u32) / 2u32,
    );
    core(&mut s, &key, Inputs::At(0x104), "            ");
    let _ = write!(
        s,
        r#"            if iszero(ok) {{ {bad} }}
            mstore(0x00, and(valid, mload(0x00)))
            return(0x00, 0x20)
        }}
    }}

    /// Reverts with a named error unless `proof` (A, B, C as 8 words, B as x1, x0, y1, y0) is valid
    /// for `input`.
    function verify(bytes calldata proof, uint256[] calldata input) external view {{
        assembly {{
            if iszero(eq(proof.length, 0x100)) {{ {len} }}
            if iszero(eq(input.length, {n})) {{ {count} }}
            calldatacopy(0x000, proof.offset, 0xc0)
            calldatacopy(0x240, add(proof.offset, 0xc0), 0x40)
            let inputs := input.offset
"#,
        bad = revert("InvalidProofPoint()"),
        len = revert("InvalidProofLength()"),
        count = revert("InvalidPublicInputCount()"),
    );
    core(&mut s, &key, Inputs::From("inputs"), "            ");
    let verdict = format!(
        r#"            if iszero(valid) {{ {field} }}
            if iszero(ok) {{ {bad} }}
            if iszero(mload(0x00)) {{ {invalid} }}
            return(0x00, 0x00)
        }}
    }}
"#,
        field = revert("PublicInputNotInField()"),
        bad = revert("InvalidProofPoint()"),
        invalid = revert("ProofInvalid()"),
    );
    s.push_str(&verdict);
    let _ = write!(
        s,
        r#"
    /// Like `verify`, for a 128-byte compressed proof `[A, B.x1, B.x0, C]` (x coordinates; bit 255
    /// of a point's first word picks y), as `zkbatch` writes it. Decompression costs about 7k gas
    /// (4 to 5 modexp calls) and saves 128 bytes of calldata: worth it where calldata dominates.
    function verifyCompressedProof(uint256[4] calldata, uint256[{n}] calldata) external view {{
        assembly {{
"#,
    );
    decompress_functions(&mut s, "            ");
    let _ = write!(
        s,
        r#"            let ax, ay := decompressG1(calldataload(0x04))
            mstore(0x000, ax)
            mstore(0x020, ay)
            let bx1, bx0, by1, by0 := decompressG2(calldataload(0x24), calldataload(0x44))
            mstore(0x040, bx1)
            mstore(0x060, bx0)
            mstore(0x080, by1)
            mstore(0x0a0, by0)
            let cx, cy := decompressG1(calldataload(0x64))
            mstore(0x240, cx)
            mstore(0x260, cy)
"#
    );
    core(&mut s, &key, Inputs::At(0x84), "            ");
    s.push_str(&verdict);
    s.push_str("}\n");
    Ok(s)
}

/// The base field's modulus p as an integer, for the exponents derived from it.
fn p() -> num_bigint::BigUint {
    Fq::MODULUS.into()
}
