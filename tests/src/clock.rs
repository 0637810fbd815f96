//! The simulators' clock: real time plus an offset that tests move forward, or a frozen instant that
//! only moves when told. Session expiry, token expiry, rate-limit windows and poll intervals all read
//! this clock, so tests never sleep.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A clock shared by one simulator's handlers. Cloning shares the same time.
#[derive(Clone, Debug)]
pub struct SimClock {
    inner: Arc<Mutex<Mode>>,
}

#[derive(Debug)]
enum Mode {
    /// Wall-clock time shifted by `offset`.
    Real { offset: Duration },
    /// A fixed instant that moves only with `advance` or `set`.
    Frozen { at: DateTime<Utc> },
}

impl SimClock {
    /// Follows the system clock; `advance` adds to it.
    pub fn real() -> Self {
        Self::with(Mode::Real {
            offset: Duration::zero(),
        })
    }

    /// Stands still at `at` until moved.
    pub fn frozen(at: DateTime<Utc>) -> Self {
        Self::with(Mode::Frozen { at })
    }

    fn with(mode: Mode) -> Self {
        Self {
            inner: Arc::new(Mutex::new(mode)),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.inner.lock().expect("clock lock") {
            Mode::Real { offset } => Utc::now() + *offset,
            Mode::Frozen { at } => *at,
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        match &mut *self.inner.lock().expect("clock lock") {
            Mode::Real { offset } => *offset += by,
            Mode::Frozen { at } => *at += by,
        }
    }

    /// Puts the clock at `at`; a real clock keeps running from there.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut mode = self.inner.lock().expect("clock lock");
        match &mut *mode {
            Mode::Real { offset } => *offset = at - Utc::now(),
            Mode::Frozen { at: current } => *current = at,
        }
    }
}
