//! ShipStation's rate limits, kept so that steady state never sees a 429.
//!
//! V1 allows 40 requests a minute per API key and says where the key stands on every answer:
//! `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (seconds until the
//! window resets). The last answer's figures are kept in plugin storage as a [`Window`]
//! (`rate/v1`; V2 has its own, `rate/v2`), so successive calls, and calls running at once, share
//! them. Before each request ([`plan`]):
//!
//! | the stored window | what happens |
//! | --- | --- |
//! | none, or its reset has passed | send |
//! | more than a quarter of the limit left | send |
//! | a quarter or less left (`r` requests, `t` until the reset) | wait `t / (r + 1)`, then send: the rest of the window is spread evenly, so a burst never waits a whole minute in one go |
//! | none left | wait until the reset |
//!
//! Every wait is on the host clock ([`ml_connector_sdk::clock::sleep`]). A request about to be sent
//! takes its slot first (the stored `remaining` goes down by one, compare-and-swap), so calls
//! running at once do not spend the same slot. Each answer's headers then replace the stored
//! figures, keeping the lower `remaining` while the window is the same one ([`merge`]).
//!
//! A 429 that comes anyway (another application spending the same key, or a lost race) marks the
//! window spent until `Retry-After`, else `X-Rate-Limit-Reset`, else 60 s, and the request is sent
//! again after that wait, at most [`MAX_THROTTLED`] times. One plugin call waits at most
//! [`MAX_TOTAL_WAIT_MS`] in all (the host gives a call 60 s by default): a wait beyond that ends the
//! call `RateLimited` with the wait still needed, so the host retries the event later.
//!
//! The window is per connection (the host's storage namespace): two connections sharing one API
//! key each keep their own figures, and the 429 handling covers the difference.

use std::time::Duration;

use ml_connector_sdk::chrono::{DateTime, TimeDelta, Utc};
use ml_connector_sdk::http::find_header;
use ml_connector_sdk::{PluginError, clock, log, storage};
use serde::{Deserialize, Serialize};

/// The longest one call waits for the rate limit, in all.
pub const MAX_TOTAL_WAIT_MS: u64 = 45_000;
/// How many 429s one request is sent again after.
pub const MAX_THROTTLED: u32 = 3;
/// The wait after a 429 that says nothing about when to come back.
const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(60);
/// Two reset times this close belong to the same window (resets are whole seconds, rounded up).
const SAME_WINDOW_SECONDS: i64 = 2;
/// Attempts to take a slot when other calls keep changing the window.
const RESERVE_ATTEMPTS: u32 = 8;

/// Which API's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    V1,
    V2,
}

impl Api {
    fn storage_key(self) -> &'static str {
        match self {
            Self::V1 => "rate/v1",
            Self::V2 => "rate/v2",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::V1 => "V1",
            Self::V2 => "V2",
        }
    }
}

/// Where the key stands in the current rate window, as the last answer said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub limit: u32,
    pub remaining: u32,
    /// When the window resets, on the host clock.
    pub resets_at: DateTime<Utc>,
}

impl Window {
    /// The window an answer's `X-Rate-Limit-*` headers describe, seen at `now`.
    pub fn from_headers(headers: &[(String, String)], now: DateTime<Utc>) -> Option<Self> {
        let number = |name: &str| find_header(headers, name)?.trim().parse::<i64>().ok();
        let limit = u32::try_from(number("x-rate-limit-limit")?).ok()?;
        let remaining = u32::try_from(number("x-rate-limit-remaining")?.max(0)).ok()?;
        let reset = number("x-rate-limit-reset")?.max(0);
        Some(Self {
            limit,
            remaining,
            resets_at: now + TimeDelta::seconds(reset),
        })
    }

    fn is_current(&self, now: DateTime<Utc>) -> bool {
        now < self.resets_at
    }
}

/// What to do before a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Send,
    Wait(Duration),
}

/// The decision in the module doc's table.
pub fn plan(window: Option<&Window>, now: DateTime<Utc>) -> Plan {
    let Some(window) = window.filter(|window| window.is_current(now)) else {
        return Plan::Send;
    };
    let left = (window.resets_at - now).to_std().unwrap_or_default();
    if window.remaining == 0 {
        return Plan::Wait(left);
    }
    if window.remaining > (window.limit / 4).max(1) {
        return Plan::Send;
    }
    Plan::Wait(left / (window.remaining + 1))
}

/// The window after an answer `seen` at `now`: the answer's figures, keeping the stored lower
/// `remaining` while both describe the same window (slots taken by requests still in flight).
pub fn merge(stored: Option<&Window>, seen: Window, now: DateTime<Utc>) -> Window {
    match stored {
        Some(stored)
            if stored.is_current(now)
                && (stored.resets_at - seen.resets_at).num_seconds().abs()
                    <= SAME_WINDOW_SECONDS =>
        {
            Window {
                remaining: seen.remaining.min(stored.remaining),
                ..seen
            }
        }
        _ => seen,
    }
}

/// The waits of one plugin call, within its allowance.
#[derive(Debug, Default)]
pub struct Waits {
    waited: Duration,
}

impl Waits {
    /// Sleeps `wait` on the host clock, or ends the call `RateLimited` when that would go past its
    /// allowance.
    pub fn wait(&mut self, api: Api, wait: Duration, why: &str) -> Result<(), PluginError> {
        let total = self.waited + wait;
        if total > Duration::from_millis(MAX_TOTAL_WAIT_MS) {
            return Err(PluginError::RateLimited {
                retry_after_ms: millis(wait),
                message: format!(
                    "ShipStation's {} rate limit needs a wait of {} ms ({why}); this call already \
                     waited {} ms",
                    api.name(),
                    millis(wait),
                    millis(self.waited)
                ),
            });
        }
        self.waited = total;
        if !wait.is_zero() {
            log::info(
                "waiting for ShipStation's rate limit",
                &[
                    ("api", api.name()),
                    ("wait_ms", &millis(wait).to_string()),
                    ("why", why),
                ],
            );
            clock::sleep(wait);
        }
        Ok(())
    }

    #[cfg(test)]
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

/// Waits until the stored window lets a request go, then takes its slot. When other calls keep
/// changing the window first, the request goes after [`RESERVE_ATTEMPTS`] tries anyway: a 429
/// would be waited out.
pub fn before_request(api: Api, waits: &mut Waits) -> Result<(), PluginError> {
    for _ in 0..RESERVE_ATTEMPTS {
        let stored: Option<Window> = storage::get_json(api.storage_key())?;
        let spent = stored.as_ref().is_some_and(|window| window.remaining == 0);
        if let Plan::Wait(wait) = plan(stored.as_ref(), clock::now()) {
            let why = match spent {
                true => "the window is spent",
                false => "spreading the window's last requests",
            };
            waits.wait(api, wait, why)?;
            if spent {
                continue;
            }
        }
        if reserve(api, stored)? {
            return Ok(());
        }
    }
    log::debug(
        "other calls kept changing the rate window; sending anyway",
        &[("api", api.name())],
    );
    Ok(())
}

/// Takes one slot of the stored window when it is current; `false` when another call changed the
/// window first.
fn reserve(api: Api, stored: Option<Window>) -> Result<bool, PluginError> {
    let now = clock::now();
    let Some(window) = stored.filter(|window| window.is_current(now) && window.remaining > 0)
    else {
        return Ok(true);
    };
    let taken = Window {
        remaining: window.remaining - 1,
        ..window.clone()
    };
    storage::compare_and_swap_json(api.storage_key(), Some(&window), Some(&taken))
}

/// The stored window, while it is current.
pub fn current(api: Api) -> Result<Option<Window>, PluginError> {
    let stored: Option<Window> = storage::get_json(api.storage_key())?;
    Ok(stored.filter(|window| window.is_current(clock::now())))
}

/// Records what an answer's headers say about the window.
pub fn after_response(api: Api, headers: &[(String, String)]) -> Result<(), PluginError> {
    let now = clock::now();
    let Some(seen) = Window::from_headers(headers, now) else {
        return Ok(());
    };
    let stored: Option<Window> = storage::get_json(api.storage_key())?;
    storage::set_json(api.storage_key(), &merge(stored.as_ref(), seen, now))
}

/// Marks the window spent after a 429 and returns how long until it resets: `retry_after`, else
/// the answer's `X-Rate-Limit-Reset`, else 60 s.
pub fn after_throttled(
    api: Api,
    headers: &[(String, String)],
    retry_after: Option<Duration>,
) -> Result<Duration, PluginError> {
    let now = clock::now();
    let seen = Window::from_headers(headers, now);
    let wait = retry_after
        .or_else(|| {
            seen.as_ref()
                .and_then(|window| (window.resets_at - now).to_std().ok())
        })
        .unwrap_or(DEFAULT_THROTTLE_WAIT);
    let stored: Option<Window> = storage::get_json(api.storage_key())?;
    let limit = seen
        .map(|window| window.limit)
        .or(stored.map(|window| window.limit))
        .unwrap_or(0);
    let spent = Window {
        limit,
        remaining: 0,
        resets_at: now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::seconds(60)),
    };
    storage::set_json(api.storage_key(), &spent)?;
    Ok(wait)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    const NOW: &str = "2024-11-20T18:00:00Z";

    fn now() -> DateTime<Utc> {
        NOW.parse().unwrap()
    }

    fn window(remaining: u32, reset_secs: i64) -> Window {
        Window {
            limit: 40,
            remaining,
            resets_at: now() + TimeDelta::seconds(reset_secs),
        }
    }

    fn headers(limit: &str, remaining: &str, reset: &str) -> Vec<(String, String)> {
        vec![
            ("X-Rate-Limit-Limit".into(), limit.into()),
            ("X-Rate-Limit-Remaining".into(), remaining.into()),
            ("X-Rate-Limit-Reset".into(), reset.into()),
        ]
    }

    #[test]
    fn plans_send_pace_or_wait_for_the_reset() {
        assert_eq!(plan(None, now()), Plan::Send);
        assert_eq!(plan(Some(&window(39, 60)), now()), Plan::Send);
        assert_eq!(plan(Some(&window(11, 60)), now()), Plan::Send);
        assert_eq!(
            plan(Some(&window(10, 55)), now()),
            Plan::Wait(Duration::from_secs(5)),
            "the last quarter is spread over what is left: 55 s / 11"
        );
        assert_eq!(
            plan(Some(&window(1, 30)), now()),
            Plan::Wait(Duration::from_secs(15))
        );
        assert_eq!(
            plan(Some(&window(0, 42)), now()),
            Plan::Wait(Duration::from_secs(42))
        );
        assert_eq!(
            plan(Some(&window(0, 0)), now()),
            Plan::Send,
            "a window whose reset has passed is over"
        );
        let tiny = Window {
            limit: 2,
            remaining: 1,
            resets_at: now() + TimeDelta::seconds(10),
        };
        assert_eq!(plan(Some(&tiny), now()), Plan::Wait(Duration::from_secs(5)));
    }

    #[test]
    fn headers_describe_the_window() {
        assert_eq!(
            Window::from_headers(&headers("40", "38", "57"), now()),
            Some(window(38, 57))
        );
        assert_eq!(Window::from_headers(&headers("40", "x", "57"), now()), None);
        assert_eq!(Window::from_headers(&[], now()), None);
    }

    #[test]
    fn merging_keeps_slots_taken_in_the_same_window() {
        let stored = window(20, 60);
        assert_eq!(merge(Some(&stored), window(25, 59), now()), window(20, 59));
        assert_eq!(merge(Some(&stored), window(15, 61), now()), window(15, 61));
        assert_eq!(
            merge(Some(&stored), window(39, 120), now()),
            window(39, 120),
            "a new window"
        );
        let expired = window(3, -1);
        assert_eq!(merge(Some(&expired), window(39, 60), now()), window(39, 60));
        assert_eq!(merge(None, window(39, 60), now()), window(39, 60));
    }

    #[test]
    fn a_call_waits_within_its_allowance() {
        testing::reset();
        testing::set_now(now());
        let mut waits = Waits::default();
        waits
            .wait(Api::V1, Duration::from_secs(40), "test")
            .unwrap();
        assert_eq!(
            ml_connector_sdk::clock::now(),
            now() + TimeDelta::seconds(40)
        );
        waits.wait(Api::V1, Duration::from_secs(5), "test").unwrap();
        assert_eq!(
            waits.wait(Api::V1, Duration::from_millis(1), "the window is spent"),
            Err(PluginError::RateLimited {
                retry_after_ms: 1,
                message: "ShipStation's V1 rate limit needs a wait of 1 ms (the window is spent); \
                          this call already waited 45000 ms"
                    .into()
            })
        );
        assert_eq!(waits.waited(), Duration::from_secs(45));
    }

    #[test]
    fn stored_windows_are_shared_and_slots_taken() {
        testing::reset();
        testing::set_now(now());
        let mut waits = Waits::default();
        before_request(Api::V1, &mut waits).unwrap();
        assert!(testing::storage().is_empty(), "nothing known yet");
        after_response(Api::V1, &headers("40", "11", "50")).unwrap();
        before_request(Api::V1, &mut waits).unwrap();
        let stored: Window = serde_json::from_slice(&testing::storage()["rate/v1"]).unwrap();
        assert_eq!(stored, window(10, 50), "a slot taken, nothing waited");
        assert_eq!(waits.waited(), Duration::ZERO);

        before_request(Api::V1, &mut waits).unwrap();
        assert_eq!(waits.waited(), Duration::from_secs(50) / 11);

        let wait = after_throttled(Api::V1, &headers("40", "0", "30"), None).unwrap();
        assert_eq!(wait, Duration::from_secs(30));
        let before = ml_connector_sdk::clock::now();
        before_request(Api::V2, &mut waits).unwrap();
        assert_eq!(
            ml_connector_sdk::clock::now(),
            before,
            "V2 has its own window"
        );
        before_request(Api::V1, &mut waits).unwrap();
        assert_eq!(
            ml_connector_sdk::clock::now() - before,
            TimeDelta::seconds(30),
            "a spent window is waited out"
        );
        let retry = after_throttled(Api::V2, &[], Some(Duration::from_secs(7))).unwrap();
        assert_eq!(retry, Duration::from_secs(7));
    }

    #[test]
    fn a_slot_another_call_took_first_is_not_taken_twice() {
        testing::reset();
        testing::set_now(now());
        after_response(Api::V1, &headers("40", "20", "60")).unwrap();
        let stale = window(21, 60);
        assert!(
            !reserve(Api::V1, Some(stale)).unwrap(),
            "the window changed since"
        );
        assert!(reserve(Api::V1, Some(window(20, 60))).unwrap());
        let stored: Window = serde_json::from_slice(&testing::storage()["rate/v1"]).unwrap();
        assert_eq!(stored.remaining, 19);
        assert!(
            reserve(Api::V1, None).unwrap(),
            "nothing known: nothing to take"
        );
    }
}
