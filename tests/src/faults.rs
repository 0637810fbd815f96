//! Faults a test can switch on for one simulator at run time: added latency, a share of 5xx answers,
//! responses dropped after the write was committed, malformed bodies. Each fault is either a share of
//! all requests (per mille, drawn at random) or a count of the next requests it hits for certain.
//! Beside them, what a test watches at the same place: the requests in flight, and the most there
//! ever were at once, over the whole simulator and per account (whose a request is, as the
//! simulator tells it: the Intacct company it signs in to, say).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The faults of one simulator. Shared by its server and the test that drives it.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
    in_flight: Arc<InFlightGauge>,
    in_flight_by_account: Mutex<BTreeMap<String, Arc<InFlightGauge>>>,
}

/// Requests in flight, and the most there ever were at once.
#[derive(Debug, Default)]
struct InFlightGauge {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl InFlightGauge {
    fn enter(self: &Arc<Self>) -> InFlight {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        InFlight(self.clone())
    }

    fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }

    fn reset_most(&self) {
        self.most
            .store(self.now.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// One request in flight, from its arrival to its answer.
pub struct InFlight(Arc<InFlightGauge>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug, Default, Clone)]
struct FaultState {
    latency: Duration,
    server_error: Fault,
    drop_after_commit: Fault,
    malformed_body: Fault,
}

/// How often one fault hits.
#[derive(Debug, Default, Clone, Copy)]
struct Fault {
    /// Requests out of 1000 that get it.
    per_mille: u16,
    /// The next `next` requests get it for certain.
    next: u32,
}

impl Fault {
    fn hits(&mut self) -> bool {
        if self.next > 0 {
            self.next -= 1;
            return true;
        }
        self.per_mille > 0 && rand::random_range(0..1000u16) < self.per_mille
    }
}

/// What the server does to one request, decided when it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Answer normally.
    Serve,
    /// Answer 503 without running the handler (nothing committed).
    ServerError,
    /// Run the handler (its write commits), then close the connection without an answer.
    DropAfterCommit,
    /// Run the handler, then send a truncated, unparsable body with the handler's status.
    MalformedBody,
}

impl Faults {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `latency` before every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Answers `per_mille` requests out of 1000 with 503.
    pub fn set_server_error_share(&self, per_mille: u16) {
        self.lock().server_error.per_mille = per_mille.min(1000);
    }

    /// The next `count` requests get 503.
    pub fn fail_next(&self, count: u32) {
        self.lock().server_error.next = count;
    }

    /// Drops the answer of `per_mille` requests out of 1000 after their write committed.
    pub fn set_drop_after_commit_share(&self, per_mille: u16) {
        self.lock().drop_after_commit.per_mille = per_mille.min(1000);
    }

    /// The next `count` requests commit, then lose their answer.
    pub fn drop_next_after_commit(&self, count: u32) {
        self.lock().drop_after_commit.next = count;
    }

    /// Sends a malformed body for `per_mille` requests out of 1000.
    pub fn set_malformed_share(&self, per_mille: u16) {
        self.lock().malformed_body.per_mille = per_mille.min(1000);
    }

    /// The next `count` requests get a malformed body.
    pub fn malform_next(&self, count: u32) {
        self.lock().malformed_body.next = count;
    }

    /// Turns every fault off.
    pub fn clear(&self) {
        *self.lock() = FaultState::default();
    }

    pub fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// Counts a request in flight until the guard is dropped.
    pub fn arrived(&self) -> InFlight {
        self.in_flight.enter()
    }

    /// Counts a request of `account` in flight until the guard is dropped.
    pub fn arrived_for(&self, account: &str) -> InFlight {
        self.accounts()
            .entry(account.to_owned())
            .or_default()
            .enter()
    }

    /// The most requests that were in flight at once (latency included).
    pub fn most_in_flight(&self) -> usize {
        self.in_flight.most()
    }

    /// The most requests of `account` that were in flight at once (latency included); 0 when
    /// none came.
    pub fn most_in_flight_for(&self, account: &str) -> usize {
        self.accounts().get(account).map_or(0, |gauge| gauge.most())
    }

    /// Starts counting the most requests in flight at once again from those in flight now, over
    /// the whole simulator and for each account.
    pub fn reset_most_in_flight(&self) {
        self.in_flight.reset_most();
        self.accounts()
            .values()
            .for_each(|gauge| gauge.reset_most());
    }

    /// Decides the fate of the request that just arrived.
    pub fn decide(&self) -> Decision {
        let mut state = self.lock();
        if state.server_error.hits() {
            Decision::ServerError
        } else if state.drop_after_commit.hits() {
            Decision::DropAfterCommit
        } else if state.malformed_body.hits() {
            Decision::MalformedBody
        } else {
            Decision::Serve
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.state.lock().expect("faults lock")
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<InFlightGauge>>> {
        self.in_flight_by_account
            .lock()
            .expect("in-flight gauges lock")
    }
}
