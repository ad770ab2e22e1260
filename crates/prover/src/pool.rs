//! Proving many proofs: a fixed set of workers and a bound on jobs in flight.
//!
//! A job is in flight from the moment it is handed to a worker until the caller has consumed its
//! result, so at most `max_in_flight` witnesses and proofs exist at once however long the job list
//! is, and a slow consumer (writing files, a network) slows the producers instead of piling results
//! up. A failed job is reported like any other and does not stop the rest.

use std::sync::mpsc;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How many workers run jobs, and how many jobs may be in flight at once.
#[derive(Clone, Copy, Debug)]
pub struct PoolConfig {
    /// Worker threads. Each proof is itself parallel, so a few workers saturate a machine.
    pub workers: usize,
    /// Jobs between dispatch and the consumption of their result.
    pub max_in_flight: usize,
}

impl PoolConfig {
    /// `workers` threads (at least one), with as many jobs in flight.
    pub fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        PoolConfig { workers, max_in_flight: workers }
    }
}

/// One job's result, in the order jobs finish.
#[derive(Debug)]
pub struct JobResult<O, E> {
    /// The job's position in the item list, from 0.
    pub index: usize,
    /// What `work` returned for it.
    pub outcome: Result<O, E>,
    /// Time `work` took on its worker, waiting for a slot or a worker excluded.
    pub elapsed: Duration,
}

/// What the pool observed over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Jobs whose work returned `Ok`.
    pub completed: usize,
    /// Jobs whose work returned `Err`.
    pub failed: usize,
    /// The most jobs ever in flight at once; never above `max_in_flight`.
    pub peak_in_flight: usize,
}

/// A counting semaphore that also records its peak use.
struct Slots {
    state: Mutex<(usize, usize)>, // (in flight, peak)
    freed: Condvar,
    max: usize,
}

impl Slots {
    fn acquire(&self) {
        let mut s = self.state.lock().expect("slots lock");
        while s.0 >= self.max {
            s = self.freed.wait(s).expect("slots lock");
        }
        s.0 += 1;
        s.1 = s.1.max(s.0);
    }

    fn release(&self) {
        let mut s = self.state.lock().expect("slots lock");
        s.0 -= 1;
        self.freed.notify_one();
    }

    fn peak(&self) -> usize {
        self.state.lock().expect("slots lock").1
    }
}

/// Runs `work` on every item with `config.workers` threads, calling `on_result` on this thread
/// for each result as it arrives.
pub fn run<T, O, E, W, R>(config: PoolConfig, items: impl IntoIterator<Item = T> + Send, work: W, mut on_result: R) -> PoolStats
where
    T: Send,
    O: Send,
    E: Send,
    W: Fn(T) -> Result<O, E> + Sync,
    R: FnMut(JobResult<O, E>),
{
    let max = config.max_in_flight.max(1);
    let slots = Slots { state: Mutex::new((0, 0)), freed: Condvar::new(), max };
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, T)>(0);
    let job_rx = Mutex::new(job_rx);
    let (result_tx, result_rx) = mpsc::channel::<JobResult<O, E>>();
    let mut stats = PoolStats::default();

    std::thread::scope(|scope| {
        let slots = &slots;
        scope.spawn(move || {
            for (index, item) in items.into_iter().enumerate() {
                slots.acquire();
                if job_tx.send((index, item)).is_err() {
                    break;
                }
            }
        });
        for _ in 0..config.workers.max(1) {
            let (job_rx, result_tx, work) = (&job_rx, result_tx.clone(), &work);
            scope.spawn(move || loop {
                let next = job_rx.lock().expect("job queue lock").recv();
                let Ok((index, item)) = next else { break };
                let start = Instant::now();
                let outcome = work(item);
                if result_tx.send(JobResult { index, outcome, elapsed: start.elapsed() }).is_err() {
                    break;
                }
            });
        }
        drop(result_tx);
        for result in result_rx {
            if result.outcome.is_ok() {
                stats.completed += 1;
            } else {
                stats.failed += 1;
            }
            on_result(result);
            slots.release();
        }
    });
    stats.peak_in_flight = slots.peak();
    stats
}
