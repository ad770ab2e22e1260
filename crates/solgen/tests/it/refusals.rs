//! What the verifier generators refuse to write.

use ark_ec::AffineRepr;
use zkbatch_solgen::{groth16_batch_verifier, groth16_verifier, VerifierError, VerifierOptions};
use zkbatch_testing::keys::key_fixture;

/// Neither generator writes a verifier for a key with γ at infinity: it would accept any inputs.
#[test]
fn a_degenerate_key_gets_no_verifier() {
    let vk = key_fixture(2).prover.key().verifying_key().clone();
    let mut bad = vk.clone();
    bad.gamma_g2 = ark_bn254::G2Affine::zero();
    for result in [groth16_verifier(&bad, &VerifierOptions::single()), groth16_batch_verifier(&bad, &VerifierOptions::batch())] {
        let err = result.unwrap_err();
        assert!(matches!(err, VerifierError::Degenerate(_)) && err.to_string().contains("vk_gamma_2"), "{err}");
    }
    assert!(groth16_verifier(&vk, &VerifierOptions::single()).is_ok());
}
