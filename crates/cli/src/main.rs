//! `zkbatch`: prove, verify and batch Groth16 proofs for Ethereum.
//!
//! One file per command under `cmd/`; option groups several commands share in `opts`; flags,
//! environment and files layered in `config`; what is printed in `output`; the folders commands
//! read and write in `files`.

#![forbid(unsafe_code)]

mod cmd;
mod config;
mod files;
mod opts;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::output::{Output, OutputOpts};

#[derive(Parser)]
#[command(
    name = "zkbatch",
    version,
    about = "Groth16 proofs for Ethereum: fast proving over BN254, snarkjs-compatible files",
    long_about = "Groth16 proofs for Ethereum: fast proving over BN254, snarkjs-compatible files.\n\n\
        Files are snarkjs's: proof.json, public.json and verification_key.json, so proofs made here\n\
        verify with `snarkjs groth16 verify` and snarkjs's proofs verify here.",
    after_help = "Example, a Merkle-membership proof from scratch:\n  \
        zkbatch setup --circuit merkle-20 --pk merkle20.pk --vk verification_key.json\n  \
        zkbatch inputs --circuit merkle-20 --count 8 --out inputs/\n  \
        zkbatch prove --pk merkle20.pk --input inputs/ --out proofs/ --jobs 2\n  \
        zkbatch verify --vk verification_key.json --dir proofs/\n\n\
        Options of the environment a command runs in (--rpc-url, --solc, --cache-dir, --relayer-url,\n\
        and the relayer's) can also be set as ZKBATCH_ and the flag's name in capitals (--rpc-url as\n\
        ZKBATCH_RPC_URL); key files by role: ZKBATCH_DEPLOYER_KEY_FILE, ZKBATCH_RELAYER_KEY_FILE.\n\
        Each command's --help names them; a flag given wins."
)]
struct Cli {
    #[command(flatten)]
    output: OutputOpts,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    config::rename_legacy_env();
    let cli = Cli::parse();
    output::init_logging(cli.output.verbose);
    let out = Output::new(cli.output.json);
    match cli.command.run(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            out.error(&err);
            ExitCode::FAILURE
        }
    }
}
