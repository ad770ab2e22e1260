//! The aggregation circuit: N Groth16 proofs of one verifying key, one pairing check.
//!
//! With r₁ = 1 and r₂..r_N from the in-circuit transcript ([`super::transcript`] documents it):
//!
//!   Πᵢ e(rᵢ·Aᵢ, Bᵢ) · e(−s₀·α, β) · e(−P, γ) · e(−C*, δ) = 1,
//!   s₀ = Σ rᵢ,  sⱼ = Σᵢ rᵢ·xᵢⱼ,  P = s₀·IC₀ + Σⱼ sⱼ·ICⱼ,  C* = Σ rᵢ·Cᵢ,
//!
//! the equation of [`crate::rlc`]: N + 3 pairs in one multi-Miller loop and one final
//! exponentiation, checked equal to 1 in Fq12. The inputs fold in native Fr (the circuit's field
//! is Groth16's scalar field); every G1 operation is non-native (Fq in 3 limbs of 88 bits).
//!
//! Every coordinate of the key and of the proofs is loaded below p (so its limbs, which the
//! transcript absorbs, are unique) and every point is checked on its curve. The key is a witness:
//! instance 0 is its Poseidon hash, so one circuit serves every key with ℓ inputs; instances
//! 1..=N·ℓ are the proofs' public inputs in order.
//!
//! Every proof's B is checked in G2's prime-order subgroup ([`super::subgroup`]: ψ(B) = [6x²]B),
//! the same test [`super::convert`] applies natively, so the aggregate does not rest on the
//! native filter of the machine that made it. The key's G2 points are pinned by its hash.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::{Fq12, Fr as HaloFr, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::poseidon::hasher::PoseidonSponge;
use halo2_base::utils::{biguint_to_fe, fe_to_biguint, modulus};
use halo2_base::QuantumCell::{Constant, Existing};
use halo2_base::{AssignedValue, Context};
use halo2_ecc::bn254::pairing::PairingChip;
use halo2_ecc::bn254::{Fp12Chip, Fp2Chip, FpChip, FpPoint, FqPoint};
use halo2_ecc::ecc::{check_is_on_curve, multi_scalar_multiply, EcPoint, EccChip};
use halo2_ecc::fields::vector::FieldVector;
use halo2_ecc::fields::FieldChip;
use num_bigint::BigUint;

use super::transcript::{self, CHALLENGE_BITS, LIMB_BITS, NUM_LIMBS, RATE, R_F, R_P, T};
use super::input::AggregationInput;
use super::subgroup;

/// Bumped whenever the circuit's constraints change, so an old cached key is refused by name
/// rather than producing proofs that fail.
/// 2: every B checked in G2 ([`super::subgroup`]).
pub const CIRCUIT_VERSION: u32 = 2;

/// Scalar multiplication window (halo2-ecc's recommended 4).
const WINDOW_BITS: usize = 4;
/// Rows kept free of witnesses for halo2's blinding factors when laying out columns.
pub const MINIMUM_ROWS: usize = 20;

/// How much of the circuit to build. `Transcript` stops before every elliptic-curve operation:
/// points loaded and checked, key hash, challenges, input folding, instances. It is the part a
/// test can run in seconds; `Full` adds the scalar multiplications and the pairing check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Everything up to the elliptic-curve work: loading, key hash, challenges, folding, instances.
    Transcript,
    /// The whole circuit, with the scalar multiplications and the pairing check.
    Full,
}

/// Cells a caller (a test) may look at after [`build`].
pub struct Built {
    /// The Poseidon hash of the verifying key: instance 0.
    pub vk_hash: AssignedValue<HaloFr>,
    /// r₁..r_N; r₁ is the constant 1.
    pub challenges: Vec<AssignedValue<HaloFr>>,
    /// s₀, s₁..s_ℓ.
    pub folded: Vec<AssignedValue<HaloFr>>,
}

/// A builder for `stage` with the circuit's shape settings: 2^k rows, lookups of `k − 1` bits, one
/// instance column.
pub fn builder(stage: CircuitBuilderStage, k: usize) -> BaseCircuitBuilder<HaloFr> {
    BaseCircuitBuilder::from_stage(stage).use_k(k).use_lookup_bits(k - 1).use_instance_columns(1)
}

/// Builds the circuit for `input` into `builder` (from [`builder`]) and exposes its instances.
pub fn build(builder: &mut BaseCircuitBuilder<HaloFr>, input: &AggregationInput, stage: Stage) -> Built {
    let range = builder.range_chip();
    let fp = FpChip::<HaloFr>::new(&range, LIMB_BITS, NUM_LIMBS);
    let ctx = builder.main(0);

    let loaded = load(ctx, &fp, input);
    let vk_hash = hash_vk(ctx, &range, &loaded);
    let challenges = challenges(ctx, &range, input.len(), &loaded, vk_hash);
    let folded = fold_inputs(ctx, &range, &challenges, &loaded.inputs);
    if stage == Stage::Full {
        pairing_check(ctx, &fp, &loaded, &challenges, &folded);
    }

    let mut instances = vec![vk_hash];
    instances.extend(loaded.inputs.iter().flatten().copied());
    builder.assigned_instances[0].extend(instances);
    Built { vk_hash, challenges, folded }
}

/// Builds the circuit for a MockProver run at 2^k rows and lays it out: the builder, its
/// parameters and instances.
pub fn mock(input: &AggregationInput, k: usize, stage: Stage) -> (BaseCircuitBuilder<HaloFr>, BaseCircuitParams, Built) {
    let mut b = builder(CircuitBuilderStage::Mock, k);
    let built = build(&mut b, input, stage);
    let params = b.calculate_params(Some(MINIMUM_ROWS));
    (b, params, built)
}

/// The values of a builder's instance cells, in the form `MockProver::run` takes them.
pub fn instance_values(builder: &BaseCircuitBuilder<HaloFr>) -> Vec<Vec<HaloFr>> {
    builder.assigned_instances.iter().map(|col| col.iter().map(|c| *c.value()).collect()).collect()
}

type G1 = EcPoint<HaloFr, FpPoint<HaloFr>>;
type G2 = EcPoint<HaloFr, FqPoint<HaloFr>>;

struct LoadedVk {
    alpha: G1,
    beta: G2,
    gamma: G2,
    delta: G2,
    ic: Vec<G1>,
    /// The limbs in [`transcript::vk_words`] order.
    words: Vec<AssignedValue<HaloFr>>,
}

struct LoadedProof {
    a: G1,
    b: G2,
    c: G1,
    words: Vec<AssignedValue<HaloFr>>,
}

struct Loaded {
    vk: LoadedVk,
    proofs: Vec<LoadedProof>,
    inputs: Vec<Vec<AssignedValue<HaloFr>>>,
}

fn load(ctx: &mut Context<HaloFr>, fp: &FpChip<HaloFr>, input: &AggregationInput) -> Loaded {
    let fp2 = Fp2Chip::<HaloFr>::new(fp);
    let mut words = Vec::new();
    let alpha = load_g1(ctx, fp, &input.vk.alpha, &mut words);
    let beta = load_g2(ctx, &fp2, &input.vk.beta, &mut words);
    let gamma = load_g2(ctx, &fp2, &input.vk.gamma, &mut words);
    let delta = load_g2(ctx, &fp2, &input.vk.delta, &mut words);
    let ic = input.vk.ic.iter().map(|p| load_g1(ctx, fp, p, &mut words)).collect();
    let vk = LoadedVk { alpha, beta, gamma, delta, ic, words };

    let proofs = input
        .proofs
        .iter()
        .map(|p| {
            let mut words = Vec::new();
            let a = load_g1(ctx, fp, &p.a, &mut words);
            let b = load_g2(ctx, &fp2, &p.b, &mut words);
            subgroup::assert_in_g2(ctx, &fp2, &b);
            let c = load_g1(ctx, fp, &p.c, &mut words);
            LoadedProof { a, b, c, words }
        })
        .collect();
    // Inputs are native Fr: any cell value is a valid input, nothing to range-check.
    let inputs = input.inputs.iter().map(|x| ctx.assign_witnesses(x.iter().copied())).collect();
    Loaded { vk, proofs, inputs }
}

/// Loads a G1 point: each coordinate below p, the point on y² = x³ + 3 (so not (0, 0)).
fn load_g1(
    ctx: &mut Context<HaloFr>,
    fp: &FpChip<HaloFr>,
    p: &G1Affine,
    words: &mut Vec<AssignedValue<HaloFr>>,
) -> G1 {
    let x = fp.load_private_reduced(ctx, p.x);
    let y = fp.load_private_reduced(ctx, p.y);
    words.extend(x.inner().limbs().iter().chain(y.inner().limbs()).copied());
    let point = EcPoint::new(x.into(), y.into());
    check_is_on_curve::<HaloFr, FpChip<HaloFr>, G1Affine>(fp, ctx, &point);
    point
}

/// Loads a G2 point: each Fq coefficient below p, the point on the twist's curve.
fn load_g2(
    ctx: &mut Context<HaloFr>,
    fp2: &Fp2Chip<HaloFr>,
    p: &G2Affine,
    words: &mut Vec<AssignedValue<HaloFr>>,
) -> G2 {
    let x = fp2.load_private_reduced(ctx, p.x);
    let y = fp2.load_private_reduced(ctx, p.y);
    // FieldVector holds (c0, c1): the transcript's order.
    for coefficient in x.0.iter().chain(y.0.iter()) {
        words.extend(coefficient.inner().limbs().iter().copied());
    }
    let point = EcPoint::new(FieldVector::from(x), FieldVector::from(y));
    check_is_on_curve::<HaloFr, Fp2Chip<HaloFr>, G2Affine>(fp2, ctx, &point);
    point
}

fn sponge(ctx: &mut Context<HaloFr>) -> PoseidonSponge<HaloFr, T, RATE> {
    PoseidonSponge::<HaloFr, T, RATE>::new::<R_F, R_P, 0>(ctx)
}

fn hash_vk(ctx: &mut Context<HaloFr>, range: &RangeChip<HaloFr>, loaded: &Loaded) -> AssignedValue<HaloFr> {
    let ell = (loaded.vk.ic.len() - 1) as u64;
    let header = [ctx.load_constant(transcript::vk_domain()), ctx.load_constant(HaloFr::from(ell))];
    let mut h = sponge(ctx);
    h.update(&header);
    h.update(&loaded.vk.words);
    h.squeeze(ctx, range.gate())
}

fn challenges(
    ctx: &mut Context<HaloFr>,
    range: &RangeChip<HaloFr>,
    n: usize,
    loaded: &Loaded,
    vk_hash: AssignedValue<HaloFr>,
) -> Vec<AssignedValue<HaloFr>> {
    let ell = (loaded.vk.ic.len() - 1) as u64;
    let header = [
        ctx.load_constant(transcript::challenge_domain()),
        ctx.load_constant(HaloFr::from(n as u64)),
        ctx.load_constant(HaloFr::from(ell)),
        vk_hash,
    ];
    let mut h = sponge(ctx);
    h.update(&header);
    for (proof, x) in loaded.proofs.iter().zip(&loaded.inputs) {
        h.update(&proof.words);
        h.update(x);
    }
    let mut r = vec![ctx.load_constant(HaloFr::ONE)];
    for _ in 1..n {
        let c = h.squeeze(ctx, range.gate());
        r.push(truncate(ctx, range, c));
    }
    r
}

/// The low 128 bits of `c`, from witnesses hi < 2¹²⁶ and lo < 2¹²⁸ with hi·2¹²⁸ + lo = c in Fr.
/// (`range.div_mod` would do it but takes at most 253-bit inputs, and c can have 254.)
fn truncate(ctx: &mut Context<HaloFr>, range: &RangeChip<HaloFr>, c: AssignedValue<HaloFr>) -> AssignedValue<HaloFr> {
    let value = fe_to_biguint(c.value());
    let lo = transcript::truncate(c.value());
    let hi = biguint_to_fe(&(value >> CHALLENGE_BITS));
    split(ctx, range, c, hi, lo)
}

/// Constrains (hi, lo) to be c's canonical split and returns lo. 2²⁵⁴ > r, so without the
/// canonical check both c and c + r would split (the recomposition holds mod r): a prover would
/// have two choices of each rᵢ. hi·2¹²⁸ + lo < r as integers pins the one the native side takes.
fn split(
    ctx: &mut Context<HaloFr>,
    range: &RangeChip<HaloFr>,
    c: AssignedValue<HaloFr>,
    hi: HaloFr,
    lo: HaloFr,
) -> AssignedValue<HaloFr> {
    let gate = range.gate();
    let hi_bits = 254 - CHALLENGE_BITS;
    let lo = ctx.load_witness(lo);
    let hi = ctx.load_witness(hi);
    range.range_check(ctx, lo, CHALLENGE_BITS);
    range.range_check(ctx, hi, hi_bits);
    let shift: HaloFr = biguint_to_fe(&(BigUint::from(1u8) << CHALLENGE_BITS));
    let recomposed = gate.mul_add(ctx, hi, Constant(shift), lo);
    ctx.constrain_equal(&recomposed, &c);

    // hi·2¹²⁸ + lo < r ⇔ hi < r_hi, or hi = r_hi and lo < r_lo (r = r_hi·2¹²⁸ + r_lo).
    let r = modulus::<HaloFr>();
    let r_hi: HaloFr = biguint_to_fe(&(&r >> CHALLENGE_BITS));
    let r_lo: HaloFr = biguint_to_fe(&(&r & ((BigUint::from(1u8) << CHALLENGE_BITS) - 1u8)));
    let hi_below = range.is_less_than(ctx, hi, Constant(r_hi), hi_bits);
    let hi_equal = gate.is_equal(ctx, hi, Constant(r_hi));
    let lo_below = range.is_less_than(ctx, lo, Constant(r_lo), CHALLENGE_BITS);
    let canonical = gate.or_and(ctx, hi_below, hi_equal, lo_below);
    gate.assert_is_const(ctx, &canonical, &HaloFr::ONE);
    lo
}

/// s₀ = Σ rᵢ and sⱼ = Σᵢ rᵢ·xᵢⱼ, in native Fr.
fn fold_inputs(
    ctx: &mut Context<HaloFr>,
    range: &RangeChip<HaloFr>,
    r: &[AssignedValue<HaloFr>],
    inputs: &[Vec<AssignedValue<HaloFr>>],
) -> Vec<AssignedValue<HaloFr>> {
    let gate = range.gate();
    let ell = inputs.first().map_or(0, Vec::len);
    let mut folded = vec![gate.sum(ctx, r.iter().copied())];
    for j in 0..ell {
        let column: Vec<_> = inputs.iter().map(|x| Existing(x[j])).collect();
        folded.push(gate.inner_product(ctx, r.iter().copied(), column));
    }
    folded
}

/// The N + 3 pairs, one multi-Miller loop, one final exponentiation, the result equal to 1.
fn pairing_check(
    ctx: &mut Context<HaloFr>,
    fp: &FpChip<HaloFr>,
    loaded: &Loaded,
    r: &[AssignedValue<HaloFr>],
    folded: &[AssignedValue<HaloFr>],
) {
    let n = loaded.proofs.len();
    let g1 = EccChip::new(fp);
    let msm = |ctx: &mut Context<HaloFr>, points: &[G1], scalars: &[AssignedValue<HaloFr>], bits: usize| {
        let scalars = scalars.iter().map(|s| vec![*s]).collect();
        multi_scalar_multiply::<HaloFr, FpChip<HaloFr>, G1Affine>(fp, ctx, points, scalars, bits, WINDOW_BITS)
    };

    // rᵢ·Aᵢ; r₁ = 1 costs nothing. rᵢ < 2¹²⁸ is enforced by split (and again by the bit
    // decomposition inside the multiplication).
    let mut scaled_a = vec![loaded.proofs[0].a.clone()];
    for (proof, ri) in loaded.proofs.iter().zip(r).skip(1) {
        scaled_a.push(msm(ctx, std::slice::from_ref(&proof.a), &[*ri], CHALLENGE_BITS));
    }
    // With one proof, s₀ = 1 and C* = C₁: no multiplication.
    let (alpha, c_star) = if n == 1 {
        (loaded.vk.alpha.clone(), loaded.proofs[0].c.clone())
    } else {
        // s₀ < N·2¹²⁸.
        let s0_bits = CHALLENGE_BITS + usize::BITS as usize - (n - 1).leading_zeros() as usize + 1;
        let alpha = msm(ctx, std::slice::from_ref(&loaded.vk.alpha), &folded[..1], s0_bits);
        let cs: Vec<G1> = loaded.proofs.iter().map(|p| p.c.clone()).collect();
        (alpha, msm(ctx, &cs, r, CHALLENGE_BITS))
    };
    // s₀ and sⱼ are any Fr: full-width scalars (G1's order is Fr's modulus, which the chip allows).
    let p = msm(ctx, &loaded.vk.ic, folded, 254);

    let neg_alpha = g1.negate(ctx, alpha);
    let neg_p = g1.negate(ctx, p);
    let neg_c = g1.negate(ctx, c_star);
    let mut pairs: Vec<(&G1, &G2)> = scaled_a.iter().zip(loaded.proofs.iter().map(|p| &p.b)).collect();
    pairs.extend([(&neg_alpha, &loaded.vk.beta), (&neg_p, &loaded.vk.gamma), (&neg_c, &loaded.vk.delta)]);

    let pairing = PairingChip::new(fp);
    let f = pairing.multi_miller_loop(ctx, pairs);
    let f = pairing.final_exp(ctx, f);
    let fp12 = Fp12Chip::<HaloFr>::new(fp);
    let one = fp12.load_constant(ctx, Fq12::ONE);
    fp12.assert_equal(ctx, f, one);
}

#[cfg(test)]
mod tests {
    use halo2_base::halo2_proofs::dev::MockProver;
    use num_bigint::BigUint;

    use super::*;

    /// The split of `c` given as (hi, lo): whether MockProver accepts it.
    fn accepts(c: HaloFr, hi: &BigUint, lo: &BigUint) -> bool {
        let k = 10;
        let mut b = builder(CircuitBuilderStage::Mock, k);
        let range = b.range_chip();
        let ctx = b.main(0);
        let c = ctx.load_witness(c);
        split(ctx, &range, c, biguint_to_fe(hi), biguint_to_fe(lo));
        b.calculate_params(Some(MINIMUM_ROWS));
        MockProver::run(k as u32, &b, vec![vec![]]).unwrap().verify().is_ok()
    }

    /// The twin of the native "coordinate ≥ p" refusal: `load_g1` and `load_g2` load every
    /// coordinate with `load_private_reduced`, that is with `enforce_less_than` after the limbs.
    /// An `Fq` cannot hold x + p, so the integer is written here as constant limbs: the check
    /// refuses p and p + 2 and takes p − 1.
    #[test]
    fn a_coordinate_above_p_is_refused() {
        use halo2_base::halo2_proofs::halo2curves::bn256::Fq;
        let accepts = |n: BigUint| {
            let k = 10;
            let mut b = builder(CircuitBuilderStage::Mock, k);
            let range = b.range_chip();
            let fp = FpChip::<HaloFr>::new(&range, LIMB_BITS, NUM_LIMBS);
            let ctx = b.main(0);
            let loaded = fp.load_constant_uint(ctx, n);
            fp.enforce_less_than(ctx, loaded);
            b.calculate_params(Some(MINIMUM_ROWS));
            MockProver::run(k as u32, &b, vec![vec![]]).unwrap().verify().is_ok()
        };
        let p = modulus::<Fq>();
        assert!(accepts(BigUint::from(2u8)));
        assert!(accepts(&p - 1u8));
        assert!(!accepts(p.clone()), "p");
        assert!(!accepts(&p + 2u8), "p + 2");
    }

    #[test]
    fn only_the_canonical_split_of_a_challenge_is_accepted() {
        let mask = (BigUint::from(1u8) << CHALLENGE_BITS) - 1u8;
        let r = modulus::<HaloFr>();
        // Small enough that c + r < 2²⁵⁴ also splits into 126 + 128 bits.
        let c: HaloFr = biguint_to_fe(&(BigUint::from(u128::MAX) * 12345u32));
        let n = fe_to_biguint(&c);
        assert!(accepts(c, &(&n >> CHALLENGE_BITS), &(&n & &mask)), "canonical split");
        let m = &n + &r;
        assert!(m.bits() <= 254);
        assert!(!accepts(c, &(&m >> CHALLENGE_BITS), &(&m & &mask)), "split of c + r");
        // And a plainly wrong split.
        assert!(!accepts(c, &(&n >> CHALLENGE_BITS), &((&n + 1u8) & &mask)), "lo off by one");
    }
}
