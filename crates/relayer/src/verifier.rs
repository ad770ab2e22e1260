//! Posted proofs verified in micro-batches: one multi-pairing for many proofs of a circuit
//! ([`PreparedKey::verify_batch`], N + 3 Miller loops against 3N alone), with every request still
//! answered for its own proof.
//!
//! Requests wait in lanes, one per circuit; a pool of verification threads (one per core by
//! default, arkworks' own parallelism confined to it) each take a lane's waiting proofs, up to
//! the lane's batch size, whenever they are free, so batches form by themselves while the
//! threads are busy and a request never waits on a free thread (unless `window_ms` asks it to
//! wait for company). A batch that fails is split in halves until each bad proof is alone, each
//! part's check reusing what the first did for its proofs ([`Batch`]), and a proof alone is checked
//! exactly as [`PreparedKey::verify`] checks it, so its refusal reads as it did.
//!
//! Bad proofs make batches cost more than they save (k bad among N cost about 2k·log₂(N/k)
//! checks), so each lane keeps a running failure rate and sizes its batches by it: the full
//! `max_batch` while proofs are good, smaller ones as failures rise, one by one from 5 % (see
//! [`batch_cap`]). A lane full of bad proofs thus costs what one-by-one checking costs, never
//! more.
//!
//! A source (the client's IP address) whose proof failed is quarantined for `quarantine_ms`: its
//! proofs go to a lane of its own, never into a batch with anybody else's, and lanes take turns
//! for the threads. A client posting bad proofs thus slows its own lane, and costs the others at
//! most its turn on the threads, not bisections of their batches nor smaller batches. Challenges
//! come from the operating system's randomness, fresh for every batch, never from a request.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::RngCore;
use tokio::sync::{mpsc, oneshot};
use zkbatch_prover::verify::{Batch, PreparedKey, VerifyError};
use zkbatch_prover::{Fr, Proof};

use crate::config::VerifyConfig;
use crate::metrics::Metrics;

/// A proof waiting for its check.
struct Pending {
    key: Arc<PreparedKey>,
    proof: Proof,
    public: Vec<Fr>,
    source: Option<IpAddr>,
    reply: oneshot::Sender<Result<(), VerifyError>>,
}

/// Where a proof waits: its circuit's lane, or a quarantined source's own lane for the circuit.
type Lane = (String, Option<IpAddr>);

/// A finished check: its lane, its proofs, how many failed.
type Done = (Lane, usize, usize);

/// A proof whose check never answered: its check panicked, or the relayer is stopping. Not a
/// verdict on the proof: the client should post it again.
#[derive(Debug, thiserror::Error)]
#[error("the proof could not be checked (the relayer is stopping or its check failed); post it again")]
pub(crate) struct Unanswered;

/// The handle requests use; the scheduler task runs until every handle is dropped.
pub(crate) struct Verifier {
    tx: mpsc::UnboundedSender<(String, Pending)>,
}

impl Verifier {
    /// Starts the scheduler (on the current tokio runtime) and its pool of threads.
    pub(crate) fn start(config: VerifyConfig, metrics: Arc<Metrics>) -> Verifier {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(Scheduler::new(config, metrics).run(rx));
        Verifier { tx }
    }

    /// Ok(()) only if `proof` is valid for `public` under `key` (the circuit `circuit`'s), as
    /// [`PreparedKey::verify`] answers, checked in a batch with others when others are waiting.
    pub(crate) async fn verify(&self, circuit: &str, key: Arc<PreparedKey>, proof: Proof, public: Vec<Fr>, source: Option<IpAddr>) -> Result<Result<(), VerifyError>, Unanswered> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending { key: key.clone(), proof, public, source, reply };
        if let Err(mpsc::error::SendError((_, p))) = self.tx.send((circuit.to_string(), pending)) {
            // The scheduler is gone (the relayer is stopping): check it here, alone.
            return tokio::task::spawn_blocking(move || key.verify(&p.proof, &p.public)).await.map_err(|_| Unanswered);
        }
        // The scheduler answers every proof it takes, unless its check panicked or the runtime is
        // shutting down.
        answer.await.map_err(|_| Unanswered)
    }
}

/// The batch size for a lane where a share `failing` of the proofs is bad, at most `max`. From a
/// model of this machine's costs (`make bench-verify`, one thread: a first check of b proofs ≈
/// 0.95 + 0.23·b ms, a part of them checked again ≈ 0.72 + 0.11·b ms, one alone ≈ 0.82 ms) and
/// of bisection's expected checks, the cost per proof is least near 1.6/√failing (16 at 1 %, 7 at
/// 5 %, 5 at 10 %, where the model gives 0.70 ms a proof against 0.82 one by one). Under load
/// that saving did not show: with 10 % bad, batches of 5 ran at 954–1,221 accepted proofs/s
/// against 1,107–1,183 one by one (`make bench-relayer` with the threshold at 15 %, not kept;
/// four runs each), so lanes go one by one from 5 %.
pub(crate) fn batch_cap(failing: f64, max: usize) -> usize {
    if failing >= 0.05 {
        return 1;
    }
    if failing <= 0.0 {
        return max;
    }
    ((1.6 / failing.sqrt()) as usize).clamp(1, max)
}

/// How fast a lane's failure rate follows its proofs: each proof's weight.
const FAILURE_WEIGHT: f64 = 0.02;

struct Scheduler {
    config: VerifyConfig,
    metrics: Arc<Metrics>,
    pool: Option<rayon::ThreadPool>,
    threads: usize,
    lanes: HashMap<Lane, (Instant, Vec<Pending>)>,
    /// Lanes with proofs waiting, in the order they take turns.
    turns: VecDeque<Lane>,
    /// Each lane's running share of failed proofs (lanes never seen: 0).
    failing: HashMap<Lane, f64>,
    /// Sources whose proofs failed, until when; written by the checks before they answer, so a
    /// client's next request after a refusal already finds itself quarantined.
    quarantined: Arc<Mutex<HashMap<IpAddr, Instant>>>,
    running: usize,
    done: (mpsc::UnboundedSender<Done>, mpsc::UnboundedReceiver<Done>),
}

impl Scheduler {
    fn new(config: VerifyConfig, metrics: Arc<Metrics>) -> Scheduler {
        let threads = if config.threads == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { config.threads };
        // Without a pool of its own (the system refused a thread), a check runs on tokio's
        // blocking threads and arkworks splits it over rayon's global pool.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("zkbatch-verify-{i}")).build();
        if let Err(e) = &pool {
            tracing::warn!(error = %e, "no thread pool for proof checks; using tokio's blocking threads");
        }
        Scheduler {
            config,
            metrics,
            pool: pool.ok(),
            threads,
            lanes: HashMap::new(),
            turns: VecDeque::new(),
            failing: HashMap::new(),
            quarantined: Arc::default(),
            running: 0,
            done: mpsc::unbounded_channel(),
        }
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<(String, Pending)>) {
        let window = Duration::from_millis(self.config.window_ms);
        let mut open = true;
        loop {
            self.dispatch(window);
            if !open && self.lanes.is_empty() && self.running == 0 {
                return;
            }
            // With a window, the next moment a lane falls due while a thread is free.
            let wake = (self.running < self.threads).then(|| self.lanes.values().map(|(since, _)| *since + window).min()).flatten();
            tokio::select! {
                got = rx.recv(), if open => match got {
                    Some((circuit, pending)) => self.enqueue(circuit, pending),
                    None => open = false,
                },
                Some((lane, n, failed)) = self.done.1.recv() => self.finished(lane, n, failed),
                _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now).into()), if wake.is_some() => {}
            }
        }
    }

    fn finished(&mut self, lane: Lane, n: usize, failed: usize) {
        self.running -= 1;
        let keep = (1.0 - FAILURE_WEIGHT).powi(n as i32);
        let rate = self.failing.entry(lane.clone()).or_insert(0.0);
        *rate = *rate * keep + (failed as f64 / n.max(1) as f64) * (1.0 - keep);
        if *rate < 1e-4 {
            self.failing.remove(&lane);
        }
        let now = Instant::now();
        let mut quarantined = self.quarantined.lock().unwrap_or_else(|p| p.into_inner());
        quarantined.retain(|_, until| *until > now);
        // A source's lane and its failure rate go with its quarantine, so sources that come and go
        // (an attacker rotating addresses) leave nothing behind.
        let lanes = &self.lanes;
        self.failing.retain(|(circuit, source), _| source.is_none_or(|s| quarantined.contains_key(&s) || lanes.contains_key(&(circuit.clone(), Some(s)))));
    }

    fn enqueue(&mut self, circuit: String, pending: Pending) {
        let quarantined = {
            let q = self.quarantined.lock().unwrap_or_else(|p| p.into_inner());
            pending.source.filter(|s| q.get(s).is_some_and(|until| *until > Instant::now()))
        };
        let lane = (circuit, quarantined);
        let entry = self.lanes.entry(lane.clone()).or_insert_with(|| (Instant::now(), Vec::new()));
        if entry.1.is_empty() {
            entry.0 = Instant::now();
            self.turns.push_back(lane);
        }
        entry.1.push(pending);
    }

    /// Hands lanes that are due to free threads, taking turns.
    fn dispatch(&mut self, window: Duration) {
        let mut passed = 0;
        while self.running < self.threads && passed < self.turns.len() {
            let Some(lane) = self.turns.pop_front() else { return };
            let max = batch_cap(self.failing.get(&lane).copied().unwrap_or(0.0), self.config.max_batch.max(1));
            let Some((since, waiting)) = self.lanes.get_mut(&lane) else { continue };
            if waiting.len() < max && since.elapsed() < window {
                self.turns.push_back(lane);
                passed += 1;
                continue;
            }
            let take = waiting.len().min(max);
            let batch: Vec<Pending> = waiting.drain(..take).collect();
            if waiting.is_empty() {
                self.lanes.remove(&lane);
            } else {
                *since = Instant::now();
                self.turns.push_back(lane.clone());
            }
            passed = 0;
            self.running += 1;
            let (metrics, quarantined, done) = (self.metrics.clone(), self.quarantined.clone(), self.done.0.clone());
            let quarantine = Duration::from_millis(self.config.quarantine_ms);
            let job = move || {
                let n = batch.len();
                // A panic drops the batch's replies (each request gets `Unanswered`), and the
                // scheduler still hears that the thread is free.
                let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(batch, lane.1.is_some(), &metrics, &quarantined, quarantine)));
                let failed = checked.unwrap_or(0);
                let _ = done.send((lane, n, failed));
            };
            match &self.pool {
                Some(pool) => pool.spawn(job),
                None => drop(tokio::task::spawn_blocking(job)),
            }
        }
    }
}

/// Checks a batch and answers each of its proofs, quarantining the sources of those that failed
/// first. Returns the failures that count against the batch's lane: in a shared lane (not
/// `quarantined_lane`), not those of sources now quarantined, whose next proofs go elsewhere.
fn check(batch: Vec<Pending>, quarantined_lane: bool, metrics: &Metrics, quarantined: &Mutex<HashMap<IpAddr, Instant>>, quarantine: Duration) -> usize {
    let Some(key) = batch.first().map(|p| p.key.clone()) else { return 0 };
    let proofs: Vec<(&Proof, &[Fr])> = batch.iter().map(|p| (&p.proof, p.public.as_slice())).collect();
    let mut checks = 0;
    let results = verify_all(&key, &proofs, &mut rand::rngs::OsRng, &mut checks);
    metrics.verify_batch_size.observe(batch.len() as f64);
    metrics.verify_checks.add(checks);
    let until = Instant::now() + quarantine;
    let mut q = quarantined.lock().unwrap_or_else(|p| p.into_inner());
    for (pending, result) in batch.iter().zip(&results) {
        if let (Err(_), Some(source)) = (result, pending.source) {
            q.insert(source, until);
        }
    }
    drop(q);
    let stays = |p: &Pending| quarantined_lane || p.source.is_none() || quarantine.is_zero();
    let failed = batch.iter().zip(&results).filter(|(p, r)| r.is_err() && stays(p)).count();
    for (pending, result) in batch.into_iter().zip(results) {
        let _ = pending.reply.send(result);
    }
    failed
}

/// Each proof's answer, as [`PreparedKey::verify`] gives it: the whole batch in one check, and
/// where that fails, each half, down to the proofs that fail alone, every check reusing the work
/// the first one did for each proof ([`zkbatch_prover::verify::Batch`]). `checks` counts the
/// multi-pairings.
pub(crate) fn verify_all(key: &PreparedKey, proofs: &[(&Proof, &[Fr])], rng: &mut impl RngCore, checks: &mut u64) -> Vec<Result<(), VerifyError>> {
    if let [(proof, public)] = proofs {
        *checks += 1;
        return vec![key.verify(proof, public)];
    }
    let mut batch = key.batch(proofs, rng);
    let mut out = Vec::with_capacity(proofs.len());
    bisect(&mut batch, 0..proofs.len(), false, checks, &mut out);
    // A proof refused for its input count is refused for that, as it would be alone.
    for (answer, (_, public)) in out.iter_mut().zip(proofs) {
        if answer.is_err() {
            *answer = key.check_input_count(public).and(Err(VerifyError::Invalid));
        }
    }
    out
}

/// Appends the answers for the proofs in `part`. `known_bad`: the caller knows this part holds a
/// bad proof (its sibling passed, their union did not), so checking it whole would tell nothing.
fn bisect(batch: &mut Batch<'_>, part: Range<usize>, known_bad: bool, checks: &mut u64, out: &mut Vec<Result<(), VerifyError>>) {
    if part.len() == 1 && known_bad {
        out.push(Err(VerifyError::Invalid));
        return;
    }
    if !known_bad {
        *checks += 1;
        if batch.holds(part.clone()) {
            out.extend(part.map(|_| Ok(())));
            return;
        }
        if part.len() == 1 {
            out.push(Err(VerifyError::Invalid));
            return;
        }
    }
    let middle = part.start + part.len() / 2;
    let before = out.len();
    bisect(batch, part.start..middle, false, checks, out);
    let left_clean = out[before..].iter().all(Result::is_ok);
    bisect(batch, middle..part.end, left_clean, checks, out);
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use zkbatch_testing::keys::key_fixture;

    use super::*;

    type Proofs = Vec<(Proof, Vec<Fr>)>;

    /// Eight proofs of one key, and a bad copy of each (a public input off by one).
    fn proofs() -> (PreparedKey, Proofs, Proofs) {
        let f = key_fixture(2);
        let key = PreparedKey::new(f.prover.key().verifying_key());
        let good: Vec<(Proof, Vec<Fr>)> = f.batch.into_iter().take(8).collect();
        let bad = good.iter().map(|(p, x)| (p.clone(), vec![x[0] + Fr::from(1u64), x[1]])).collect();
        (key, good, bad)
    }

    fn answers(key: &PreparedKey, batch: &[(Proof, Vec<Fr>)]) -> (Vec<Result<(), VerifyError>>, u64) {
        let refs: Vec<(&Proof, &[Fr])> = batch.iter().map(|(p, x)| (p, x.as_slice())).collect();
        let mut checks = 0;
        (verify_all(key, &refs, &mut rand::rngs::OsRng, &mut checks), checks)
    }

    /// What each proof gets alone: the answers a batch must give.
    fn alone(key: &PreparedKey, batch: &[(Proof, Vec<Fr>)]) -> Vec<Result<(), VerifyError>> {
        batch.iter().map(|(p, x)| key.verify(p, x)).collect()
    }

    #[test]
    fn one_bad_proof_in_any_position_is_refused_alone() {
        let (key, good, bad) = proofs();
        let (all_good, checks) = answers(&key, &good);
        assert!(all_good.iter().all(Result::is_ok) && checks == 1, "{all_good:?} in {checks} checks");
        for i in 0..good.len() {
            let mut batch = good.clone();
            batch[i] = bad[i].clone();
            let (got, checks) = answers(&key, &batch);
            assert_eq!(got, alone(&key, &batch), "bad proof at {i}");
            assert_eq!(got[i], Err(VerifyError::Invalid));
            // The whole, then a half and a quarter (each sibling known bad once the other passes), then the pair's proofs alone.
            assert!(checks <= 7, "{checks} checks for one bad proof in 8");
        }
    }

    #[test]
    fn batches_of_bad_proofs_and_wrong_input_counts_get_the_answers_of_one_by_one() {
        let (key, good, bad) = proofs();
        let (got, _) = answers(&key, &bad);
        assert!(got.iter().all(|r| *r == Err(VerifyError::Invalid)), "{got:?}");
        let mut mixed = good.clone();
        mixed[1] = bad[1].clone();
        mixed[6] = bad[6].clone();
        mixed[3].1.push(Fr::from(7u64));
        let (got, _) = answers(&key, &mixed);
        assert_eq!(got, alone(&key, &mixed));
        assert!(matches!(got[3], Err(VerifyError::InputCount { expected: 2, got: 3 })), "{got:?}");
    }

    /// Submits `batch` (each proof from its source) to a verifier with one thread and a window
    /// that gathers them all before the first check; returns the answers and the checks it took.
    async fn round(quarantine_ms: u64, key: &Arc<PreparedKey>, batch: &[(Proof, Vec<Fr>, IpAddr)]) -> (Vec<Result<(), VerifyError>>, u64) {
        let metrics = Arc::new(Metrics::default());
        let config = VerifyConfig { max_batch: 64, window_ms: 1000, threads: 1, quarantine_ms };
        let verifier = Arc::new(Verifier::start(config, metrics.clone()));
        let mut answers = Vec::new();
        // A first bad proof from the attacker, alone: it is quarantined (or not) from here on.
        let (p, x, attacker) = &batch[0];
        answers.push(verifier.verify("c", key.clone(), p.clone(), x.clone(), Some(*attacker)).await.expect("answered"));
        let before = metrics.verify_checks.get();
        let tasks: Vec<_> = batch[1..]
            .iter()
            .map(|(p, x, s)| {
                let (verifier, key, p, x, s) = (verifier.clone(), key.clone(), p.clone(), x.clone(), *s);
                tokio::spawn(async move { verifier.verify("c", key, p, x, Some(s)).await.expect("answered") })
            })
            .collect();
        for t in tasks {
            answers.push(t.await.expect("task"));
        }
        (answers, metrics.verify_checks.get() - before)
    }

    #[tokio::test]
    async fn a_source_whose_proof_failed_is_batched_apart_from_the_others() {
        let (key, good, bad) = proofs();
        let key = Arc::new(key);
        let (attacker, honest) = (IpAddr::from(Ipv4Addr::new(10, 0, 0, 66)), IpAddr::from(Ipv4Addr::new(10, 0, 0, 1)));
        // The attacker's bad proof first, then its next bad proof among six honest ones.
        let mut batch = vec![(bad[0].0.clone(), bad[0].1.clone(), attacker)];
        batch.extend(good[1..4].iter().map(|(p, x)| (p.clone(), x.clone(), honest)));
        batch.push((bad[4].0.clone(), bad[4].1.clone(), attacker));
        batch.extend(good[5..8].iter().map(|(p, x)| (p.clone(), x.clone(), honest)));
        let expected: Vec<bool> = batch.iter().map(|(_, _, s)| *s == honest).collect();

        // Quarantined: the honest six in one check, the attacker's proof alone in another.
        let (answers, checks) = round(60_000, &key, &batch).await;
        assert_eq!(answers.iter().map(Result::is_ok).collect::<Vec<_>>(), expected);
        assert_eq!(checks, 2, "the honest batch was split by the attacker's proof");
        // Without quarantine the bad proof lands in the honest batch, which is split to find it.
        let (answers, checks) = round(0, &key, &batch).await;
        assert_eq!(answers.iter().map(Result::is_ok).collect::<Vec<_>>(), expected);
        assert!(checks > 2, "{checks}");
    }

    #[test]
    fn batches_shrink_as_failures_rise() {
        assert_eq!(batch_cap(0.0, 64), 64);
        assert_eq!(batch_cap(0.0001, 64), 64);
        assert_eq!(batch_cap(0.05, 64), 1);
        assert_eq!(batch_cap(0.5, 64), 1);
        let caps: Vec<usize> = (0..=60).map(|i| batch_cap(f64::from(i) / 1000.0, 64)).collect();
        assert!(caps.windows(2).all(|w| w[0] >= w[1]), "{caps:?}");
        assert!((6..=9).contains(&batch_cap(0.04, 64)) && (12..=20).contains(&batch_cap(0.01, 64)), "{caps:?}");
    }

    /// Half the proofs bad, no source known: after one batch that fails, the lane checks one by
    /// one, so it costs no more than one-by-one checking did.
    #[tokio::test]
    async fn a_lane_of_bad_proofs_is_checked_one_by_one() {
        let (key, good, bad) = proofs();
        let key = Arc::new(key);
        let metrics = Arc::new(Metrics::default());
        let config = VerifyConfig { max_batch: 64, window_ms: 1000, threads: 1, quarantine_ms: 60_000 };
        let verifier = Arc::new(Verifier::start(config, metrics.clone()));
        let mixed: Vec<(Proof, Vec<Fr>, bool)> = (0..8).map(|i| if i % 2 == 0 { (good[i].0.clone(), good[i].1.clone(), true) } else { (bad[i].0.clone(), bad[i].1.clone(), false) }).collect();
        let mut per_round = Vec::new();
        for _ in 0..3 {
            let before = metrics.verify_checks.get();
            let tasks: Vec<_> = mixed
                .iter()
                .map(|(p, x, ok)| {
                    let (verifier, key, p, x, ok) = (verifier.clone(), key.clone(), p.clone(), x.clone(), *ok);
                    tokio::spawn(async move { (verifier.verify("c", key, p, x, None).await.expect("answered").is_ok(), ok) })
                })
                .collect();
            for t in tasks {
                let (got, expected) = t.await.expect("task");
                assert_eq!(got, expected);
            }
            per_round.push(metrics.verify_checks.get() - before);
        }
        // The first round bisects one batch of 8 (more than 8 checks); then 8 proofs, 8 checks.
        assert!(per_round[0] > 8, "{per_round:?}");
        assert_eq!(&per_round[1..], &[8, 8], "{per_round:?}");
    }

    /// A quarantined source's failure rate is kept while its quarantine lasts, and dropped with it.
    #[test]
    fn a_sources_failure_rate_goes_with_its_quarantine() {
        let config = VerifyConfig { max_batch: 64, window_ms: 0, threads: 1, quarantine_ms: 60_000 };
        let mut s = Scheduler::new(config, Arc::new(Metrics::default()));
        let source = IpAddr::from(Ipv4Addr::new(10, 0, 0, 66));
        let lane: Lane = ("c".into(), Some(source));
        s.quarantined.lock().unwrap().insert(source, Instant::now() + Duration::from_secs(60));
        s.running = 1;
        s.finished(lane.clone(), 4, 4);
        assert!(s.failing.get(&lane).is_some_and(|f| *f > 0.05), "{:?}", s.failing);
        s.quarantined.lock().unwrap().insert(source, Instant::now());
        s.running = 1;
        s.finished(("c".into(), None), 4, 0);
        assert!(s.failing.is_empty(), "{:?}", s.failing);
    }
}

