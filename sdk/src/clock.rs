//! The host's clock. Plugins never read the system time: tests move the host's clock instead
//! (natively, [`crate::testing::set_now`]).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::sys;

/// Now, on the host's clock.
pub fn now() -> DateTime<Utc> {
    sys::clock_now()
}

/// Waits on the host's clock; the host caps the wait by the call's remaining budget.
pub fn sleep(duration: Duration) {
    sys::clock_sleep(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
}
