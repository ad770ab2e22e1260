// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IStatementRegistry
/// @notice What an application asks, whichever mode (single, batch, aggregate) the relayer used:
/// was this statement verified? Both `ProofRegistry` and `AggregatedProofRegistry` answer it from
/// one stored root per submitted batch (see `StatementTree`); the relayer reports each proof's
/// `index`, `width` and `path`.
///
/// Trust: an answer means "a verifier accepted a proof of these inputs", for the verifier `key`
/// names. An application pins the registry's address and the key it accepts: for `ProofRegistry`
/// the verifier's address as a uint256 (anyone may call the registry with any verifier, so the
/// key is what says which verifying key checked the proof), for `AggregatedProofRegistry` the
/// Groth16 verifying key's hash, vkHash (the registry itself pins its snark-verifier contract).
interface IStatementRegistry {
    /// @param key the verifier's address (ProofRegistry) or vkHash (AggregatedProofRegistry).
    /// @param inputsHash keccak256 of the statement's public inputs, 32-byte big-endian each.
    /// @param index the statement's place in its batch; `width` the batch's size.
    /// @param path the Merkle path: the sibling at each level where one exists.
    function isVerified(uint256 key, bytes32 inputsHash, uint256 index, uint256 width, bytes32[] calldata path)
        external
        view
        returns (bool);
}
