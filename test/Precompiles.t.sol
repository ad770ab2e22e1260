// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Checks the EIP-196 / EIP-197 BN254 (alt_bn128) precompiles that the Groth16
/// verifiers depend on. Deliberately standalone (no forge-std): forge runs every
/// public `test*` function and treats a revert as a failure.
contract PrecompilesTest {
    address internal constant EC_ADD = address(0x06);
    address internal constant EC_MUL = address(0x07);
    address internal constant EC_PAIRING = address(0x08);

    /// Base field modulus p.
    uint256 internal constant P =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// Group order r.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    // G2 generator; coordinates are Fp2 elements a + b*i, encoded imaginary part first.
    uint256 internal constant G2_X_RE =
        10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant G2_X_IM =
        11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant G2_Y_RE =
        8495653923123431417604973247489272438418190587263600148770280649306958101930;
    uint256 internal constant G2_Y_IM =
        4082367875863433681332203403145435568316851327593401208105741076214120093531;

    function check(bool cond, string memory message) internal pure {
        if (!cond) revert(message);
    }

    function ecAdd(uint256 x1, uint256 y1, uint256 x2, uint256 y2)
        internal
        view
        returns (bool ok, uint256 x, uint256 y)
    {
        bytes memory ret;
        // Bounded gas: a failing precompile consumes all gas it was given.
        (ok, ret) = EC_ADD.staticcall{gas: 50_000}(abi.encode(x1, y1, x2, y2));
        if (ok) (x, y) = abi.decode(ret, (uint256, uint256));
    }

    function ecMul(uint256 x1, uint256 y1, uint256 s)
        internal
        view
        returns (bool ok, uint256 x, uint256 y)
    {
        bytes memory ret;
        (ok, ret) = EC_MUL.staticcall{gas: 50_000}(abi.encode(x1, y1, s));
        if (ok) (x, y) = abi.decode(ret, (uint256, uint256));
    }

    function test_ecAdd_G1_plus_G1_equals_ecMul_G1_by_2() public view {
        (bool okAdd, uint256 ax, uint256 ay) = ecAdd(1, 2, 1, 2);
        (bool okMul, uint256 mx, uint256 my) = ecMul(1, 2, 2);
        check(okAdd, "ecAdd(G1, G1) failed");
        check(okMul, "ecMul(G1, 2) failed");
        check(ax == mx && ay == my, "ecAdd(G1, G1) != ecMul(G1, 2)");
        check(!(ax == 0 && ay == 0), "2*G1 must not be the point at infinity");
    }

    function test_ecMul_by_group_order_is_infinity() public view {
        (bool ok, uint256 x, uint256 y) = ecMul(1, 2, R);
        check(ok, "ecMul(G1, r) failed");
        check(x == 0 && y == 0, "ecMul(G1, r) is not the point at infinity");
    }

    function test_ecAdd_rejects_point_not_on_curve() public view {
        (bool ok,,) = ecAdd(1, 3, 1, 2);
        check(!ok, "ecAdd accepted (1, 3), which is not on the curve");
    }

    function test_pairing_P_Q_times_negP_Q_is_one() public view {
        uint256[12] memory input = [
            uint256(1), 2, G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE,
            uint256(1), P - 2, G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE
        ];
        (bool ok, bytes memory ret) = EC_PAIRING.staticcall{gas: 500_000}(abi.encode(input));
        check(ok, "pairing precompile call failed");
        check(ret.length == 32, "pairing precompile returned unexpected length");
        check(abi.decode(ret, (uint256)) == 1, "e(G1, G2) * e(-G1, G2) != 1");
    }

    function test_pairing_P_Q_alone_is_not_one() public view {
        uint256[6] memory input = [uint256(1), 2, G2_X_IM, G2_X_RE, G2_Y_IM, G2_Y_RE];
        (bool ok, bytes memory ret) = EC_PAIRING.staticcall{gas: 500_000}(abi.encode(input));
        check(ok, "pairing precompile call failed");
        check(abi.decode(ret, (uint256)) == 0, "e(G1, G2) == 1 (degenerate pairing)");
    }
}
