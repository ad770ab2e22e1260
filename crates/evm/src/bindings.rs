//! The contracts' alloy bindings, generated at compile time from the ABI checked in under
//! `crates/evm/abi/` (with the creation bytecode of the contracts zkbatch deploys from Rust).
//! `make bindings` copies them from forge's artifacts; the test `bindings_match_the_contracts`
//! fails when a contract changed and they were not regenerated.

// The bindings' items are generated from the ABI; their documentation is the contracts' own.
#![allow(missing_docs)]

/// One `sol!` binding per contract (with RPC methods under the `rpc` feature), and the list of
/// them for `make bindings` and its test.
macro_rules! bindings {
    ($($name:ident: $path:literal, bytecode: $bytecode:literal;)*) => {
        $(
            #[cfg(feature = "rpc")]
            alloy::sol!(
                #[sol(rpc)]
                #[derive(Debug)]
                $name,
                $path
            );
            #[cfg(not(feature = "rpc"))]
            alloy_sol_types::sol!(
                #[derive(Debug)]
                $name,
                $path
            );
        )*

        /// The contracts bound here, and whether their creation bytecode is kept beside their
        /// ABI (for the contracts zkbatch deploys from Rust).
        pub const BOUND: &[(&str, bool)] = &[$((stringify!($name), $bytecode)),*];
    };
}

bindings! {
    ProofRegistry: "abi/ProofRegistry.json", bytecode: true;
    AggregatedProofRegistry: "abi/AggregatedProofRegistry.json", bytecode: true;
    IGroth16Verifier: "abi/IGroth16Verifier.json", bytecode: false;
    IGroth16BatchVerifier: "abi/IGroth16BatchVerifier.json", bytecode: false;
    PoseidonT2: "abi/PoseidonT2.json", bytecode: false;
    PoseidonT3: "abi/PoseidonT3.json", bytecode: false;
    PoseidonT4: "abi/PoseidonT4.json", bytecode: false;
    PoseidonT5: "abi/PoseidonT5.json", bytecode: false;
    PoseidonT6: "abi/PoseidonT6.json", bytecode: false;
}
