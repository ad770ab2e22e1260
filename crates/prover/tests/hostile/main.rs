//! Hostile input at scale: valid files, mutated by proptest (bits flipped, bytes overwritten,
//! words set to huge lengths, cut short, bytes inserted), through every parser a user can feed
//! the prover: snarkjs proof, public and verification-key JSON, `.zkey`, `.wtns`, `.r1cs`,
//! `input.json` (circom's and the built-in circuits'), and zkbatch's key files and key images. Each must answer (an error, or a value
//! when the mutation left the file valid), never panic, and never allocate more than
//! [`MAX_ALLOCATION`] at once for a file of a few kilobytes: a header that claims a 2^40-element
//! section must be refused, not believed.
//!
//! Cases per parser: `PROPTEST_CASES` (default 64 here; `make fuzz` runs many more).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use proptest::prelude::*;
use rand::SeedableRng;
use zkbatch_prover::circom::{input, r1cs, wtns, zkey};
use zkbatch_prover::circuits::squares::SquaresCircuit;
use zkbatch_prover::circuits::CircuitSpec;
use zkbatch_prover::mapped::MappedKey;
use zkbatch_prover::snarkjs::{public_from_json, ProofJson, PublicJson, VerifyingKeyJson};
use zkbatch_prover::ProvingKey;

/// The largest single allocation a parser may make for any of these inputs (all under 8 KiB).
const MAX_ALLOCATION: usize = 16 << 20;

/// The system allocator, recording the largest allocation asked of it. This binary runs only
/// these tests, so what it records is theirs.
struct Recording;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

// SAFETY: every call is passed to the system allocator unchanged, with the caller's own
// guarantees; only a size is recorded.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, as GlobalAlloc::alloc requires.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: as alloc.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: ptr was allocated by System (every allocation here is) with layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as realloc.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Recording = Recording;

/// One change to a file.
#[derive(Clone, Debug)]
enum Mutation {
    /// Flip one bit.
    Flip { at: usize, bit: u8 },
    /// Overwrite one byte.
    Set { at: usize, byte: u8 },
    /// Write a little-endian word where a length or count may be: 4 or 8 bytes.
    Word { at: usize, value: u64, wide: bool },
    /// Keep only the first bytes.
    Truncate { len: usize },
    /// Insert bytes.
    Insert { at: usize, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let huge = prop_oneof![Just(u64::MAX), Just(u32::MAX as u64), Just(1 << 40), Just(1 << 31), Just(0), any::<u64>()];
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        (any::<usize>(), huge, any::<bool>()).prop_map(|(at, value, wide)| Mutation::Word { at, value, wide }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..4)
}

fn apply(original: &[u8], changes: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for change in changes {
        let n = bytes.len().max(1);
        match change {
            Mutation::Flip { at, bit } => {
                if let Some(b) = bytes.get_mut(at % n) {
                    *b ^= 1 << bit;
                }
            }
            Mutation::Set { at, byte } => {
                if let Some(b) = bytes.get_mut(at % n) {
                    *b = *byte;
                }
            }
            Mutation::Word { at, value, wide } => {
                let word = if *wide { value.to_le_bytes().to_vec() } else { (*value as u32).to_le_bytes().to_vec() };
                let at = at % n;
                for (i, w) in word.into_iter().enumerate() {
                    if let Some(b) = bytes.get_mut(at + i) {
                        *b = w;
                    }
                }
            }
            Mutation::Truncate { len } => bytes.truncate(len % n),
            Mutation::Insert { at, bytes: new } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, new.iter().copied());
            }
        }
    }
    bytes
}

/// Runs `parse` on the mutated bytes: it must return (whatever it returns), and allocate no
/// more than [`MAX_ALLOCATION`] at once.
fn survives<T>(bytes: &[u8], parse: impl FnOnce(&[u8]) -> T) -> Result<(), TestCaseError> {
    // One parse at a time, so the largest allocation recorded is this parser's.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    LARGEST.store(0, Ordering::Relaxed);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(parse(bytes))));
    let largest = LARGEST.load(Ordering::Relaxed);
    prop_assert!(outcome.is_ok(), "the parser panicked on {} bytes", bytes.len());
    prop_assert!(largest <= MAX_ALLOCATION, "the parser allocated {largest} bytes at once for a {}-byte input", bytes.len());
    Ok(())
}

fn fixture(file: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pub2").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// A small key (squares-2) as zkbatch writes it: the key file's bytes, and the key.
fn key_file() -> (Vec<u8>, ProvingKey) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let key = ProvingKey::setup("squares-2", SquaresCircuit { inputs: 2, roots: None }, &mut rng).expect("setup");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("k.pk");
    key.write(&path).expect("write");
    (std::fs::read(&path).expect("read"), key)
}

const PATH: &str = "hostile-input";

proptest! {
    #![proptest_config(config())]

    #[test]
    fn zkey(changes in mutations()) {
        survives(&apply(&fixture("pub2.zkey"), &changes), |b| zkey::from_bytes(b, Path::new(PATH)))?;
    }

    #[test]
    fn wtns(changes in mutations()) {
        survives(&apply(&fixture("pub2.wtns"), &changes), |b| wtns::from_bytes(b, Path::new(PATH)))?;
    }

    #[test]
    fn r1cs(changes in mutations()) {
        survives(&apply(&fixture("pub2.r1cs"), &changes), |b| r1cs::from_bytes(b, Path::new(PATH)))?;
    }

    #[test]
    fn snarkjs_json(changes in mutations()) {
        survives(&apply(&fixture("proof.json"), &changes), |b| serde_json::from_slice::<ProofJson>(b).map(|p| p.to_proof()))?;
        survives(&apply(&fixture("public.json"), &changes), |b| serde_json::from_slice::<PublicJson>(b).map(|p| public_from_json(&p)))?;
        survives(&apply(&fixture("verification_key.json"), &changes), |b| serde_json::from_slice::<VerifyingKeyJson>(b).map(|k| k.to_vk()))?;
    }

    #[test]
    fn circom_input(changes in mutations()) {
        survives(&apply(&fixture("input.json"), &changes), |b| input::parse(&String::from_utf8_lossy(b)))?;
    }

    /// The built-in circuits' `input.json` (what `zkbatch prove` and the proving service take).
    #[test]
    fn builtin_input(changes in mutations()) {
        for spec in ["merkle-4", "squares-2"] {
            let spec: CircuitSpec = spec.parse().expect("a circuit");
            let valid = spec.random_input_json(&mut rand::rngs::StdRng::seed_from_u64(3));
            survives(&apply(valid.as_bytes(), &changes), |b| spec.from_input_json(&String::from_utf8_lossy(b)))?;
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// zkbatch's key file (`ProvingKey::write`) and key image (`MappedKey::write`, read through a
    /// file: the image is mapped, not read).
    #[test]
    fn key_files(changes in mutations()) {
        let pair = KEY.get_or_init(|| Arc::new(key_file()));
        let (bytes, key) = (&pair.0, &pair.1);
        survives(&apply(bytes, &changes), |b| ProvingKey::from_bytes(b, Path::new(PATH)))?;
        let dir = tempfile::tempdir().expect("tempdir");
        let image = dir.path().join("k.zkbimg");
        MappedKey::write(key, &image).expect("write the image");
        let mutated = apply(&std::fs::read(&image).expect("read the image"), &changes);
        std::fs::write(&image, &mutated).expect("write the mutated image");
        survives(&mutated, |_| MappedKey::open(&image))?;
    }
}

static KEY: std::sync::OnceLock<Arc<(Vec<u8>, ProvingKey)>> = std::sync::OnceLock::new();
