// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title StatementTree
/// @notice The Merkle tree both registries record a batch's statements in, so an application
/// checks a statement the same way whichever mode verified it.
///
/// Leaf of statement i: keccak256(key ‖ inputsHash_i), where key names the verifying key (the
/// verifier's address for `ProofRegistry`, the aggregation circuit's vkHash for
/// `AggregatedProofRegistry`) and inputsHash_i = keccak256 of the statement's public inputs,
/// 32 bytes each. Inner nodes: keccak256(left ‖ right); a level of odd length carries its last node
/// up unchanged. A batch of one is its own root, with an empty path.
library StatementTree {
    /// The leaf of a statement.
    function leaf(uint256 key, bytes32 inputsHash) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            // Scratch space: [0x00, 0x20) key, [0x20, 0x40) inputsHash.
            mstore(0x00, key)
            mstore(0x20, inputsHash)
            h := keccak256(0x00, 0x40)
        }
    }

    /// The root of `leaves`, which it overwrites (each level is written over the last).
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        uint256 width = leaves.length;
        while (width > 1) {
            uint256 half;
            for (uint256 i; i + 1 < width; i += 2) {
                leaves[half++] = hashPair(leaves[i], leaves[i + 1]);
            }
            if (width % 2 == 1) leaves[half++] = leaves[width - 1];
            width = half;
        }
        return leaves[0];
    }

    /// The root reached from the `index`-th of `width` leaves along `path` (the sibling at each
    /// level where one exists), or zero — never a recorded root — when index or path length do
    /// not fit the width.
    function rootFrom(bytes32 node, uint256 index, uint256 width, bytes32[] calldata path)
        internal
        pure
        returns (bytes32)
    {
        if (index >= width) return bytes32(0);
        uint256 used;
        while (width > 1) {
            if (index % 2 == 1 || index + 1 < width) {
                if (used == path.length) return bytes32(0);
                bytes32 sibling = path[used++];
                node = index % 2 == 1 ? hashPair(sibling, node) : hashPair(node, sibling);
            }
            index /= 2;
            width = (width + 1) / 2;
        }
        return used == path.length ? node : bytes32(0);
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            // Scratch space: [0x00, 0x20) left, [0x20, 0x40) right.
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }
}
