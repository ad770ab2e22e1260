//! Why a batch cannot be aggregated.

/// Why a batch cannot be aggregated: each refusal names the proof or point at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AggregationError {
    /// No proofs.
    #[error("the batch is empty")]
    Empty,
    /// More proofs than the circuit has slots.
    #[error("{got} proofs do not fit a circuit of {slots} slots")]
    TooMany {
        /// Proofs given.
        got: usize,
        /// The circuit's slots.
        slots: usize,
    },
    /// The key has no public inputs (the circuit folds at least one).
    #[error("the verifying key has no public inputs; the aggregation circuit needs at least one")]
    NoPublicInputs,
    /// A proof's input count is not the key's.
    #[error("proof {slot}: {expected} public inputs expected, {got} given")]
    InputCount {
        /// The proof's slot.
        slot: usize,
        /// The key's count.
        expected: usize,
        /// The proof's.
        got: usize,
    },
    /// A point is the point at infinity.
    #[error("{what} is the point at infinity, which the circuit cannot load")]
    Infinity {
        /// Which point.
        what: String,
    },
    /// A point is off its curve.
    #[error("{what} is not on the curve")]
    NotOnCurve {
        /// Which point.
        what: String,
    },
    /// A G2 point is outside the prime-order subgroup.
    #[error("{what} is not in the prime-order subgroup of G2")]
    NotInSubgroup {
        /// Which point.
        what: String,
    },
}

