// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Check, vm} from "./Check.sol";
import {StatementPaths} from "./StatementPaths.sol";
import {AnonymousClaim} from "../contracts/examples/AnonymousClaim.sol";
import {ProofRegistry} from "../contracts/ProofRegistry.sol";
import {PoseidonT3} from "../contracts/PoseidonT3.sol";
import {IStatementRegistry} from "../contracts/interfaces/IStatementRegistry.sol";
import {Groth16VerifierClaim} from "./fixtures/Groth16VerifierClaim.sol";
import {Groth16BatchVerifierClaim} from "./fixtures/Groth16BatchVerifierClaim.sol";
import {ClaimFixture as F} from "./fixtures/ClaimFixture.sol";
import {AggregatedProofRegistry} from "../contracts/AggregatedProofRegistry.sol";
import {AggregateVerifierN2L2K21} from "./fixtures/AggregateVerifierN2L2K21.sol";
import {AggregateFixtureN2L2K21 as A} from "./fixtures/AggregateFixtureN2L2K21.sol";

/// The example application on real proofs (test/fixtures/ClaimFixture.sol, made by zkbatch's prover
/// for members of the tree this test builds by depositing the same commitments): statements landed
/// through ProofRegistry one by one and in a batch, and in a real aggregate proof of members 2
/// and 3 (test/fixtures/AggregateFixtureN2L2K21.sol) through AggregatedProofRegistry, then claimed
/// once each; a spent nullifier, an unknown root and a statement nobody verified are refused.
contract AnonymousClaimTest is Check {
    PoseidonT3 poseidon;
    ProofRegistry registry;
    address single;
    address batch;
    AnonymousClaim app;

    function setUp() public {
        poseidon = new PoseidonT3();
        registry = new ProofRegistry();
        single = address(new Groth16VerifierClaim());
        batch = address(new Groth16BatchVerifierClaim());
        app = new AnonymousClaim(poseidon, registry, single, batch, IStatementRegistry(address(0)), 0);
    }

    function depositAll() internal {
        uint256[4] memory c = F.commitments();
        for (uint256 i; i < c.length; ++i) check(app.deposit(c[i]) == i, "leaves in order");
    }

    function member(uint256 i) internal pure returns (uint256[8] memory p, uint256[2] memory x) {
        if (i == 0) return F.member0();
        if (i == 1) return F.member1();
        if (i == 2) return F.member2();
        return F.member3();
    }

    /// Lands proofs through the registry: `submitEach` on the single verifier, or `submitBatch`.
    function land(uint256[8][] memory p, uint256[] memory x, bool asBatch) internal {
        if (asBatch) registry.submitBatch(batch, p, x);
        else registry.submitEach(single, p, x);
    }

    function one(uint256[8] memory proof, uint256[2] memory inputs) internal pure returns (uint256[8][] memory p, uint256[] memory x) {
        p = new uint256[8][](1);
        p[0] = proof;
        x = new uint256[](2);
        (x[0], x[1]) = (inputs[0], inputs[1]);
    }

    function inputsHash(uint256[2] memory x) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(x[0], x[1]));
    }

    function claimReverts(uint256[2] memory x, AnonymousClaim.Mode mode, uint256 index, uint256 width, bytes32[] memory path, bytes memory expected, string memory message) internal {
        (bool ok, bytes memory ret) = address(app).call(abi.encodeCall(AnonymousClaim.claim, (x[0], x[1], mode, index, width, path)));
        check(!ok, string.concat(message, ": did not revert"));
        check(keccak256(ret) == keccak256(expected), string.concat(message, ": reverted with another error"));
    }

    function test_TheTreeMatchesTheCircuit() public {
        // zeros as the contract holds them, recomputed with the deployed Poseidon: the empty root.
        uint256 z = 0;
        for (uint256 i; i < 20; ++i) z = poseidon.hash([z, z]);
        check(app.root() == z, "the empty tree's root");
        depositAll();
        (, uint256[2] memory x) = member(0);
        check(app.root() == x[1], "the root after four deposits is the one the proofs name");
        check(app.isKnownRoot(x[1]), "known");
        (, uint256[2] memory early) = F.early();
        check(app.isKnownRoot(early[1]), "the root after the first deposit is still known");
        (bool ok,) = address(app).call(abi.encodeCall(AnonymousClaim.deposit, (R)));
        check(!ok, "a commitment >= r is refused");
    }

    function test_ClaimsInEveryRegistryMode() public {
        depositAll();
        // Member 0 alone (single mode), members 1..3 in one batch.
        (uint256[8] memory p0, uint256[2] memory x0) = member(0);
        (uint256[8][] memory p, uint256[] memory x) = one(p0, x0);
        land(p, x, false);
        app.claim(x0[0], x0[1], AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0));
        check(app.claimed(x0[0]), "member 0 claimed");

        p = new uint256[8][](3);
        x = new uint256[](6);
        bytes32[] memory leaves = new bytes32[](3);
        for (uint256 i = 1; i <= 3; ++i) {
            uint256[2] memory xi;
            (p[i - 1], xi) = member(i);
            (x[2 * i - 2], x[2 * i - 1]) = (xi[0], xi[1]);
            leaves[i - 1] = StatementPaths.leaf(uint256(uint160(batch)), inputsHash(xi));
        }
        land(p, x, true);
        for (uint256 i = 1; i <= 3; ++i) {
            (, uint256[2] memory xi) = member(i);
            bytes32[] memory path = StatementPaths.path(leaves, i - 1);
            // The batch's statements are not the single verifier's.
            claimReverts(xi, AnonymousClaim.Mode.Single, i - 1, 3, path, abi.encodeWithSelector(AnonymousClaim.StatementNotVerified.selector), "batch statement as single");
            claimReverts(xi, AnonymousClaim.Mode.Aggregate, i - 1, 3, path, abi.encodeWithSelector(AnonymousClaim.ModeNotAccepted.selector, AnonymousClaim.Mode.Aggregate), "a mode without a registry");
            app.claim(xi[0], xi[1], AnonymousClaim.Mode.Batch, i - 1, 3, path);
        }
    }

    function test_ClaimsThroughAnAggregate() public {
        AggregatedProofRegistry aggregated = new AggregatedProofRegistry(address(new AggregateVerifierN2L2K21()), 2, 2);
        uint256[] memory instances = A.instances();
        app = new AnonymousClaim(poseidon, registry, single, batch, aggregated, instances[0]);
        depositAll();
        aggregated.submit(instances, A.proof());
        bytes32[] memory leaves = new bytes32[](2);
        for (uint256 i; i < 2; ++i) {
            (, uint256[2] memory xi) = member(2 + i);
            check(instances[1 + 2 * i] == xi[0] && instances[2 + 2 * i] == xi[1], "the aggregate holds members 2 and 3");
            leaves[i] = StatementPaths.leaf(instances[0], inputsHash(xi));
        }
        for (uint256 i; i < 2; ++i) {
            (, uint256[2] memory xi) = member(2 + i);
            bytes32[] memory path = StatementPaths.path(leaves, i);
            // Not under another key: ProofRegistry never saw these statements.
            claimReverts(xi, AnonymousClaim.Mode.Batch, i, 2, path, abi.encodeWithSelector(AnonymousClaim.StatementNotVerified.selector), "an aggregate statement as batch");
            app.claim(xi[0], xi[1], AnonymousClaim.Mode.Aggregate, i, 2, path);
            claimReverts(xi, AnonymousClaim.Mode.Aggregate, i, 2, path, abi.encodeWithSelector(AnonymousClaim.AlreadyClaimed.selector, xi[0]), "twice");
        }
        // Members 0 and 1 were not in the aggregate.
        (, uint256[2] memory x0) = member(0);
        claimReverts(x0, AnonymousClaim.Mode.Aggregate, 0, 2, StatementPaths.path(leaves, 0), abi.encodeWithSelector(AnonymousClaim.StatementNotVerified.selector), "not aggregated");
    }

    function test_ANullifierIsClaimedOnce() public {
        depositAll();
        (uint256[8] memory p0, uint256[2] memory x0) = member(0);
        (uint256[8][] memory p, uint256[] memory x) = one(p0, x0);
        land(p, x, false);
        app.claim(x0[0], x0[1], AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0));
        claimReverts(x0, AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0), abi.encodeWithSelector(AnonymousClaim.AlreadyClaimed.selector, x0[0]), "second claim");
        // The same member proving again against an older root: the same nullifier, refused.
        (uint256[8] memory pe, uint256[2] memory xe) = F.early();
        check(xe[0] == x0[0] && xe[1] != x0[1], "one member, another root");
        (p, x) = one(pe, xe);
        land(p, x, false);
        claimReverts(xe, AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0), abi.encodeWithSelector(AnonymousClaim.AlreadyClaimed.selector, xe[0]), "a claim under an older root");
    }

    function test_AnUnknownRootIsRefused() public {
        depositAll();
        // A valid proof of a member of another tree: the registry verifies it, the app refuses it.
        (uint256[8] memory po, uint256[2] memory xo) = F.outsider();
        (uint256[8][] memory p, uint256[] memory x) = one(po, xo);
        land(p, x, false);
        check(registry.isVerified(uint256(uint160(single)), inputsHash(xo), 0, 1, new bytes32[](0)), "verified on-chain");
        claimReverts(xo, AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0), abi.encodeWithSelector(AnonymousClaim.UnknownRoot.selector, xo[1]), "another tree's root");
    }

    function test_ARootOlderThanTheHistoryIsRefused() public {
        depositAll();
        (uint256[8] memory pe, uint256[2] memory xe) = F.early();
        (uint256[8][] memory p, uint256[] memory x) = one(pe, xe);
        land(p, x, false);
        for (uint256 i; i < 30; ++i) app.deposit(1000 + i);
        claimReverts(xe, AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0), abi.encodeWithSelector(AnonymousClaim.UnknownRoot.selector, xe[1]), "a root 33 deposits old");
    }

    function test_AnUnverifiedStatementIsRefused() public {
        depositAll();
        (, uint256[2] memory x0) = member(0);
        claimReverts(x0, AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0), abi.encodeWithSelector(AnonymousClaim.StatementNotVerified.selector), "nothing landed");
        // Landed through a verifier the app does not pin: the registry records it under that
        // verifier's key, which is not the app's.
        address other = address(new Groth16VerifierClaim());
        (uint256[8] memory p0,) = member(0);
        (uint256[8][] memory p, uint256[] memory x) = one(p0, x0);
        registry.submitEach(other, p, x);
        claimReverts(x0, AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0), abi.encodeWithSelector(AnonymousClaim.StatementNotVerified.selector), "another verifier's statement");
    }

    /// Gas per deposit (the first, and one into a tree of 33) and per claim (single mode; a batch
    /// of 3), each the call's execution gas from a cold start, in snapshots/ClaimGas.json.
    function test_gas_deposit_and_claim() public {
        uint256[4] memory c = F.commitments();
        vm.cool(address(app));
        vm.cool(address(poseidon));
        app.deposit(c[0]);
        vm.snapshotGasLastCall("ClaimGas", "deposit_first");
        for (uint256 i = 1; i < 4; ++i) app.deposit(c[i]);
        for (uint256 i; i < 29; ++i) app.deposit(1000 + i);
        vm.cool(address(app));
        vm.cool(address(poseidon));
        app.deposit(2000);
        vm.snapshotGasLastCall("ClaimGas", "deposit_34th");

        // Claims need roots in the history: the members' root is 30 deposits old now.
        setUp();
        depositAll();
        (uint256[8] memory p0, uint256[2] memory x0) = member(0);
        (uint256[8][] memory p, uint256[] memory x) = one(p0, x0);
        land(p, x, false);
        vm.cool(address(app));
        vm.cool(address(registry));
        app.claim(x0[0], x0[1], AnonymousClaim.Mode.Single, 0, 1, new bytes32[](0));
        vm.snapshotGasLastCall("ClaimGas", "claim_single");
        p = new uint256[8][](3);
        x = new uint256[](6);
        bytes32[] memory leaves = new bytes32[](3);
        uint256[2] memory xi;
        for (uint256 i = 1; i <= 3; ++i) {
            (p[i - 1], xi) = member(i);
            (x[2 * i - 2], x[2 * i - 1]) = (xi[0], xi[1]);
            leaves[i - 1] = StatementPaths.leaf(uint256(uint160(batch)), inputsHash(xi));
        }
        land(p, x, true);
        bytes32[] memory path = StatementPaths.path(leaves, 2);
        vm.cool(address(app));
        vm.cool(address(registry));
        app.claim(xi[0], xi[1], AnonymousClaim.Mode.Batch, 2, 3, path);
        vm.snapshotGasLastCall("ClaimGas", "claim_batch_of_3");
    }
}
