//! zkbatch-solgen's integration tests, one binary: the checked-in forge fixtures and generated
//! contracts are current, and the generated contracts work on a real chain.

mod anvil;
mod fixtures;
mod forge_tests;
