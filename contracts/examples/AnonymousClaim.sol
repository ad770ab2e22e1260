// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStatementRegistry} from "../interfaces/IStatementRegistry.sol";
import {PoseidonT3} from "../PoseidonT3.sol";

/// @title AnonymousClaim
/// @notice An example application of zkbatch's registries on the merkle-20 circuit: members
/// deposit a commitment Poseidon(nullifier, secret) into an on-chain depth-20 Poseidon Merkle tree;
/// a member proves off-chain that it knows the secrets of some leaf under a recent root, without
/// saying which; the relayer lands the proof (single, batch or aggregate); then anyone may claim
/// with the statement's `isVerified` arguments (the relayer's proof status gives them), once per
/// nullifier.
///
/// The circuit's public inputs are [nullifierHash, root] with nullifierHash = Poseidon(nullifier),
/// so a statement names a member's one-time tag and a root, and nothing else: the claim carries no
/// recipient or message, and whoever sees a landed statement can claim it first. A real application
/// binds what the claim does (a recipient, a vote) as a further public input of its circuit, as
/// Semaphore binds its message; this contract shows the registry side.
///
/// Trust: the application pins, for each mode it accepts, the registry and the key that names the
/// verifying key there: `ProofRegistry` with the single verifier's address and with the batch
/// verifier's address (anyone may call that registry with any verifier, so the key is what makes a
/// statement this circuit's), and an `AggregatedProofRegistry` with the Groth16 key's vkHash (that
/// registry pins its own aggregate verifier). A zero registry turns a mode off.
///
/// The tree: Tornado Cash's incremental tree (the filled left subtree at each level, empty leaves
/// 0, so the circuit's fixed-depth path works); the root history is a mapping from root to the
/// deposit count that made it, one write per deposit, a root known for the next `ROOT_HISTORY`
/// deposits (so a proof made just before other deposits still lands).
contract AnonymousClaim {
    /// How a member's statement was verified.
    enum Mode {
        Single,
        Batch,
        Aggregate
    }

    uint256 internal constant DEPTH = 20;
    /// Deposits after which a root is no longer accepted.
    uint256 public constant ROOT_HISTORY = 30;
    /// The BN254 scalar field order r: commitments are field elements.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// zeros[i], the root of an empty subtree of height i (zeros[0] = 0, zeros[i + 1] = H(zeros[i],
    /// zeros[i])), 32 bytes each for i = 0..19; a forge test recomputes them with the deployed
    /// PoseidonT3.
    bytes internal constant ZEROS = hex"00000000000000000000000000000000000000000000000000000000000000002098f5fb9e239eab3ceac3f27b81e481dc3124d55ffed523a839ee8446b648641069673dcdb12263df301a6ff584a7ec261a44cb9dc68df067a4774460b1f1e118f43331537ee2af2e3d758d50f72106467c6eea50371dd528d57eb2b856d23807f9d837cb17b0d36320ffe93ba52345f1b728571a568265caac97559dbc952a2b94cf5e8746b3f5c9631f4c5df32907a699c58c94b2ad4d7b5cec1639183f552dee93c5a666459646ea7d22cca9e1bcfed71e6951b953611d11dda32ea09d78078295e5a22b84e982cf601eb639597b8b0515a88cb5ac7fa8a4aabe3c87349d2fa5e5f18f6027a6501bec864564472a616b2e274a41211a444cbe3a99f3cc610e884376d0d8fd21ecb780389e941f66e45e7acce3e228ab3e2156a614fcd7471b7201da72494f1e28717ad1a52eb469f95892f957713533de6175e5da190af21f8d8822725e36385200c0b201249819a6e6e1e4650808b5bebc6bface7d76362c5d82f66c914bafb9701589ba8cfcfb6162b0a12acf88a8d0879a0471b5f85a14c54148a0940bb820957f5adf3fa1134ef5c4aaa113f4646458f270e0bfbfd0190d33b12f986f961e10c0ee44d8b9af11be25588cad89d416118e4bf4ebe80c22f98aa9ce704152ac17354914ad73ed1167ae6596af510aa5b3649325e06c922a7c7c9b6ce5880b9f6f228d72bf6a575a526f29c66ecceef8b753d38bba73232e8186e558698ec1c67af9c14d463ffc470043c9c2988b954d75dd643f36b9920f57c5571e9a4eab49e2c8cf050dae948aef6ead647392273546249d1c1ff10f1830ee67b5fb554ad5f63d4388800e1cfe78e310697d46e43c9ce36134f72cca";

    PoseidonT3 public immutable poseidon;
    IStatementRegistry public immutable registry;
    uint256 public immutable singleKey;
    uint256 public immutable batchKey;
    IStatementRegistry public immutable aggregateRegistry;
    uint256 public immutable vkHash;

    /// The tree's current root, and how many leaves it has.
    uint256 public root;
    uint256 public deposits;
    /// The left subtree filled last at each level.
    uint256[DEPTH] internal filled;
    /// Root => the deposit count that made it (0: never a root here).
    mapping(uint256 => uint256) public rootMadeAt;
    /// Nullifier hashes already claimed.
    mapping(uint256 => bool) public claimed;

    event Deposited(uint256 indexed commitment, uint256 index, uint256 root);
    event Claimed(uint256 indexed nullifierHash, uint256 root, Mode mode);

    /// The commitment is not a field element (the circuit could not prove it).
    error CommitmentNotInField();
    /// All 2^20 leaves are used.
    error TreeFull();
    /// The nullifier was claimed already.
    error AlreadyClaimed(uint256 nullifierHash);
    /// The root is not this tree's, or is older than `ROOT_HISTORY` deposits.
    error UnknownRoot(uint256 root);
    /// The mode's registry is not set.
    error ModeNotAccepted(Mode mode);
    /// The registry does not know the statement (nullifierHash, root) under this key and path.
    error StatementNotVerified();

    constructor(
        PoseidonT3 poseidon_,
        IStatementRegistry registry_,
        address singleVerifier,
        address batchVerifier,
        IStatementRegistry aggregateRegistry_,
        uint256 vkHash_
    ) {
        poseidon = poseidon_;
        registry = registry_;
        singleKey = uint256(uint160(singleVerifier));
        batchKey = uint256(uint160(batchVerifier));
        aggregateRegistry = aggregateRegistry_;
        vkHash = vkHash_;
        bytes memory zeros = ZEROS;
        for (uint256 i; i < DEPTH; ++i) {
            filled[i] = _word(zeros, i);
        }
        // The empty tree's root is known too (deposit count 0 is "never", so it is not claimable
        // until a deposit, which is what an empty tree should give).
        root = _hash(_word(zeros, DEPTH - 1), _word(zeros, DEPTH - 1));
    }

    /// @notice Adds `commitment` = Poseidon(nullifier, secret) as the next leaf.
    function deposit(uint256 commitment) external returns (uint256 index) {
        if (commitment >= R) revert CommitmentNotInField();
        index = deposits;
        if (index == 1 << DEPTH) revert TreeFull();
        bytes memory zeros = ZEROS;
        uint256 node = commitment;
        uint256 at = index;
        for (uint256 i; i < DEPTH; ++i) {
            if (at % 2 == 0) {
                // A left child: the subtree to its right is still empty.
                filled[i] = node;
                node = _hash(node, _word(zeros, i));
            } else {
                node = _hash(filled[i], node);
            }
            at /= 2;
        }
        root = node;
        deposits = index + 1;
        rootMadeAt[node] = index + 1;
        emit Deposited(commitment, index, node);
    }

    /// @notice Whether `root_` is one of the last `ROOT_HISTORY` roots.
    function isKnownRoot(uint256 root_) public view returns (bool) {
        uint256 at = rootMadeAt[root_];
        return at != 0 && deposits - at < ROOT_HISTORY;
    }

    /// @notice Claims once for `nullifierHash`, given that the statement (nullifierHash, root_)
    /// was verified in `mode`: `index`, `width` and `path` are its `isVerified` arguments (the
    /// relayer's `registry_check`).
    function claim(uint256 nullifierHash, uint256 root_, Mode mode, uint256 index, uint256 width, bytes32[] calldata path)
        external
    {
        if (claimed[nullifierHash]) revert AlreadyClaimed(nullifierHash);
        if (!isKnownRoot(root_)) revert UnknownRoot(root_);
        (IStatementRegistry r, uint256 key) = source(mode);
        if (address(r) == address(0)) revert ModeNotAccepted(mode);
        bytes32 inputsHash = keccak256(abi.encodePacked(nullifierHash, root_));
        if (!r.isVerified(key, inputsHash, index, width, path)) revert StatementNotVerified();
        claimed[nullifierHash] = true;
        emit Claimed(nullifierHash, root_, mode);
    }

    /// @notice The registry and key this application trusts for `mode`.
    function source(Mode mode) public view returns (IStatementRegistry, uint256) {
        if (mode == Mode.Single) return (registry, singleKey);
        if (mode == Mode.Batch) return (registry, batchKey);
        return (aggregateRegistry, vkHash);
    }

    function _hash(uint256 left, uint256 right) internal view returns (uint256) {
        return poseidon.hash([left, right]);
    }

    /// The i-th 32-byte word of `data`.
    function _word(bytes memory data, uint256 i) internal pure returns (uint256 w) {
        /// @solidity memory-safe-assembly
        assembly {
            // data: [0x00, 0x20) length, then the words.
            w := mload(add(add(data, 0x20), mul(i, 0x20)))
        }
    }
}
