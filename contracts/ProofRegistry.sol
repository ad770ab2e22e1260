// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IGroth16Verifier} from "./interfaces/IGroth16Verifier.sol";
import {IStatementRegistry} from "./interfaces/IStatementRegistry.sol";
import {StatementTree} from "./StatementTree.sol";

/// The relayer's on-chain end: it hands proofs to a generated verifier and emits one
/// `ProofVerified` per proof only if the whole call verified. The event carries the proof's key
/// (keccak256 of its 8 words and its public inputs, computed here, so a caller cannot claim an
/// event for a proof it did not have verified), the verifier that accepted it (a consumer trusts
/// an event only for the verifier address it knows for its circuit, since anyone may call this
/// contract with any verifier), and the statement's `inputsHash`: keccak256 of its public inputs,
/// 32 bytes each, as `AggregatedProofRegistry`'s leaves take it.
///
/// Statements, not proofs: Groth16 proofs are malleable. (−A, −B, C), or a proof re-randomised
/// without the witness, is another valid proof of the same statement with another key. So what
/// was verified is named by (verifier, inputsHash) — the verifier stands for its verifying key —
/// and an application keys what it accepts (a nullifier, a used statement) by that, never by the
/// proof key. The relayer sends each statement once; a second proof of a statement sent by someone
/// else is recorded again, under the same statement.
///
/// Storage: one write per call, not per proof. The call's statements are the leaves of a
/// `StatementTree` (key = the verifier's address) and only its root is stored, with the batch's
/// width; an application asks `isVerified(verifier, inputsHash, index, width, path)`, which the
/// relayer's proof status gives. A slot per statement would cost 22,100 gas per proof, more than a
/// batch-verified proof's share of the pairing at N = 8.
///
/// Proofs are 8 words each (A.x A.y B.x1 B.x0 B.y1 B.y0 C.x C.y); `inputs` is every proof's
/// public inputs one after another, n per proof, n = inputs.length / proofs.length.
contract ProofRegistry is IStatementRegistry {
    /// Root of a verified call's statements => how many statements it had (0: never verified).
    mapping(bytes32 => uint256) public widthOf;

    event ProofVerified(bytes32 indexed proofKey, address indexed verifier, bytes32 indexed inputsHash);

    /// No proofs were given.
    error EmptyBatch();
    /// `inputs.length` is not a multiple of `proofs.length`.
    error InputsLengthMismatch();
    /// The batch verifier address has no code.
    error NoVerifierCode();

    /// One `verify` call per proof on a `Groth16Verifier`. Reverts with the verifier's own error
    /// if any proof fails, so a batch lands whole or not at all.
    function submitEach(address verifier, uint256[8][] calldata proofs, uint256[] calldata inputs) external {
        uint256 count = proofs.length;
        uint256 n = _inputsPerProof(count, inputs.length);
        for (uint256 i; i < count; ++i) {
            IGroth16Verifier(verifier).verify(abi.encodePacked(proofs[i]), inputs[i * n:(i + 1) * n]);
        }
        _record(verifier, proofs, inputs, n);
    }

    /// One `verifyBatch(uint256[8][], uint256[n][])` call on a `Groth16BatchVerifier` for all
    /// proofs (one random-linear-combination pairing check).
    function submitBatch(address batchVerifier, uint256[8][] calldata proofs, uint256[] calldata inputs) external {
        uint256 count = proofs.length;
        uint256 n = _inputsPerProof(count, inputs.length);
        // The selector names n, so it is computed here rather than taken from the caller (a
        // caller-chosen selector could call a function that does not verify anything).
        bytes4 selector = bytes4(keccak256(abi.encodePacked("verifyBatch(uint256[8][],uint256[", _decimal(n), "][])")));
        // uint256[n][] is ABI-encoded as its length N followed by the N·n words, exactly the
        // flat uint256[] `inputs` except for the length word, which is patched from N·n to N.
        bytes memory data = abi.encodeWithSelector(selector, proofs, inputs);
        uint256 lengthAt = 4 + 0x40 + 0x20 + count * 0x100; // selector, two heads, proofs array
        assembly ("memory-safe") {
            mstore(add(add(data, 0x20), lengthAt), count)
        }
        // A call to an address without code "succeeds": refuse it rather than record proofs that
        // nothing verified.
        if (batchVerifier.code.length == 0) revert NoVerifierCode();
        (bool ok, bytes memory ret) = batchVerifier.staticcall(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        _record(batchVerifier, proofs, inputs, n);
    }

    /// @inheritdoc IStatementRegistry
    function isVerified(uint256 key, bytes32 inputsHash, uint256 index, uint256 width, bytes32[] calldata path)
        external
        view
        returns (bool)
    {
        // width is checked against the stored one, so a path cannot pass for another batch shape.
        return width != 0 && widthOf[StatementTree.rootFrom(leaf(key, inputsHash), index, width, path)] == width;
    }

    /// The leaf of statement (key, inputsHash): key is the verifier's address as a uint256.
    function leaf(uint256 key, bytes32 inputsHash) public pure returns (bytes32) {
        return StatementTree.leaf(key, inputsHash);
    }

    /// Emits each proof's `ProofVerified` and stores the root of the call's statements.
    function _record(address verifier, uint256[8][] calldata proofs, uint256[] calldata inputs, uint256 n) private {
        uint256 count = proofs.length;
        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            uint256[] calldata x = inputs[i * n:(i + 1) * n];
            bytes32 inputsHash = keccak256(abi.encodePacked(x));
            emit ProofVerified(keccak256(abi.encodePacked(proofs[i], x)), verifier, inputsHash);
            leaves[i] = StatementTree.leaf(uint256(uint160(verifier)), inputsHash);
        }
        widthOf[StatementTree.root(leaves)] = count;
    }

    function _inputsPerProof(uint256 count, uint256 total) private pure returns (uint256) {
        if (count == 0) revert EmptyBatch();
        if (total % count != 0) revert InputsLengthMismatch();
        return total / count;
    }

    function _decimal(uint256 v) private pure returns (bytes memory s) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) ++len;
        s = new bytes(len);
        for (; v != 0; v /= 10) s[--len] = bytes1(uint8(48 + v % 10));
    }
}
