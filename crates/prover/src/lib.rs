//! zkbatch's Groth16 prover over BN254.
//!
//! - [`Prover`]: the proving pipeline (witness → QAP → MSMs) with per-phase timings
//!   ([`ProofReport`]); the private modules `witness`, `qap` and `r1cs` are its steps.
//! - [`keys`]: setup ([`ProvingKey`]) and a fast-loading key file, cached conversions.
//! - [`mapped`]: key images, a key's points memory-mapped and shared between processes.
//! - [`msm`]: the MSM engines behind one trait.
//! - [`verify`]: verification with named refusals.
//! - [`poseidon`] and [`circuits`]: circomlib-compatible Poseidon and the Merkle-membership circuit.
//! - [`circom`]: circom's `.r1cs`, `.wtns` and `.wasm` and snarkjs's `.zkey`, for proving circom circuits.
//! - [`snarkjs`]: proof.json, public.json and verification_key.json, read and written.
//! - [`field`]: field elements as circom and snarkjs write them.
//! - [`pool`]: many proofs with a bounded number in flight.
//!
//! Unsafe code is denied (the workspace's lints) but in the MSM kernels (`msm`) and in reading a
//! key image's points in place (`mapped`), where each block says why it is sound.

pub mod circom;
pub mod circuits;
pub mod field;
pub mod keys;
// Unsafe code is allowed here too: reading a checked key image's bytes as points (`SAFETY:`).
#[allow(unsafe_code)]
pub mod mapped;
pub mod msm;
pub mod pool;
pub mod poseidon;
mod prover;
mod qap;
mod r1cs;
mod report;
pub mod snarkjs;
pub mod verify;
mod witness;

pub use ark_bn254::{Fq, Fr};
pub use keys::ProvingKey;
pub use prover::{ProveError, Prover};
pub use qap::{CircomReduction, QapError, Reduction};
pub use r1cs::R1cs;
pub use report::ProofReport;

/// A Groth16 proof over BN254.
pub type Proof = ark_groth16::Proof<ark_bn254::Bn254>;
/// A Groth16 verifying key over BN254.
pub type VerifyingKey = ark_groth16::VerifyingKey<ark_bn254::Bn254>;
/// A scalar in the form MSMs take it (not Montgomery).
pub type ScalarBigInt = <Fr as ark_ff::PrimeField>::BigInt;
