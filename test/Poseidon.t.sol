// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Check} from "./utils/Check.sol";
import {PoseidonVectors} from "./fixtures/PoseidonVectors.sol";
import {PoseidonT2} from "../contracts/PoseidonT2.sol";
import {PoseidonT3} from "../contracts/PoseidonT3.sol";
import {PoseidonT4} from "../contracts/PoseidonT4.sol";
import {PoseidonT5} from "../contracts/PoseidonT5.sol";
import {PoseidonT6} from "../contracts/PoseidonT6.sol";
import {PoseidonT2 as PsT2} from "poseidon-solidity/PoseidonT2.sol";
import {PoseidonT3 as PsT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4 as PsT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT5 as PsT5} from "poseidon-solidity/PoseidonT5.sol";
import {PoseidonT6 as PsT6} from "poseidon-solidity/PoseidonT6.sol";

interface GasCheats {
    function snapshotGasLastCall(string calldata group, string calldata name) external returns (uint256);
}

/// zkbatch's Poseidon contracts: circomlibjs's outputs and our Rust Poseidon's on random inputs
/// (test/fixtures/PoseidonVectors.sol), refusal of inputs >= p, and execution gas beside
/// poseidon-solidity (npm, compiled with this project's settings) on the same inputs
/// (snapshots/PoseidonGas.json, .gas-snapshot).
contract PoseidonTest is Check {
    GasCheats constant cheats = GasCheats(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes4 constant NOT_IN_FIELD = bytes4(keccak256("InputNotInField()"));

    function test_T2_equals_circomlibjs_and_rust() public {
        PoseidonT2 h = new PoseidonT2();
        (uint256[1][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t2();
        for (uint256 i = 0; i < inputs.length; i++) {
            check(h.hash(inputs[i]) == outputs[i], string.concat("PoseidonT2 vector ", toString(i)));
            check(PsT2.hash(inputs[i]) == outputs[i], "poseidon-solidity disagrees with the vectors");
        }
    }

    function test_T2_refuses_inputs_not_below_p() public {
        PoseidonT2 h = new PoseidonT2();
        (uint256[1][] memory inputs,) = PoseidonVectors.t2();
        for (uint256 j = 0; j < 1; j++) {
            uint256[1] memory x = inputs[1];
            x[j] = x[j] + R; // the same field element, not canonical
            (bool success, bytes memory ret) = address(h).staticcall(abi.encodeCall(PoseidonT2.hash, (x)));
            checkReverts(success, ret, NOT_IN_FIELD, "input >= p");
        }
    }

    function test_gas_T2_zkbatch() public {
        PoseidonT2 h = new PoseidonT2();
        (uint256[1][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t2();
        check(h.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "zkbatch_T2");
    }

    function test_gas_T2_poseidon_solidity() public {
        (uint256[1][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t2();
        check(PsT2.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "poseidon_solidity_T2");
    }

    function test_T3_equals_circomlibjs_and_rust() public {
        PoseidonT3 h = new PoseidonT3();
        (uint256[2][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t3();
        for (uint256 i = 0; i < inputs.length; i++) {
            check(h.hash(inputs[i]) == outputs[i], string.concat("PoseidonT3 vector ", toString(i)));
            check(PsT3.hash(inputs[i]) == outputs[i], "poseidon-solidity disagrees with the vectors");
        }
    }

    function test_T3_refuses_inputs_not_below_p() public {
        PoseidonT3 h = new PoseidonT3();
        (uint256[2][] memory inputs,) = PoseidonVectors.t3();
        for (uint256 j = 0; j < 2; j++) {
            uint256[2] memory x = inputs[1];
            x[j] = x[j] + R; // the same field element, not canonical
            (bool success, bytes memory ret) = address(h).staticcall(abi.encodeCall(PoseidonT3.hash, (x)));
            checkReverts(success, ret, NOT_IN_FIELD, "input >= p");
        }
    }

    function test_gas_T3_zkbatch() public {
        PoseidonT3 h = new PoseidonT3();
        (uint256[2][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t3();
        check(h.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "zkbatch_T3");
    }

    function test_gas_T3_poseidon_solidity() public {
        (uint256[2][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t3();
        check(PsT3.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "poseidon_solidity_T3");
    }

    function test_T4_equals_circomlibjs_and_rust() public {
        PoseidonT4 h = new PoseidonT4();
        (uint256[3][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t4();
        for (uint256 i = 0; i < inputs.length; i++) {
            check(h.hash(inputs[i]) == outputs[i], string.concat("PoseidonT4 vector ", toString(i)));
            check(PsT4.hash(inputs[i]) == outputs[i], "poseidon-solidity disagrees with the vectors");
        }
    }

    function test_T4_refuses_inputs_not_below_p() public {
        PoseidonT4 h = new PoseidonT4();
        (uint256[3][] memory inputs,) = PoseidonVectors.t4();
        for (uint256 j = 0; j < 3; j++) {
            uint256[3] memory x = inputs[1];
            x[j] = x[j] + R; // the same field element, not canonical
            (bool success, bytes memory ret) = address(h).staticcall(abi.encodeCall(PoseidonT4.hash, (x)));
            checkReverts(success, ret, NOT_IN_FIELD, "input >= p");
        }
    }

    function test_gas_T4_zkbatch() public {
        PoseidonT4 h = new PoseidonT4();
        (uint256[3][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t4();
        check(h.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "zkbatch_T4");
    }

    function test_gas_T4_poseidon_solidity() public {
        (uint256[3][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t4();
        check(PsT4.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "poseidon_solidity_T4");
    }

    function test_T5_equals_circomlibjs_and_rust() public {
        PoseidonT5 h = new PoseidonT5();
        (uint256[4][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t5();
        for (uint256 i = 0; i < inputs.length; i++) {
            check(h.hash(inputs[i]) == outputs[i], string.concat("PoseidonT5 vector ", toString(i)));
            check(PsT5.hash(inputs[i]) == outputs[i], "poseidon-solidity disagrees with the vectors");
        }
    }

    function test_T5_refuses_inputs_not_below_p() public {
        PoseidonT5 h = new PoseidonT5();
        (uint256[4][] memory inputs,) = PoseidonVectors.t5();
        for (uint256 j = 0; j < 4; j++) {
            uint256[4] memory x = inputs[1];
            x[j] = x[j] + R; // the same field element, not canonical
            (bool success, bytes memory ret) = address(h).staticcall(abi.encodeCall(PoseidonT5.hash, (x)));
            checkReverts(success, ret, NOT_IN_FIELD, "input >= p");
        }
    }

    function test_gas_T5_zkbatch() public {
        PoseidonT5 h = new PoseidonT5();
        (uint256[4][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t5();
        check(h.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "zkbatch_T5");
    }

    function test_gas_T5_poseidon_solidity() public {
        (uint256[4][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t5();
        check(PsT5.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "poseidon_solidity_T5");
    }

    function test_T6_equals_circomlibjs_and_rust() public {
        PoseidonT6 h = new PoseidonT6();
        (uint256[5][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t6();
        for (uint256 i = 0; i < inputs.length; i++) {
            check(h.hash(inputs[i]) == outputs[i], string.concat("PoseidonT6 vector ", toString(i)));
            check(PsT6.hash(inputs[i]) == outputs[i], "poseidon-solidity disagrees with the vectors");
        }
    }

    function test_T6_refuses_inputs_not_below_p() public {
        PoseidonT6 h = new PoseidonT6();
        (uint256[5][] memory inputs,) = PoseidonVectors.t6();
        for (uint256 j = 0; j < 5; j++) {
            uint256[5] memory x = inputs[1];
            x[j] = x[j] + R; // the same field element, not canonical
            (bool success, bytes memory ret) = address(h).staticcall(abi.encodeCall(PoseidonT6.hash, (x)));
            checkReverts(success, ret, NOT_IN_FIELD, "input >= p");
        }
    }

    function test_gas_T6_zkbatch() public {
        PoseidonT6 h = new PoseidonT6();
        (uint256[5][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t6();
        check(h.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "zkbatch_T6");
    }

    function test_gas_T6_poseidon_solidity() public {
        (uint256[5][] memory inputs, uint256[] memory outputs) = PoseidonVectors.t6();
        check(PsT6.hash(inputs[1]) == outputs[1], "wrong hash");
        cheats.snapshotGasLastCall("PoseidonGas", "poseidon_solidity_T6");
    }
}
