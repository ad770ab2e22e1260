//! zkbatch's Groth16 prover over BN254.
//!
//! - [`prover::Prover`]: the proving pipeline (witness → QAP → MSMs) with per-phase timings.
//! - [`keys::ProvingKey`]: setup and a fast-loading key file.
//! - [`poseidon`] and [`circuits`]: circomlib-compatible Poseidon and the Merkle-membership circuit.
//! - [`circom`]: circom's `.r1cs`, `.wtns` and `.wasm` and snarkjs's `.zkey`, for proving circom circuits.
//! - [`snarkjs`]: proof.json, public.json and verification_key.json, read and written.
//! - [`pool`]: many proofs with a bounded number in flight.

pub mod circom;
pub mod circuits;
pub mod field;
pub mod keys;
pub mod msm;
pub mod pool;
pub mod poseidon;
pub mod prover;
pub mod qap;
pub mod r1cs;
pub mod report;
pub mod snarkjs;
pub mod verify;
pub mod witness;

pub use ark_bn254::{Fq, Fr};
pub use keys::ProvingKey;
pub use prover::Prover;
pub use report::ProofReport;

/// A Groth16 proof over BN254.
pub type Proof = ark_groth16::Proof<ark_bn254::Bn254>;
/// A Groth16 verifying key over BN254.
pub type VerifyingKey = ark_groth16::VerifyingKey<ark_bn254::Bn254>;
/// A scalar in the form MSMs take it (not Montgomery).
pub type ScalarBigInt = <Fr as ark_ff::PrimeField>::BigInt;
