//! Recursive aggregation: a halo2 circuit (halo2-base / halo2-ecc 0.5.5) that checks N Groth16
//! proofs of one verifying key with the same random-linear-combination equation as [`crate::rlc`],
//! with Fiat–Shamir challenges from an in-circuit Poseidon transcript; proved with KZG (SHPLONK)
//! and verified on-chain by snark-verifier's Solidity verifier.
//!
//! - [`input`]: what the circuit checks ([`AggregationInput`]), and the same check natively.
//! - [`convert`]: arkworks points and scalars to halo2curves, refusing what the circuit cannot load
//!   (the point at infinity, B outside G2).
//! - [`transcript`]: the Poseidon transcript's challenges natively (the same sponge as the
//!   circuit's, from snark-verifier's independent implementation) and the key's hash.
//! - [`circuit`]: the circuit itself, built into a `BaseCircuitBuilder`.
//! - [`subgroup`]: G2 membership of each B, in the circuit (and the same test natively).
//! - [`padding`]: partial batches filled by repeating their last proof.
//! - [`params`]: KZG parameters (a file, a powers-of-tau, or the insecure test setup).
//! - [`shape`]: what an aggregation key is for (k, N, ℓ).
//! - [`keys`]: proving keys per shape, cached on disk.
//! - [`prove`]: proving and native verification.
//! - [`proof`]: the aggregate proof, its JSON form and its calldata.
//! - [`solidity`]: the on-chain verifier, rendered by snark-verifier.
//!
//! Design and status: `docs/recursive-aggregation.md`.

pub mod circuit;
pub mod convert;
mod error;
pub mod input;
pub mod keys;
pub mod padding;
pub mod params;
pub mod proof;
pub mod prove;
pub mod shape;
pub mod solidity;
pub mod subgroup;
pub mod transcript;

pub use error::AggregationError;
pub use halo2_base::halo2_proofs::halo2curves::bn256::Fr as HaloFr;
pub use input::{check_native, AggregationInput};
