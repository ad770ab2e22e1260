// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Check, vm, RecordedLog} from "./Check.sol";
import {ProofRegistry} from "../contracts/ProofRegistry.sol";
import {Groth16VerifierN2} from "./fixtures/Groth16VerifierN2.sol";
import {Groth16BatchVerifierN2} from "./fixtures/Groth16BatchVerifierN2.sol";
import {FixtureN2} from "./fixtures/FixtureN2.sol";
import {BatchFixtureN2} from "./fixtures/BatchFixtureN2.sol";
import {StatementPaths} from "./StatementPaths.sol";

/// The relayer's registry against the generated verifiers and real proofs (test/fixtures): one
/// `ProofVerified` per proof, keyed as the relayer keys it (keccak256 of the 8 proof words and the
/// inputs), and nothing at all unless every proof verified.
contract ProofRegistryTest is Check {
    bytes32 constant EVENT = keccak256("ProofVerified(bytes32,address,bytes32)");
    bytes4 constant PROOF_INVALID = bytes4(keccak256("ProofInvalid()"));
    bytes4 constant BATCH_INVALID = bytes4(keccak256("BatchInvalid()"));
    bytes4 constant EMPTY = bytes4(keccak256("EmptyBatch()"));
    bytes4 constant MISMATCH = bytes4(keccak256("InputsLengthMismatch()"));
    bytes4 constant NO_CODE = bytes4(keccak256("NoVerifierCode()"));

    ProofRegistry registry;
    address single;
    address batch;

    function setUp() public {
        registry = new ProofRegistry();
        single = address(new Groth16VerifierN2());
        batch = address(new Groth16BatchVerifierN2());
    }

    function singles() internal pure returns (uint256[8][] memory p, uint256[] memory x) {
        p = new uint256[8][](2);
        p[0] = FixtureN2.proof0();
        p[1] = FixtureN2.proof1();
        x = new uint256[](4);
        (x[0], x[1]) = (FixtureN2.inputs0()[0], FixtureN2.inputs0()[1]);
        (x[2], x[3]) = (FixtureN2.inputs1()[0], FixtureN2.inputs1()[1]);
    }

    function batchOf(uint256 count) internal pure returns (uint256[8][] memory p, uint256[] memory x) {
        uint256[8][] memory all = BatchFixtureN2.proofs();
        uint256[2][] memory inputs = BatchFixtureN2.inputs();
        p = new uint256[8][](count);
        x = new uint256[](2 * count);
        for (uint256 i; i < count; ++i) {
            p[i] = all[i];
            (x[2 * i], x[2 * i + 1]) = (inputs[i][0], inputs[i][1]);
        }
    }

    function checkEvents(uint256[8][] memory p, uint256[] memory x, address verifier) internal {
        RecordedLog[] memory got = vm.getRecordedLogs();
        check(got.length == p.length, "one event per proof");
        for (uint256 i; i < p.length; ++i) {
            bytes32 key = keccak256(abi.encodePacked(p[i], x[2 * i], x[2 * i + 1]));
            check(got[i].emitter == address(registry), "emitted by the registry");
            check(got[i].topics.length == 4 && got[i].topics[0] == EVENT, "ProofVerified");
            check(got[i].topics[1] == key, "the proof's key");
            check(got[i].topics[2] == bytes32(uint256(uint160(verifier))), "the verifier that accepted it");
            check(got[i].topics[3] == keccak256(abi.encodePacked(x[2 * i], x[2 * i + 1])), "the statement's inputs hash");
        }
    }

    /// (−A, −B, C) is another valid proof of the same statement: another proof key, the same
    /// statement (verifier, inputsHash), which is what an application keys on.
    function testTwoProofsOfOneStatementNameOneStatement() public {
        (uint256[8][] memory p, uint256[] memory x) = singles();
        uint256[8][] memory two = new uint256[8][](2);
        two[0] = p[0];
        // A copy (memory arrays assign by reference). Words: A.x A.y B.x1 B.x0 B.y1 B.y0 C.x C.y;
        // negating a point negates its y.
        for (uint256 w; w < 8; ++w) two[1][w] = p[0][w];
        two[1][1] = P - p[0][1];
        two[1][4] = P - p[0][4];
        two[1][5] = P - p[0][5];
        uint256[] memory xs = new uint256[](4);
        (xs[0], xs[1], xs[2], xs[3]) = (x[0], x[1], x[0], x[1]);
        vm.recordLogs();
        registry.submitEach(single, two, xs);
        RecordedLog[] memory got = vm.getRecordedLogs();
        check(got.length == 2, "both verified");
        check(got[0].topics[1] != got[1].topics[1], "two proof keys");
        check(got[0].topics[3] == got[1].topics[3], "one statement");
        check(got[0].topics[2] == got[1].topics[2], "one verifier");
    }

    function testSubmitEachEmitsOneEventPerProof() public {
        (uint256[8][] memory p, uint256[] memory x) = singles();
        vm.recordLogs();
        registry.submitEach(single, p, x);
        checkEvents(p, x, single);
    }

    function testSubmitBatchEmitsOneEventPerProof() public {
        (uint256[8][] memory p, uint256[] memory x) = batchOf(8);
        vm.recordLogs();
        registry.submitBatch(batch, p, x);
        checkEvents(p, x, batch);
    }

    function inputsHashes(uint256[] memory x, uint256 count) internal pure returns (bytes32[] memory h) {
        h = new bytes32[](count);
        for (uint256 i; i < count; ++i) h[i] = keccak256(abi.encodePacked(x[2 * i], x[2 * i + 1]));
    }

    /// Every statement of the call is verified under its verifier, with its index, the call's
    /// width and its path; any other key, inputs, index, width or path is not.
    function checkStatements(uint256[] memory x, uint256 count, address verifier) internal view {
        bytes32[] memory h = inputsHashes(x, count);
        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i; i < count; ++i) leaves[i] = StatementPaths.leaf(uint256(uint160(verifier)), h[i]);
        uint256 key = uint256(uint160(verifier));
        for (uint256 i; i < count; ++i) {
            bytes32[] memory path = StatementPaths.path(leaves, i);
            check(registry.isVerified(key, h[i], i, count, path), string.concat("statement ", toString(i)));
            check(!registry.isVerified(key + 1, h[i], i, count, path), "another verifier");
            check(!registry.isVerified(key, keccak256("other"), i, count, path), "other inputs");
            check(!registry.isVerified(key, h[i], i, count + 1, path), "another width");
            check(!registry.isVerified(key, h[i], i, 0, path), "width 0");
            if (count > 1) {
                check(!registry.isVerified(key, h[i], (i + 1) % count, count, path), "another index");
                check(!registry.isVerified(key, h[i], i, count, new bytes32[](0)), "no path");
            }
        }
    }

    function testEveryStatementOfACallIsVerifiedOnChain() public {
        (uint256[8][] memory p, uint256[] memory x) = singles();
        registry.submitEach(single, p, x);
        checkStatements(x, 2, single);
        for (uint256 n = 1; n <= 7; ++n) {
            (p, x) = batchOf(n);
            check(!registry.isVerified(uint256(uint160(batch)), inputsHashes(x, 1)[0], 0, n, StatementPaths.path(new bytes32[](n), 0)), "not yet submitted");
            registry.submitBatch(batch, p, x);
            checkStatements(x, n, batch);
        }
    }

    /// What an application pays to ask about a statement (a cold registry and a cold root slot, as
    /// in its own transaction), for a call of 1 (single mode) to 8 statements, recorded in
    /// snapshots/StatementGas.json beside the aggregate registry's.
    function test_gas_isVerified() public {
        for (uint256 n = 1; n <= 8; n *= 2) {
            (uint256[8][] memory p, uint256[] memory x) = batchOf(n);
            registry.submitBatch(batch, p, x);
            bytes32[] memory leaves = new bytes32[](n);
            bytes32[] memory h = inputsHashes(x, n);
            for (uint256 i; i < n; ++i) leaves[i] = StatementPaths.leaf(uint256(uint160(batch)), h[i]);
            bytes32[] memory path = StatementPaths.path(leaves, n - 1);
            vm.cool(address(registry));
            check(registry.isVerified(uint256(uint160(batch)), h[n - 1], n - 1, n, path), "verified");
            vm.snapshotGasLastCall("StatementGas", string.concat("ProofRegistry_isVerified_width", toString(n)));
        }
    }

    function testOneBadProofRevertsTheWholeCallWithTheVerifiersError() public {
        (uint256[8][] memory p, uint256[] memory x) = singles();
        x[3] = x[3] + 1;
        (bool ok, bytes memory ret) = address(registry).call(abi.encodeCall(ProofRegistry.submitEach, (single, p, x)));
        checkReverts(ok, ret, PROOF_INVALID, "submitEach with a bad second proof");
        (p, x) = batchOf(4);
        x[5] = x[5] + 1;
        (ok, ret) = address(registry).call(abi.encodeCall(ProofRegistry.submitBatch, (batch, p, x)));
        checkReverts(ok, ret, BATCH_INVALID, "submitBatch with a bad third proof");
    }

    function testMalformedBatchesAreRefused() public {
        uint256[8][] memory none = new uint256[8][](0);
        (bool ok, bytes memory ret) = address(registry).call(abi.encodeCall(ProofRegistry.submitEach, (single, none, new uint256[](0))));
        checkReverts(ok, ret, EMPTY, "no proofs");
        (uint256[8][] memory p,) = singles();
        (ok, ret) = address(registry).call(abi.encodeCall(ProofRegistry.submitBatch, (batch, p, new uint256[](3))));
        checkReverts(ok, ret, MISMATCH, "3 inputs for 2 proofs");
        (uint256[8][] memory q, uint256[] memory x) = batchOf(2);
        (ok, ret) = address(registry).call(abi.encodeCall(ProofRegistry.submitBatch, (address(0xdead), q, x)));
        checkReverts(ok, ret, NO_CODE, "a batch verifier address without code");
    }

    /// The registry's own cost per proof, beside the batch verifier called alone in the same test
    /// (both warm): what `submitBatch` adds to `verifyBatch` (the calldata copy, the proof keys,
    /// the inputs hashes and one LOG3 per proof, the statements' root and its one storage write),
    /// recorded in snapshots/RegistryGas.json.
    function test_gas_registry_overhead() public {
        uint256[2][] memory all = BatchFixtureN2.inputs();
        bytes4 selector = bytes4(keccak256("verifyBatch(uint256[8][],uint256[2][])"));
        for (uint256 n = 2; n <= 8; n *= 2) {
            (uint256[8][] memory p, uint256[] memory x) = batchOf(n);
            uint256[2][] memory xs = new uint256[2][](n);
            for (uint256 i; i < n; ++i) xs[i] = all[i];
            bytes memory direct = abi.encodeWithSelector(selector, p, xs);
            (bool warm,) = batch.staticcall(direct);
            check(warm, "the batch verifies alone");
            uint256 g = gasleft();
            (bool ok,) = batch.staticcall(direct);
            uint256 alone = g - gasleft();
            check(ok, "the batch verifies alone");
            g = gasleft();
            registry.submitBatch(batch, p, x);
            uint256 through = g - gasleft();
            vm.snapshotValue("RegistryGas", string.concat("overhead_N", toString(n), "_per_proof"), (through - alone) / n);
        }
    }
}
