//! When objects are reconciled, and in what order: each converged object is looked at again one
//! resync interval later with ±10 % jitter (so a thousand objects never resync in the same
//! second), and a gate with two classes of work lets new and changed objects go ahead of resync
//! work, so they never wait behind a sweep however long one takes.
//!
//! The kube-runtime controller runs with unbounded concurrency and this gate does the limiting:
//! kube's own limit keeps due objects in a hash set and takes them in hash order, which starves
//! some objects whenever there is more work than capacity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a reconcile runs, which decides its place in line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A new or changed object, a dependency that moved, work in flight: goes first.
    Urgent,
    /// A converged, unchanged object coming back for its resync: yields to urgent work.
    Resync,
}

/// The resync delay for one object: `interval` ±10 %, so objects spread out over time.
pub fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(rand::random_range(0.9..1.1))
}

/// The first resync delay of an object that was just created or changed: anywhere from half the
/// interval to the interval +10 %. Objects created together (a whole system applied at once, a
/// thousand in a benchmark) would otherwise resync together forever; this spreads them out, and
/// drift is still found within one interval.
pub fn spread(interval: Duration) -> Duration {
    interval.mul_f64(rand::random_range(0.5..1.1))
}

/// What the scheduler remembers of an object after a reconcile that left it converged (or
/// waiting for a person): the fingerprint of what it reconciled, and when the resync is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settled {
    pub fingerprint: u64,
    pub resync_due: Instant,
}

/// The class of a reconcile starting `now`, from what is remembered of the object (`None` after
/// a restart or after work in flight) and whether its status already says it is converged for its
/// current generation.
pub fn classify(settled: Option<Settled>, fingerprint: u64, status_converged: bool, now: Instant) -> Class {
    match settled {
        // Unchanged and back at (or near) its resync time: resync work. Earlier than that, the
        // object was woken on purpose (a dependency changed, a person asked): urgent.
        Some(s) if s.fingerprint == fingerprint => {
            let early = s.resync_due.saturating_duration_since(now);
            if early <= Duration::from_secs(1) { Class::Resync } else { Class::Urgent }
        }
        Some(_) => Class::Urgent,
        // Nothing remembered (a restart, a new leader): converged objects are resync work, the
        // rest (new, changed, mid-flight) is urgent.
        None if status_converged => Class::Resync,
        None => Class::Urgent,
    }
}

/// Remembered [`Settled`] state per object, keyed `Kind/namespace/name`.
#[derive(Debug, Default)]
pub struct Memory {
    settled: Mutex<HashMap<String, Settled>>,
}

impl Memory {
    pub fn get(&self, key: &str) -> Option<Settled> {
        self.lock().get(key).copied()
    }

    pub fn settle(&self, key: &str, settled: Settled) {
        self.lock().insert(key.to_string(), settled);
    }

    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Settled>> {
        self.settled.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// At most `capacity` reconciles at once, of which at most `capacity - 1` resyncs: one place
/// is always left for urgent work, and resyncs wait in arrival order (no starvation).
#[derive(Debug, Clone)]
pub struct Gate {
    all: Arc<Semaphore>,
    resync: Arc<Semaphore>,
}

/// Held while a reconcile runs.
#[derive(Debug)]
pub struct Permit {
    _all: OwnedSemaphorePermit,
    _resync: Option<OwnedSemaphorePermit>,
}

impl Gate {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2);
        Gate { all: Arc::new(Semaphore::new(capacity)), resync: Arc::new(Semaphore::new(capacity - 1)) }
    }

    /// Waits for a place. A resync first queues for one of the resync places and only then for a
    /// place at all, so it never stands in front of urgent work in the second queue. `upgrade` is
    /// polled while a resync waits: when it says the object changed meanwhile, it goes in as urgent.
    pub async fn admit(&self, class: Class, mut upgrade: impl FnMut() -> bool) -> (Permit, Class) {
        let closed = "the gate's semaphores are never closed";
        let (resync, class) = match class {
            Class::Urgent => (None, Class::Urgent),
            Class::Resync => loop {
                tokio::select! {
                    permit = self.resync.clone().acquire_owned() => break (Some(permit.expect(closed)), Class::Resync),
                    () = tokio::time::sleep(Duration::from_millis(500)) => if upgrade() { break (None, Class::Urgent) },
                }
            },
        };
        let all = self.all.clone().acquire_owned().await.expect(closed);
        (Permit { _all: all, _resync: resync }, class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_ten_percent_and_spreads() {
        let interval = Duration::from_secs(600);
        let samples: Vec<Duration> = (0..200).map(|_| jittered(interval)).collect();
        assert!(samples.iter().all(|d| *d >= Duration::from_secs(540) && *d <= Duration::from_secs(660)));
        let distinct: std::collections::BTreeSet<_> = samples.iter().map(|d| d.as_secs()).collect();
        assert!(distinct.len() > 20, "resyncs spread over the window: {distinct:?}");
    }

    #[test]
    fn new_work_spreads_its_first_resync_over_half_an_interval() {
        let interval = Duration::from_secs(600);
        let samples: Vec<Duration> = (0..400).map(|_| spread(interval)).collect();
        assert!(samples.iter().all(|d| *d >= Duration::from_secs(300) && *d <= Duration::from_secs(660)));
        assert!(samples.iter().any(|d| *d < Duration::from_secs(400)), "reaches well below the interval");
    }

    #[test]
    fn classes() {
        let now = Instant::now();
        let due_now = Settled { fingerprint: 7, resync_due: now };
        let due_later = Settled { fingerprint: 7, resync_due: now + Duration::from_secs(60) };
        assert_eq!(classify(Some(due_now), 7, true, now), Class::Resync);
        assert_eq!(classify(Some(due_later), 7, true, now), Class::Urgent, "woken early on purpose");
        assert_eq!(classify(Some(due_now), 8, true, now), Class::Urgent, "changed");
        assert_eq!(classify(None, 7, true, now), Class::Resync, "converged, seen after a restart");
        assert_eq!(classify(None, 7, false, now), Class::Urgent, "new or in flight");
    }

    #[tokio::test(start_paused = true)]
    async fn urgent_work_never_waits_behind_resyncs() {
        let gate = Gate::new(3);
        // Resyncs take every place they may take (2 of 3), and more queue behind them.
        let (a, _) = gate.admit(Class::Resync, || false).await;
        let (b, _) = gate.admit(Class::Resync, || false).await;
        let queued = tokio::spawn({
            let gate = gate.clone();
            async move { gate.admit(Class::Resync, || false).await.1 }
        });
        tokio::task::yield_now().await;
        // The urgent one gets the place left at once.
        let urgent = tokio::time::timeout(Duration::from_millis(10), gate.admit(Class::Urgent, || false)).await;
        assert!(urgent.is_ok(), "urgent work waited behind resyncs");
        assert!(!queued.is_finished(), "a third resync must wait");
        drop((a, b));
        assert_eq!(queued.await.expect("joined"), Class::Resync);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_resync_whose_object_changed_goes_in_as_urgent() {
        let gate = Gate::new(2);
        let (_held, _) = gate.admit(Class::Resync, || false).await;
        let (_permit, class) = gate.admit(Class::Resync, || true).await;
        assert_eq!(class, Class::Urgent);
    }
}
