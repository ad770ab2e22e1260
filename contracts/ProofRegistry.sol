// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IGroth16Verifier} from "./interfaces/IGroth16Verifier.sol";

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
/// proof key. The relayer sends each statement once; the registry writes no storage (the per-proof
/// overhead is two keccaks and a LOG3), so a second proof of a statement sent by someone else is
/// recorded again, under the same statement.
///
/// Proofs are 8 words each (A.x A.y B.x1 B.x0 B.y1 B.y0 C.x C.y); `inputs` is every proof's
/// public inputs one after another, n per proof, n = inputs.length / proofs.length.
contract ProofRegistry {
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
            uint256[] calldata x = inputs[i * n:(i + 1) * n];
            IGroth16Verifier(verifier).verify(abi.encodePacked(proofs[i]), x);
            emit ProofVerified(keccak256(abi.encodePacked(proofs[i], x)), verifier, keccak256(abi.encodePacked(x)));
        }
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
        for (uint256 i; i < count; ++i) {
            uint256[] calldata x = inputs[i * n:(i + 1) * n];
            emit ProofVerified(keccak256(abi.encodePacked(proofs[i], x)), batchVerifier, keccak256(abi.encodePacked(x)));
        }
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
