//! zkbatch-prover's integration tests, one binary: the pipeline against ark-groth16, circom's and
//! snarkjs's files and vectors, the MSM engines against arkworks, keys, the pool, Poseidon and the batch check.

mod circom;
mod groth16;
mod keys;
mod merkle;
mod msm;
mod pool;
mod poseidon;
mod snarkjs_formats;
mod verify;
