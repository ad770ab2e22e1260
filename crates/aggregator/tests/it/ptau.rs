//! KZG parameters from a snarkjs powers-of-tau file, as production would make them from a public
//! ceremony: a `.ptau` made here by snarkjs (new + one contribution, an independent
//! implementation) becomes halo2 parameters whose powers are powers of one τ; a file with too few
//! powers, a point off its curve or powers out of order is refused by name.

use std::path::Path;
use std::process::Command;

use halo2_base::halo2_proofs::halo2curves::bn256::{pairing, G1Affine, G2Affine};
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use zkbatch_aggregator::recursive::params::{self, ParamsError};

fn snarkjs(dir: &Path, args: &[&str]) {
    let out = Command::new(zkbatch_testing::tool("snarkjs")).current_dir(dir).args(args).output().expect("snarkjs (make bootstrap installs it)");
    assert!(out.status.success(), "snarkjs {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn snarkjs_ptau_becomes_kzg_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    snarkjs(d, &["powersoftau", "new", "bn128", "5", "p0.ptau"]);
    snarkjs(d, &["powersoftau", "contribute", "p0.ptau", "p1.ptau", "--name=zkbatch test", "-e=zkbatch test entropy"]);
    let ptau = d.join("p1.ptau");

    let srs = params::from_ptau(&ptau, 4).expect("parameters from the ptau");
    assert_eq!(srs.k(), 4);
    let g = srs.get_g();
    assert_eq!(g.len(), 16);
    assert_eq!(g[0], G1Affine::generator());
    // [τ]G1 and [τ]G2 are the same τ, and the contribution moved it off 1.
    assert_eq!(pairing(&g[1], &G2Affine::generator()), pairing(&g[0], &srs.s_g2()));
    assert_ne!(g[1], g[0]);
    // Written and read back in halo2's format.
    params::write(&srs, &d.join("p.srs")).unwrap();
    assert_eq!(params::read(&d.join("p.srs"), 4).unwrap().get_g(), g);

    // More powers than the file holds.
    let err = params::from_ptau(&ptau, 6).err().expect("2^6 from a 2^5 file").to_string();
    assert!(err.contains("p1.ptau") && err.contains("2^6"), "{err}");

    // tauG1[3]'s x changed: off the curve, named.
    let bytes = std::fs::read(&ptau).unwrap();
    let at = tau_g1_offset(&bytes) + 3 * 64;
    let mut bad = bytes.clone();
    bad[at] ^= 1;
    std::fs::write(d.join("bad.ptau"), &bad).unwrap();
    let err = params::from_ptau(&d.join("bad.ptau"), 4).err().expect("off-curve point").to_string();
    assert!(err.contains("tauG1 points[3]"), "{err}");

    // tauG1[2] and tauG1[3] swapped: every point on the curve, but not consecutive powers.
    let mut swapped = bytes.clone();
    let (a, b) = (tau_g1_offset(&bytes) + 2 * 64, tau_g1_offset(&bytes) + 3 * 64);
    let p2 = bytes[a..a + 64].to_vec();
    swapped[a..a + 64].copy_from_slice(&bytes[b..b + 64]);
    swapped[b..b + 64].copy_from_slice(&p2);
    std::fs::write(d.join("swapped.ptau"), &swapped).unwrap();
    match params::from_ptau(&d.join("swapped.ptau"), 4) {
        Err(ParamsError::Ptau(e)) => assert!(e.to_string().contains("not powers of one τ"), "{e}"),
        other => panic!("expected a refusal, got {:?}", other.map(|p| p.k())),
    }
}

/// Where section 2 (tauG1) starts: after the magic, version, section count, and each earlier
/// section's (id, length, bytes).
fn tau_g1_offset(bytes: &[u8]) -> usize {
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
    let mut at = 12;
    loop {
        let (id, len) = (u32_at(at), u64_at(at + 4) as usize);
        if id == 2 {
            return at + 12;
        }
        at += 12 + len;
    }
}
