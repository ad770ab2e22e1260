//! The random-linear-combination check of N Groth16 proofs of one key: the prover's
//! [`batch_holds`](zkbatch_prover::verify::batch_holds), the equation the on-chain batch verifier
//! checks. Here the challenges come from the batch's transcript (`zkbatch_evm::batch_transcript`,
//! or the aggregation circuit's Poseidon transcript), so the native check and the contract agree.

pub use zkbatch_prover::verify::batch_holds as holds;
