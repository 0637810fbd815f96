//! `clock`: the host's time, never the system's directly, so tests move time forward. `sleep` waits
//! on the host clock (a manual clock advances instead), capped by what is left of the call's
//! wall-clock budget, and is not charged to the plugin's CPU budget.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Linker};

use crate::bindings::clock::{self, Host, Instant as WitInstant};
use crate::capabilities::scope::CallScope;
use crate::clock::Clock;
use crate::error::to_anyhow;
use crate::tape::Received;

/// The clock a call's plugin sees.
pub(crate) struct ClockState {
    pub clock: Arc<dyn Clock>,
}

/// `clock` as one call sees it.
pub(crate) struct ClockView<'a> {
    pub state: &'a ClockState,
    pub scope: &'a mut CallScope,
}

struct HasClock;

impl HasData for HasClock {
    type Data<'a> = ClockView<'a>;
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> ClockView<'_>,
) -> anyhow::Result<()> {
    clock::add_to_linker::<T, HasClock>(linker, view).map_err(to_anyhow)
}

impl Host for ClockView<'_> {
    async fn now(&mut self) -> wasmtime::Result<WitInstant> {
        let now = self.state.clock.now();
        self.scope.trace.tape(Received::Clock { at: now });
        Ok(WitInstant {
            seconds: now.timestamp(),
            nanoseconds: now.timestamp_subsec_nanos(),
        })
    }

    async fn sleep(&mut self, milliseconds: u64) -> wasmtime::Result<()> {
        let wait = Duration::from_millis(milliseconds).min(self.scope.wall_time_left());
        let started = Instant::now();
        self.state.clock.sleep(wait).await;
        self.scope.cpu.exclude(started.elapsed());
        Ok(())
    }
}
