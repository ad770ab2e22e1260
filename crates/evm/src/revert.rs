//! A revert's data, named by the error types the bindings generate from the contracts: the
//! verifiers' (every generated verifier shares them), the registries', and Solidity's own
//! `Error(string)` and `Panic(uint256)`.

use std::fmt;

use alloy_primitives::Bytes;
use alloy_sol_types::{Panic, Revert as RevertString, SolError, SolInterface};

use crate::bindings::AggregatedProofRegistry::AggregatedProofRegistryErrors;
use crate::bindings::IGroth16BatchVerifier::IGroth16BatchVerifierErrors;
use crate::bindings::IGroth16Verifier::IGroth16VerifierErrors;
use crate::bindings::ProofRegistry::ProofRegistryErrors;

/// Why a call reverted, as far as its data tells.
#[derive(Clone, Debug)]
pub enum Revert {
    /// An error of the generated single verifier (also the two errors both verifiers share,
    /// `PublicInputNotInField` and `InvalidProofPoint`, whichever reverted).
    Verifier(IGroth16VerifierErrors),
    /// An error of the generated batch verifier.
    BatchVerifier(IGroth16BatchVerifierErrors),
    /// An error of `ProofRegistry`.
    Registry(ProofRegistryErrors),
    /// An error of `AggregatedProofRegistry`.
    AggregateRegistry(AggregatedProofRegistryErrors),
    /// `require(…, reason)` or `revert(reason)`.
    Reason(String),
    /// A Solidity panic (overflow, array bounds, …), by its code.
    Panic(u64),
    /// No data (snark-verifier's verifier reverts so, as does a call out of gas).
    Empty,
    /// Data no bound contract's error matches.
    Unknown(Bytes),
}

impl Revert {
    /// Names `data`, trying each bound contract's errors in turn.
    pub fn decode(data: &[u8]) -> Revert {
        if data.is_empty() {
            return Revert::Empty;
        }
        if let Ok(e) = IGroth16VerifierErrors::abi_decode(data) {
            return Revert::Verifier(e);
        }
        if let Ok(e) = IGroth16BatchVerifierErrors::abi_decode(data) {
            return Revert::BatchVerifier(e);
        }
        if let Ok(e) = ProofRegistryErrors::abi_decode(data) {
            return Revert::Registry(e);
        }
        if let Ok(e) = AggregatedProofRegistryErrors::abi_decode(data) {
            return Revert::AggregateRegistry(e);
        }
        if let Ok(e) = RevertString::abi_decode(data) {
            return Revert::Reason(e.reason);
        }
        if let Ok(p) = Panic::abi_decode(data) {
            return Revert::Panic(p.code.saturating_to());
        }
        Revert::Unknown(Bytes::copy_from_slice(data))
    }

    /// The revert's data, when a contract call failed with one.
    #[cfg(feature = "rpc")]
    pub fn of_contract_error(e: &alloy::contract::Error) -> Option<Revert> {
        e.as_revert_data().map(|data| Revert::decode(&data))
    }
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AggregatedProofRegistryErrors as A;
        let name = |selector: [u8; 4], by: fn([u8; 4]) -> Option<&'static str>| by(selector).unwrap_or("?");
        match self {
            Revert::Verifier(e) => f.write_str(name(e.selector(), IGroth16VerifierErrors::name_by_selector)),
            Revert::BatchVerifier(e) => f.write_str(name(e.selector(), IGroth16BatchVerifierErrors::name_by_selector)),
            Revert::Registry(e) => f.write_str(name(e.selector(), ProofRegistryErrors::name_by_selector)),
            Revert::AggregateRegistry(A::InstanceCount(x)) => {
                write!(f, "InstanceCount: {} instances given, the registry's shape needs {}", x.got, x.expected)
            }
            Revert::AggregateRegistry(A::InstanceNotInField(x)) => {
                write!(f, "InstanceNotInField: instance {} is not below the scalar field order r", x.index)
            }
            Revert::AggregateRegistry(A::AggregateProofInvalid(_)) => {
                f.write_str("AggregateProofInvalid: the verifier rejects the proof for these instances")
            }
            Revert::AggregateRegistry(A::AlreadyVerified(x)) => write!(f, "AlreadyVerified: this batch (root {}) is already recorded", x.root),
            Revert::Reason(reason) => write!(f, "Error({reason:?})"),
            Revert::Panic(code) => write!(f, "Panic({code:#x})"),
            Revert::Empty => f.write_str("reverted without data"),
            Revert::Unknown(data) => write!(f, "reverted with {data}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{keccak256, B256, U256};
    use alloy_sol_types::SolError;

    use crate::bindings::AggregatedProofRegistry;

    fn selector(signature: &str) -> Vec<u8> {
        keccak256(signature.as_bytes())[..4].to_vec()
    }

    #[test]
    fn reverts_are_named_by_the_contracts_errors() {
        assert_eq!(Revert::decode(&selector("ProofInvalid()")).to_string(), "ProofInvalid");
        assert_eq!(Revert::decode(&selector("BatchInvalid()")).to_string(), "BatchInvalid");
        assert_eq!(Revert::decode(&selector("PublicInputNotInField()")).to_string(), "PublicInputNotInField");
        assert_eq!(Revert::decode(&selector("NoVerifierCode()")).to_string(), "NoVerifierCode");
        assert_eq!(Revert::decode(&selector("InputsLengthMismatch()")).to_string(), "InputsLengthMismatch");
        let count = AggregatedProofRegistry::InstanceCount { expected: U256::from(5), got: U256::from(4) }.abi_encode();
        assert_eq!(Revert::decode(&count).to_string(), "InstanceCount: 4 instances given, the registry's shape needs 5");
        let root = B256::repeat_byte(7);
        let again = AggregatedProofRegistry::AlreadyVerified { root }.abi_encode();
        assert_eq!(Revert::decode(&again).to_string(), format!("AlreadyVerified: this batch (root {root}) is already recorded"));
        let reason = RevertString::from("nope").abi_encode();
        assert_eq!(Revert::decode(&reason).to_string(), "Error(\"nope\")");
        assert_eq!(Revert::decode(&Panic::from(0x11).abi_encode()).to_string(), "Panic(0x11)");
        assert_eq!(Revert::decode(&[1, 2, 3, 4]).to_string(), "reverted with 0x01020304");
        assert_eq!(Revert::decode(&[]).to_string(), "reverted without data");
    }
}
