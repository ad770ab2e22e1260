//! The worker pool: bounded in flight (by instrumentation, not timing), failures reported per job.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ark_std::rand::{rngs::StdRng, SeedableRng};
use zkbatch_prover::circuits::{MerkleCircuit, MerkleWitness};
use zkbatch_prover::pool::{self, PoolConfig};
use zkbatch_prover::verify::verify;
use zkbatch_prover::{Prover, ProvingKey};

/// Counts jobs holding a witness or a proof: from the start of work until the result is consumed.
#[derive(Default)]
struct Live {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Live {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn proves_32_proofs_with_never_more_than_2_in_flight() {
    let mut rng = StdRng::seed_from_u64(5);
    let key = ProvingKey::setup("merkle-3", MerkleCircuit::blank(3), &mut rng).unwrap();
    let prover = Prover::new(Arc::new(key)).unwrap();
    let witnesses: Vec<MerkleWitness> = (0..32).map(|_| MerkleWitness::random(3, &mut rng)).collect();
    let live = Live::default();
    let mut verified = 0;
    // More workers than slots: the bound, not the worker count, must be what limits memory.
    let config = PoolConfig { workers: 4, max_in_flight: 2 };
    let stats = pool::run(
        config,
        witnesses,
        |w| {
            live.enter();
            prover.prove(MerkleCircuit::new(w), &mut ark_std::rand::thread_rng())
        },
        |result| {
            let (proof, public, _) = result.outcome.unwrap();
            verify(prover.key().verifying_key(), &proof, &public).unwrap();
            verified += 1;
            live.leave();
        },
    );
    assert_eq!(verified, 32);
    assert_eq!(stats.completed, 32);
    assert!(live.peak.load(Ordering::SeqCst) <= 2, "peak {}", live.peak.load(Ordering::SeqCst));
    assert!(stats.peak_in_flight <= 2 && stats.peak_in_flight >= 1, "{stats:?}");
}

#[test]
fn a_failed_job_is_reported_and_the_others_finish() {
    let results = std::sync::Mutex::new(Vec::new());
    let stats = pool::run(
        PoolConfig::new(2),
        0..10u32,
        |i| if i == 3 { Err(format!("job {i} failed")) } else { Ok(i * 2) },
        |r| results.lock().unwrap().push((r.index, r.outcome)),
    );
    assert_eq!((stats.completed, stats.failed), (9, 1));
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    assert_eq!(results[3].1, Err("job 3 failed".to_string()));
    assert_eq!(results[9].1, Ok(18));
}
