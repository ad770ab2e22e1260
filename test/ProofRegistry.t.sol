// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Check, vm, RecordedLog} from "./Check.sol";
import {ProofRegistry} from "../contracts/ProofRegistry.sol";
import {Groth16VerifierN2} from "./fixtures/Groth16VerifierN2.sol";
import {Groth16BatchVerifierN2} from "./fixtures/Groth16BatchVerifierN2.sol";
import {FixtureN2} from "./fixtures/FixtureN2.sol";
import {BatchFixtureN2} from "./fixtures/BatchFixtureN2.sol";

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
    /// the inputs hashes and one LOG3 per proof), recorded in snapshots/RegistryGas.json.
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
