//! How an attempt ends, decided from the typed error alone: transient trouble, a timeout and
//! refused credentials are retried with exponential backoff and jitter; a rate limit waits at
//! least as long as the remote system asked; `needs-review` is held for a person; a rejection or a
//! plugin fault (trap, panic, endless loop, memory, a malformed answer) fails at once, since
//! running the same plugin on the same data again would fail the same way. Out of attempts, the
//! last error fails the event. The host's own errors go by their [`HostErrorKind`]: a mistake in
//! the configuration or the plugins installed is held for review (nothing changes until a person
//! fixes it), and a lack of capacity (the instance pool full, a lane stopping) is deferred a moment
//! without using up a retry.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::bindings::types::PluginError;
use crate::config::RetryPolicy;
use crate::error::{CallError, HostErrorKind, SandboxStop};
use crate::flow::inbox::Finish;

/// The end of an attempt that did not succeed. `tries` counts this attempt.
pub(crate) fn after_error(
    error: &CallError,
    tries: u32,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Finish {
    let text = error.to_string();
    let wait = match error {
        CallError::Plugin { error, .. } => match error {
            PluginError::Transient(_) | PluginError::Auth(_) => backoff(policy, tries),
            PluginError::RateLimited(limit) => {
                Duration::from_millis(limit.retry_after_ms).max(backoff(policy, 1))
            }
            PluginError::NeedsReview(reason) => {
                return Finish::Review {
                    reason: reason.clone(),
                };
            }
            PluginError::Rejected(_) => return Finish::Failed { error: text },
        },
        CallError::Sandbox {
            stop: SandboxStop::WallTimeout { .. },
            ..
        } => backoff(policy, tries),
        CallError::Sandbox { .. } | CallError::Verify { .. } => {
            return Finish::Failed { error: text };
        }
        CallError::Host(host) => match host.kind() {
            HostErrorKind::Config => return Finish::Review { reason: text },
            HostErrorKind::Capacity => {
                return Finish::Defer {
                    at: later(now, jitter(CAPACITY_WAIT)),
                    reason: text,
                };
            }
            HostErrorKind::PluginFault => return Finish::Failed { error: text },
        },
    };
    if tries >= policy.max_attempts {
        return Finish::Failed {
            error: format!("gave up after {tries} attempts; the last: {text}"),
        };
    }
    Finish::Retry {
        at: later(now, wait),
        error: text,
    }
}

/// How long an event waits for the host's capacity to come back (before jitter).
const CAPACITY_WAIT: Duration = Duration::from_millis(200);

/// `now` plus `wait`, saturating.
pub(crate) fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

/// `base · 2^(tries-1)`, capped at `max`, then a random point in its upper half ("equal
/// jitter"), so a burst of failures does not come back as one burst.
fn backoff(policy: &RetryPolicy, tries: u32) -> Duration {
    let doublings = tries.saturating_sub(1).min(30);
    jitter(policy.base.saturating_mul(1 << doublings).min(policy.max))
}

/// A random point in the upper half of `full`.
fn jitter(full: Duration) -> Duration {
    let half = full / 2;
    half + rand::rng().random_range(Duration::ZERO..=half)
}

/// The worst of several command errors: a rejection over a review over a retryable failure.
pub(crate) fn worst(errors: impl IntoIterator<Item = PluginError>) -> Option<PluginError> {
    errors.into_iter().max_by_key(|error| match error {
        PluginError::Rejected(_) => 3,
        PluginError::NeedsReview(_) => 2,
        PluginError::Auth(_) => 1,
        PluginError::RateLimited(_) | PluginError::Transient(_) => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::types::{RateLimit, Rejection};
    use crate::error::HostError;
    use crate::world::World;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        base: Duration::from_secs(2),
        max: Duration::from_secs(60),
    };

    fn plugin(error: PluginError) -> CallError {
        CallError::Plugin {
            plugin: "p".into(),
            error,
        }
    }

    fn wait(finish: &Finish, now: DateTime<Utc>) -> Duration {
        match finish {
            Finish::Retry { at, .. } => (*at - now).to_std().unwrap(),
            other => panic!("expected a retry, got {other:?}"),
        }
    }

    #[test]
    fn transient_errors_back_off_exponentially_with_jitter_then_fail() {
        let now = Utc::now();
        let error = plugin(PluginError::Transient("503".into()));
        let first = wait(&after_error(&error, 1, &POLICY, now), now);
        assert!((Duration::from_secs(1)..=Duration::from_secs(2)).contains(&first));
        let second = wait(&after_error(&error, 2, &POLICY, now), now);
        assert!((Duration::from_secs(2)..=Duration::from_secs(4)).contains(&second));
        assert!(matches!(
            after_error(&error, 3, &POLICY, now),
            Finish::Failed { error } if error.starts_with("gave up after 3 attempts")
        ));
    }

    #[test]
    fn rate_limits_wait_as_asked_and_rejections_fail_at_once() {
        let now = Utc::now();
        let limited = plugin(PluginError::RateLimited(RateLimit {
            retry_after_ms: 30_000,
            message: "slow down".into(),
        }));
        assert!(wait(&after_error(&limited, 1, &POLICY, now), now) >= Duration::from_secs(30));
        let rejected = plugin(PluginError::Rejected(Rejection {
            code: Some("BL01".into()),
            message: "bad account".into(),
        }));
        assert!(matches!(
            after_error(&rejected, 1, &POLICY, now),
            Finish::Failed { error } if error.contains("BL01") && error.contains("bad account")
        ));
        assert_eq!(
            after_error(
                &plugin(PluginError::NeedsReview("no order".into())),
                1,
                &POLICY,
                now
            ),
            Finish::Review {
                reason: "no order".into()
            }
        );
    }

    #[test]
    fn config_mistakes_are_held_for_review_at_once_with_the_fix() {
        let now = Utc::now();
        let mistakes = [
            HostError::PluginNotLoaded {
                name: "quickbooks".into(),
                loaded: vec!["intacct".into()],
            },
            HostError::WrongWorld {
                plugin: "shopify-intacct".into(),
                actual: World::Mapping,
                wanted: World::Connector,
            },
            HostError::UnknownConnection {
                name: "books".into(),
            },
            HostError::FlowRemoved {
                flow: "orders".into(),
            },
            HostError::PinnedVersionUnavailable {
                plugin: "intacct".into(),
                hash: "0123456789ab".into(),
                problem: "the plugin store holds no component 0123456789ab".into(),
            },
        ];
        let fixes = [
            "install it with `mlc plugin install`",
            "name a connector plugin there in the configuration",
            "add [connections.books] to the configuration",
            "put it back and resolve the event",
            "resolve it (`mlc review resolve ID`) to run it on the active version",
        ];
        for (mistake, fix) in mistakes.into_iter().zip(fixes) {
            assert_eq!(mistake.kind(), HostErrorKind::Config);
            match after_error(&CallError::Host(mistake), 1, &POLICY, now) {
                Finish::Review { reason } => assert!(reason.contains(fix), "{reason}"),
                other => panic!("expected a review, got {other:?}"),
            }
        }
    }

    #[test]
    fn capacity_limits_are_deferred_soon_without_using_a_retry() {
        let now = Utc::now();
        let limits = [
            HostError::PoolExhausted {
                plugin: "shopify".into(),
                detail: "maximum concurrent component instance limit of 2 reached".into(),
            },
            HostError::LaneStopped {
                connection: "books".into(),
            },
        ];
        for limit in limits {
            assert_eq!(limit.kind(), HostErrorKind::Capacity);
            // Even past the last attempt: a full pool says nothing about the event.
            match after_error(&CallError::Host(limit), POLICY.max_attempts, &POLICY, now) {
                Finish::Defer { at, .. } => {
                    let wait = (at - now).to_std().unwrap();
                    assert!(
                        wait >= CAPACITY_WAIT / 2 && wait <= CAPACITY_WAIT,
                        "{wait:?}"
                    );
                }
                other => panic!("expected a deferral, got {other:?}"),
            }
        }
    }

    #[test]
    fn plugin_faults_fail_at_once_naming_plugin_and_version() {
        let now = Utc::now();
        let malformed = HostError::MalformedAnswer {
            plugin: "intacct".into(),
            version: "1.4.0".into(),
            problem: "`apply` answered 1 results for 2 commands".into(),
        };
        let broken = HostError::InstantiationFailed {
            plugin: "intacct".into(),
            detail: "unknown import".into(),
        };
        for fault in [malformed, broken] {
            assert_eq!(fault.kind(), HostErrorKind::PluginFault);
            match after_error(&CallError::Host(fault), 1, &POLICY, now) {
                Finish::Failed { error } => {
                    assert!(error.starts_with("plugin `intacct` "), "{error}");
                    assert!(error.contains("upgrade or roll back the plugin"), "{error}");
                }
                other => panic!("expected a failure, got {other:?}"),
            }
        }
    }
}
