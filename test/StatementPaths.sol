// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The Merkle path of a statement in a batch, built level by level as an indexer would (from the
/// leaves the registries' events carry), independently of `StatementTree`.
library StatementPaths {
    function leaf(uint256 key, bytes32 inputsHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(key, inputsHash));
    }

    /// The siblings of leaf `index` from the bottom level up (a level's odd last node has none).
    function path(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory out) {
        bytes32[] memory level = leaves;
        bytes32[] memory siblings = new bytes32[](256);
        uint256 used;
        while (level.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < level.length) siblings[used++] = level[sibling];
            bytes32[] memory up = new bytes32[]((level.length + 1) / 2);
            for (uint256 i; i < up.length; ++i) {
                up[i] = 2 * i + 1 < level.length ? keccak256(abi.encodePacked(level[2 * i], level[2 * i + 1])) : level[2 * i];
            }
            level = up;
            index /= 2;
        }
        out = new bytes32[](used);
        for (uint256 i; i < used; ++i) out[i] = siblings[i];
    }
}
