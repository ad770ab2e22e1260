//! The signer's private key, read once from a file or an environment variable. Its text appears
//! in no error and no log line.

use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;

/// Where a key is read from.
#[derive(Clone, Copy, Debug)]
pub enum KeySource<'a> {
    /// A file holding the hex key (a trailing newline and a 0x prefix are fine).
    File(&'a Path),
    /// An environment variable holding it.
    Env(&'a str),
}

/// Why no signer came out.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The environment variable is not set (and no key file was given). Callers that know how
    /// their user gives a key file say so (the CLI's flag, the relayer's configuration).
    #[error("no signer key: no key file was given and {env} is not set")]
    NoKey {
        /// The variable looked at.
        env: String,
    },
    /// The key file cannot be read.
    #[error("{path}: cannot read the signer key file: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not a key; `from` names the file or variable, never the text.
    #[error("the signer key (from {from}) is not a 32-byte hex private key")]
    BadKey {
        /// The file or `$VARIABLE` it came from.
        from: String,
    },
}

/// Reads the key at `source`.
pub fn read_key(source: KeySource<'_>) -> Result<PrivateKeySigner, KeyError> {
    let (text, from) = match source {
        KeySource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| KeyError::File { path: path.to_owned(), source })?;
            (text, path.display().to_string())
        }
        KeySource::Env(env) => (std::env::var(env).map_err(|_| KeyError::NoKey { env: env.to_owned() })?, format!("${env}")),
    };
    let text = text.trim();
    text.strip_prefix("0x").unwrap_or(text).parse().map_err(|_| KeyError::BadKey { from })
}
