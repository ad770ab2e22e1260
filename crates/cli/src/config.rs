//! Configuration in layers, in one place: a flag wins over its environment variable (clap reads
//! both), which wins over the configuration file, which wins over the configuration's defaults.
//!
//! A command's overriding flags are one struct that derives both `clap::Args` and
//! `serde::Serialize`, each field renamed to its key in the file (`batch.max_size`); [`layered`]
//! lays the ones given over the file's values. Environment variables follow one scheme (see
//! `opts`); [`rename_legacy_env`] still reads the names older releases used, with a warning.

use anyhow::Result;
use serde::de::DeserializeOwned;
use serde::Serialize;
use toml::{Table, Value};

/// `base` (the file's configuration, already read, or nothing) with `overrides` laid over it:
/// each field `overrides` serializes (an absent flag serializes to nothing) replaces the value at
/// its dotted key. Fails when the result is no configuration (a required value given nowhere).
pub(crate) fn layered<T: Serialize + DeserializeOwned>(base: Option<&T>, overrides: &impl Serialize) -> Result<T> {
    let mut table = match base {
        Some(base) => Table::try_from(base)?,
        None => Table::new(),
    };
    for (key, value) in Table::try_from(overrides)? {
        set(&mut table, &key, value);
    }
    Ok(table.try_into()?)
}

/// Sets `value` at a dotted `key`, creating the tables on the way.
fn set(table: &mut Table, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = table.entry(head.to_owned()).or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            if let Value::Table(inner) = entry {
                set(inner, rest, value);
            }
        }
    }
}

/// The environment variables older releases read for `zkbatch relay`: (old name, current name).
const LEGACY_RELAY_ENV: [(&str, &str); 10] = [
    ("ZKBATCH_RELAYER_CONFIG", "ZKBATCH_CONFIG"),
    ("ZKBATCH_RELAYER_LISTEN", "ZKBATCH_LISTEN"),
    ("ZKBATCH_RELAYER_DATABASE", "ZKBATCH_DATABASE"),
    ("ZKBATCH_RELAYER_RPC_URL", "ZKBATCH_RPC_URL"),
    ("ZKBATCH_RELAYER_REGISTRY", "ZKBATCH_REGISTRY"),
    ("ZKBATCH_RELAYER_BATCH_MAX_SIZE", "ZKBATCH_BATCH_MAX_SIZE"),
    ("ZKBATCH_RELAYER_BATCH_MAX_WAIT_MS", "ZKBATCH_BATCH_MAX_WAIT_MS"),
    ("ZKBATCH_RELAYER_QUEUE_CAPACITY", "ZKBATCH_QUEUE_CAPACITY"),
    ("ZKBATCH_RELAYER_CONFIRMATIONS", "ZKBATCH_CONFIRMATIONS"),
    ("ZKBATCH_RELAYER_MAX_FEE_GWEI", "ZKBATCH_MAX_FEE_GWEI"),
];

/// When the command about to run is `relay` (the first argument that is not a flag), reads each
/// variable an older release used into its current name, and says so on stderr. The old name wins
/// even where the current one is set too: a shell set up for older releases may hold
/// `ZKBATCH_RPC_URL` for `zkbatch deploy` and `ZKBATCH_RELAYER_RPC_URL` for the relayer, and the
/// relayer must keep the chain it was given.
pub(crate) fn rename_legacy_env() {
    if std::env::args().skip(1).find(|a| !a.starts_with('-')).as_deref() != Some("relay") {
        return;
    }
    for (old, new) in LEGACY_RELAY_ENV {
        let Some(value) = std::env::var_os(old) else { continue };
        match std::env::var_os(new) {
            Some(current) if current != value => {
                eprintln!("warning: {old} is now {new}; both are set and differ, and {old} wins as it did before: unset one")
            }
            _ => eprintln!("warning: {old} is now {new}; reading it this time"),
        }
        std::env::set_var(new, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Config {
        name: String,
        #[serde(default)]
        inner: Inner,
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Inner {
        a: u32,
        b: u32,
    }

    #[derive(Serialize)]
    struct Flags {
        #[serde(rename = "name")]
        name: Option<String>,
        #[serde(rename = "inner.b")]
        b: Option<u32>,
    }

    #[test]
    fn flags_given_replace_the_file_and_flags_absent_leave_it() {
        let file = Config { name: "file".into(), inner: Inner { a: 1, b: 2 } };
        let none = Flags { name: None, b: None };
        assert_eq!(layered(Some(&file), &none).unwrap(), file);
        let b = Flags { name: None, b: Some(7) };
        assert_eq!(layered(Some(&file), &b).unwrap(), Config { name: "file".into(), inner: Inner { a: 1, b: 7 } });
        let all = Flags { name: Some("flag".into()), b: Some(7) };
        assert_eq!(layered::<Config>(None, &all).unwrap(), Config { name: "flag".into(), inner: Inner { a: 0, b: 7 } });
        assert!(layered::<Config>(None, &none).is_err(), "name is given nowhere");
    }
}
