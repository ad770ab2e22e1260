//! The forge tests that are the same for every public-input count and Poseidon width, generated
//! into test/fixtures from the lists the fixtures are made for: one case list per suite, in the
//! hand-written abstract contracts of test/*.t.sol, bound here to each key's verifier and proofs.
//! Solidity has no generics over `uint256[n]`, so a concrete contract (or function) per n is
//! what a forge test can be; generating them keeps each case written once and makes a new n one
//! entry in `INPUT_COUNTS`.

use std::fmt::Write;

use zkbatch_testing::keys::{BATCH_INPUT_COUNTS, INPUT_COUNTS};

use crate::fixtures::{File, HEADER};

/// Every generated forge test file.
pub(crate) fn files() -> Vec<File> {
    vec![verifier_tests(), batch_verifier_tests(), verifier_gas_test(), poseidon_test()]
}

fn imports(lines: &mut String, names: &[String]) {
    for name in names {
        let _ = writeln!(lines, "import {{{name}}} from \"./{name}.sol\";");
    }
}

/// `Groth16VerifierN{n}Test`: the cases of `VerifierCases` (test/Groth16Verifier.t.sol) per n.
fn verifier_tests() -> File {
    let mut s = format!(
        "{HEADER}\n/// The generated verifier's test cases (test/Groth16Verifier.t.sol's `VerifierCases`) for each\n\
         /// public-input count, against zkbatch's proofs.\n\nimport {{VerifierCases}} from \"../Groth16Verifier.t.sol\";\n"
    );
    imports(&mut s, &INPUT_COUNTS.iter().flat_map(|n| [format!("Groth16VerifierN{n}"), format!("FixtureN{n}")]).collect::<Vec<_>>());
    for n in INPUT_COUNTS {
        let _ = write!(
            s,
            r#"
contract Groth16VerifierN{n}Test is VerifierCases {{
    function setUp() public {{ verifier = address(new Groth16VerifierN{n}()); }}
    function n() internal pure override returns (uint256) {{ return {n}; }}
    function proof(uint256 k) internal pure override returns (uint256[8] memory) {{ return k == 0 ? FixtureN{n}.proof0() : FixtureN{n}.proof1(); }}
    function compressed(uint256 k) internal pure override returns (uint256[4] memory) {{ return k == 0 ? FixtureN{n}.compressed0() : FixtureN{n}.compressed1(); }}
    function inputs(uint256 k) internal pure override returns (uint256[] memory x) {{
        uint256[{n}] memory a = k == 0 ? FixtureN{n}.inputs0() : FixtureN{n}.inputs1();
        x = new uint256[]({n});
        for (uint256 i = 0; i < {n}; i++) x[i] = a[i];
    }}
}}
"#
        );
    }
    File { path: "test/fixtures/Groth16VerifierTests.sol".into(), contents: s }
}

/// The batch verifier's tests per n (test/BatchVerifier.t.sol's and test/BatchGas.t.sol's cases):
/// the full cases and gas where a large batch of proofs exists, a valid pair and its swap
/// elsewhere.
fn batch_verifier_tests() -> File {
    let mut s = format!(
        "{HEADER}\n/// The batch verifier's test cases (test/BatchVerifier.t.sol, test/BatchGas.t.sol) for each\n\
         /// public-input count: every case where a batch of {} proofs exists, a valid pair and its swap elsewhere.\n\n\
         import {{BatchCalls, BatchCases}} from \"../BatchVerifier.t.sol\";\nimport {{BatchGasCases}} from \"../BatchGas.t.sol\";\n\
         import {{BatchInputs}} from \"../BatchInputs.sol\";\n",
        zkbatch_testing::keys::BATCH_PROOFS
    );
    let mut names: Vec<String> = INPUT_COUNTS.iter().map(|n| format!("Groth16BatchVerifierN{n}")).collect();
    names.extend(BATCH_INPUT_COUNTS.iter().flat_map(|n| [format!("Groth16VerifierN{n}"), format!("BatchFixtureN{n}")]));
    names.extend(INPUT_COUNTS.iter().filter(|n| !BATCH_INPUT_COUNTS.contains(n)).map(|n| format!("FixtureN{n}")));
    imports(&mut s, &names);
    for n in BATCH_INPUT_COUNTS {
        let _ = write!(
            s,
            r#"
contract BatchVerifierN{n}Test is BatchCases {{
    function setUp() public {{ verifier = address(new Groth16BatchVerifierN{n}()); }}
    function n() internal pure override returns (uint256) {{ return {n}; }}
    function allProofs() internal pure override returns (uint256[8][] memory) {{ return BatchFixtureN{n}.proofs(); }}
    function allInputs() internal pure override returns (uint256[][] memory) {{ return BatchInputs.n{n}(); }}
}}

contract BatchGasN{n}Test is BatchGasCases {{
    function setUp() public {{ verifier = address(new Groth16BatchVerifierN{n}()); }}
    function n() internal pure override returns (uint256) {{ return {n}; }}
    function single() internal override returns (address) {{ return address(new Groth16VerifierN{n}()); }}
    function allProofs() internal pure override returns (uint256[8][] memory) {{ return BatchFixtureN{n}.proofs(); }}
    function allInputs() internal pure override returns (uint256[][] memory) {{ return BatchInputs.n{n}(); }}
}}
"#
        );
    }
    for n in INPUT_COUNTS.into_iter().filter(|n| !BATCH_INPUT_COUNTS.contains(n)) {
        let _ = write!(
            s,
            r#"
/// n = {n}: two proofs (FixtureN{n}) in a batch pass; swapped they fail.
contract BatchVerifierN{n}Test is BatchCalls {{
    function setUp() public {{ verifier = address(new Groth16BatchVerifierN{n}()); }}
    function n() internal pure override returns (uint256) {{ return {n}; }}

    function pair(bool swap) internal pure returns (uint256[8][] memory p, uint256[][] memory x) {{
        p = new uint256[8][](2);
        (p[0], p[1]) = swap ? (FixtureN{n}.proof1(), FixtureN{n}.proof0()) : (FixtureN{n}.proof0(), FixtureN{n}.proof1());
        x = new uint256[][](2);
        uint256[{n}][2] memory a = [FixtureN{n}.inputs0(), FixtureN{n}.inputs1()];
        for (uint256 i = 0; i < 2; i++) {{
            x[i] = new uint256[]({n});
            for (uint256 j = 0; j < {n}; j++) x[i][j] = a[i][j];
        }}
    }}

    function test_two_proofs() public view {{
        (uint256[8][] memory p, uint256[][] memory x) = pair(false);
        check(accepts(p, x), "valid pair rejected");
        (p, x) = pair(true);
        rejects(p, x, BATCH_INVALID, "swapped pair");
        (p, x) = pair(false);
        x[1][{last}] += R;
        rejects(p, x, INPUT_NOT_IN_FIELD, "input >= r");
    }}
}}
"#,
            last = n - 1,
        );
    }
    File { path: "test/fixtures/Groth16BatchVerifierTests.sol".into(), contents: s }
}

/// `VerifierGasTest`: verifier execution gas, zkbatch's beside snarkjs's, for every n.
fn verifier_gas_test() -> File {
    let mut s = format!("{HEADER}\nimport {{Check, vm}} from \"../Check.sol\";\n");
    for n in INPUT_COUNTS {
        let _ = writeln!(
            s,
            "import {{Groth16VerifierN{n}}} from \"./Groth16VerifierN{n}.sol\";\nimport {{FixtureN{n}}} from \"./FixtureN{n}.sol\";\n\
             import {{SnarkjsVerifierN{n}}} from \"../snarkjs/SnarkjsVerifierN{n}.sol\";"
        );
    }
    s.push_str(
        r#"
/// Verifier execution gas, zkbatch's generated verifier beside snarkjs's for the same verifying key
/// and proof, for n = 1, 2, 4, 8, 16 public inputs. Each test makes one verifier call; forge records
/// that call's execution gas in snapshots/VerifierGas.json (snapshotGasLastCall) and the whole
/// test's gas in .gas-snapshot. BENCHMARKS.md's table comes from snapshots/VerifierGas.json.
contract VerifierGasTest is Check {
    function record(string memory name, bool ok) internal {
        check(ok, string.concat(name, ": valid proof not accepted"));
        vm.snapshotGasLastCall("VerifierGas", name);
    }
"#,
    );
    for n in INPUT_COUNTS {
        let _ = write!(
            s,
            r#"
    function test_gas_n{n}_zkbatch_verifyProof() public {{
        Groth16VerifierN{n} v = new Groth16VerifierN{n}();
        uint256[8] memory p = FixtureN{n}.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN{n}.inputs0());
        record("zkbatch_verifyProof_n{n}", ok);
    }}

    function test_gas_n{n}_zkbatch_verify() public {{
        Groth16VerifierN{n} v = new Groth16VerifierN{n}();
        uint256[{n}] memory a = FixtureN{n}.inputs0();
        uint256[] memory x = new uint256[]({n});
        for (uint256 i = 0; i < {n}; i++) x[i] = a[i];
        bytes memory proof = abi.encodePacked(FixtureN{n}.proof0());
        v.verify(proof, x);
        record("zkbatch_verify_n{n}", true);
    }}

    function test_gas_n{n}_zkbatch_verifyCompressedProof() public {{
        Groth16VerifierN{n} v = new Groth16VerifierN{n}();
        v.verifyCompressedProof(FixtureN{n}.compressed0(), FixtureN{n}.inputs0());
        record("zkbatch_verifyCompressedProof_n{n}", true);
    }}

    function test_gas_n{n}_snarkjs_verifyProof() public {{
        SnarkjsVerifierN{n} v = new SnarkjsVerifierN{n}();
        uint256[8] memory p = FixtureN{n}.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN{n}.inputs0());
        record("snarkjs_verifyProof_n{n}", ok);
    }}
"#
        );
    }
    s.push_str("}\n");
    File { path: "test/fixtures/VerifierGasTest.sol".into(), contents: s }
}

/// `PoseidonTest`: every Poseidon contract against the vectors, its refusals, and its gas beside
/// poseidon-solidity's.
fn poseidon_test() -> File {
    let mut s = format!("{HEADER}\nimport {{Check, vm}} from \"../Check.sol\";\nimport {{PoseidonVectors}} from \"./PoseidonVectors.sol\";\n");
    for t in 2..=6 {
        let _ = writeln!(s, "import {{PoseidonT{t}}} from \"../../contracts/PoseidonT{t}.sol\";");
    }
    for t in 2..=6 {
        let _ = writeln!(s, "import {{PoseidonT{t} as PsT{t}}} from \"poseidon-solidity/PoseidonT{t}.sol\";");
    }
    s.push_str(
        r#"
/// zkbatch's Poseidon contracts: circomlibjs's outputs and our Rust Poseidon's on random inputs
/// (test/fixtures/PoseidonVectors.sol), refusal of inputs >= p, and execution gas beside
/// poseidon-solidity (npm, compiled with this project's settings) on the same inputs
/// (snapshots/PoseidonGas.json, .gas-snapshot).
contract PoseidonTest is Check {
    bytes4 constant NOT_IN_FIELD = bytes4(keccak256("InputNotInField()"));
"#,
    );
    for t in 2..=6usize {
        let k = t - 1;
        let _ = write!(
            s,
            r#"
    function test_T{t}_equals_circomlibjs_and_rust() public {{
        PoseidonT{t} h = new PoseidonT{t}();
        (uint256[{k}][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t{t}();
        for (uint256 i = 0; i < inputs.length; i++) {{
            check(h.hash(inputs[i]) == outputs[i], string.concat("PoseidonT{t} vector ", toString(i)));
            check(PsT{t}.hash(inputs[i]) == outputs[i], "poseidon-solidity disagrees with the vectors");
        }}
    }}

    function test_T{t}_refuses_inputs_not_below_p() public {{
        PoseidonT{t} h = new PoseidonT{t}();
        (uint256[{k}][] memory inputs,) = PoseidonVectors.t{t}();
        for (uint256 j = 0; j < {k}; j++) {{
            uint256[{k}] memory x = inputs[1];
            x[j] = x[j] + R; // the same field element, not canonical
            (bool success, bytes memory ret) = address(h).staticcall(abi.encodeCall(PoseidonT{t}.hash, (x)));
            checkReverts(success, ret, NOT_IN_FIELD, "input >= p");
        }}
    }}

    function test_gas_T{t}_zkbatch() public {{
        PoseidonT{t} h = new PoseidonT{t}();
        (uint256[{k}][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t{t}();
        check(h.hash(inputs[1]) == outputs[1], "wrong hash");
        vm.snapshotGasLastCall("PoseidonGas", "zkbatch_T{t}");
    }}

    function test_gas_T{t}_poseidon_solidity() public {{
        (uint256[{k}][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t{t}();
        check(PsT{t}.hash(inputs[1]) == outputs[1], "wrong hash");
        vm.snapshotGasLastCall("PoseidonGas", "poseidon_solidity_T{t}");
    }}
"#
        );
    }
    s.push_str("}\n");
    File { path: "test/fixtures/PoseidonTest.sol".into(), contents: s }
}
