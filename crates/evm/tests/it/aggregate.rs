//! The checked-in aggregate proof (test/fixtures, N = 2, k = 21) through `deploy_aggregate` and
//! `submit_aggregate` (what `zkbatch aggregate deploy` / `submit` run) on a real anvil:
//! accepted once, with gasUsed equal to forge's all-in figure for the same transaction
//! (snapshots/AggregateGas.json, Cancun); refused, by name and before anything is sent, when
//! resubmitted, when an input changes, when an input is not below r, and with a wrong count.

use alloy::network::EthereumWallet;
use alloy::primitives::{Bytes, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use zkbatch_evm::deploy::deploy_aggregate;
use zkbatch_evm::solc::find_solc;
use zkbatch_evm::submit::{submit_aggregate, AggregateSubmitError};
use zkbatch_testing::root;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";

#[tokio::test]
async fn fixture_aggregate_through_deploy_and_submit_on_anvil() {
    let anvil = zkbatch_testing::anvil().args(["--hardfork", "cancun"]).spawn();
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let provider = ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(anvil.endpoint_url());

    let json: serde_json::Value = serde_json::from_str(&read("test/fixtures/aggregate_n2_l2_k21.json")).unwrap();
    let instances: Vec<U256> = json["instances"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().parse().unwrap()).collect();
    let proof: Bytes = json["proof"].as_str().unwrap().parse().unwrap();
    let source = read("test/fixtures/AggregateVerifierN2L2K21.sol");

    let (_, registry) =
        deploy_aggregate(&provider, &find_solc(Some(&root())), &source, "AggregateVerifierN2L2K21", 2, 2).await.expect("deploy");

    // Refusals come from the simulation: nothing is sent, the nonce does not move.
    let sender = anvil.addresses()[0];
    let nonce = provider.get_transaction_count(sender).await.unwrap();
    let refused = |e: Result<_, AggregateSubmitError>| match e {
        Err(AggregateSubmitError::Refused(reason)) => reason.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let mut changed = instances.clone();
    changed[3] += U256::from(1);
    let reason = refused(submit_aggregate(&provider, registry, changed, proof.clone()).await);
    assert!(reason.starts_with("AggregateProofInvalid"), "{reason}");
    let mut not_canonical = instances.clone();
    not_canonical[2] += R.parse::<U256>().unwrap();
    let reason = refused(submit_aggregate(&provider, registry, not_canonical, proof.clone()).await);
    assert!(reason.starts_with("InstanceNotInField: instance 2"), "{reason}");
    let reason = refused(submit_aggregate(&provider, registry, instances[..4].to_vec(), proof.clone()).await);
    assert!(reason.starts_with("InstanceCount: 4 instances given, the registry's shape needs 5"), "{reason}");
    assert_eq!(provider.get_transaction_count(sender).await.unwrap(), nonce);

    let receipt = submit_aggregate(&provider, registry, instances.clone(), proof.clone()).await.expect("submit");
    let gas: serde_json::Value = serde_json::from_str(&read("snapshots/AggregateGas.json")).unwrap();
    let forge: u64 = gas["submit_N2_L2_tx"].as_str().unwrap().parse().unwrap();
    assert_eq!(receipt.gas_used, forge, "anvil's gasUsed and forge's all-in figure for the same call");

    let reason = refused(submit_aggregate(&provider, registry, instances, proof).await);
    assert_eq!(reason, format!("AlreadyVerified: this batch (root {}) is already recorded", receipt.root));
}
