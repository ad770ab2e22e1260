//! zkbatch-relayer's integration tests, one binary, with real parts only: anvil, the generated
//! verifiers and the registry deployed on it, our prover's proofs, SQLite files and a PostgreSQL
//! server of the tests' own, HTTP, and the relayer killed mid-work. The load test is ignored
//! here; `make bench-relayer` runs it.

mod aggregate;
mod chaos;
mod e2e;
mod harness;
mod intake;
mod load;
mod migrations;
mod nonces;
mod postgres;
mod queue_bound;
mod reorg;
mod reset;
