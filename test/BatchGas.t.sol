// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {vm} from "./Check.sol";
import {BatchCalls} from "./BatchVerifier.t.sol";

/// All-in gas per proof of batch verification, beside single verification: what a transaction
/// sending the call would use (21,000 + calldata at 16 gas per non-zero byte and 4 per zero byte
/// + the call's execution gas), recorded in snapshots/BatchGas.json. The Rust test
/// `crates/aggregator/tests/it/anvil.rs` sends the same transactions to anvil and checks that their
/// receipts' gasUsed equals these figures.
abstract contract BatchGasCases is BatchCalls {
    function allProofs() internal pure virtual returns (uint256[8][] memory);
    function allInputs() internal pure virtual returns (uint256[][] memory);
    function single() internal virtual returns (address);

    function calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i = 0; i < data.length; i++) g += data[i] == 0 ? 4 : 16;
    }

    function record(string memory name, bytes memory data, uint256 count) internal {
        uint256 execution = vm.snapshotGasLastCall("BatchGas", string.concat(name, "_execution"));
        uint256 total = 21_000 + calldataGas(data) + execution;
        vm.snapshotValue("BatchGas", string.concat(name, "_tx"), total);
        vm.snapshotValue("BatchGas", string.concat(name, "_tx_per_proof"), total / count);
    }

    function batch(uint256 count) internal {
        uint256[8][] memory all = allProofs();
        uint256[][] memory xs = allInputs();
        uint256[8][] memory p = new uint256[8][](count);
        uint256[][] memory x = new uint256[][](count);
        for (uint256 i = 0; i < count; i++) (p[i], x[i]) = (all[i], xs[i]);
        bytes memory data = encode(selector("verifyBatch"), p, x);
        (bool ok,) = verifier.call(data);
        check(ok, "valid batch rejected");
        record(string.concat("batch_n", toString(n()), "_N", toString(count)), data, count);
    }

    /// The single verifier's snarkjs-compatible verifyProof on the first proof.
    function test_gas_single() public {
        address v = single();
        uint256[8] memory p = allProofs()[0];
        bytes memory data = abi.encodePacked(
            bytes4(keccak256(bytes(string.concat("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", toString(n()), "])")))),
            p,
            allInputs()[0]
        );
        (bool ok, bytes memory ret) = v.call(data);
        check(ok && abi.decode(ret, (bool)), "valid proof rejected");
        record(string.concat("single_n", toString(n())), data, 1);
    }

    function test_gas_N1() public { batch(1); }
    function test_gas_N2() public { batch(2); }
    function test_gas_N4() public { batch(4); }
    function test_gas_N8() public { batch(8); }
    function test_gas_N16() public { batch(16); }
    function test_gas_N32() public { batch(32); }
    function test_gas_N64() public { batch(64); }
}
