// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BatchFixtureN2} from "./fixtures/BatchFixtureN2.sol";
import {BatchFixtureN4} from "./fixtures/BatchFixtureN4.sol";

/// The batch fixtures' inputs as `uint256[][]`, so that one test body serves every n.
library BatchInputs {
    function n2() internal pure returns (uint256[][] memory x) {
        uint256[2][] memory a = BatchFixtureN2.inputs();
        x = new uint256[][](a.length);
        for (uint256 i = 0; i < a.length; i++) {
            x[i] = new uint256[](2);
            for (uint256 j = 0; j < 2; j++) x[i][j] = a[i][j];
        }
    }

    function n4() internal pure returns (uint256[][] memory x) {
        uint256[4][] memory a = BatchFixtureN4.inputs();
        x = new uint256[][](a.length);
        for (uint256 i = 0; i < a.length; i++) {
            x[i] = new uint256[](4);
            for (uint256 j = 0; j < 4; j++) x[i][j] = a[i][j];
        }
    }
}
