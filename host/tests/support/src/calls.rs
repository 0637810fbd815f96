//! Helpers for tests that call a connector directly: a host clock on a simulator's clock (its
//! sleeps move the simulator forward), the parts of a call report, and typed amounts.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mlc_host::clock::{Clock, SleepFuture};
use mlc_host::types::{Entity, PluginError, VerifyError};
use mlc_host::{CallError, CallReport};
use serde_json::Value;
use simulators::clock::SimClock;

/// The host clock of a test: a simulator's clock, which a plugin's sleep moves forward at once.
pub struct SimTime(pub SimClock);

impl Clock for SimTime {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }

    fn sleep(&self, duration: Duration) -> SleepFuture {
        self.0
            .advance(chrono::Duration::from_std(duration).expect("a short sleep"));
        Box::pin(tokio::task::yield_now())
    }
}

/// The value of a call that must have succeeded.
pub fn ok<T: std::fmt::Debug>(report: &CallReport<T>) -> &T {
    report
        .result
        .as_ref()
        .unwrap_or_else(|error| panic!("the call failed: {error}\n{:#?}", report.http))
}

/// The plugin's error of a call that must have failed with one.
pub fn plugin_error<T: std::fmt::Debug>(report: &CallReport<T>) -> &PluginError {
    match &report.result {
        Err(CallError::Plugin { error, .. }) => error,
        other => panic!("expected a plugin error, got {other:?}"),
    }
}

/// The verify error of a `verify` that must have refused.
pub fn verify_error<T: std::fmt::Debug>(report: &CallReport<T>) -> &VerifyError {
    match &report.result {
        Err(CallError::Verify { error, .. }) => error,
        other => panic!("expected a verify error, got {other:?}"),
    }
}

/// An entity's body as JSON.
pub fn body(entity: &Entity) -> Value {
    serde_json::from_str(&entity.body).unwrap()
}

/// (status, path and query) of each request a call made.
pub fn requests<T>(report: &CallReport<T>) -> Vec<(Option<u16>, String)> {
    report
        .http
        .iter()
        .map(|exchange| {
            let path = exchange.url.splitn(4, '/').nth(3).unwrap_or_default();
            (exchange.status, format!("/{path}"))
        })
        .collect()
}

/// An amount, typed by where it goes (the simulator's `Decimal`).
pub fn dec<T: FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().unwrap()
}
