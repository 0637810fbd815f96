//! A fixed-window request limiter per key on the simulator clock: the first request of a key opens a
//! window of `window` length that admits `limit` requests; the next request after it ends opens a new one.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::clock::SimClock;

/// What the limiter said about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests left in the current window after this one.
    pub remaining: u32,
    /// Whole seconds until the current window ends (at least 1).
    pub reset_secs: i64,
}

/// Fixed windows per key.
#[derive(Debug)]
pub struct RateWindow {
    limit: u32,
    window: Duration,
    clock: SimClock,
    windows: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

impl RateWindow {
    pub fn new(limit: u32, window: Duration, clock: SimClock) -> Self {
        Self {
            limit,
            window,
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `key` and says whether it is admitted.
    pub fn hit(&self, key: &str) -> RateDecision {
        let now = self.clock.now();
        let mut windows = self.windows.lock().expect("rate window lock");
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now >= entry.0 + self.window || now < entry.0 {
            *entry = (now, 0);
        }
        let allowed = entry.1 < self.limit;
        if allowed {
            entry.1 += 1;
        }
        let left_ms = (entry.0 + self.window - now).num_milliseconds();
        RateDecision {
            allowed,
            limit: self.limit,
            remaining: self.limit - entry.1,
            reset_secs: ((left_ms + 999) / 1000).max(1),
        }
    }
}
