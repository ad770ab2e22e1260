// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStatementRegistry} from "./interfaces/IStatementRegistry.sol";
import {StatementTree} from "./StatementTree.sol";

/// @title AggregatedProofRegistry
/// @notice Records Groth16 statements proven by one aggregate (halo2/KZG) proof, checked by the
/// snark-verifier contract that `zkbatch solgen aggregate` renders for one circuit shape
/// (N proofs of ℓ public inputs each).
///
/// Storage: one write per batch. The N statements are the leaves of a `StatementTree` with key
/// vkHash (the aggregation circuit's Poseidon hash of the Groth16 verifying key, instance 0):
///   leaf_i = keccak256(vkHash ‖ keccak256(x_i1 ‖ … ‖ x_iℓ)),
/// and only the root is stored. A per-statement mapping would cost a fresh 20,000-gas slot per
/// proof, more than the whole aggregate's verification per proof at N = 32; an application proves
/// membership instead with `isVerified(vkHash, inputsHash, index, N, path)` (`IStatementRegistry`,
/// as `ProofRegistry` answers it), log2(N) hashes. `AggregateVerified` carries the leaves so
/// indexers can build paths.
///
/// The verifier reduces instances mod r rather than refusing them, so `submit` refuses any
/// instance ≥ r first: a statement is recorded only in its canonical form.
contract AggregatedProofRegistry is IStatementRegistry {
    /// The BN254 scalar field order r.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// The snark-verifier contract for this registry's shape.
    address public immutable verifier;
    /// N: statements per aggregate proof (partial batches are padded by repeating the last one).
    uint256 public immutable slots;
    /// ℓ: public inputs per statement.
    uint256 public immutable inputsPerProof;

    /// Merkle root of a verified batch => block number it was verified in (0: never).
    mapping(bytes32 => uint256) public verifiedAt;

    event AggregateVerified(bytes32 indexed root, uint256 indexed vkHash, bytes32[] leaves);

    error InstanceCount(uint256 expected, uint256 got);
    error InstanceNotInField(uint256 index);
    error AggregateProofInvalid();
    error AlreadyVerified(bytes32 root);

    constructor(address verifier_, uint256 slots_, uint256 inputsPerProof_) {
        verifier = verifier_;
        slots = slots_;
        inputsPerProof = inputsPerProof_;
    }

    /// @notice Verifies an aggregate proof and records its N statements.
    /// @param instances vkHash, then the N·ℓ inputs in slot order: exactly the verifier's instances.
    /// @param proof the aggregate proof bytes (zkbatch aggregate's `proof`).
    /// @return root the batch's Merkle root.
    function submit(uint256[] calldata instances, bytes calldata proof) external returns (bytes32 root) {
        uint256 n = slots;
        uint256 l = inputsPerProof;
        if (instances.length != 1 + n * l) revert InstanceCount(1 + n * l, instances.length);
        for (uint256 i; i < instances.length; ++i) {
            if (instances[i] >= R) revert InstanceNotInField(i);
        }

        (bool ok,) = verifier.staticcall(abi.encodePacked(instances, proof));
        if (!ok) revert AggregateProofInvalid();

        uint256 vkHash = instances[0];
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = leaf(vkHash, keccak256(abi.encodePacked(instances[1 + i * l:1 + (i + 1) * l])));
        }
        // StatementTree.root overwrites its array, and the event carries the leaves.
        bytes32[] memory nodes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            nodes[i] = leaves[i];
        }
        root = StatementTree.root(nodes);
        // A second submission of the same batch would only re-emit: refuse it, so one batch is one
        // event and the relayer's "exactly once" holds on-chain too.
        if (verifiedAt[root] != 0) revert AlreadyVerified(root);
        verifiedAt[root] = block.number;
        emit AggregateVerified(root, vkHash, leaves);
    }

    /// @inheritdoc IStatementRegistry
    /// @dev key is vkHash and width must be this registry's N (`slots`).
    function isVerified(uint256 key, bytes32 inputsHash, uint256 index, uint256 width, bytes32[] calldata path)
        external
        view
        returns (bool)
    {
        return width == slots && verifiedAt[StatementTree.rootFrom(leaf(key, inputsHash), index, width, path)] != 0;
    }

    /// @notice The leaf of a statement.
    function leaf(uint256 vkHash, bytes32 inputsHash) public pure returns (bytes32) {
        return StatementTree.leaf(vkHash, inputsHash);
    }
}
