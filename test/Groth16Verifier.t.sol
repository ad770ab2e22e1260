// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Check} from "./utils/Check.sol";
import {Groth16VerifierN1} from "./fixtures/Groth16VerifierN1.sol";
import {Groth16VerifierN2} from "./fixtures/Groth16VerifierN2.sol";
import {Groth16VerifierN4} from "./fixtures/Groth16VerifierN4.sol";
import {Groth16VerifierN8} from "./fixtures/Groth16VerifierN8.sol";
import {Groth16VerifierN16} from "./fixtures/Groth16VerifierN16.sol";
import {FixtureN1} from "./fixtures/FixtureN1.sol";
import {FixtureN2} from "./fixtures/FixtureN2.sol";
import {FixtureN4} from "./fixtures/FixtureN4.sol";
import {FixtureN8} from "./fixtures/FixtureN8.sol";
import {FixtureN16} from "./fixtures/FixtureN16.sol";

/// The generated verifier against real proofs from zkbatch's prover (test/fixtures, `make fixtures`).
/// Every case runs for each public-input count; calls are built by hand so one body serves all.
abstract contract VerifierCases is Check {
    bytes4 constant PROOF_INVALID = bytes4(keccak256("ProofInvalid()"));
    bytes4 constant INPUT_NOT_IN_FIELD = bytes4(keccak256("PublicInputNotInField()"));
    bytes4 constant INVALID_POINT = bytes4(keccak256("InvalidProofPoint()"));
    bytes4 constant INVALID_LENGTH = bytes4(keccak256("InvalidProofLength()"));
    bytes4 constant INVALID_COUNT = bytes4(keccak256("InvalidPublicInputCount()"));

    /// A failing precompile burns all the gas it is given: bound each call like a real caller would.
    uint256 constant CALL_GAS = 2_000_000;

    address verifier;

    function n() internal pure virtual returns (uint256);
    function proof(uint256 k) internal pure virtual returns (uint256[8] memory);
    function compressed(uint256 k) internal pure virtual returns (uint256[4] memory);
    function inputs(uint256 k) internal pure virtual returns (uint256[] memory);

    function sig(string memory name, string memory params) internal pure returns (bytes4) {
        return bytes4(keccak256(bytes(string.concat(name, "(", params, "uint256[", toString(n()), "])"))));
    }

    function verifyProof(uint256[8] memory p, uint256[] memory x) internal view returns (bool success, bytes memory ret) {
        bytes memory data = abi.encodePacked(sig("verifyProof", "uint256[2],uint256[2][2],uint256[2],"), p, x);
        return verifier.staticcall{gas: CALL_GAS}(data);
    }

    /// true iff verifyProof returned true; false if it returned false; reverts are reported as such.
    function accepts(uint256[8] memory p, uint256[] memory x) internal view returns (bool) {
        (bool success, bytes memory ret) = verifyProof(p, x);
        check(success, "verifyProof reverted");
        return abi.decode(ret, (bool));
    }

    function verify(uint256[8] memory p, uint256[] memory x) internal view returns (bool success, bytes memory ret) {
        return verifier.staticcall{gas: CALL_GAS}(abi.encodeWithSignature("verify(bytes,uint256[])", abi.encodePacked(p), x));
    }

    function verifyCompressed(uint256[4] memory c, uint256[] memory x) internal view returns (bool success, bytes memory ret) {
        return verifier.staticcall{gas: CALL_GAS}(abi.encodePacked(sig("verifyCompressedProof", "uint256[4],"), c, x));
    }

    function test_valid_proofs_verify_through_every_entry() public view {
        for (uint256 k = 0; k < 2; k++) {
            check(accepts(proof(k), inputs(k)), "verifyProof rejected a valid proof");
            (bool ok,) = verify(proof(k), inputs(k));
            check(ok, "verify reverted on a valid proof");
            (ok,) = verifyCompressed(compressed(k), inputs(k));
            check(ok, "verifyCompressedProof reverted on a valid proof");
        }
    }

    function test_any_changed_proof_word_fails() public view {
        for (uint256 i = 0; i < 8; i++) {
            uint256[8] memory p = proof(0);
            p[i] = addmod(p[i], 1, P);
            (bool success, bytes memory ret) = verifyProof(p, inputs(0));
            // A changed coordinate leaves the curve (the precompile refuses it: revert) or, rarely,
            // lands on another point (the pairing fails: false). Never true.
            check(!success || !abi.decode(ret, (bool)), string.concat("verifyProof accepted changed word ", toString(i)));
            (success, ret) = verify(p, inputs(0));
            check(!success, string.concat("verify accepted changed word ", toString(i)));
            check(bytes4(ret) == INVALID_POINT || bytes4(ret) == PROOF_INVALID, "wrong error for a changed word");
        }
    }

    function test_any_changed_input_fails() public view {
        for (uint256 i = 0; i < n(); i++) {
            uint256[] memory x = inputs(0);
            x[i] = addmod(x[i], 1, R);
            check(!accepts(proof(0), x), "verifyProof accepted a changed input");
            (bool success, bytes memory ret) = verify(proof(0), x);
            checkReverts(success, ret, PROOF_INVALID, "verify, changed input");
            (success, ret) = verifyCompressed(compressed(0), x);
            checkReverts(success, ret, PROOF_INVALID, "verifyCompressedProof, changed input");
        }
    }

    function test_proofs_swapped_between_statements_fail() public view {
        check(!accepts(proof(0), inputs(1)), "proof 0 accepted for statement 1");
        check(!accepts(proof(1), inputs(0)), "proof 1 accepted for statement 0");
        (bool success, bytes memory ret) = verifyCompressed(compressed(1), inputs(0));
        checkReverts(success, ret, PROOF_INVALID, "compressed proof 1 for statement 0");
    }

    function test_inputs_not_below_r_are_refused() public view {
        for (uint256 i = 0; i < n(); i++) {
            uint256[] memory x = inputs(0);
            // x + r is the same scalar mod r: a verifier that reduced inputs would accept it.
            x[i] = x[i] + R;
            check(!accepts(proof(0), x), "verifyProof accepted an input >= r");
            (bool success, bytes memory ret) = verify(proof(0), x);
            checkReverts(success, ret, INPUT_NOT_IN_FIELD, "verify, input >= r");
            (success, ret) = verifyCompressed(compressed(0), x);
            checkReverts(success, ret, INPUT_NOT_IN_FIELD, "verifyCompressedProof, input >= r");
        }
    }

    function test_coordinates_not_below_p_are_refused() public view {
        for (uint256 i = 0; i < 8; i++) {
            uint256[8] memory p = proof(0);
            // The same field element plus p: only a verifier that reduced coordinates would accept it.
            p[i] = p[i] + P;
            (bool success, bytes memory ret) = verifyProof(p, inputs(0));
            checkReverts(success, ret, INVALID_POINT, "verifyProof, coordinate >= p");
            (success, ret) = verify(p, inputs(0));
            checkReverts(success, ret, INVALID_POINT, "verify, coordinate >= p");
        }
        for (uint256 i = 0; i < 4; i++) {
            uint256[4] memory c = compressed(0);
            uint256 flag = c[i] & (1 << 255);
            c[i] = ((c[i] & ~uint256(1 << 255)) + P) | flag;
            (bool success, bytes memory ret) = verifyCompressed(c, inputs(0));
            checkReverts(success, ret, INVALID_POINT, "verifyCompressedProof, coordinate >= p");
        }
    }

    function test_points_off_the_curve_are_refused() public view {
        uint256[8] memory p = proof(0);
        p[1] = addmod(p[1], 1, P); // A.y: (A.x, A.y + 1) is not on y² = x³ + 3
        (bool success, bytes memory ret) = verify(p, inputs(0));
        checkReverts(success, ret, INVALID_POINT, "A off the curve");
        p = proof(0);
        p[7] = addmod(p[7], 1, P);
        (success, ret) = verify(p, inputs(0));
        checkReverts(success, ret, INVALID_POINT, "C off the curve");
        p = proof(0);
        p[2] = addmod(p[2], 1, P);
        (success, ret) = verify(p, inputs(0));
        checkReverts(success, ret, INVALID_POINT, "B off the twist");
        // A compressed x with no point above it: x³ + 3 must be a non-residue for some small x.
        uint256[4] memory c = compressed(0);
        bool found;
        for (uint256 x = 1; x < 20 && !found; x++) {
            c[0] = x;
            (success, ret) = verifyCompressed(c, inputs(0));
            found = !success && bytes4(ret) == INVALID_POINT;
        }
        check(found, "no off-curve compressed x was refused");
    }

    function test_compressed_and_uncompressed_agree() public view {
        for (uint256 k = 0; k < 2; k++) {
            for (uint256 s = 0; s < 2; s++) {
                (bool plain,) = verify(proof(k), inputs(s));
                (bool packed,) = verifyCompressed(compressed(k), inputs(s));
                check(plain == packed && plain == (k == s), "compressed and uncompressed disagree");
            }
            // The flipped sign bit names the other y, −A: a different proof, which fails.
            uint256[4] memory c = compressed(k);
            c[0] ^= 1 << 255;
            (bool ok,) = verifyCompressed(c, inputs(k));
            check(!ok, "the other y was accepted");
        }
    }

    function test_wrong_lengths_are_refused() public view {
        (bool success, bytes memory ret) =
            verifier.staticcall{gas: CALL_GAS}(abi.encodeWithSignature("verify(bytes,uint256[])", abi.encodePacked(proof(0), uint256(0)), inputs(0)));
        checkReverts(success, ret, INVALID_LENGTH, "verify, 288-byte proof");
        uint256[] memory more = new uint256[](n() + 1);
        (success, ret) = verify(proof(0), more);
        checkReverts(success, ret, INVALID_COUNT, "verify, n + 1 inputs");
    }
}

contract Groth16VerifierN1Test is VerifierCases {
    function setUp() public { verifier = address(new Groth16VerifierN1()); }
    function n() internal pure override returns (uint256) { return 1; }
    function proof(uint256 k) internal pure override returns (uint256[8] memory) { return k == 0 ? FixtureN1.proof0() : FixtureN1.proof1(); }
    function compressed(uint256 k) internal pure override returns (uint256[4] memory) { return k == 0 ? FixtureN1.compressed0() : FixtureN1.compressed1(); }
    function inputs(uint256 k) internal pure override returns (uint256[] memory x) {
        uint256[1] memory a = k == 0 ? FixtureN1.inputs0() : FixtureN1.inputs1();
        x = new uint256[](1);
        for (uint256 i = 0; i < 1; i++) x[i] = a[i];
    }
}

contract Groth16VerifierN2Test is VerifierCases {
    function setUp() public { verifier = address(new Groth16VerifierN2()); }
    function n() internal pure override returns (uint256) { return 2; }
    function proof(uint256 k) internal pure override returns (uint256[8] memory) { return k == 0 ? FixtureN2.proof0() : FixtureN2.proof1(); }
    function compressed(uint256 k) internal pure override returns (uint256[4] memory) { return k == 0 ? FixtureN2.compressed0() : FixtureN2.compressed1(); }
    function inputs(uint256 k) internal pure override returns (uint256[] memory x) {
        uint256[2] memory a = k == 0 ? FixtureN2.inputs0() : FixtureN2.inputs1();
        x = new uint256[](2);
        for (uint256 i = 0; i < 2; i++) x[i] = a[i];
    }
}

contract Groth16VerifierN4Test is VerifierCases {
    function setUp() public { verifier = address(new Groth16VerifierN4()); }
    function n() internal pure override returns (uint256) { return 4; }
    function proof(uint256 k) internal pure override returns (uint256[8] memory) { return k == 0 ? FixtureN4.proof0() : FixtureN4.proof1(); }
    function compressed(uint256 k) internal pure override returns (uint256[4] memory) { return k == 0 ? FixtureN4.compressed0() : FixtureN4.compressed1(); }
    function inputs(uint256 k) internal pure override returns (uint256[] memory x) {
        uint256[4] memory a = k == 0 ? FixtureN4.inputs0() : FixtureN4.inputs1();
        x = new uint256[](4);
        for (uint256 i = 0; i < 4; i++) x[i] = a[i];
    }
}

contract Groth16VerifierN8Test is VerifierCases {
    function setUp() public { verifier = address(new Groth16VerifierN8()); }
    function n() internal pure override returns (uint256) { return 8; }
    function proof(uint256 k) internal pure override returns (uint256[8] memory) { return k == 0 ? FixtureN8.proof0() : FixtureN8.proof1(); }
    function compressed(uint256 k) internal pure override returns (uint256[4] memory) { return k == 0 ? FixtureN8.compressed0() : FixtureN8.compressed1(); }
    function inputs(uint256 k) internal pure override returns (uint256[] memory x) {
        uint256[8] memory a = k == 0 ? FixtureN8.inputs0() : FixtureN8.inputs1();
        x = new uint256[](8);
        for (uint256 i = 0; i < 8; i++) x[i] = a[i];
    }
}

contract Groth16VerifierN16Test is VerifierCases {
    function setUp() public { verifier = address(new Groth16VerifierN16()); }
    function n() internal pure override returns (uint256) { return 16; }
    function proof(uint256 k) internal pure override returns (uint256[8] memory) { return k == 0 ? FixtureN16.proof0() : FixtureN16.proof1(); }
    function compressed(uint256 k) internal pure override returns (uint256[4] memory) { return k == 0 ? FixtureN16.compressed0() : FixtureN16.compressed1(); }
    function inputs(uint256 k) internal pure override returns (uint256[] memory x) {
        uint256[16] memory a = k == 0 ? FixtureN16.inputs0() : FixtureN16.inputs1();
        x = new uint256[](16);
        for (uint256 i = 0; i < 16; i++) x[i] = a[i];
    }
}

import {Groth16VerifierMerkle20} from "./fixtures/Groth16VerifierMerkle20.sol";
import {SnarkjsMerkle20} from "./fixtures/SnarkjsMerkle20.sol";

/// An independent prover: snarkjs's proof for circom's merkle20, on the verifier we generate from
/// snarkjs's verification_key.json.
contract SnarkjsProofTest is Check {
    function test_snarkjs_proof_verifies_on_generated_verifier() public {
        Groth16VerifierMerkle20 v = new Groth16VerifierMerkle20();
        uint256[8] memory p = SnarkjsMerkle20.proof();
        uint256[2] memory x = SnarkjsMerkle20.inputs();
        check(v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], x), "snarkjs proof rejected");
        uint256[] memory xs = new uint256[](2);
        xs[0] = x[0];
        xs[1] = x[1];
        v.verify(abi.encodePacked(p), xs);
        v.verifyCompressedProof(SnarkjsMerkle20.compressed(), x);
        x[1] = x[1] ^ 1;
        check(!v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], x), "wrong root accepted");
    }
}
