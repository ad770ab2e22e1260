//! zkbatch-solgen: Solidity from Rust descriptions.
//!
//! - [`verifier::groth16_verifier`]: a gas-optimised Groth16 verifier for one verifying key.
//! - [`evm`]: proofs and inputs as EVM words, and the compressed proof encoding.

pub mod evm;
pub mod fixtures;
pub mod poseidon;
pub mod verifier;

pub use verifier::{groth16_verifier, VerifierOptions};
