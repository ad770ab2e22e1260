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

/// Environment variables older releases read, by command: (command, old name, current name).
const LEGACY_ENV: [(&str, &str, &str); 10] = [
    ("relay", "ZKBATCH_RELAYER_CONFIG", "ZKBATCH_CONFIG"),
    ("relay", "ZKBATCH_RELAYER_LISTEN", "ZKBATCH_LISTEN"),
    ("relay", "ZKBATCH_RELAYER_DATABASE", "ZKBATCH_DATABASE"),
    ("relay", "ZKBATCH_RELAYER_RPC_URL", "ZKBATCH_RPC_URL"),
    ("relay", "ZKBATCH_RELAYER_REGISTRY", "ZKBATCH_REGISTRY"),
    ("relay", "ZKBATCH_RELAYER_BATCH_MAX_SIZE", "ZKBATCH_BATCH_MAX_SIZE"),
    ("relay", "ZKBATCH_RELAYER_BATCH_MAX_WAIT_MS", "ZKBATCH_BATCH_MAX_WAIT_MS"),
    ("relay", "ZKBATCH_RELAYER_QUEUE_CAPACITY", "ZKBATCH_QUEUE_CAPACITY"),
    ("relay", "ZKBATCH_RELAYER_CONFIRMATIONS", "ZKBATCH_CONFIRMATIONS"),
    ("relay", "ZKBATCH_RELAYER_MAX_FEE_GWEI", "ZKBATCH_MAX_FEE_GWEI"),
];

/// For the command about to run (the first argument that is not a flag), reads each variable an
/// older release used into its current name, unless that is set, and says so on stderr; where
/// both are set and differ, says which one wins.
pub(crate) fn rename_legacy_env() {
    let Some(command) = std::env::args().skip(1).find(|a| !a.starts_with('-')) else { return };
    for (_, old, new) in LEGACY_ENV.iter().filter(|(c, _, _)| *c == command) {
        match (std::env::var_os(old), std::env::var_os(new)) {
            (Some(value), None) => {
                eprintln!("warning: {old} is now {new}; reading it this time");
                std::env::set_var(new, value);
            }
            (Some(value), Some(current)) if value != current => {
                eprintln!("warning: {old} is no longer read: {new} is set and wins");
            }
            _ => {}
        }
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
