//! The CPU MSM engine against arkworks' MSM: random inputs of many sizes, the edge cases bucket
//! methods get wrong (zero and r − 1 scalars, repeated and opposite bases, infinity, equal
//! scalars, empty input), with and without precomputed tables, and whole proofs; each with the
//! engine's scalar field arithmetic and, where the CPU has AVX-512 IFMA, its eight-lane kernel
//! (this project's machines have it; elsewhere both runs take the scalar path).

use std::ffi::OsStr;
use std::sync::Arc;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{AdditiveGroup, BigInteger, PrimeField, UniformRand, Zero};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use zkbatch_prover::circuits::{MerkleCircuit, MerkleWitness};
use zkbatch_prover::msm::{self, ArkworksMsm, CpuMsm, EngineKind, KeyBases, KeyG1, Msm, MsmError};
use zkbatch_prover::{Prover, ProvingKey, ScalarBigInt};

/// Distinct random-looking points, cheaply: a random start plus multiples of a random step.
fn points<P: SWCurveConfig>(n: usize, rng: &mut StdRng) -> Vec<Affine<P>> {
    let step = Projective::<P>::rand(rng);
    let mut p = Projective::<P>::rand(rng);
    let v: Vec<Projective<P>> = (0..n)
        .map(|_| {
            p += step;
            p
        })
        .collect();
    Projective::normalize_batch(&v)
}

fn scalars(n: usize, rng: &mut StdRng) -> Vec<ScalarBigInt> {
    (0..n).map(|_| Fr::rand(rng).into_bigint()).collect()
}

fn r_minus_one() -> ScalarBigInt {
    (-Fr::from(1u64)).into_bigint()
}

/// Checks the engine against arkworks on G1 and G2 for the same scalars.
fn check(engine: &dyn Msm, g1: &[G1Affine], g2: &[G2Affine], s: &[ScalarBigInt], what: &str) {
    assert_eq!(engine.g1(&g1[..s.len()], s), ArkworksMsm.g1(&g1[..s.len()], s), "G1, {what}");
    assert_eq!(engine.g2(&g2[..s.len()], s), ArkworksMsm.g2(&g2[..s.len()], s), "G2, {what}");
}

fn plain() -> CpuMsm {
    CpuMsm::with_table_budget(0)
}

/// The engine without tables: as chosen for this CPU, and with scalar arithmetic only.
fn plain_engines() -> [CpuMsm; 2] {
    [plain(), plain().scalar_arithmetic()]
}

/// What the engine calls itself on this CPU.
fn cpu_name(lanes: bool, tables: bool) -> &'static str {
    match (lanes && plain().uses_ifma(), tables) {
        (false, false) => "cpu-batch-affine",
        (false, true) => "cpu-batch-affine+tables",
        (true, false) => "cpu-batch-affine-ifma",
        (true, true) => "cpu-batch-affine-ifma+tables",
    }
}

/// `engine` with the IFMA kernel allowed or not.
fn arithmetic(engine: CpuMsm, lanes: bool) -> CpuMsm {
    if lanes { engine } else { engine.scalar_arithmetic() }
}

#[test]
fn random_inputs_of_many_sizes() {
    let mut rng = StdRng::seed_from_u64(1);
    let max = 1 << 16;
    let g1 = points::<ark_bn254::g1::Config>(max, &mut rng);
    let g2 = points::<ark_bn254::g2::Config>(4096, &mut rng);
    let s = scalars(max, &mut rng);
    for engine in plain_engines() {
        for n in [1, 2, 3, 15, 16, 17, 255, 1000, 4096] {
            check(&engine, &g1, &g2, &s[..n], &format!("{n} random points, {}", engine.name()));
        }
        assert_eq!(engine.g1(&g1, &s), ArkworksMsm.g1(&g1, &s), "G1, 2^16 random points, {}", engine.name());
    }
}

#[test]
fn g2_at_2_pow_16() {
    let mut rng = StdRng::seed_from_u64(2);
    let n = 1 << 16;
    let g2 = points::<ark_bn254::g2::Config>(n, &mut rng);
    let s = scalars(n, &mut rng);
    for engine in plain_engines() {
        assert_eq!(engine.g2(&g2, &s), ArkworksMsm.g2(&g2, &s), "{}", engine.name());
    }
}

/// At 16 points G1 buckets are XYZZ and G2 buckets batch-affine; at 1000 both are batch-affine,
/// with windows grouped into shared bucket arrays and reduced in batched segments.
#[test]
fn edge_cases() {
    for n in [16, 1000] {
        for engine in plain_engines() {
            edge_cases_at(n, &engine);
        }
    }
}

fn edge_cases_at(n: usize, engine: &CpuMsm) {
    let mut rng = StdRng::seed_from_u64(3);
    let g1 = points::<ark_bn254::g1::Config>(n, &mut rng);
    let g2 = points::<ark_bn254::g2::Config>(n, &mut rng);
    let random = scalars(n, &mut rng);
    let check = |engine: &CpuMsm, g1: &[G1Affine], g2: &[G2Affine], s: &[ScalarBigInt], what: &str| {
        check(engine, g1, g2, s, &format!("{what}, {n} points, {}", engine.name()));
    };

    check(engine, &g1, &g2, &[], "empty input");
    assert!(engine.g1(&[], &[]).is_zero());
    check(engine, &g1, &g2, &vec![ScalarBigInt::zero(); n], "all scalars zero");
    let some_zero: Vec<_> = random.iter().enumerate().map(|(i, s)| if i % 3 == 0 { ScalarBigInt::zero() } else { *s }).collect();
    check(engine, &g1, &g2, &some_zero, "every third scalar zero");
    check(engine, &g1, &g2, &vec![r_minus_one(); n], "all scalars r - 1");
    let some_minus_one: Vec<_> = random.iter().enumerate().map(|(i, s)| if i % 2 == 0 { r_minus_one() } else { *s }).collect();
    check(engine, &g1, &g2, &some_minus_one, "half the scalars r - 1");
    check(engine, &g1, &g2, &vec![random[0]; n], "all scalars equal");
    check(engine, &g1, &g2, &vec![ScalarBigInt::from(1u64); n], "all scalars one");
    let small: Vec<_> = (0..n).map(|_| ScalarBigInt::from(rng.gen_range(0..8u64))).collect();
    check(engine, &g1, &g2, &small, "scalars below 8");

    // Repeated bases: the same point in every slot, and a few points cycling.
    let same1 = vec![g1[0]; n];
    let same2 = vec![g2[0]; n];
    check(engine, &same1, &same2, &random, "one base repeated");
    check(engine, &same1, &same2, &vec![random[1]; n], "one base repeated, equal scalars");
    let cycle1: Vec<_> = (0..n).map(|i| g1[i % 5]).collect();
    let cycle2: Vec<_> = (0..n).map(|i| g2[i % 5]).collect();
    check(engine, &cycle1, &cycle2, &random, "five bases repeated");

    // Opposite bases P and -P, with equal scalars (everything cancels) and random ones.
    let opposite1: Vec<_> = (0..n).map(|i| if i % 2 == 0 { g1[i / 2] } else { -g1[i / 2] }).collect();
    let opposite2: Vec<_> = (0..n).map(|i| if i % 2 == 0 { g2[i / 2] } else { -g2[i / 2] }).collect();
    let pairs: Vec<_> = (0..n).map(|i| random[i / 2]).collect();
    check(engine, &opposite1, &opposite2, &pairs, "opposite bases, equal scalars");
    assert!(engine.g1(&opposite1, &pairs).is_zero());
    check(engine, &opposite1, &opposite2, &random, "opposite bases, random scalars");

    // The point at infinity as a base: everywhere, and in every other slot.
    let inf1 = vec![G1Affine::zero(); n];
    let inf2 = vec![G2Affine::zero(); n];
    check(engine, &inf1, &inf2, &random, "all bases at infinity");
    let holes1: Vec<_> = g1.iter().enumerate().map(|(i, p)| if i % 2 == 1 { G1Affine::zero() } else { *p }).collect();
    let holes2: Vec<_> = g2.iter().enumerate().map(|(i, p)| if i % 2 == 1 { G2Affine::zero() } else { *p }).collect();
    check(engine, &holes1, &holes2, &random, "every other base at infinity");

    // A point and its double side by side: their sum triggers no special case, but the
    // doubling of a bucket holding P when P arrives again does.
    let g = G1Projective::generator().into_affine();
    let doubles: Vec<_> = (0..n).map(|i| if i % 2 == 0 { g } else { (g.into_group().double()).into_affine() }).collect();
    let h = G2Projective::generator().into_affine();
    let doubles2: Vec<_> = (0..n).map(|i| if i % 2 == 0 { h } else { (h.into_group().double()).into_affine() }).collect();
    check(engine, &doubles, &doubles2, &random, "a point and its double");
}

/// arkworks reads only the modulus' bit length of each scalar; the engine takes any integer.
#[test]
fn integers_above_the_modulus() {
    let mut rng = StdRng::seed_from_u64(4);
    let n = 300;
    let g1 = points::<ark_bn254::g1::Config>(n, &mut rng);
    let s: Vec<ScalarBigInt> = (0..n).map(|i| if i % 2 == 0 { ScalarBigInt::new([u64::MAX; 4]) } else { ScalarBigInt::new(rng.gen()) }).collect();
    let naive: G1Projective = g1.iter().zip(&s).map(|(p, s)| p.mul_bigint(s)).sum();
    assert!(s.iter().any(|s| s.num_bits() > 254));
    for engine in plain_engines() {
        assert_eq!(engine.g1(&g1, &s), naive, "{}", engine.name());
    }
}

/// Tables are used for the prepared slices only, give the same results, respect the budget, and
/// are built on a vector's second MSM unless asked for at once.
#[test]
fn precomputed_tables() {
    precomputed_tables_with(true);
    precomputed_tables_with(false);
}

fn precomputed_tables_with(lanes: bool) {
    let mut rng = StdRng::seed_from_u64(5);
    let n = 2000;
    let a = points::<ark_bn254::g1::Config>(n, &mut rng);
    let mut b: Vec<_> = points::<ark_bn254::g1::Config>(n, &mut rng);
    b[7] = G1Affine::zero();
    b[8] = b[9];
    b[10] = -b[11];
    let h = points::<ark_bn254::g1::Config>(n - 1, &mut rng);
    let l = points::<ark_bn254::g1::Config>(17, &mut rng);
    let g2 = points::<ark_bn254::g2::Config>(n, &mut rng);
    let key = KeyBases { a: &a, b_g1: &b, b_g2: &g2, h: &h, l: &l };
    // Tables wherever they make an MSM faster, whatever they cost to build, built right away.
    let mut engine = arithmetic(CpuMsm::with_tables(256 << 20, u32::MAX).eager(), lanes);
    engine.prepare(&key);
    assert!(engine.table_bytes() > 0 && engine.table_bytes() <= engine.table_budget());
    assert_eq!(engine.name(), cpu_name(lanes, true));

    let random = scalars(n, &mut rng);
    let cases: Vec<(&str, Vec<ScalarBigInt>)> = vec![
        ("random", random.clone()),
        ("zero", vec![ScalarBigInt::zero(); n]),
        ("r - 1", vec![r_minus_one(); n]),
        ("equal", vec![random[3]; n]),
        ("mixed", random.iter().enumerate().map(|(i, s)| match i % 4 { 0 => ScalarBigInt::zero(), 1 => r_minus_one(), _ => *s }).collect()),
    ];
    for (what, s) in &cases {
        for (which, bases) in [(KeyG1::A, &a[..]), (KeyG1::BG1, &b[..]), (KeyG1::H, &h[..]), (KeyG1::L, &l[..])] {
            let s = &s[..bases.len()];
            assert_eq!(engine.key_g1(which, bases, s), ArkworksMsm.g1(bases, s), "{which:?}, {what} scalars");
        }
        assert_eq!(engine.key_g2(&g2, s), ArkworksMsm.g2(&g2, s), "G2, {what} scalars");
    }
    // A slice that is not the prepared one (a copy, a prefix) must not use the table.
    let copy = a.clone();
    assert_eq!(engine.key_g1(KeyG1::A, &copy, &random), ArkworksMsm.g1(&copy, &random));
    assert_eq!(engine.key_g1(KeyG1::A, &a[..100], &random[..100]), ArkworksMsm.g1(&a[..100], &random[..100]));
    // Integers longer than the table covers fall back to the plain path.
    let long = vec![ScalarBigInt::new([u64::MAX; 4]); n];
    let naive: G1Projective = a.iter().zip(&long).map(|(p, s)| p.mul_bigint(s)).sum();
    assert_eq!(engine.key_g1(KeyG1::A, &a, &long), naive);

    // A small budget builds less, a zero budget nothing.
    let mut small = arithmetic(CpuMsm::with_tables(1 << 20, u32::MAX).eager(), lanes);
    small.prepare(&key);
    assert!(small.table_bytes() <= 1 << 20);
    let mut none = arithmetic(CpuMsm::with_table_budget(0), lanes);
    none.prepare(&key);
    assert_eq!((none.table_bytes(), none.name()), (0, cpu_name(lanes, false)));
    assert_eq!(small.key_g1(KeyG1::A, &a, &random), none.key_g1(KeyG1::A, &a, &random));

    // Without `eager`, a vector's table is built on its second MSM.
    let mut lazy = arithmetic(CpuMsm::with_tables(256 << 20, u32::MAX), lanes);
    lazy.prepare(&key);
    assert_eq!((lazy.table_bytes(), lazy.name()), (0, cpu_name(lanes, true)));
    let expected = ArkworksMsm.g1(&a, &random);
    assert_eq!(lazy.key_g1(KeyG1::A, &a, &random), expected);
    assert_eq!(lazy.table_bytes(), 0);
    assert_eq!(lazy.key_g1(KeyG1::A, &a, &random), expected);
    let built = lazy.table_bytes();
    assert!(built > 0);
    assert_eq!(lazy.key_g1(KeyG1::A, &a, &random), expected);
    assert_eq!(lazy.table_bytes(), built);
}

#[test]
fn proofs_equal_arkworks_engine_proofs() {
    let mut rng = StdRng::seed_from_u64(6);
    let depth = 4;
    let key = Arc::new(ProvingKey::setup("msm-test", MerkleCircuit::blank(depth), &mut rng).unwrap());
    let ark = Prover::with_engine(key.clone(), Box::new(ArkworksMsm)).unwrap();
    let cpu = Prover::with_engine(key.clone(), Box::new(plain())).unwrap();
    let scalar = Prover::with_engine(key.clone(), Box::new(plain().scalar_arithmetic())).unwrap();
    // Its tables are built on the second proof: the loop below proves without, then with them.
    let tables = Prover::with_engine(key, Box::new(CpuMsm::with_tables(64 << 20, u32::MAX))).unwrap();
    assert_eq!(tables.engine().name(), cpu_name(true, true));
    for _ in 0..2 {
        let circuit = MerkleCircuit::new(MerkleWitness::random(depth, &mut rng));
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let (expected, public, _) = ark.prove_with_randomness(circuit.clone(), r, s).unwrap();
        for prover in [&cpu, &scalar, &tables] {
            let (proof, p, report) = prover.prove_with_randomness(circuit.clone(), r, s).unwrap();
            assert_eq!((proof, p), (expected.clone(), public.clone()), "{}", report.engine);
        }
    }
}

#[test]
fn engine_selection() {
    let name = |kind: Option<&str>, mb: Option<&str>| msm::select_engine(kind.map(OsStr::new), mb.map(OsStr::new)).map(|e| e.name());
    assert_eq!(name(None, None), Ok(cpu_name(true, false)));
    assert_eq!(name(Some(""), None), Ok(cpu_name(true, false)));
    assert_eq!(name(Some("cpu"), Some("0")), Ok(cpu_name(true, false)));
    assert_eq!(name(Some("cpu-scalar"), Some("0")), Ok("cpu-batch-affine"));
    assert_eq!(name(Some("arkworks"), None), Ok("cpu-arkworks"));
    assert_eq!(name(Some("ARKWORKS"), None), Ok("cpu-arkworks"));
    assert_eq!(name(Some("gpu"), None), Err(MsmError::UnknownEngine("gpu".into())));
    assert_eq!(name(Some("cpu"), Some("lots")), Err(MsmError::TableBudget("lots".into())));
    let message = name(Some("cuda"), None).unwrap_err().to_string();
    assert!(message.contains("ZKBATCH_MSM") && message.contains("cuda") && message.contains("cpu-scalar"), "{message}");
    assert_eq!("cpu".parse::<EngineKind>(), Ok(EngineKind::Cpu));
}
