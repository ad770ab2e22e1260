//! Proving-key files: round trip, and a clear error for every kind of bad file.

use std::path::Path;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_prover::circuits::MerkleCircuit;
use zkbatch_prover::keys::KeyError;
use zkbatch_prover::ProvingKey;

fn key() -> ProvingKey {
    ProvingKey::setup("merkle-2", MerkleCircuit::blank(2), &mut StdRng::seed_from_u64(3)).unwrap()
}

#[test]
fn round_trips_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("merkle.pk");
    let key = key();
    key.write(&path).unwrap();
    assert_eq!(ProvingKey::read(&path).unwrap(), key);
}

#[test]
fn bad_files_get_errors_that_say_what_is_wrong() {
    let bytes = key().to_bytes().unwrap();
    let p = Path::new("k.pk");

    let err = ProvingKey::from_bytes(&bytes[..bytes.len() - 100], p).unwrap_err();
    assert!(matches!(err, KeyError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("k.pk is truncated"), "{err}");

    let err = ProvingKey::from_bytes(&bytes[..30], p).unwrap_err();
    assert!(matches!(err, KeyError::Truncated { .. }), "{err}");

    let err = ProvingKey::from_bytes(b"{\"protocol\": \"groth16\"}", p).unwrap_err();
    assert!(matches!(err, KeyError::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("not a zkbatch proving key"), "{err}");

    let mut corrupt = bytes.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x40;
    let err = ProvingKey::from_bytes(&corrupt, p).unwrap_err();
    assert!(matches!(err, KeyError::Corrupt { .. }), "{err}");

    let mut future = bytes.clone();
    future[8] = 9;
    let err = ProvingKey::from_bytes(&future, p).unwrap_err();
    assert!(matches!(err, KeyError::Version { found: 9, .. }), "{err}");

    let err = ProvingKey::read(Path::new("/nonexistent/k.pk")).unwrap_err();
    assert!(err.to_string().starts_with("/nonexistent/k.pk"), "{err}");
}

#[test]
fn a_key_whose_parts_do_not_fit_together_is_refused() {
    let mut key = key();
    key.r1cs = ProvingKey::setup("merkle-3", MerkleCircuit::blank(3), &mut StdRng::seed_from_u64(4)).unwrap().r1cs;
    let err = ProvingKey::from_bytes(&key.to_bytes().unwrap(), Path::new("k.pk")).unwrap_err();
    assert!(matches!(err, KeyError::Inconsistent { .. }), "{err}");
    assert!(err.to_string().contains("k.pk is inconsistent: a_query has"), "{err}");
    assert!(zkbatch_prover::Prover::new(std::sync::Arc::new(key)).is_err());
}
