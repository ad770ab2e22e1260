//! circomlib's optimised Poseidon: the same function as [`super::hash`], evaluated with round
//! constants moved through the linear layer and sparse matrices in the partial rounds, so a partial
//! round costs 2t − 1 multiplications instead of t². This is the schedule the Solidity contracts
//! follow; its constants come from the same circomlib source as the plain ones.

use std::sync::OnceLock;

use ark_ff::Zero;

use super::{constants, parse_hex, pow5, PoseidonError, PoseidonParams, FULL_ROUNDS, MAX_WIDTH};
use crate::Fr;

/// The constants of the optimised schedule for one state width `t`.
#[derive(Debug)]
pub struct OptimizedParams {
    /// State width `t`, 2..=[`MAX_WIDTH`]: the number of inputs plus one.
    pub width: usize,
    /// Rounds that apply the S-box to lane 0 only, as in [`PoseidonParams`].
    pub partial_rounds: usize,
    /// `t` constants per full round (the first `t` are added before round 0), 1 per partial round.
    pub c: Vec<Fr>,
    /// `2t − 1` entries per partial round: `t` for the new lane 0, `t − 1` for lanes 1.. .
    pub s: Vec<Fr>,
    /// Row-major MDS matrix; lane `i` becomes `Σⱼ m[j][i]·lane j`.
    pub m: Vec<Fr>,
    /// Row-major matrix applied once before the partial rounds, transposed like `m`.
    pub p: Vec<Fr>,
}

impl OptimizedParams {
    /// The parameters for state width `t` (inputs + 1), parsed once per process; refuses `t`
    /// outside 2..=[`MAX_WIDTH`].
    pub fn for_width(t: usize) -> Result<&'static OptimizedParams, PoseidonError> {
        static PARAMS: [OnceLock<OptimizedParams>; MAX_WIDTH - 1] = [const { OnceLock::new() }; MAX_WIDTH - 1];
        let plain = PoseidonParams::for_width(t)?;
        let i = t - 2;
        let parse = |table: &[&str]| table.iter().map(|h| parse_hex(h)).collect::<Vec<_>>();
        Ok(PARAMS[i].get_or_init(|| OptimizedParams {
            width: t,
            partial_rounds: plain.partial_rounds,
            c: parse(constants::OPT_C[i]),
            s: parse(constants::OPT_S[i]),
            m: parse(constants::OPT_M[i]),
            p: parse(constants::OPT_P[i]),
        }))
    }

    /// Index into `c` of the constants added after full round `r` of the first half (r < 3).
    pub fn first_half_constant(&self, r: usize, lane: usize) -> usize {
        (r + 1) * self.width + lane
    }

    /// Index into `c` of partial round `r`'s constant.
    pub fn partial_constant(&self, r: usize) -> usize {
        (FULL_ROUNDS / 2 + 1) * self.width + r
    }

    /// Index into `c` of the constants added after full round `r` of the second half (r < 3).
    pub fn second_half_constant(&self, r: usize, lane: usize) -> usize {
        (FULL_ROUNDS / 2 + 1) * self.width + self.partial_rounds + r * self.width + lane
    }

    /// Index into `s` of partial round `r`'s entry `k`.
    pub fn sparse(&self, r: usize, k: usize) -> usize {
        (2 * self.width - 1) * r + k
    }
}

fn mix(state: &[Fr], matrix: &[Fr], t: usize) -> Vec<Fr> {
    (0..t).map(|i| (0..t).map(|j| matrix[j * t + i] * state[j]).sum()).collect()
}

/// Poseidon of 1 to 5 inputs by the optimised schedule; equals [`super::hash`].
pub fn hash(inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    let p = OptimizedParams::for_width(inputs.len() + 1)?;
    let t = p.width;
    let mut state: Vec<Fr> = std::iter::once(Fr::zero()).chain(inputs.iter().copied()).collect();
    for (i, lane) in state.iter_mut().enumerate() {
        *lane += p.c[i];
    }
    for r in 0..FULL_ROUNDS / 2 - 1 {
        state.iter_mut().for_each(|x| *x = pow5(*x));
        for (i, lane) in state.iter_mut().enumerate() {
            *lane += p.c[p.first_half_constant(r, i)];
        }
        state = mix(&state, &p.m, t);
    }
    state.iter_mut().for_each(|x| *x = pow5(*x));
    for (i, lane) in state.iter_mut().enumerate() {
        *lane += p.c[p.first_half_constant(FULL_ROUNDS / 2 - 1, i)];
    }
    state = mix(&state, &p.p, t);
    for r in 0..p.partial_rounds {
        state[0] = pow5(state[0]) + p.c[p.partial_constant(r)];
        let s0: Fr = (0..t).map(|j| p.s[p.sparse(r, j)] * state[j]).sum();
        let lane0 = state[0];
        for (k, lane) in state.iter_mut().enumerate().skip(1) {
            *lane += lane0 * p.s[p.sparse(r, t + k - 1)];
        }
        state[0] = s0;
    }
    for r in 0..FULL_ROUNDS / 2 - 1 {
        state.iter_mut().for_each(|x| *x = pow5(*x));
        for (i, lane) in state.iter_mut().enumerate() {
            *lane += p.c[p.second_half_constant(r, i)];
        }
        state = mix(&state, &p.m, t);
    }
    state.iter_mut().for_each(|x| *x = pow5(*x));
    Ok(mix(&state, &p.m, t)[0])
}

#[cfg(test)]
mod tests {
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    use super::*;

    #[test]
    fn equals_the_plain_permutation() {
        let mut rng = StdRng::seed_from_u64(42);
        for t in 2..=MAX_WIDTH {
            for _ in 0..8 {
                let inputs: Vec<Fr> = (1..t).map(|_| Fr::rand(&mut rng)).collect();
                assert_eq!(hash(&inputs).unwrap(), super::super::hash(&inputs).unwrap(), "t = {t}");
            }
            let p = OptimizedParams::for_width(t).unwrap();
            assert_eq!(p.c.len(), t * FULL_ROUNDS + p.partial_rounds);
            assert_eq!(p.s.len(), (2 * t - 1) * p.partial_rounds);
        }
    }
}
