//! WASI 0.2, linked so that components built for wasm32-wasip2 load, and denied by default: no
//! preopened directories, no environment, no arguments, no sockets, no name lookups. stdout and
//! stderr go to a bounded in-memory pipe the host copies into the call's log, and the wall clock
//! is the host's clock, so WASI gives a plugin nothing the WIT capabilities do not.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtx};

use crate::clock::Clock;
use crate::sandbox::CallState;

pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> anyhow::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker).map_err(crate::error::to_anyhow)
}

/// A WASI context that grants nothing but output into `output` and the host's time.
pub(crate) fn deny_by_default(clock: &Arc<dyn Clock>, output: &MemoryOutputPipe) -> WasiCtx {
    WasiCtx::builder()
        .stdout(output.clone())
        .stderr(output.clone())
        .wall_clock(HostClock(clock.clone()))
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .build()
}

/// The host clock as WASI's wall clock.
struct HostClock(Arc<dyn Clock>);

impl HostWallClock for HostClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let now = self.0.now();
        Duration::new(now.timestamp().max(0) as u64, now.timestamp_subsec_nanos())
    }
}
