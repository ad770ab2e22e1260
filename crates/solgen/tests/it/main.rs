//! zkbatch-solgen's integration tests, one binary: the checked-in forge fixtures and generated
//! contracts are current, the generated contracts work on a real chain, and degenerate keys get none.

mod anvil;
mod fixtures;
mod forge_tests;
mod refusals;
