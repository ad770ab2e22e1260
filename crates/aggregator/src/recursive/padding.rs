//! Filling a circuit of N slots with fewer proofs.
//!
//! The circuit has no "inactive slot": every slot's proof is verified like any other. A partial
//! batch is padded by repeating its last (proof, inputs), so a padded slot is one more true
//! statement, and a false proof placed there fails the pairing check as it would anywhere (the
//! MockProver test with a bad proof in slot 2 is that case). The instances then list the last
//! statement more than once, which a registry may record as it likes: it is true.

use zkbatch_prover::{Fr, Proof};

use super::error::AggregationError;

/// `batch` repeated at its end up to `slots` items.
pub fn pad(batch: &[(Proof, Vec<Fr>)], slots: usize) -> Result<Vec<(Proof, Vec<Fr>)>, AggregationError> {
    let last = batch.last().ok_or(AggregationError::Empty)?;
    if batch.len() > slots {
        return Err(AggregationError::TooMany { got: batch.len(), slots });
    }
    let mut padded = batch.to_vec();
    padded.resize(slots, last.clone());
    Ok(padded)
}
