//! The commands, one file each; each has its arguments (`…Args`) and `run`.

mod aggregate;
mod batch;
mod calldata;
mod deploy;
mod inputs;
mod jobs;
mod migrate;
mod prove;
mod relay;
mod serve;
mod setup;
mod solgen;
mod submit;
mod verify;

use anyhow::Result;
use clap::Subcommand;

use crate::output::Output;

/// `zkbatch`'s commands.
#[derive(Subcommand)]
pub(crate) enum Command {
    /// Make a proving key and verifying key for a circuit (local, single-party setup).
    #[command(after_help = "Example:\n  zkbatch setup --circuit merkle-20 --pk merkle20.pk --vk verification_key.json\n\n\
        The setup's randomness is this machine's: fine for development and demos. Production circom\n\
        circuits use a zkey from a ceremony instead.")]
    Setup(setup::SetupArgs),
    /// Write random valid input.json files for a circuit (for demos and benchmarks).
    #[command(after_help = "Example:\n  zkbatch inputs --circuit merkle-20 --count 16 --out inputs/")]
    Inputs(inputs::InputsArgs),
    /// Prove one input.json, or every *.json in a folder with a bounded pool of workers.
    #[command(after_help = "Examples:\n  \
        zkbatch prove --pk merkle20.pk --input input.json --proof proof.json --public public.json\n  \
        zkbatch prove --pk merkle20.pk --input inputs/ --out proofs/ --jobs 2\n  \
        zkbatch prove --zkey c.zkey --wasm c.wasm --input input.json --proof proof.json --public public.json\n  \
        zkbatch prove --zkey c.zkey --wtns witness.wtns --proof proof.json --public public.json\n  \
        zkbatch prove --remote http://127.0.0.1:8080 --circuit merkle-20 --input inputs/ --out proofs/ --jobs 16\n\n\
        circom circuits: --zkey takes a snarkjs Groth16 key, converted once and cached (by hash) in\n\
        $ZKBATCH_CACHE_DIR, $XDG_CACHE_HOME/zkbatch or ~/.cache/zkbatch; --wasm runs circom's witness\n\
        generator on --input (a file or a folder), --wtns takes a witness instead.\n\
        A folder of inputs writes NAME.proof.json and NAME.public.json into --out for each NAME.json.\n\
        A failed input is reported and the others go on; the exit status is non-zero if any failed.\n\
        ZKBATCH_MSM picks the MSM engine: cpu (the default: AVX-512 IFMA where the CPU has it),\n\
        cpu-scalar (the same without IFMA) or arkworks; ZKBATCH_MSM_TABLE_MB caps its precomputed\n\
        tables per key (0: none).\n\
        --remote posts each input to a `zkbatch serve` node as a job and writes the proof it returns.")]
    Prove(prove::ProveArgs),
    /// Verify snarkjs-format proofs: one proof.json + public.json, or every pair in a folder.
    #[command(after_help = "Examples:\n  \
        zkbatch verify --vk verification_key.json --proof proof.json --public public.json\n  \
        zkbatch verify --vk verification_key.json --dir proofs/\n\n\
        Exit status 0 only if every proof is valid.")]
    Verify(verify::VerifyArgs),
    /// Batches: check many proofs at once, or encode them for the on-chain batch verifier.
    #[command(after_help = "Examples:\n  \
        zkbatch batch verify --vk verification_key.json --proofs proofs/\n  \
        zkbatch batch calldata --vk verification_key.json --proofs proofs/ --out batch.hex")]
    Batch(batch::BatchArgs),
    /// Aggregate N Groth16 proofs into one halo2 (KZG) proof for the on-chain aggregate verifier.
    #[command(after_help = "Example:\n  \
        zkbatch aggregate --vk verification_key.json --proofs proofs/ --out aggregate.json --insecure-params\n  \
        zkbatch solgen aggregate --slots 2 --inputs 2 --insecure-params --out AggregateVerifierN2L2K21.sol\n  \
        zkbatch aggregate deploy --verifier AggregateVerifierN2L2K21.sol --slots 2 --inputs 2 --key-file deployer.key\n  \
        zkbatch aggregate submit --registry 0x… --key-file sender.key aggregate.json\n\n\
        Each proof is verified first (a bad one is named and nothing is proved). The first run for a shape\n\
        (k, N, ℓ) makes the circuit's proving key (minutes, gigabytes) and caches it; later runs load it.\n\
        The proof verifies through `zkbatch solgen aggregate`'s contract and AggregatedProofRegistry.submit\n\
        (instances, proof) with aggregate.json's fields. Production needs --params from a public\n\
        powers-of-tau; --insecure-params is a test setup anyone can forge proofs against.")]
    Aggregate(aggregate::AggregateArgs),
    /// Generate Solidity: a Groth16 verifier for a verifying key, or a Poseidon contract.
    #[command(after_help = "Examples:\n  \
        zkbatch solgen --vk verification_key.json --out contracts/Verifier.sol\n  \
        zkbatch solgen --vk verification_key.json --batch --out contracts/BatchVerifier.sol\n  \
        zkbatch solgen poseidon --t 3 --out contracts/PoseidonT3.sol\n  \
        zkbatch solgen aggregate --slots 4 --inputs 2 --insecure-params --out contracts/AggregateVerifier.sol\n\n\
        The verifier has snarkjs's verifyProof (returns bool) and two entries that revert with a named\n\
        error unless the proof is valid: verify(bytes proof, uint256[] input) and\n\
        verifyCompressedProof(uint256[4], uint256[n]) (see `zkbatch calldata`).")]
    Solgen(solgen::SolgenArgs),
    /// Print a proof's arguments for the generated verifier's entries (plain and compressed).
    #[command(after_help = "Example:\n  zkbatch calldata --proof proof.json --public public.json --json")]
    Calldata(calldata::CalldataArgs),
    /// Run the relayer: accept proofs over HTTP, batch them on-chain through the ProofRegistry.
    #[command(after_help = "Examples:\n  zkbatch relay --config relayer.toml\n  \
        ZKBATCH_RELAYER_KEY=0x… zkbatch relay --rpc-url http://127.0.0.1:8545 --registry 0x… \\\n      \
        --circuit merkle-20,verification_key.json,0x…\n\n\
        Flags override the file's values, and each flag's environment variable (ZKBATCH_ and its name in\n\
        capitals, e.g. ZKBATCH_RPC_URL) stands in for it. The signer key comes from key_file (config,\n\
        --key-file or ZKBATCH_RELAYER_KEY_FILE) or $ZKBATCH_RELAYER_KEY; it is never logged.")]
    Relay(relay::RelayArgs),
    /// Run a node of the proving service: jobs in over HTTP, proofs out (and on-chain).
    #[command(after_help = "Examples:\n  zkbatch serve --config zkbatch.toml\n  \
        zkbatch serve --config zkbatch.toml --roles prove --database postgres://user@db/zkbatch\n\n\
        zkbatch.toml names the circuits ([[circuits]]: id, and zkey + wasm or builtin + pk; verifier and\n\
        batch_verifier for the relay role) and, for the relay role, [relay] (rpc_url, registry, key_file).\n\
        A node listens at once (/healthz), loads its proving keys, then says ready (/readyz) and claims\n\
        jobs. Many nodes share one PostgreSQL database; each takes jobs with a lease, and a node that\n\
        dies loses none: its jobs are proved again once their leases expire. SIGTERM drains.\n\n\
        API: POST /v1/jobs {\"circuit\", \"input\", \"submit\", \"client_id\"}; GET /v1/jobs/ID?wait=30;\n\
        GET /v1/circuits, /metrics, /healthz, /readyz; with the relay role POST /v1/proofs as `zkbatch relay`.\n\
        The API's OpenAPI document is GET /v1/openapi.json; open /docs in a browser to read and try it.\n\
        Flags override the file's values; each flag's environment variable (ZKBATCH_ and its name in\n\
        capitals) stands in for it.")]
    Serve(serve::ServeArgs),
    /// Show a `zkbatch serve` node's jobs: one job (waiting for it with --wait), or the counts per status.
    #[command(after_help = "Examples:\n  zkbatch jobs http://127.0.0.1:8080\n  zkbatch jobs http://127.0.0.1:8080 5f0c…e1 --wait 60")]
    Jobs(jobs::JobsArgs),
    /// Bring a database's schema up to date (nodes do it at start too): run once before a new version's nodes.
    #[command(after_help = "Examples:\n  zkbatch migrate --database postgres://zkbatch@db/zkbatch\n  \
        ZKBATCH_DATABASE=zkbatch.db zkbatch migrate\n\n\
        Migrations are versioned and applied in order under a lock, so nodes starting at once and this\n\
        command never apply one twice; a database newer than this binary is refused.")]
    Migrate(migrate::MigrateArgs),
    /// Post a proof to a relayer (and with --wait, wait for its transaction).
    #[command(after_help = "Example:\n  zkbatch submit proof.json public.json --circuit merkle-20 --wait")]
    Submit(submit::SubmitArgs),
    /// Deploy the ProofRegistry and each circuit's verifier, and write relayer.toml.
    #[command(after_help = "Example:\n  ZKBATCH_DEPLOYER_KEY=0x… zkbatch deploy --rpc-url http://127.0.0.1:8545 \\\n      \
        --circuit merkle-20=verification_key.json --config-out relayer.toml --relayer-key-file relayer.key")]
    Deploy(deploy::DeployArgs),
}

impl Command {
    /// Runs the command, reporting through `out`.
    pub(crate) fn run(self, out: &Output) -> Result<()> {
        match self {
            Command::Setup(args) => setup::run(out, args),
            Command::Inputs(args) => inputs::run(out, args),
            Command::Prove(args) => prove::run(out, args),
            Command::Verify(args) => verify::run(out, args),
            Command::Batch(args) => batch::run(out, args),
            Command::Aggregate(args) => aggregate::run(out, args),
            Command::Solgen(args) => solgen::run(out, args),
            Command::Calldata(args) => calldata::run(out, args),
            Command::Relay(args) => relay::run(out, args),
            Command::Serve(args) => serve::run(out, args),
            Command::Submit(args) => submit::run(out, args),
            Command::Jobs(args) => jobs::run(out, args),
            Command::Migrate(args) => migrate::run(out, args),
            Command::Deploy(args) => deploy::run(out, args),
        }
    }
}
