// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Check} from "./utils/Check.sol";
import {Groth16VerifierN1} from "./fixtures/Groth16VerifierN1.sol";
import {FixtureN1} from "./fixtures/FixtureN1.sol";
import {SnarkjsVerifierN1} from "./snarkjs/SnarkjsVerifierN1.sol";
import {Groth16VerifierN2} from "./fixtures/Groth16VerifierN2.sol";
import {FixtureN2} from "./fixtures/FixtureN2.sol";
import {SnarkjsVerifierN2} from "./snarkjs/SnarkjsVerifierN2.sol";
import {Groth16VerifierN4} from "./fixtures/Groth16VerifierN4.sol";
import {FixtureN4} from "./fixtures/FixtureN4.sol";
import {SnarkjsVerifierN4} from "./snarkjs/SnarkjsVerifierN4.sol";
import {Groth16VerifierN8} from "./fixtures/Groth16VerifierN8.sol";
import {FixtureN8} from "./fixtures/FixtureN8.sol";
import {SnarkjsVerifierN8} from "./snarkjs/SnarkjsVerifierN8.sol";
import {Groth16VerifierN16} from "./fixtures/Groth16VerifierN16.sol";
import {FixtureN16} from "./fixtures/FixtureN16.sol";
import {SnarkjsVerifierN16} from "./snarkjs/SnarkjsVerifierN16.sol";

interface Cheats {
    function snapshotGasLastCall(string calldata group, string calldata name) external returns (uint256);
}

/// Verifier execution gas, zkbatch's generated verifier beside snarkjs's for the same verifying key
/// and proof, for n = 1, 2, 4, 8, 16 public inputs. Each test makes one verifier call; forge records
/// that call's execution gas in snapshots/VerifierGas.json (snapshotGasLastCall) and the whole
/// test's gas in .gas-snapshot. BENCHMARKS.md's table comes from snapshots/VerifierGas.json.
contract VerifierGasTest is Check {
    Cheats constant cheats = Cheats(address(uint160(uint256(keccak256("hevm cheat code")))));

    function record(string memory name, bool ok) internal {
        check(ok, string.concat(name, ": valid proof not accepted"));
        cheats.snapshotGasLastCall("VerifierGas", name);
    }

    function test_gas_n1_zkbatch_verifyProof() public {
        Groth16VerifierN1 v = new Groth16VerifierN1();
        uint256[8] memory p = FixtureN1.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN1.inputs0());
        record("zkbatch_verifyProof_n1", ok);
    }

    function test_gas_n1_zkbatch_verify() public {
        Groth16VerifierN1 v = new Groth16VerifierN1();
        uint256[1] memory a = FixtureN1.inputs0();
        uint256[] memory x = new uint256[](1);
        for (uint256 i = 0; i < 1; i++) x[i] = a[i];
        bytes memory proof = abi.encodePacked(FixtureN1.proof0());
        v.verify(proof, x);
        record("zkbatch_verify_n1", true);
    }

    function test_gas_n1_zkbatch_verifyCompressedProof() public {
        Groth16VerifierN1 v = new Groth16VerifierN1();
        v.verifyCompressedProof(FixtureN1.compressed0(), FixtureN1.inputs0());
        record("zkbatch_verifyCompressedProof_n1", true);
    }

    function test_gas_n1_snarkjs_verifyProof() public {
        SnarkjsVerifierN1 v = new SnarkjsVerifierN1();
        uint256[8] memory p = FixtureN1.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN1.inputs0());
        record("snarkjs_verifyProof_n1", ok);
    }

    function test_gas_n2_zkbatch_verifyProof() public {
        Groth16VerifierN2 v = new Groth16VerifierN2();
        uint256[8] memory p = FixtureN2.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN2.inputs0());
        record("zkbatch_verifyProof_n2", ok);
    }

    function test_gas_n2_zkbatch_verify() public {
        Groth16VerifierN2 v = new Groth16VerifierN2();
        uint256[2] memory a = FixtureN2.inputs0();
        uint256[] memory x = new uint256[](2);
        for (uint256 i = 0; i < 2; i++) x[i] = a[i];
        bytes memory proof = abi.encodePacked(FixtureN2.proof0());
        v.verify(proof, x);
        record("zkbatch_verify_n2", true);
    }

    function test_gas_n2_zkbatch_verifyCompressedProof() public {
        Groth16VerifierN2 v = new Groth16VerifierN2();
        v.verifyCompressedProof(FixtureN2.compressed0(), FixtureN2.inputs0());
        record("zkbatch_verifyCompressedProof_n2", true);
    }

    function test_gas_n2_snarkjs_verifyProof() public {
        SnarkjsVerifierN2 v = new SnarkjsVerifierN2();
        uint256[8] memory p = FixtureN2.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN2.inputs0());
        record("snarkjs_verifyProof_n2", ok);
    }

    function test_gas_n4_zkbatch_verifyProof() public {
        Groth16VerifierN4 v = new Groth16VerifierN4();
        uint256[8] memory p = FixtureN4.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN4.inputs0());
        record("zkbatch_verifyProof_n4", ok);
    }

    function test_gas_n4_zkbatch_verify() public {
        Groth16VerifierN4 v = new Groth16VerifierN4();
        uint256[4] memory a = FixtureN4.inputs0();
        uint256[] memory x = new uint256[](4);
        for (uint256 i = 0; i < 4; i++) x[i] = a[i];
        bytes memory proof = abi.encodePacked(FixtureN4.proof0());
        v.verify(proof, x);
        record("zkbatch_verify_n4", true);
    }

    function test_gas_n4_zkbatch_verifyCompressedProof() public {
        Groth16VerifierN4 v = new Groth16VerifierN4();
        v.verifyCompressedProof(FixtureN4.compressed0(), FixtureN4.inputs0());
        record("zkbatch_verifyCompressedProof_n4", true);
    }

    function test_gas_n4_snarkjs_verifyProof() public {
        SnarkjsVerifierN4 v = new SnarkjsVerifierN4();
        uint256[8] memory p = FixtureN4.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN4.inputs0());
        record("snarkjs_verifyProof_n4", ok);
    }

    function test_gas_n8_zkbatch_verifyProof() public {
        Groth16VerifierN8 v = new Groth16VerifierN8();
        uint256[8] memory p = FixtureN8.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN8.inputs0());
        record("zkbatch_verifyProof_n8", ok);
    }

    function test_gas_n8_zkbatch_verify() public {
        Groth16VerifierN8 v = new Groth16VerifierN8();
        uint256[8] memory a = FixtureN8.inputs0();
        uint256[] memory x = new uint256[](8);
        for (uint256 i = 0; i < 8; i++) x[i] = a[i];
        bytes memory proof = abi.encodePacked(FixtureN8.proof0());
        v.verify(proof, x);
        record("zkbatch_verify_n8", true);
    }

    function test_gas_n8_zkbatch_verifyCompressedProof() public {
        Groth16VerifierN8 v = new Groth16VerifierN8();
        v.verifyCompressedProof(FixtureN8.compressed0(), FixtureN8.inputs0());
        record("zkbatch_verifyCompressedProof_n8", true);
    }

    function test_gas_n8_snarkjs_verifyProof() public {
        SnarkjsVerifierN8 v = new SnarkjsVerifierN8();
        uint256[8] memory p = FixtureN8.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN8.inputs0());
        record("snarkjs_verifyProof_n8", ok);
    }

    function test_gas_n16_zkbatch_verifyProof() public {
        Groth16VerifierN16 v = new Groth16VerifierN16();
        uint256[8] memory p = FixtureN16.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN16.inputs0());
        record("zkbatch_verifyProof_n16", ok);
    }

    function test_gas_n16_zkbatch_verify() public {
        Groth16VerifierN16 v = new Groth16VerifierN16();
        uint256[16] memory a = FixtureN16.inputs0();
        uint256[] memory x = new uint256[](16);
        for (uint256 i = 0; i < 16; i++) x[i] = a[i];
        bytes memory proof = abi.encodePacked(FixtureN16.proof0());
        v.verify(proof, x);
        record("zkbatch_verify_n16", true);
    }

    function test_gas_n16_zkbatch_verifyCompressedProof() public {
        Groth16VerifierN16 v = new Groth16VerifierN16();
        v.verifyCompressedProof(FixtureN16.compressed0(), FixtureN16.inputs0());
        record("zkbatch_verifyCompressedProof_n16", true);
    }

    function test_gas_n16_snarkjs_verifyProof() public {
        SnarkjsVerifierN16 v = new SnarkjsVerifierN16();
        uint256[8] memory p = FixtureN16.proof0();
        bool ok = v.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], FixtureN16.inputs0());
        record("snarkjs_verifyProof_n16", ok);
    }
}
