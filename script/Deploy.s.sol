// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT2} from "../contracts/PoseidonT2.sol";
import {PoseidonT3} from "../contracts/PoseidonT3.sol";
import {PoseidonT4} from "../contracts/PoseidonT4.sol";
import {PoseidonT5} from "../contracts/PoseidonT5.sol";
import {PoseidonT6} from "../contracts/PoseidonT6.sol";
import {ProofRegistry} from "../contracts/ProofRegistry.sol";

/// forge's cheatcodes this script uses (no forge-std: its npm package is incomplete).
interface Vm {
    function startBroadcast() external;
    function stopBroadcast() external;
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory);
    function split(string calldata input, string calldata delimiter) external pure returns (string[] memory);
    function deployCode(string calldata artifactPath) external returns (address);
    function toString(address value) external pure returns (string memory);
    function toString(uint256 value) external pure returns (string memory);
    function writeFile(string calldata path, string calldata data) external;
    function createDir(string calldata path, bool recursive) external;
}

/// Deploys the Poseidon contracts, the relayer's ProofRegistry and the Groth16 verifiers (single
/// and batch) to any RPC, and records the addresses.
///
///   forge script script/Deploy.s.sol --rpc-url $RPC --broadcast --private-key $KEY
///
/// ZKBATCH_VERIFIERS: comma-separated forge artifact names of verifiers to deploy, e.g.
///   "Verifier.sol:Groth16Verifier,BatchVerifier.sol:Groth16BatchVerifier" (generate them with
///   `zkbatch solgen --vk … --out contracts/Verifier.sol` and `… --batch --out contracts/BatchVerifier.sol`).
/// ZKBATCH_DEPLOYMENTS: where to write the JSON record (default deployments/<chain id>.json; the
///   deployments/ folder is created if missing, and foundry.toml lets the script write only there).
contract Deploy {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run() external {
        string memory verifiers = vm.envOr("ZKBATCH_VERIFIERS", string(""));
        string memory path =
            vm.envOr("ZKBATCH_DEPLOYMENTS", string.concat("deployments/", vm.toString(block.chainid), ".json"));

        vm.startBroadcast();
        string memory json = string.concat(
            "{\n  \"chainId\": ", vm.toString(block.chainid),
            ",\n  \"PoseidonT2\": \"", vm.toString(address(new PoseidonT2())),
            "\",\n  \"PoseidonT3\": \"", vm.toString(address(new PoseidonT3())),
            "\",\n  \"PoseidonT4\": \"", vm.toString(address(new PoseidonT4())),
            "\",\n  \"PoseidonT5\": \"", vm.toString(address(new PoseidonT5())),
            "\",\n  \"PoseidonT6\": \"", vm.toString(address(new PoseidonT6())),
            "\",\n  \"ProofRegistry\": \"", vm.toString(address(new ProofRegistry())), "\""
        );
        json = string.concat(json, ",\n  \"verifiers\": {");
        if (bytes(verifiers).length != 0) {
            string[] memory names = vm.split(verifiers, ",");
            for (uint256 i = 0; i < names.length; i++) {
                address verifier = vm.deployCode(names[i]);
                json = string.concat(json, i == 0 ? "\n    \"" : ",\n    \"", names[i], "\": \"", vm.toString(verifier), "\"");
            }
        }
        vm.stopBroadcast();
        vm.createDir("deployments", true);
        vm.writeFile(path, string.concat(json, "\n  }\n}\n"));
    }
}
