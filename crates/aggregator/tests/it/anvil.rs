//! Rust and Solidity agree, on a real chain: the batch verifier (the checked-in fixture, compiled
//! with the project's solc) computes the challenges `zkbatch_evm::batch_transcript` computes
//! natively, accepts what the native check accepts and rejects (with `BatchInvalid`) what it
//! rejects; and the transactions' gasUsed equals the all-in figures forge recorded in
//! snapshots/BatchGas.json (the gas table of BENCHMARKS.md).

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::U256;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolError;
use zkbatch_aggregator::{rlc, Batch};
use zkbatch_evm::batch_transcript as transcript;
use zkbatch_evm::bindings::IGroth16BatchVerifier;
use zkbatch_evm::calldata;
use zkbatch_evm::deploy::deploy_source;
use zkbatch_evm::solc::find_solc;
use zkbatch_prover::{Fr, Proof};
use zkbatch_testing::keys::key_fixture;

#[tokio::test]
async fn batch_transcript_native_and_yul_agree_on_anvil() {
    let root = zkbatch_testing::root();
    let anvil = zkbatch_testing::anvil().spawn();
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(anvil.endpoint_url());
    let gas: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("snapshots/BatchGas.json")).unwrap()).unwrap();
    let solc = find_solc(Some(&root));

    for n in [2usize, 4] {
        let name = format!("Groth16BatchVerifierN{n}");
        let source = std::fs::read_to_string(root.join(format!("test/fixtures/{name}.sol"))).unwrap();
        let at = deploy_source(&provider, &solc, &source, &name).await.expect("deploy the batch verifier");
        let f = key_fixture(n);
        let vk = f.prover.key().verifying_key();
        let call = |data: Vec<u8>| TransactionRequest::default().with_to(at).with_input(data);

        // VK_HASH() is the aggregator's key hash.
        let vk_hash = IGroth16BatchVerifier::new(at, &provider).VK_HASH().call().await.unwrap();
        let batch = Batch::new(vk.clone()).unwrap();
        assert_eq!(vk_hash.as_slice(), batch.vk_hash().as_slice());

        for count in [1usize, 2, 3, 16, 32, 64] {
            let mut batch = Batch::new(vk.clone()).unwrap();
            for (i, (proof, inputs)) in f.batch[..count].iter().enumerate() {
                batch.push(format!("p{i}"), proof.clone(), inputs.clone()).unwrap();
            }
            batch.verify().unwrap();
            // The contract's challenges are the aggregator's.
            let ret = provider
                .call(call(calldata::batch_challenges(n, batch.proofs(), batch.inputs())))
                .await
                .unwrap();
            let theirs: Vec<U256> = alloy::sol_types::SolValue::abi_decode(&ret).unwrap();
            let ours: Vec<U256> = batch.challenges().into_iter().map(U256::from).collect();
            assert_eq!(theirs, ours, "n = {n}, N = {count}: challenges differ");
            // Accepted, as a transaction; its gasUsed is forge's all-in figure.
            let receipt = provider.send_transaction(call(batch.calldata())).await.unwrap().get_receipt().await.unwrap();
            assert!(receipt.status(), "n = {n}, N = {count}: valid batch reverted on-chain");
            if count.is_power_of_two() {
                let recorded = gas[format!("batch_n{n}_N{count}_tx")].as_str().expect("forge records powers of two");
                assert_eq!(receipt.gas_used.to_string(), recorded, "n = {n}, N = {count}: gasUsed differs from snapshots/BatchGas.json");
            }
        }

        // Forgeries: both sides reject, the contract with BatchInvalid.
        let invalid = IGroth16BatchVerifier::BatchInvalid::SELECTOR;
        let rejects = |proofs: Vec<Proof>, inputs: Vec<Vec<Fr>>| {
            let provider = &provider;
            let call = &call;
            async move {
                let challenges = transcript::batch_challenges(vk, &proofs, &inputs);
                assert!(!rlc::holds(vk, &proofs, &inputs, &challenges), "native check accepted a forgery");
                let err = provider.call(call(calldata::verify_batch(n, &proofs, &inputs))).await.unwrap_err();
                let data = err.as_error_resp().and_then(|e| e.as_revert_data()).expect("a revert with data");
                assert_eq!(data.as_ref(), invalid.as_slice(), "contract did not revert with BatchInvalid");
            }
        };
        let (proofs, inputs): (Vec<Proof>, Vec<Vec<Fr>>) = f.batch[..3].iter().cloned().unzip();
        // cancellation
        let d = Fr::from(99u64);
        let (mut plus, mut minus) = (inputs[0].clone(), inputs[0].clone());
        plus[0] += d;
        minus[0] -= d;
        rejects(vec![proofs[0].clone(), proofs[0].clone()], vec![plus, minus]).await;
        // swapped
        let mut swapped = proofs.clone();
        swapped.swap(0, 2);
        rejects(swapped, inputs.clone()).await;
        // one bad proof
        let mut bad = proofs.clone();
        bad[1].a = -bad[1].a;
        rejects(bad, inputs.clone()).await;
    }
}
