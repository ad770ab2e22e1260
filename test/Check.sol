// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The few test helpers our forge tests need (forge-std from npm is incomplete, so we do not use it).
abstract contract Check {
    /// Base field modulus p.
    uint256 internal constant P = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// Scalar field modulus r.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    function check(bool cond, string memory message) internal pure {
        if (!cond) revert(message);
    }

    /// A call's outcome must be a revert carrying exactly the custom error `selector`.
    function checkReverts(bool success, bytes memory ret, bytes4 selector, string memory message) internal pure {
        check(!success, string.concat(message, ": did not revert"));
        check(ret.length == 4 && bytes4(ret) == selector, string.concat(message, ": reverted with another error"));
    }

    function toString(uint256 v) internal pure returns (string memory s) {
        if (v == 0) return "0";
        while (v != 0) {
            s = string.concat(string(abi.encodePacked(bytes1(uint8(48 + (v % 10))))), s);
            v /= 10;
        }
    }
}

/// A log as forge's `getRecordedLogs` returns it.
struct RecordedLog {
    bytes32[] topics;
    bytes data;
    address emitter;
}

/// forge's cheatcodes, declared here for what we use.
interface Vm {
    function snapshotGasLastCall(string calldata group, string calldata name) external returns (uint256);
    function snapshotValue(string calldata group, string calldata name, uint256 value) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (RecordedLog[] memory);
    /// Marks the address's account and storage cold again, as at the start of a transaction.
    function cool(address target) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
