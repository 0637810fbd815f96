//! `clock`: the host's time, never the system's directly, so tests move time forward. `sleep` waits
//! on the host clock (a manual clock advances instead), capped by what is left of the call's
//! wall-clock budget, and is not charged to the plugin's CPU budget.

use std::time::{Duration, Instant};

use crate::bindings::clock::{Host, Instant as WitInstant};
use crate::sandbox::CallState;

impl Host for CallState {
    async fn now(&mut self) -> wasmtime::Result<WitInstant> {
        let now = self.services.clock.now();
        Ok(WitInstant {
            seconds: now.timestamp(),
            nanoseconds: now.timestamp_subsec_nanos(),
        })
    }

    async fn sleep(&mut self, milliseconds: u64) -> wasmtime::Result<()> {
        let wait = Duration::from_millis(milliseconds).min(self.wall_time_left());
        let started = Instant::now();
        self.services.clock.sleep(wait).await;
        self.cpu.exclude(started.elapsed());
        Ok(())
    }
}
