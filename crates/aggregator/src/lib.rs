//! zkbatch-aggregator: many Groth16 proofs into one check.
//!
//! - [`batch`]: batches for the on-chain `Groth16BatchVerifier`: every proof verified before it may
//!   join, the random-linear-combination check natively, and the contract's calldata.
//! - [`transcript`]: the batch's Fiat–Shamir challenges, byte for byte as the contract derives them.
//! - [`rlc`]: the random-linear-combination pairing check itself (N + 3 pairs).
//! - [`recursive`]: the same check as a halo2 circuit (halo2-lib), with a Poseidon transcript: the
//!   first part of recursive aggregation (no keygen, proving or on-chain verifier yet).

pub mod batch;
pub mod calldata;
pub mod rlc;
pub mod recursive;
pub mod transcript;

pub use batch::{Batch, BatchError, BatchItem};
