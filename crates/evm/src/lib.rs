//! zkbatch-evm: the chain side of zkbatch, in one place.
//!
//! - [`word`]: BN254 values as the EVM's precompiles take them (32-byte words, G2 in EIP-197
//!   order), the verifying key's hash, and the compressed proof encoding.
//! - [`proof`]: a verified proof as the verifiers and `ProofRegistry` take it, and its key.
//! - [`batch_transcript`]: the batch verifier's Fiat–Shamir transcript, natively and as the Yul
//!   the contract runs, side by side.
//! - [`bindings`]: the contracts' alloy bindings, from the ABI checked in under `abi/`
//!   (`make bindings` regenerates it; a test fails when it is stale).
//! - [`calldata`]: every call zkbatch makes, encoded.
//! - [`revert`]: a revert's data, named by the contracts' own error types.
//! - [`solc`]: compiling Solidity with the Foundry project's settings.
//! - [`statement`]: the registries' statement tree, and `isVerified`'s arguments for a landed proof.
//! - `signer` (feature `rpc`): the signer's key, from a file or the environment, never echoed.
//! - `deploy` and `submit` (feature `rpc`): contracts deployed, aggregates sent.
//!
//! The `rpc` feature (on by default; off for the generators and the aggregator, which only
//! encode) brings alloy's providers and signers, and the bindings' RPC methods.

#![forbid(unsafe_code)]

pub mod batch_transcript;
pub mod bindings;
pub mod calldata;
#[cfg(feature = "rpc")]
pub mod deploy;
pub mod proof;
pub mod revert;
#[cfg(feature = "rpc")]
pub mod signer;
pub mod solc;
pub mod statement;
#[cfg(feature = "rpc")]
pub mod submit;
pub mod word;

pub use proof::{DecodeError, EvmProof};
pub use revert::Revert;
pub use word::{EncodeError, Word};
