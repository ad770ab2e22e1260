// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Check} from "./utils/Check.sol";
import {BatchInputs} from "./utils/BatchInputs.sol";
import {Groth16BatchVerifierN1} from "./fixtures/Groth16BatchVerifierN1.sol";
import {Groth16BatchVerifierN2} from "./fixtures/Groth16BatchVerifierN2.sol";
import {Groth16BatchVerifierN4} from "./fixtures/Groth16BatchVerifierN4.sol";
import {Groth16BatchVerifierN8} from "./fixtures/Groth16BatchVerifierN8.sol";
import {Groth16BatchVerifierN16} from "./fixtures/Groth16BatchVerifierN16.sol";
import {BatchFixtureN2} from "./fixtures/BatchFixtureN2.sol";
import {BatchFixtureN4} from "./fixtures/BatchFixtureN4.sol";
import {FixtureN1} from "./fixtures/FixtureN1.sol";
import {FixtureN8} from "./fixtures/FixtureN8.sol";
import {FixtureN16} from "./fixtures/FixtureN16.sol";

/// Calls to a generated `Groth16BatchVerifier`, encoded by hand so that one body serves every n
/// (`uint256[n][]` is a different type per n) and malformed batches can be sent.
abstract contract BatchCalls is Check {
    bytes4 constant EMPTY = bytes4(keccak256("EmptyBatch()"));
    bytes4 constant MISMATCH = bytes4(keccak256("BatchLengthMismatch()"));
    bytes4 constant INPUT_NOT_IN_FIELD = bytes4(keccak256("PublicInputNotInField()"));
    bytes4 constant INVALID_POINT = bytes4(keccak256("InvalidProofPoint()"));
    bytes4 constant BATCH_INVALID = bytes4(keccak256("BatchInvalid()"));

    /// A failing precompile burns the gas it is given: bound each call like a real caller would.
    uint256 constant CALL_GAS = 10_000_000;

    address verifier;

    function n() internal pure virtual returns (uint256);

    function selector(string memory name) internal pure returns (bytes4) {
        return bytes4(keccak256(bytes(string.concat(name, "(uint256[8][],uint256[", toString(n()), "][])"))));
    }

    /// ABI encoding of (uint256[8][] p, uint256[n][] x): two offsets, then each array's length and words.
    function encode(bytes4 sel, uint256[8][] memory p, uint256[][] memory x) internal pure returns (bytes memory d) {
        d = abi.encodePacked(sel, uint256(0x40), uint256(0x60 + p.length * 0x100), p.length);
        for (uint256 i = 0; i < p.length; i++) d = bytes.concat(d, abi.encodePacked(p[i]));
        d = bytes.concat(d, abi.encodePacked(x.length));
        for (uint256 i = 0; i < x.length; i++) d = bytes.concat(d, abi.encodePacked(x[i]));
    }

    function verifyBatch(uint256[8][] memory p, uint256[][] memory x) internal view returns (bool, bytes memory) {
        return verifier.staticcall{gas: CALL_GAS}(encode(selector("verifyBatch"), p, x));
    }

    function accepts(uint256[8][] memory p, uint256[][] memory x) internal view returns (bool ok) {
        (ok,) = verifyBatch(p, x);
    }

    function rejects(uint256[8][] memory p, uint256[][] memory x, bytes4 error, string memory what) internal view {
        (bool success, bytes memory ret) = verifyBatch(p, x);
        checkReverts(success, ret, error, what);
    }

    function challenges(uint256[8][] memory p, uint256[][] memory x) internal view returns (uint256[] memory) {
        (bool success, bytes memory ret) = verifier.staticcall(encode(selector("batchChallenges"), p, x));
        check(success, "batchChallenges reverted");
        return abi.decode(ret, (uint256[]));
    }
}

/// The batch verifier against batches of up to 64 real proofs (distinct statements) from our prover.
abstract contract BatchCases is BatchCalls {
    function allProofs() internal pure virtual returns (uint256[8][] memory);
    function allInputs() internal pure virtual returns (uint256[][] memory);

    function proofs(uint256 count) internal pure returns (uint256[8][] memory p) {
        uint256[8][] memory all = allProofs();
        p = new uint256[8][](count);
        for (uint256 i = 0; i < count; i++) p[i] = all[i];
    }

    function inputs(uint256 count) internal pure returns (uint256[][] memory x) {
        uint256[][] memory all = allInputs();
        x = new uint256[][](count);
        for (uint256 i = 0; i < count; i++) x[i] = all[i];
    }

    function copy(uint256[] memory v) internal pure returns (uint256[] memory c) {
        c = new uint256[](v.length);
        for (uint256 i = 0; i < v.length; i++) c[i] = v[i];
    }

    function test_valid_batches_pass() public view {
        uint256[5] memory sizes = [uint256(1), 2, 3, 16, 64];
        for (uint256 k = 0; k < sizes.length; k++) {
            (bool success, bytes memory ret) = verifyBatch(proofs(sizes[k]), inputs(sizes[k]));
            check(success && ret.length == 0, string.concat("valid batch of ", toString(sizes[k]), " rejected"));
        }
    }

    function test_a_batch_with_one_bad_proof_fails() public view {
        // −A for A: still a curve point, no longer a valid proof. At the first slot (r = 1, no
        // ecMul), in the middle and last.
        uint256[3] memory at = [uint256(0), 7, 15];
        for (uint256 k = 0; k < at.length; k++) {
            uint256[8][] memory p = proofs(16);
            p[at[k]][1] = P - p[at[k]][1];
            rejects(p, inputs(16), BATCH_INVALID, string.concat("bad proof at ", toString(at[k])));
        }
        // A valid proof for another statement's inputs.
        uint256[][] memory x = inputs(16);
        x[3] = copy(x[3]);
        x[3][0] = addmod(x[3][0], 1, R);
        rejects(proofs(16), x, BATCH_INVALID, "changed input");
        // N = 1: the batch verifier is a plain verifier.
        uint256[8][] memory one = proofs(1);
        one[0][7] = P - one[0][7];
        rejects(one, inputs(1), BATCH_INVALID, "single bad proof");
    }

    /// Two false statements whose inputs sum to twice a true one, both with the true statement's
    /// proof: with all rᵢ = 1 the folded inputs equal the true ones twice over and the check
    /// would pass. Challenges bound to the batch make the two halves weigh differently.
    function test_the_cancellation_forgery_fails() public view {
        uint256[8][] memory p = new uint256[8][](2);
        p[0] = allProofs()[0];
        p[1] = allProofs()[0];
        uint256[][] memory x = new uint256[][](2);
        x[0] = copy(allInputs()[0]);
        x[1] = copy(allInputs()[0]);
        x[0][0] = addmod(x[0][0], 12345, R);
        x[1][0] = addmod(x[1][0], R - 12345, R);
        rejects(p, x, BATCH_INVALID, "cancellation forgery");
        // The same inside a larger batch, the pair at the end.
        uint256[8][] memory q = proofs(5);
        uint256[][] memory y = inputs(5);
        q[3] = p[0];
        q[4] = p[1];
        y[3] = x[0];
        y[4] = x[1];
        rejects(q, y, BATCH_INVALID, "cancellation forgery in a batch of 5");
    }

    function test_proofs_swapped_between_statements_fail() public view {
        uint256[8][] memory p = proofs(3);
        (p[0], p[1]) = (p[1], p[0]);
        rejects(p, inputs(3), BATCH_INVALID, "proofs 0 and 1 swapped");
        p = proofs(16);
        (p[4], p[9]) = (p[9], p[4]);
        rejects(p, inputs(16), BATCH_INVALID, "proofs 4 and 9 swapped");
    }

    function test_empty_and_mismatched_batches_are_refused() public view {
        rejects(new uint256[8][](0), new uint256[][](0), EMPTY, "empty batch");
        rejects(proofs(2), inputs(3), MISMATCH, "2 proofs, 3 input sets");
        rejects(proofs(3), inputs(2), MISMATCH, "3 proofs, 2 input sets");
        rejects(proofs(1), new uint256[][](0), MISMATCH, "1 proof, no inputs");
    }

    function test_inputs_not_below_r_are_refused() public view {
        for (uint256 i = 0; i < 2; i++) {
            for (uint256 j = 0; j < n(); j++) {
                uint256[][] memory x = inputs(3);
                x[i] = copy(x[i]);
                // x + r is the same scalar mod r: a verifier that reduced inputs would accept it.
                x[i][j] += R;
                rejects(proofs(3), x, INPUT_NOT_IN_FIELD, "input >= r");
            }
        }
    }

    function test_bad_points_are_refused() public view {
        for (uint256 i = 0; i < 2; i++) {
            // off the curve: A.y + 1, C.y + 1; B off the twist
            uint256[3] memory words = [uint256(1), 7, 2];
            for (uint256 w = 0; w < 3; w++) {
                uint256[8][] memory p = proofs(3);
                p[i][words[w]] = addmod(p[i][words[w]], 1, P);
                rejects(p, inputs(3), INVALID_POINT, string.concat("point off the curve in proof ", toString(i)));
            }
            // a coordinate + p (the same field element, not canonical)
            for (uint256 w = 0; w < 8; w++) {
                uint256[8][] memory p = proofs(3);
                p[i][w] += P;
                rejects(p, inputs(3), INVALID_POINT, string.concat("coordinate >= p in proof ", toString(i)));
            }
        }
        uint256[8][] memory one = proofs(1);
        one[0][6] += P;
        rejects(one, inputs(1), INVALID_POINT, "C >= p, N = 1");
    }

    /// The contract's challenges follow the transcript's definition, and depend on every proof.
    function test_challenges_follow_the_transcript() public view {
        uint256[8][] memory p = proofs(4);
        uint256[][] memory x = inputs(4);
        Groth16BatchVerifierN2 any = Groth16BatchVerifierN2(verifier);
        bytes memory data = abi.encodePacked(any.DOMAIN(), any.VK_HASH(), uint256(4));
        for (uint256 i = 0; i < 4; i++) data = bytes.concat(data, abi.encodePacked(p[i]));
        for (uint256 i = 0; i < 4; i++) data = bytes.concat(data, abi.encodePacked(x[i]));
        bytes32 seed = keccak256(data);
        uint256[] memory r = challenges(p, x);
        check(r.length == 4 && r[0] == 1, "r0 must be 1");
        for (uint256 i = 1; i < 4; i++) {
            check(r[i] == uint256(keccak256(abi.encode(seed, i))) & type(uint128).max, "challenge differs from the transcript");
        }
        check(any.DOMAIN() == bytes32("zkbatch.groth16.batch.v1"), "domain");
        (p[2], p[3]) = (p[3], p[2]);
        uint256[] memory s = challenges(p, x);
        check(s[1] != r[1], "challenges ignore the proofs' order");
    }
}

contract BatchVerifierN2Test is BatchCases {
    function setUp() public { verifier = address(new Groth16BatchVerifierN2()); }
    function n() internal pure override returns (uint256) { return 2; }
    function allProofs() internal pure override returns (uint256[8][] memory) { return BatchFixtureN2.proofs(); }
    function allInputs() internal pure override returns (uint256[][] memory) { return BatchInputs.n2(); }
}

contract BatchVerifierN4Test is BatchCases {
    function setUp() public { verifier = address(new Groth16BatchVerifierN4()); }
    function n() internal pure override returns (uint256) { return 4; }
    function allProofs() internal pure override returns (uint256[8][] memory) { return BatchFixtureN4.proofs(); }
    function allInputs() internal pure override returns (uint256[][] memory) { return BatchInputs.n4(); }
}

/// n = 1: two proofs (FixtureN1) in a batch pass; swapped they fail.
contract BatchVerifierN1Test is BatchCalls {
    function setUp() public { verifier = address(new Groth16BatchVerifierN1()); }
    function n() internal pure override returns (uint256) { return 1; }

    function pair(bool swap) internal pure returns (uint256[8][] memory p, uint256[][] memory x) {
        p = new uint256[8][](2);
        (p[0], p[1]) = swap ? (FixtureN1.proof1(), FixtureN1.proof0()) : (FixtureN1.proof0(), FixtureN1.proof1());
        x = new uint256[][](2);
        uint256[1][2] memory a = [FixtureN1.inputs0(), FixtureN1.inputs1()];
        for (uint256 i = 0; i < 2; i++) {
            x[i] = new uint256[](1);
            for (uint256 j = 0; j < 1; j++) x[i][j] = a[i][j];
        }
    }

    function test_two_proofs() public view {
        (uint256[8][] memory p, uint256[][] memory x) = pair(false);
        check(accepts(p, x), "valid pair rejected");
        (p, x) = pair(true);
        rejects(p, x, BATCH_INVALID, "swapped pair");
        (p, x) = pair(false);
        x[1][0] += R;
        rejects(p, x, INPUT_NOT_IN_FIELD, "input >= r");
    }
}

/// n = 8: two proofs (FixtureN8) in a batch pass; swapped they fail.
contract BatchVerifierN8Test is BatchCalls {
    function setUp() public { verifier = address(new Groth16BatchVerifierN8()); }
    function n() internal pure override returns (uint256) { return 8; }

    function pair(bool swap) internal pure returns (uint256[8][] memory p, uint256[][] memory x) {
        p = new uint256[8][](2);
        (p[0], p[1]) = swap ? (FixtureN8.proof1(), FixtureN8.proof0()) : (FixtureN8.proof0(), FixtureN8.proof1());
        x = new uint256[][](2);
        uint256[8][2] memory a = [FixtureN8.inputs0(), FixtureN8.inputs1()];
        for (uint256 i = 0; i < 2; i++) {
            x[i] = new uint256[](8);
            for (uint256 j = 0; j < 8; j++) x[i][j] = a[i][j];
        }
    }

    function test_two_proofs() public view {
        (uint256[8][] memory p, uint256[][] memory x) = pair(false);
        check(accepts(p, x), "valid pair rejected");
        (p, x) = pair(true);
        rejects(p, x, BATCH_INVALID, "swapped pair");
        (p, x) = pair(false);
        x[1][7] += R;
        rejects(p, x, INPUT_NOT_IN_FIELD, "input >= r");
    }
}

/// n = 16: two proofs (FixtureN16) in a batch pass; swapped they fail.
contract BatchVerifierN16Test is BatchCalls {
    function setUp() public { verifier = address(new Groth16BatchVerifierN16()); }
    function n() internal pure override returns (uint256) { return 16; }

    function pair(bool swap) internal pure returns (uint256[8][] memory p, uint256[][] memory x) {
        p = new uint256[8][](2);
        (p[0], p[1]) = swap ? (FixtureN16.proof1(), FixtureN16.proof0()) : (FixtureN16.proof0(), FixtureN16.proof1());
        x = new uint256[][](2);
        uint256[16][2] memory a = [FixtureN16.inputs0(), FixtureN16.inputs1()];
        for (uint256 i = 0; i < 2; i++) {
            x[i] = new uint256[](16);
            for (uint256 j = 0; j < 16; j++) x[i][j] = a[i][j];
        }
    }

    function test_two_proofs() public view {
        (uint256[8][] memory p, uint256[][] memory x) = pair(false);
        check(accepts(p, x), "valid pair rejected");
        (p, x) = pair(true);
        rejects(p, x, BATCH_INVALID, "swapped pair");
        (p, x) = pair(false);
        x[1][15] += R;
        rejects(p, x, INPUT_NOT_IN_FIELD, "input >= r");
    }
}
