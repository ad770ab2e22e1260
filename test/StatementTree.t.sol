// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Check} from "./Check.sol";
import {StatementTree} from "../contracts/StatementTree.sol";
import {StatementPaths} from "./StatementPaths.sol";

/// StatementTree's internal functions behind external ones (rootFrom reads its path from calldata).
contract StatementTreeHarness {
    function root(bytes32[] memory leaves) external pure returns (bytes32) {
        return StatementTree.root(leaves);
    }

    function rootFrom(bytes32 node, uint256 index, uint256 width, bytes32[] calldata path) external pure returns (bytes32) {
        return StatementTree.rootFrom(node, index, width, path);
    }
}

/// Both registries' tree against paths built level by level as an indexer would
/// (StatementPaths), for every width up to 9 (odd levels included).
contract StatementTreeTest is Check {
    StatementTreeHarness tree = new StatementTreeHarness();

    function test_MerklePathsForEveryWidth() public view {
        for (uint256 width = 1; width <= 9; ++width) {
            bytes32[] memory leaves = new bytes32[](width);
            for (uint256 i; i < width; ++i) leaves[i] = keccak256(abi.encode(width, i));
            bytes32 root = tree.root(leaves);
            check(width > 1 || root == leaves[0], "a batch of one is its own root");
            for (uint256 i; i < width; ++i) {
                bytes32[] memory path = StatementPaths.path(leaves, i);
                check(tree.rootFrom(leaves[i], i, width, path) == root, "path does not reach the root");
                check(tree.rootFrom(leaves[i], width, width, path) == bytes32(0), "an index past the width");
                if (path.length > 0) {
                    path[0] = bytes32(uint256(path[0]) ^ 1);
                    check(tree.rootFrom(leaves[i], i, width, path) != root, "a changed path reaches the root");
                }
            }
        }
    }
}
