//! `zkbatch`: prove, verify and batch Groth16 proofs for Ethereum.

mod aggregate_cmd;
mod batch_cmd;
mod circom_cmd;
mod commands;
mod output;
mod relay_cmd;
mod solgen_cmd;

pub use output::Output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};


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
        zkbatch verify --vk verification_key.json --dir proofs/"
)]
struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// More log output on stderr (-v: per proof, -vv: per phase). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make a proving key and verifying key for a circuit (local, single-party setup).
    #[command(after_help = "Example:\n  zkbatch setup --circuit merkle-20 --pk merkle20.pk --vk verification_key.json\n\n\
        The setup's randomness is this machine's: fine for development and demos. Production circom\n\
        circuits use a zkey from a ceremony instead.")]
    Setup {
        /// The circuit: merkle-DEPTH (Poseidon Merkle membership of that depth, e.g. merkle-20).
        #[arg(long)]
        circuit: String,
        /// Where to write the proving key (zkbatch's fast-loading format).
        #[arg(long)]
        pk: PathBuf,
        /// Where to write the verifying key (snarkjs verification_key.json).
        #[arg(long, default_value = "verification_key.json")]
        vk: PathBuf,
    },
    /// Write random valid input.json files for a circuit (for demos and benchmarks).
    #[command(after_help = "Example:\n  zkbatch inputs --circuit merkle-20 --count 16 --out inputs/")]
    Inputs {
        #[arg(long)]
        circuit: String,
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Folder to write input-NNN.json into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Seed for reproducible inputs; random when absent.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Prove one input.json, or every *.json in a folder with a bounded pool of workers.
    #[command(after_help = "Examples:\n  \
        zkbatch prove --pk merkle20.pk --input input.json --proof proof.json --public public.json\n  \
        zkbatch prove --pk merkle20.pk --input inputs/ --out proofs/ --jobs 2\n  \
        zkbatch prove --zkey c.zkey --wasm c.wasm --input input.json --proof proof.json --public public.json\n  \
        zkbatch prove --zkey c.zkey --wtns witness.wtns --proof proof.json --public public.json\n\n\
        circom circuits: --zkey takes a snarkjs Groth16 key, converted once and cached (by hash) in\n\
        $ZKBATCH_CACHE_DIR, $XDG_CACHE_HOME/zkbatch or ~/.cache/zkbatch; --wasm runs circom's witness\n\
        generator on --input (a file or a folder), --wtns takes a witness instead.\n\
        A folder of inputs writes NAME.proof.json and NAME.public.json into --out for each NAME.json.\n\
        A failed input is reported and the others go on; the exit status is non-zero if any failed.\n\
        ZKBATCH_MSM picks the MSM engine: cpu (the default: AVX-512 IFMA where the CPU has it),\n\
        cpu-scalar (the same without IFMA) or arkworks; ZKBATCH_MSM_TABLE_MB caps its precomputed\n\
        tables per key (0: none).")]
    Prove {
        /// The proving key written by `zkbatch setup`.
        #[arg(long, required_unless_present = "zkey")]
        pk: Option<PathBuf>,
        /// An input.json, or a folder of them.
        #[arg(long, required_unless_present = "wtns")]
        input: Option<PathBuf>,
        /// For one input: where to write proof.json.
        #[arg(long, default_value = "proof.json")]
        proof: PathBuf,
        /// For one input: where to write public.json.
        #[arg(long, default_value = "public.json")]
        public: PathBuf,
        /// For a folder of inputs: the folder for the proofs (created if missing).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Proofs proved at once (each proof also uses every core); at most this many are in memory.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        #[command(flatten)]
        circom: circom_cmd::CircomArgs,
    },
    /// Verify snarkjs-format proofs: one proof.json + public.json, or every pair in a folder.
    #[command(after_help = "Examples:\n  \
        zkbatch verify --vk verification_key.json --proof proof.json --public public.json\n  \
        zkbatch verify --vk verification_key.json --dir proofs/\n\n\
        Exit status 0 only if every proof is valid.")]
    Verify {
        #[arg(long)]
        vk: PathBuf,
        #[arg(long, required_unless_present = "dir", requires = "public")]
        proof: Option<PathBuf>,
        #[arg(long, requires = "proof")]
        public: Option<PathBuf>,
        /// A folder of NAME.proof.json + NAME.public.json pairs.
        #[arg(long, conflicts_with_all = ["proof", "public"])]
        dir: Option<PathBuf>,
    },
    /// Batches: check many proofs at once, or encode them for the on-chain batch verifier.
    #[command(after_help = "Examples:\n  \
        zkbatch batch verify --vk verification_key.json --proofs proofs/\n  \
        zkbatch batch calldata --vk verification_key.json --proofs proofs/ --out batch.hex")]
    Batch(batch_cmd::BatchArgs),
    /// Aggregate N Groth16 proofs into one halo2 (KZG) proof for the on-chain aggregate verifier.
    #[command(after_help = "Example:\n  \
        zkbatch aggregate --vk verification_key.json --proofs proofs/ --out aggregate.json --insecure-params\n  \
        zkbatch solgen aggregate --slots 2 --inputs 2 --insecure-params --out AggregateVerifierN2L2K20.sol\n  \
        zkbatch aggregate deploy --verifier AggregateVerifierN2L2K20.sol --slots 2 --inputs 2 --key-file deployer.key\n  \
        zkbatch aggregate submit --registry 0x… --key-file sender.key aggregate.json\n\n\
        Each proof is verified first (a bad one is named and nothing is proved). The first run for a shape\n\
        (k, N, ℓ) makes the circuit's proving key (minutes, gigabytes) and caches it; later runs load it.\n\
        The proof verifies through `zkbatch solgen aggregate`'s contract and AggregatedProofRegistry.submit\n\
        (instances, proof) with aggregate.json's fields. Production needs --params from a public\n\
        powers-of-tau; --insecure-params is a test setup anyone can forge proofs against.")]
    Aggregate(aggregate_cmd::AggregateArgs),
    /// Generate Solidity: a Groth16 verifier for a verifying key, or a Poseidon contract.
    #[command(after_help = "Examples:\n  \
        zkbatch solgen --vk verification_key.json --out contracts/Verifier.sol\n  \
        zkbatch solgen --vk verification_key.json --batch --out contracts/BatchVerifier.sol\n  \
        zkbatch solgen poseidon --t 3 --out contracts/PoseidonT3.sol\n  \
        zkbatch solgen aggregate --slots 4 --inputs 2 --insecure-params --out contracts/AggregateVerifier.sol\n\n\
        The verifier has snarkjs's verifyProof (returns bool) and two entries that revert with a named\n\
        error unless the proof is valid: verify(bytes proof, uint256[] input) and\n\
        verifyCompressedProof(uint256[4], uint256[n]) (see `zkbatch calldata`).")]
    Solgen(solgen_cmd::SolgenArgs),
    /// Print a proof's arguments for the generated verifier's entries (plain and compressed).
    #[command(after_help = "Example:\n  zkbatch calldata --proof proof.json --public public.json --json")]
    Calldata {
        #[arg(long)]
        proof: PathBuf,
        #[arg(long)]
        public: PathBuf,
    },
    /// Run the relayer: accept proofs over HTTP, batch them on-chain through the ProofRegistry.
    #[command(after_help = "Examples:\n  zkbatch relay --config relayer.toml\n  \
        ZKBATCH_RELAYER_KEY=0x… zkbatch relay --rpc-url http://127.0.0.1:8545 --registry 0x… \\\n      \
        --circuit merkle-20,verification_key.json,0x…\n\n\
        The signer key comes from key_file (config or --key-file) or $ZKBATCH_RELAYER_KEY; it is never logged.")]
    Relay(relay_cmd::RelayArgs),
    /// Post a proof to a relayer (and with --wait, wait for its transaction).
    #[command(after_help = "Example:\n  zkbatch submit proof.json public.json --circuit merkle-20 --wait")]
    Submit(relay_cmd::SubmitArgs),
    /// Deploy the ProofRegistry and each circuit's verifier, and write relayer.toml.
    #[command(after_help = "Example:\n  ZKBATCH_DEPLOYER_KEY=0x… zkbatch deploy --rpc-url http://127.0.0.1:8545 \\\n      \
        --circuit merkle-20=verification_key.json --config-out relayer.toml --relayer-key-file relayer.key")]
    Deploy(relay_cmd::DeployArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging(cli.verbose);
    let out = Output::new(cli.json);
    let result = match cli.command {
        Command::Setup { circuit, pk, vk } => commands::setup(&out, &circuit, &pk, &vk),
        Command::Inputs { circuit, count, out: dir, seed } => commands::inputs(&out, &circuit, count, &dir, seed),
        Command::Prove { circom, input, proof, public, out: dir, jobs, .. } if circom.is_circom() => {
            circom_cmd::prove(&out, &circom, input.as_deref(), &proof, &public, dir.as_deref(), jobs)
        }
        Command::Prove { pk: Some(pk), input: Some(input), proof, public, out: dir, jobs, .. } => {
            commands::prove(&out, &pk, &input, &proof, &public, dir.as_deref(), jobs)
        }
        Command::Prove { .. } => Err(anyhow::anyhow!("give --pk and --input, or --zkey with a witness")),
        Command::Verify { vk, proof, public, dir } => commands::verify(&out, &vk, proof.as_deref(), public.as_deref(), dir.as_deref()),
        Command::Batch(args) => batch_cmd::batch(&out, args),
        Command::Aggregate(args) => aggregate_cmd::aggregate(&out, args),
        Command::Solgen(args) => solgen_cmd::solgen(&out, args),
        Command::Calldata { proof, public } => solgen_cmd::calldata(&out, &proof, &public),
        Command::Relay(args) => relay_cmd::relay(&out, args),
        Command::Submit(args) => relay_cmd::submit(&out, args),
        Command::Deploy(args) => relay_cmd::deploy(&out, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            out.error(&err);
            ExitCode::FAILURE
        }
    }
}
