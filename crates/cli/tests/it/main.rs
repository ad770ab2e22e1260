//! The `zkbatch` binary end to end, one test binary: its commands checked by snarkjs and circom
//! (installed by scripts/bootstrap.sh), and its refusals.

mod aggregate_relay;
mod api_page;
mod circom;
mod cli;
mod manifests;
mod queue_bench;
mod relay;
mod serve;
mod serve_bench;
