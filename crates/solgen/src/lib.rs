//! zkbatch-solgen: Solidity from Rust descriptions.
//!
//! - [`verifier::groth16_verifier`]: a gas-optimised Groth16 verifier for one verifying key.
//! - [`batch::groth16_batch_verifier`]: a batch verifier (N proofs, one pairing call of N + 3 pairs).
//! - [`evm`]: proofs and inputs as EVM words, and the compressed proof encoding.
//! - [`solc`]: compiling generated contracts with the project's solc (standard JSON).

pub mod batch;
pub mod evm;
pub mod fixtures;
pub mod poseidon;
pub mod solc;
pub mod verifier;
mod yul;

pub use batch::{groth16_batch_verifier, BatchVerifierOptions};
pub use verifier::{groth16_verifier, VerifierError, VerifierOptions};
