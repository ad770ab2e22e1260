//! On a real chain (anvil): the deploy script deploys every contract, the deployed Poseidon
//! contracts hash as the Rust Poseidon does, and `eth_estimateGas` on the reverting verifier
//! entry covers the gas a verification really uses (a verifier that returned false on a failed
//! precompile would let estimation stop at the failure and under-estimate).

use std::process::Command;

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_evm::bindings::{IGroth16Verifier, PoseidonT3, PoseidonT6};
use zkbatch_evm::word::{proof_words, word};
use zkbatch_evm::Revert;
use zkbatch_testing::keys::key_fixture;

fn u256(f: &zkbatch_prover::Fr) -> U256 {
    U256::from_be_bytes(word(f))
}

#[tokio::test]
async fn deploy_script_poseidon_and_gas_estimation_on_anvil() {
    let root = zkbatch_testing::root();
    let anvil = zkbatch_testing::anvil().spawn();
    let key = anvil.keys()[0].clone();
    let signer: PrivateKeySigner = key.clone().into();
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(anvil.endpoint_url());

    // The deploy script, broadcasting to anvil, as a user would run it: the verifiers it deploys by
    // artifact name built first (it compiles only what it imports itself).
    let record = root.join(format!("deployments/anvil-test-{}.json", anvil.port()));
    let verifiers = ["Groth16VerifierN4", "Groth16BatchVerifierN4"].map(|v| format!("test/fixtures/{v}.sol")).join(" ");
    let out = Command::new("bash")
        .current_dir(&root)
        .env("ZKBATCH_DEPLOYMENTS", &record)
        .env("ZKBATCH_VERIFIERS", "Groth16VerifierN4.sol:Groth16VerifierN4,Groth16BatchVerifierN4.sol:Groth16BatchVerifierN4")
        .args([
            "-c",
            &format!(
                ". scripts/env.sh && forge build contracts {verifiers} >&2 && forge script script/Deploy.s.sol --rpc-url {} --broadcast --private-key 0x{}",
                anvil.endpoint(),
                alloy::hex::encode(key.to_bytes())
            ),
        ])
        .output()
        .expect("run forge script");
    assert!(out.status.success(), "forge script failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let deployed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&record).expect("the deployment record")).expect("JSON");
    std::fs::remove_file(&record).expect("remove the record");
    let address = |v: &serde_json::Value| -> Address { v.as_str().expect("an address string").parse().expect("an address") };
    for t in 2..=6 {
        let code = provider.get_code_at(address(&deployed[format!("PoseidonT{t}")])).await.expect("eth_getCode");
        assert!(!code.is_empty(), "PoseidonT{t} has no code");
    }
    let verifier_at = address(&deployed["verifiers"]["Groth16VerifierN4.sol:Groth16VerifierN4"]);
    assert!(!provider.get_code_at(verifier_at).await.expect("eth_getCode").is_empty());
    let batch_at = address(&deployed["verifiers"]["Groth16BatchVerifierN4.sol:Groth16BatchVerifierN4"]);
    assert!(!provider.get_code_at(batch_at).await.expect("eth_getCode").is_empty());
    assert!(!provider.get_code_at(address(&deployed["ProofRegistry"])).await.expect("eth_getCode").is_empty(), "ProofRegistry has no code");

    // The deployed Poseidon contracts hash as the Rust Poseidon does, on random inputs.
    let mut rng = StdRng::seed_from_u64(77);
    let p3 = PoseidonT3::new(address(&deployed["PoseidonT3"]), &provider);
    let p6 = PoseidonT6::new(address(&deployed["PoseidonT6"]), &provider);
    for _ in 0..3 {
        let x: Vec<_> = (0..5).map(|_| zkbatch_prover::field::random(&mut rng)).collect();
        let got = p3.hash([u256(&x[0]), u256(&x[1])]).call().await.expect("PoseidonT3.hash");
        assert_eq!(got, u256(&zkbatch_prover::poseidon::hash(&x[..2]).expect("two inputs")));
        let got = p6.hash([u256(&x[0]), u256(&x[1]), u256(&x[2]), u256(&x[3]), u256(&x[4])]).call().await.expect("PoseidonT6.hash");
        assert_eq!(got, u256(&zkbatch_prover::poseidon::hash(&x).expect("five inputs")));
    }

    // The N4 fixture's first proof (test/fixtures/FixtureN4.sol), verified by a real transaction.
    let fixture = key_fixture(4);
    let (proof, public) = &fixture.proofs[0];
    let proof: Vec<u8> = proof_words(proof).concat();
    let inputs: Vec<U256> = public.iter().map(u256).collect();
    let verifier = IGroth16Verifier::new(verifier_at, &provider);
    let call = verifier.verify(Bytes::from(proof.clone()), inputs.clone());
    let estimate = call.estimate_gas().await.expect("eth_estimateGas");
    let receipt = call.gas(estimate).send().await.expect("send").get_receipt().await.expect("receipt");
    assert!(receipt.status(), "verification transaction reverted at the estimated gas limit");
    assert!(estimate >= receipt.gas_used, "estimate {estimate} < used {}", receipt.gas_used);
    // snarkjs's style (false on a failed precompile) under-estimates by ~150k; ours stays close.
    assert!(receipt.gas_used > 200_000, "a Groth16 verification uses > 200k gas in all; got {}", receipt.gas_used);

    // An invalid proof reverts (estimation fails with the named error) instead of returning.
    let mut bad = inputs.clone();
    bad[0] += U256::from(1);
    let err = verifier.verify(Bytes::from(proof), bad).estimate_gas().await.expect_err("an invalid proof reverts");
    let revert = Revert::of_contract_error(&err).expect("revert data");
    assert_eq!(revert.to_string(), "ProofInvalid", "{err}");
}
