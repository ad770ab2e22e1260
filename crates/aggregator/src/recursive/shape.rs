//! What an aggregation key is for: 2^k rows, N proof slots, ℓ public inputs per proof.

use serde::{Deserialize, Serialize};

use super::circuit::CIRCUIT_VERSION;

/// What an aggregation key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// 2^k rows.
    pub k: u32,
    /// N: proofs per aggregate (partial batches are padded, see [`super::padding`]).
    pub slots: usize,
    /// ℓ: public inputs of each Groth16 proof.
    pub inputs: usize,
}

/// Advice cells of the aggregation circuit for N slots, measured (ℓ = 2; ℓ adds a few hundred
/// cells per input): 7.07 M at N = 1, 2.04 M more for the second proof (its pair, the C MSM and
/// s₀·α appear), 1.62 M per proof after, each with its B's G2 subgroup check (0.38 M)
/// (docs/recursive-aggregation.md, "Measured").
pub fn estimated_advice_cells(slots: usize) -> u64 {
    7_070_000 + 2_040_000 * (slots.min(2) as u64).saturating_sub(1) + 1_620_000 * (slots as u64).saturating_sub(2)
}

impl Shape {
    /// The default 2^k rows for N slots: the smallest k ≥ 20 that keeps the circuit within about 8
    /// advice columns. Each column is a commitment, evaluations and an MSM term in the verifier:
    /// at k = 20, N = 2 needs 9 (and 2 lookup columns) and its verifier (24,663 bytes) is over
    /// EIP-170's 24,576, while N = 2 at k = 22 (2 columns) verifies for a third less gas than at
    /// k = 20, for twice the proving memory. A larger k trades memory for gas.
    pub fn default_k(slots: usize) -> u32 {
        let rows = estimated_advice_cells(slots).div_ceil(8);
        (20..26).find(|k| 1u64 << k >= rows).unwrap_or(26)
    }

    /// The aggregate's public instances: the key's hash, then N·ℓ inputs.
    pub fn num_instances(&self) -> usize {
        1 + self.slots * self.inputs
    }

    /// A name for files of this shape.
    pub fn file_stem(&self) -> String {
        format!("agg-k{}-n{}-l{}-v{CIRCUIT_VERSION}", self.k, self.slots, self.inputs)
    }
}

