//! Pieces of inline assembly every generated contract emits the same way.

use std::fmt::Write;

use crate::evm::selector_word;

/// Yul that reverts with the custom error `signature` (e.g. `"ProofInvalid()"`), by its selector.
pub(crate) fn revert(signature: &str) -> String {
    format!("mstore(0x00, {}) revert(0x00, 0x04)", selector_word(signature))
}

/// Appends `text` line by line at `indent`, blank lines left blank.
pub(crate) fn push_indented(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
}
