//! The GraphQL Admin API's leaky bucket. Every answer carries `extensions.cost`: the points the
//! query asked for and `throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}`. A
//! throttled query (`THROTTLED`, in a 200 or a 429) is sent again after waiting, on the host
//! clock, until the bucket holds what it asked for: `(requested − available) / restoreRate`
//! seconds, rounded up to the millisecond. Points are read as decimals (Shopify sends `1000.0`).
//!
//! One call waits at most [`MAX_TOTAL_WAIT_MS`] in all and [`MAX_WAITS`] times; past that the
//! call ends `RateLimited` with the wait still needed, so the host retries it later instead of the
//! call running out of its wall-clock budget.

use std::time::Duration;

use ml_connector_sdk::PluginError;
use ml_connector_sdk::money::{self, Decimal};
use serde::Deserialize;
use serde_json::Value;

/// The longest one call waits for the bucket, in all.
pub const MAX_TOTAL_WAIT_MS: u64 = 45_000;
/// The most throttled answers one call waits out.
const MAX_WAITS: u32 = 20;
/// The wait when a throttled answer says nothing usable about the bucket.
const DEFAULT_WAIT_MS: u64 = 1_000;

/// `extensions.cost` of an answer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    requested_query_cost: Option<Value>,
    throttle_status: Option<ThrottleStatus>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThrottleStatus {
    maximum_available: Value,
    currently_available: Value,
    restore_rate: Value,
}

impl Cost {
    /// How long until the bucket holds the requested points; `None` when the answer does not say.
    /// A query that asks for more than the bucket can ever hold is `Rejected`.
    pub fn wait(&self) -> Result<Option<Duration>, PluginError> {
        let (Some(requested), Some(status)) = (&self.requested_query_cost, &self.throttle_status)
        else {
            return Ok(None);
        };
        let requested = money::from_json(requested)?;
        let maximum = money::from_json(&status.maximum_available)?;
        let available = money::from_json(&status.currently_available)?;
        let rate = money::from_json(&status.restore_rate)?;
        if requested > maximum {
            return Err(PluginError::rejected_with_code(
                "MAX_COST_EXCEEDED",
                format!("the query costs {requested} points; the bucket holds {maximum}"),
            ));
        }
        if rate <= Decimal::ZERO {
            return Ok(None);
        }
        let missing = (requested - available).max(Decimal::ZERO);
        let milliseconds = (missing * Decimal::ONE_THOUSAND / rate).ceil();
        Ok(Some(Duration::from_millis(
            u64::try_from(milliseconds).unwrap_or(MAX_TOTAL_WAIT_MS),
        )))
    }
}

/// The waits of one call.
#[derive(Debug, Default)]
pub struct Waits {
    waited: Duration,
    count: u32,
}

impl Waits {
    /// The wait before sending a throttled query again: `wait`, or [`DEFAULT_WAIT_MS`] when the
    /// answer said nothing; `RateLimited` when it would go past this call's allowance.
    pub fn next(&mut self, wait: Option<Duration>) -> Result<Duration, PluginError> {
        let wait = wait.unwrap_or(Duration::from_millis(DEFAULT_WAIT_MS));
        let total = self.waited + wait;
        if self.count >= MAX_WAITS || total > Duration::from_millis(MAX_TOTAL_WAIT_MS) {
            return Err(PluginError::RateLimited {
                retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                message: format!(
                    "Shopify throttled the query; already waited {} ms over {} answers in this call",
                    self.waited.as_millis(),
                    self.count
                ),
            });
        }
        self.waited = total;
        self.count += 1;
        Ok(wait)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cost(value: Value) -> Cost {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn waits_until_the_bucket_refills_to_the_requested_cost() {
        let throttled = cost(json!({
            "requestedQueryCost": 803, "actualQueryCost": null,
            "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 197, "restoreRate": 50}
        }));
        assert_eq!(
            throttled.wait().unwrap(),
            Some(Duration::from_millis(12_120))
        );
        let fractional = cost(json!({
            "requestedQueryCost": 101,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 100, "restoreRate": 3.0}
        }));
        assert_eq!(fractional.wait().unwrap(), Some(Duration::from_millis(334)));
        let enough = cost(json!({
            "requestedQueryCost": 10,
            "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 990, "restoreRate": 50}
        }));
        assert_eq!(enough.wait().unwrap(), Some(Duration::ZERO));
    }

    #[test]
    fn unknown_or_impossible_costs() {
        assert_eq!(Cost::default().wait().unwrap(), None);
        let too_big = cost(json!({
            "requestedQueryCost": 1200,
            "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 1000, "restoreRate": 50}
        }));
        assert!(matches!(too_big.wait(), Err(PluginError::Rejected { .. })));
    }

    #[test]
    fn a_call_waits_within_its_allowance() {
        let mut waits = Waits::default();
        assert_eq!(
            waits.next(Some(Duration::from_secs(20))).unwrap(),
            Duration::from_secs(20)
        );
        assert_eq!(waits.next(None).unwrap(), Duration::from_secs(1));
        assert_eq!(
            waits.next(Some(Duration::from_secs(24))).unwrap(),
            Duration::from_secs(24)
        );
        assert_eq!(
            waits.next(Some(Duration::from_millis(1))),
            Err(PluginError::RateLimited {
                retry_after_ms: 1,
                message: "Shopify throttled the query; already waited 45000 ms over 3 answers in this call".into()
            })
        );
    }
}
