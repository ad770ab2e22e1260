//! zkbatch-solgen: gas-optimised Solidity, generated from Rust descriptions.
//!
//! - [`groth16_verifier`]: a Groth16 verifier for one verifying key, every constant inlined.
//! - [`groth16_batch_verifier`]: a batch verifier (N proofs, one pairing call of N + 3 pairs), whose
//!   transcript is `zkbatch_evm::batch_transcript`.
//! - [`poseidon_contract`]: circomlib-compatible Poseidon contracts.
//! - [`verifier_interfaces`]: the interfaces every generated verifier implements.
//!
//! Generated assembly carries its memory layout, and names each precompile and each revert's
//! error where it is called. Compiling and deploying are the chain side's (zkbatch-evm).

#![forbid(unsafe_code)]

mod batch;
mod interface;
mod poseidon;
mod verifier;
mod yul;

pub use batch::groth16_batch_verifier;
pub use interface::{verifier_interfaces, SolidityFile};
pub use poseidon::{poseidon_contract, PoseidonError};
pub use verifier::{groth16_verifier, VerifierError, VerifierOptions};
