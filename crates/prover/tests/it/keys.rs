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

/// A key image: the same proofs as the key in the heap, for the same randomness; a damaged or
/// foreign image refused, naming the file.
#[test]
fn a_mapped_key_image_proves_as_the_key_does_and_bad_images_are_refused() {
    use std::sync::Arc;
    use zkbatch_prover::circuits::CircuitSpec;
    use zkbatch_prover::mapped::MappedKey;
    use zkbatch_prover::{Fr, Prover};

    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("merkle.zkbimg");
    let key = key();
    MappedKey::write(&key, &image).unwrap();
    let (rest, mapped) = MappedKey::open(&image).unwrap();
    assert!(rest.groth16.a_query.is_empty() && rest.groth16.h_query.is_empty(), "the points live in the image alone");
    assert_eq!(mapped.points().a, &key.groth16.a_query[..]);
    assert_eq!(mapped.points().b_g2, &key.groth16.b_g2_query[..]);
    assert_eq!(mapped.points().h, &key.groth16.h_query[..]);

    let heap = Prover::new(Arc::new(key.clone())).unwrap();
    let from_image = Prover::mapped(Arc::new(rest), Arc::new(mapped)).unwrap();
    let spec: CircuitSpec = "merkle-2".parse().unwrap();
    let mut rng = StdRng::seed_from_u64(9);
    for _ in 0..2 {
        let input = spec.random_input_json(&mut rng);
        let (r, s) = (Fr::from(5u64), Fr::from(7u64));
        let (a, public_a, _) = heap.prove_with_randomness(spec.from_input_json(&input).unwrap(), r, s).unwrap();
        let (b, public_b, _) = from_image.prove_with_randomness(spec.from_input_json(&input).unwrap(), r, s).unwrap();
        assert_eq!((a, public_a), (b, public_b));
    }

    let bytes = std::fs::read(&image).unwrap();
    let bad = dir.path().join("bad.zkbimg");
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    std::fs::write(&bad, &flipped).unwrap();
    let err = MappedKey::open(&bad).err().unwrap();
    assert!(matches!(err, KeyError::Corrupt { .. }), "{err}");
    std::fs::write(&bad, &bytes[..bytes.len() / 3]).unwrap();
    let err = MappedKey::open(&bad).err().unwrap();
    assert!(matches!(err, KeyError::Corrupt { .. } | KeyError::Inconsistent { .. } | KeyError::Truncated { .. }), "{err}");
    std::fs::write(&bad, b"not an image at all, but long enough to hold a header of two hundred bytes or so, which this string is not quite, so it gets padded with more words until it is longer than that header is").unwrap();
    let err = MappedKey::open(&bad).err().unwrap();
    assert!(matches!(err, KeyError::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("bad.zkbimg"), "{err}");
}
