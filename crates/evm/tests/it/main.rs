//! zkbatch-evm's integration tests, one binary: the bindings match the contracts, and the
//! checked-in aggregate goes through deployment and submission on anvil.

mod aggregate;
mod bindings;
