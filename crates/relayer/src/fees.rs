//! EIP-1559 fees: what a new transaction offers, and what a replacement of a stuck one offers,
//! both within the configured cap. Pure arithmetic; the transaction lifecycle asks the node for
//! the base fee and the suggested priority fee.

use crate::config::{gwei, FeeConfig};

/// A transaction's fees, in wei per gas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fees {
    /// maxFeePerGas.
    pub max_fee: u128,
    /// maxPriorityFeePerGas.
    pub priority: u128,
}

/// The base fee leaves no room under the cap: nothing is sent until it falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the base fee ({base} wei) plus the priority fee is above the fee cap ({cap} wei); waiting")]
pub(crate) struct AboveCap {
    /// The latest block's base fee.
    pub base: u128,
    /// The configured cap.
    pub cap: u128,
}

/// The offer for a new transaction: the suggested priority fee (capped by
/// `max_priority_fee_gwei`) and a max fee of twice the base fee plus it, within `max_fee_gwei`.
pub(crate) fn offer(base: u128, suggested_priority: u128, config: &FeeConfig) -> Result<Fees, AboveCap> {
    let cap = gwei(config.max_fee_gwei);
    let priority = suggested_priority.min(gwei(config.max_priority_fee_gwei));
    if base + priority > cap {
        return Err(AboveCap { base, cap });
    }
    Ok(Fees { max_fee: (2 * base + priority).min(cap), priority })
}

/// The fees of a replacement for a transaction that offered `old`: at least 12.5 % more of each
/// (nodes refuse smaller bumps), and what the chain asks now (`now`) if that is more, within the
/// cap. `None` when the cap leaves no room for the bump.
pub(crate) fn bump(old: Fees, now: Option<Fees>, config: &FeeConfig) -> Option<Fees> {
    let cap = gwei(config.max_fee_gwei);
    let now = now.unwrap_or(old);
    let least = old.max_fee + old.max_fee / 8 + 1;
    let max_fee = now.max_fee.max(least).min(cap);
    if max_fee < least {
        return None;
    }
    let priority = now.priority.max(old.priority + old.priority / 8 + 1).min(max_fee);
    Some(Fees { max_fee, priority })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GWEI: u128 = 1_000_000_000;

    fn config(max_fee_gwei: f64, max_priority_fee_gwei: f64) -> FeeConfig {
        FeeConfig { max_fee_gwei, max_priority_fee_gwei, ..FeeConfig::default() }
    }

    #[test]
    fn an_offer_is_twice_the_base_fee_plus_the_priority_fee_within_the_caps() {
        let c = config(100.0, 2.0);
        assert_eq!(offer(10 * GWEI, GWEI, &c), Ok(Fees { max_fee: 21 * GWEI, priority: GWEI }));
        assert_eq!(offer(10 * GWEI, 5 * GWEI, &c), Ok(Fees { max_fee: 22 * GWEI, priority: 2 * GWEI }), "priority capped");
        assert_eq!(offer(60 * GWEI, GWEI, &c), Ok(Fees { max_fee: 100 * GWEI, priority: GWEI }), "max fee capped");
        assert_eq!(offer(100 * GWEI, GWEI, &c), Err(AboveCap { base: 100 * GWEI, cap: 100 * GWEI }));
    }

    #[test]
    fn a_replacement_bumps_by_at_least_an_eighth_and_never_past_the_cap() {
        let c = config(100.0, 2.0);
        let old = Fees { max_fee: 16 * GWEI, priority: 8 * GWEI };
        assert_eq!(bump(old, None, &c), Some(Fees { max_fee: 18 * GWEI + 1, priority: 9 * GWEI + 1 }));
        let now = Fees { max_fee: 50 * GWEI, priority: GWEI };
        assert_eq!(bump(old, Some(now), &c), Some(Fees { max_fee: 50 * GWEI, priority: 9 * GWEI + 1 }), "the chain asks more");
        let near_cap = Fees { max_fee: 95 * GWEI, priority: GWEI };
        assert_eq!(bump(near_cap, None, &c), None, "95 + 1/8 is past the 100 gwei cap");
    }
}
