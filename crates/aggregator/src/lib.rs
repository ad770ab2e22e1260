//! zkbatch-aggregator: many Groth16 proofs into one check.
//!
//! - [`batch`]: batches for the on-chain `Groth16BatchVerifier`: every proof verified before it may
//!   join, the random-linear-combination check natively with the contract's own challenges
//!   (`zkbatch_evm::batch_transcript`), and its calldata.
//! - [`rlc`]: the random-linear-combination pairing check both forms share (N + 3 pairs).
//! - [`recursive`]: the same check as a halo2 circuit (halo2-lib) with a Poseidon transcript,
//!   proved with KZG and verified on-chain by snark-verifier's Solidity verifier.

#![forbid(unsafe_code)]

pub mod batch;
pub mod recursive;
pub mod rlc;

pub use batch::{Batch, BatchError, BatchItem};
