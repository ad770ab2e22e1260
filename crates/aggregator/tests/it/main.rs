//! zkbatch-aggregator's integration tests, one binary. The slow aggregation runs are ignored here
//! and run by make targets: `make test-aggregation` (recursive_mock, N = 4 included),
//! `make bench-aggregation` (recursive_prove), `make fixtures-aggregate` (recursive_fixture's
//! regenerate_fixture).

mod anvil;
mod batch;
mod ptau;
mod recursive;
mod recursive_fixture;
mod recursive_mock;
mod recursive_prove;

use std::path::PathBuf;

/// Where the aggregation tests cache KZG parameters and proving keys: `$ZKBATCH_AGG_CACHE`, else
/// the target directory's scratch space (they take minutes to make).
fn aggregation_cache() -> PathBuf {
    std::env::var_os("ZKBATCH_AGG_CACHE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("aggregation"))
}
