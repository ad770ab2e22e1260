//! Option groups several commands share, flattened into each (`#[command(flatten)]`), so that a
//! flag has one name, one environment variable and one meaning everywhere.
//!
//! Environment variables: a flag below can be set as `ZKBATCH_` and its name in capitals
//! (`--rpc-url` as `ZKBATCH_RPC_URL`); a flag on the command line wins over its variable. Keys
//! are the exception, named by the role that signs, so that one shell can hold a deployer's and a
//! relayer's without either signing for the other: `--key-file` is `ZKBATCH_DEPLOYER_KEY_FILE`
//! here and `ZKBATCH_RELAYER_KEY_FILE` for the relayer, and the hex key itself, never a flag,
//! `ZKBATCH_DEPLOYER_KEY` or `ZKBATCH_RELAYER_KEY`.

use std::path::{Path, PathBuf};

use alloy::network::EthereumWallet;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use zkbatch_aggregator::recursive::params::{self, KzgParams};
use zkbatch_aggregator::recursive::shape::Shape;
use zkbatch_evm::signer::{read_key, KeyError, KeySource};
use zkbatch_prover::keys::KeyCache;

use crate::output::Output;

/// The environment variable that holds the deployer's key when there is no key file.
pub(crate) const DEPLOYER_KEY_ENV: &str = "ZKBATCH_DEPLOYER_KEY";

/// A chain and a signer on it.
#[derive(Args, Clone, Debug)]
pub(crate) struct ChainOpts {
    /// The chain's JSON-RPC endpoint.
    #[arg(long, env = "ZKBATCH_RPC_URL", default_value = "http://127.0.0.1:8545")]
    pub(crate) rpc_url: String,
    /// A file with the sender's hex private key (else $ZKBATCH_DEPLOYER_KEY).
    #[arg(long, env = "ZKBATCH_DEPLOYER_KEY_FILE")]
    pub(crate) key_file: Option<PathBuf>,
}

impl ChainOpts {
    /// A provider that signs with the key, filling nonce, gas and fees from the node.
    pub(crate) fn provider(&self) -> Result<DynProvider> {
        let source = match &self.key_file {
            Some(path) => KeySource::File(path),
            None => KeySource::Env(DEPLOYER_KEY_ENV),
        };
        let signer = read_key(source).map_err(|e| match e {
            KeyError::NoKey { .. } => {
                anyhow!("no deployer key: give --key-file (or set ZKBATCH_DEPLOYER_KEY_FILE), or set {DEPLOYER_KEY_ENV} to the hex key")
            }
            e => e.into(),
        })?;
        let url = self.rpc_url.parse().with_context(|| format!("--rpc-url {:?} is not a URL", self.rpc_url))?;
        Ok(ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(url).erased())
    }
}

/// The Solidity compiler for generated contracts.
#[derive(Args, Clone, Debug)]
pub(crate) struct SolcOpts {
    /// solc 0.8 [default: the project's .tools/bin/solc found from here or from this binary's
    /// checkout, else solc on PATH].
    #[arg(long, env = "ZKBATCH_SOLC")]
    pub(crate) solc: Option<PathBuf>,
}

impl SolcOpts {
    /// The solc to run.
    pub(crate) fn solc(&self) -> PathBuf {
        if let Some(solc) = &self.solc {
            return solc.clone();
        }
        let checkout = std::env::current_exe().ok().and_then(|e| e.ancestors().nth(3).map(Path::to_path_buf));
        let here = std::env::current_dir().ok();
        [here, checkout]
            .into_iter()
            .flatten()
            .map(|root| zkbatch_evm::solc::find_solc(Some(&root)))
            .find(|p| p.is_absolute())
            .unwrap_or_else(|| zkbatch_evm::solc::find_solc(None))
    }
}

/// Where zkbatch keeps what it computes once and reuses: converted zkeys, KZG parameters,
/// aggregation proving keys.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct CacheOpts {
    /// Where converted zkeys, KZG parameters made by --insecure-params or --ptau, and aggregation
    /// proving keys are cached [default: $XDG_CACHE_HOME/zkbatch or ~/.cache/zkbatch].
    #[arg(long = "cache-dir", alias = "cache", env = "ZKBATCH_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
}

impl CacheOpts {
    /// The cache folder: the flag's, or the default where the machine has a home.
    pub(crate) fn dir(&self) -> Option<PathBuf> {
        self.cache_dir.clone().or_else(KeyCache::default_dir)
    }
}

/// Where the KZG parameters and the aggregation circuit's keys come from.
#[derive(Args, Clone, Debug)]
pub(crate) struct KzgOpts {
    /// 2^k rows for the aggregation circuit [default: 20 for N = 1, 21 up to N = 4, then growing
    /// with N to keep about 8 advice columns]. A larger k makes a smaller, cheaper verifier and needs more memory.
    #[arg(long)]
    pub(crate) k: Option<u32>,
    /// KZG parameters (halo2 raw format, at least 2^k points) from a public powers-of-tau.
    #[arg(long, conflicts_with_all = ["insecure_params", "ptau"])]
    pub(crate) params: Option<PathBuf>,
    /// A snarkjs powers-of-tau file (a public ceremony's .ptau): converted to KZG parameters once
    /// (minutes at k = 20) and cached.
    #[arg(long, conflicts_with = "insecure_params")]
    pub(crate) ptau: Option<PathBuf>,
    /// Use the deterministic INSECURE test setup (its τ is public: anyone can forge proofs).
    /// For tests and local demos only.
    #[arg(long)]
    pub(crate) insecure_params: bool,
    #[command(flatten)]
    pub(crate) cache: CacheOpts,
}

impl KzgOpts {
    /// The cache folder.
    pub(crate) fn cache_dir(&self) -> Result<PathBuf> {
        self.cache.dir().context("no cache folder: give --cache-dir or set ZKBATCH_CACHE_DIR")
    }

    /// k for N slots: the flag's, or the shape's default.
    pub(crate) fn k(&self, slots: usize) -> u32 {
        self.k.unwrap_or_else(|| Shape::default_k(slots))
    }

    /// The parameters for 2^k rows: from --ptau (converted once, cached), --params, or the
    /// insecure setup (cached), with a warning for the last.
    pub(crate) fn params(&self, out: &Output, k: u32) -> Result<KzgParams> {
        if let Some(ptau) = &self.ptau {
            return Ok(params::from_ptau_cached(ptau, &self.cache_dir()?, k)?);
        }
        match (&self.params, self.insecure_params) {
            (Some(path), _) => Ok(params::read(path, k)?),
            (None, true) => {
                if !out.is_json() {
                    eprintln!("warning: INSECURE KZG parameters (public τ): for tests and demos only");
                }
                Ok(params::insecure_cached(&self.cache_dir()?, k)?)
            }
            (None, false) => bail!(
                "no KZG parameters: give --ptau FILE (a public powers-of-tau ceremony's .ptau), --params FILE \
                 (halo2 format, see crates/aggregator/docs/recursive-aggregation.md) or --insecure-params for a local test setup"
            ),
        }
    }
}
