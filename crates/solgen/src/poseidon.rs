//! `PoseidonT2` … `PoseidonT6`: circomlib-compatible Poseidon contracts (1 to 5 inputs), generated
//! from [`zkbatch_prover::poseidon::optimized`], the schedule and constants the Rust Poseidon uses.
//!
//! Straight-line assembly, one block per round, with lazy reduction: field elements are < p and
//! 5p < 2²⁵⁶, so sums of up to 5 reduced terms use `add` (3 gas) instead of `addmod` (8), and
//! `mulmod` reduces whatever it is given. Partial rounds use circomlib's sparse matrices
//! (2t − 1 multiplications instead of t²).
//!
//! Where every constant fits in the code as a PUSH32 (t ≤ 4) it does. For t = 5 and 6 the sparse
//! matrices alone (17–21 KB) would break the 24 KB code-size limit, so they live in a data contract
//! the constructor deploys, copied into memory with one EXTCODECOPY per call; the matrices M and P,
//! used t² times per round, are kept in memory from t = 4 on.

use std::fmt::Write;

use zkbatch_prover::poseidon::optimized::OptimizedParams;
use zkbatch_prover::poseidon::FULL_ROUNDS;
use zkbatch_prover::Fr;

use zkbatch_evm::word::{hex, modulus, word};

use crate::yul::{literal, revert};

/// Why no Poseidon contract can be generated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoseidonError {
    /// Only widths 2 to 6 have circomlib constants.
    #[error("Poseidon contracts exist for t = 2..6 (1 to 5 inputs), not t = {0}")]
    Width(usize),
}

/// Where a constant is read from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A PUSH32 in the code.
    Inline,
    /// A word of memory, loaded once per call.
    Memory,
}

struct Layout {
    matrices: Place,
    sparse: Place,
}

impl Layout {
    fn for_width(t: usize) -> Layout {
        match t {
            2 | 3 => Layout { matrices: Place::Inline, sparse: Place::Inline },
            4 => Layout { matrices: Place::Memory, sparse: Place::Inline },
            _ => Layout { matrices: Place::Memory, sparse: Place::Memory },
        }
    }
}

// Memory layout while hashing (above the 0x00..0x80 Solidity scratch space, never returned to
// Solidity code): M at 0x80, P after it, each t² words row-major; the sparse matrices, copied from
// the data contract, at SPARSE_AT.
const M_AT: usize = 0x80;
const SPARSE_AT: usize = 0x1000;
/// Where wide states (t ≥ 5) put a full round's new lanes: all t old lanes are read by every new
/// one, and t new ones on the stack beside them would not fit in DUP16's reach.
const MIX_AT: usize = 0xa00;

struct Emitter<'a> {
    p: &'a OptimizedParams,
    layout: Layout,
    out: String,
    /// An upper bound on each lane, in multiples of p: lanes 1.. of the partial rounds accumulate
    /// with `add` until one more term could pass 5p (< 2²⁵⁶), then with `addmod`.
    bounds: Vec<usize>,
}

/// The most multiples of p a word can hold: 5p < 2²⁵⁶ < 6p.
const MAX_MULTIPLE: usize = 5;

impl Emitter<'_> {
    fn line(&mut self, s: &str) {
        let _ = writeln!(self.out, "            {s}");
    }

    fn t(&self) -> usize {
        self.p.width
    }

    fn p_at(&self) -> usize {
        M_AT + 32 * self.t() * self.t()
    }

    /// Entry (j, i) of M (`which` = 0) or P (`which` = 1): lane i gets Σⱼ m[j][i]·sⱼ.
    fn matrix(&self, which: usize, j: usize, i: usize) -> String {
        let t = self.t();
        match self.layout.matrices {
            Place::Inline => literal(&[&self.p.m, &self.p.p][which][j * t + i]),
            Place::Memory => format!("mload({:#x})", [M_AT, self.p_at()][which] + 32 * (j * t + i)),
        }
    }

    fn sparse(&self, r: usize, k: usize) -> String {
        let idx = self.p.sparse(r, k);
        match self.layout.sparse {
            Place::Inline => literal(&self.p.s[idx]),
            Place::Memory => format!("mload({:#x})", SPARSE_AT + 32 * idx),
        }
    }

    /// `Σ terms`, each < p: plain adds for up to 5 terms, addmod for the sixth.
    fn sum(terms: &[String]) -> String {
        let mut acc = terms[0].clone();
        for (k, term) in terms.iter().enumerate().skip(1) {
            acc = if k < 5 { format!("add({acc}, {term})") } else { format!("addmod({acc}, {term}, F)") };
        }
        acc
    }

    fn sbox(&mut self, lane: usize, plus: Option<&Fr>) {
        let add = plus.map(|c| format!("add({{}}, {})", literal(c)));
        let pow = format!("mulmod(mulmod(q, q, F), s{lane}, F)");
        let value = match add {
            Some(template) => template.replace("{}", &pow),
            None => pow,
        };
        self.line(&format!("{{ let q := mulmod(s{lane}, s{lane}, F) s{lane} := {value} }}"));
    }

    /// Full round: S-box on every lane, then `constants` (if any), then the matrix `which`.
    fn full_round(&mut self, constants: Option<Vec<Fr>>, which: usize, label: &str) {
        let t = self.t();
        self.line(&format!("// {label}"));
        for lane in 0..t {
            self.sbox(lane, constants.as_ref().map(|c| &c[lane]));
        }
        let wide = t >= 5;
        self.line("{");
        for i in 0..t {
            let terms: Vec<String> = (0..t).map(|j| format!("mulmod(s{j}, {}, F)", self.matrix(which, j, i))).collect();
            let sum = Emitter::sum(&terms);
            if wide {
                self.line(&format!("    mstore({:#x}, {sum})", MIX_AT + 32 * i));
            } else {
                self.line(&format!("    let n{i} := {sum}"));
            }
        }
        // A sum of t reduced products, or reduced by its final addmod when t = 6.
        self.bounds = vec![if t < 6 { t } else { 1 }; t];
        let assign: Vec<String> = (0..t)
            .map(|i| if wide { format!("s{i} := mload({:#x})", MIX_AT + 32 * i) } else { format!("s{i} := n{i}") })
            .collect();
        self.line(&format!("    {}", assign.join(" ")));
        self.line("}");
    }

    fn partial_round(&mut self, r: usize) {
        let t = self.t();
        let c = self.p.c[self.p.partial_constant(r)];
        self.sbox(0, Some(&c));
        let terms: Vec<String> = (0..t).map(|j| format!("mulmod(s{j}, {}, F)", self.sparse(r, j))).collect();
        let mut body = format!("{{ let n0 := {}", Emitter::sum(&terms));
        for k in 1..t {
            let product = format!("mulmod(s0, {}, F)", self.sparse(r, t + k - 1));
            if self.bounds[k] < MAX_MULTIPLE {
                self.bounds[k] += 1;
                let _ = write!(body, " s{k} := add(s{k}, {product})");
            } else {
                self.bounds[k] = 1;
                let _ = write!(body, " s{k} := addmod(s{k}, {product}, F)");
            }
        }
        body.push_str(" s0 := n0 }");
        self.line(&body);
    }

    fn emit(&mut self) {
        let t = self.t();
        let p = self.p;
        if self.layout.matrices == Place::Memory {
            self.line(&format!("// M at {M_AT:#x} and P at {:#x}, t² words each, row-major", self.p_at()));
            for (which, matrix) in [&p.m, &p.p].into_iter().enumerate() {
                for (k, v) in matrix.iter().enumerate() {
                    let at = [M_AT, self.p_at()][which] + 32 * k;
                    self.line(&format!("mstore({at:#x}, {})", literal(v)));
                }
            }
        }
        if self.layout.sparse == Place::Memory {
            let bytes = 32 * p.s.len();
            self.line(&format!("// the sparse matrices, {} words, from the data contract (after its STOP byte)", p.s.len()));
            self.line("// the data contract is this contract's first CREATE: keccak256(rlp([this, 1]))");
            self.line("mstore(0x00, or(or(shl(240, 0xd694), shl(80, address())), shl(72, 0x01)))");
            self.line(&format!("extcodecopy(keccak256(0x00, 23), {SPARSE_AT:#x}, 1, {bytes:#x})"));
        }
        self.line("// state = [0, inputs…] + the first round constants; inputs must be < p");
        self.line(&format!("let s0 := {}", literal(&p.c[0])));
        for i in 1..t {
            self.line(&format!("let s{i} := calldataload({:#x})", 4 + 32 * (i - 1)));
        }
        // Declared after the lanes, the modulus stays within DUP's reach of every expression.
        self.line(&format!("let F := {}", hex(&modulus::<Fr>())));
        let checks: Vec<String> = (1..t).map(|i| format!("lt(s{i}, F)")).collect();
        let all = checks.iter().skip(1).fold(checks[0].clone(), |acc, c| format!("and({acc}, {c})"));
        self.line(&format!("if iszero({all}) {{ {} }}", revert("InputNotInField()")));
        for i in 1..t {
            self.line(&format!("s{i} := add(s{i}, {})", literal(&p.c[i])));
        }
        for r in 0..FULL_ROUNDS / 2 - 1 {
            let c: Vec<Fr> = (0..t).map(|i| p.c[p.first_half_constant(r, i)]).collect();
            self.full_round(Some(c), 0, &format!("full round {r}"));
        }
        let c: Vec<Fr> = (0..t).map(|i| p.c[p.first_half_constant(FULL_ROUNDS / 2 - 1, i)]).collect();
        self.full_round(Some(c), 1, "full round 3, into the sparse form");
        self.line(&format!("// {} partial rounds: S-box on lane 0, sparse matrix", p.partial_rounds));
        for r in 0..p.partial_rounds {
            self.partial_round(r);
        }
        for r in 0..FULL_ROUNDS / 2 - 1 {
            let c: Vec<Fr> = (0..t).map(|i| p.c[p.second_half_constant(r, i)]).collect();
            self.full_round(Some(c), 0, &format!("full round {}", FULL_ROUNDS / 2 + 1 + r));
        }
        self.line("// last full round: only lane 0 of the output is needed");
        for lane in 0..t {
            self.sbox(lane, None);
        }
        let terms: Vec<String> = (0..t).map(|j| format!("mulmod(s{j}, {}, F)", self.matrix(0, j, 0))).collect();
        self.line(&format!("mstore(0x00, mod({}, F))", Emitter::sum(&terms)));
        self.line("return(0x00, 0x20)");
    }
}

/// The Solidity source of `PoseidonT{t}` (t − 1 inputs).
pub fn poseidon_contract(t: usize) -> Result<String, PoseidonError> {
    let p = OptimizedParams::for_width(t).map_err(|_| PoseidonError::Width(t))?;
    let k = t - 1;
    let layout = Layout::for_width(t);
    let uses_data = layout.sparse == Place::Memory;
    let mut e = Emitter { p, layout, out: String::new(), bounds: vec![1; t] };
    e.emit();
    let mut s = format!(
        r#"// SPDX-License-Identifier: MIT
// Generated by zkbatch solgen {version}: do not edit. Regenerate with `zkbatch solgen poseidon --t {t}`.
pragma solidity ^0.8.24;

/// @title Poseidon hash of {k} field element{plural} over BN254, circomlib-compatible (t = {t})
/// @notice `hash` equals circomlibjs's `poseidon` and circomlib's `Poseidon({k})`, with
/// poseidon-solidity's interface. Inputs must be canonical field elements (< p): a larger one
/// reverts with `InputNotInField` instead of being reduced, so distinct uint256 leaves never
/// hash alike.
contract PoseidonT{t} {{
    /// An input is ≥ the scalar field modulus p.
    error InputNotInField();
"#,
        version = env!("CARGO_PKG_VERSION"),
        plural = if k == 1 { "" } else { "s" },
    );
    if uses_data {
        let mut blob = String::from("00");
        for v in &p.s {
            for b in word(v) {
                let _ = write!(blob, "{b:02x}");
            }
        }
        let len = blob.len() / 2;
        let _ = write!(
            s,
            r#"
    /// Deploys the data contract holding the sparse partial-round matrices ({words} words after a
    /// STOP byte) as this contract's first CREATE, so `hash` finds it at a derived address.
    constructor() {{
        // Init code returning the bytes that follow it: PUSH2 len, DUP1, PUSH1 0x0a, RETURNDATASIZE,
        // CODECOPY, RETURNDATASIZE, RETURN (10 bytes), then the runtime: STOP and the constants.
        bytes memory init = abi.encodePacked(hex"61{len:04x}80600a3d393df3", hex"{blob}");
        address data;
        assembly {{
            data := create(0, add(init, 0x20), mload(init))
        }}
        require(data != address(0), "PoseidonT{t}: data contract not deployed");
    }}
"#,
            words = p.s.len(),
        );
    }
    let _ = write!(
        s,
        r#"
    /// Poseidon([inputs]) as circomlibjs computes it.
    function hash(uint256[{k}] calldata) external {mutability} returns (uint256) {{
"#,
        mutability = if uses_data { "view" } else { "pure" },
    );
    // The field modulus is a stack variable: a DUP (1 byte) per use instead of a PUSH32 (33 bytes).
    s.push_str("        assembly {\n");
    s.push_str(&e.out);
    s.push_str("        }\n    }\n}\n");
    Ok(s)
}
