//! The GraphQL Admin leaky bucket of one app on one store, on the simulator clock: `maximum` points,
//! refilled at `restore_rate` points per second. Points are kept in thousandths so refills are exact.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Size and refill rate of the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketConfig {
    pub maximum: u64,
    /// Points restored per second.
    pub restore_rate: u64,
}

impl Default for BucketConfig {
    fn default() -> Self {
        Self {
            maximum: 1000,
            restore_rate: 50,
        }
    }
}

#[derive(Debug)]
pub struct Bucket {
    config: BucketConfig,
    available_milli: u64,
    at: DateTime<Utc>,
}

impl Bucket {
    /// A full bucket.
    pub fn new(config: BucketConfig, now: DateTime<Utc>) -> Self {
        Self {
            config,
            available_milli: config.maximum * 1000,
            at: now,
        }
    }

    pub fn maximum(&self) -> u64 {
        self.config.maximum
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        let elapsed_ms = u64::try_from((now - self.at).num_milliseconds()).unwrap_or(0);
        self.available_milli = (self.available_milli + elapsed_ms * self.config.restore_rate)
            .min(self.config.maximum * 1000);
        self.at = self.at.max(now);
    }

    /// Takes `points` if that many are available now.
    pub fn take(&mut self, points: u64, now: DateTime<Utc>) -> bool {
        self.refill(now);
        let wanted = points * 1000;
        let enough = wanted <= self.available_milli;
        if enough {
            self.available_milli -= wanted;
        }
        enough
    }

    /// Returns points taken but not used.
    pub fn give_back(&mut self, points: u64) {
        self.available_milli =
            (self.available_milli + points * 1000).min(self.config.maximum * 1000);
    }

    /// Drains the bucket (for tests that need it empty at once).
    pub fn drain(&mut self, now: DateTime<Utc>) {
        self.refill(now);
        self.available_milli = 0;
    }

    /// `throttleStatus` as Shopify reports it.
    pub fn status(&self) -> Value {
        json!({
            "maximumAvailable": self.config.maximum,
            "currentlyAvailable": self.available_milli / 1000,
            "restoreRate": self.config.restore_rate,
        })
    }
}
