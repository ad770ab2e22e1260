// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AggregatedProofRegistry
/// @notice Records Groth16 statements proven by one aggregate (halo2/KZG) proof, checked by the
/// snark-verifier contract that `zkbatch solgen aggregate` renders for one circuit shape
/// (N proofs of ℓ public inputs each).
///
/// Storage: one write per batch. Each statement i is the leaf
///   leaf_i = keccak256(vkHash ‖ keccak256(x_i1 ‖ … ‖ x_iℓ))
/// (vkHash: the aggregation circuit's Poseidon hash of the Groth16 verifying key, instance 0),
/// the N leaves form a Merkle tree (keccak256(left ‖ right); a level of odd length carries its
/// last node up unchanged) and only the root is stored. A per-statement mapping would cost a
/// fresh 20,000-gas slot per proof, more than the whole aggregate's verification per proof at
/// N = 32; an application proves membership instead with `isVerified(vkHash, inputsHash, index,
/// path)`, log2(N) hashes. `AggregateVerified` carries the leaves so indexers can build paths.
///
/// The verifier reduces instances mod r rather than refusing them, so `submit` refuses any
/// instance ≥ r first: a statement is recorded only in its canonical form.
contract AggregatedProofRegistry {
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
        root = merkleRoot(leaves);
        // A second submission of the same batch would only re-emit: refuse it, so one batch is one
        // event and the relayer's "exactly once" holds on-chain too.
        if (verifiedAt[root] != 0) revert AlreadyVerified(root);
        verifiedAt[root] = block.number;
        emit AggregateVerified(root, vkHash, leaves);
    }

    /// @notice Whether the statement (vkHash, inputsHash) was verified in some batch, given its
    /// index and Merkle path in that batch (from the batch's `AggregateVerified` leaves).
    /// @param inputsHash keccak256 of the statement's ℓ public inputs, 32-byte big-endian each.
    function isVerified(uint256 vkHash, bytes32 inputsHash, uint256 index, bytes32[] calldata path)
        external
        view
        returns (bool)
    {
        return verifiedAt[rootFrom(leaf(vkHash, inputsHash), index, path, slots)] != 0;
    }

    /// @notice The leaf of a statement.
    function leaf(uint256 vkHash, bytes32 inputsHash) public pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            // Scratch space: [0x00, 0x20) vkHash, [0x20, 0x40) inputsHash.
            mstore(0x00, vkHash)
            mstore(0x20, inputsHash)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice The Merkle root of `leaves` (overwritten: each level is written over the last).
    function merkleRoot(bytes32[] memory leaves) public pure returns (bytes32) {
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

    /// @notice The root reached from the `index`-th of `width` leaves along `path`: the sibling
    /// at each level where one exists (a level's odd last node has none and rises unchanged).
    function rootFrom(bytes32 node, uint256 index, bytes32[] calldata path, uint256 width)
        public
        pure
        returns (bytes32)
    {
        if (index >= width) return bytes32(0);
        uint256 used;
        while (width > 1) {
            bool hasSibling = index % 2 == 1 || index + 1 < width;
            if (hasSibling) {
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
