//! The data of one call's Store and the linkers of the two plugin worlds. A call's state is the
//! capabilities' states side by side (each with its own view, see [`crate::capabilities`]), the
//! scope they share, and the memory limiter the sandbox enforces. A connector's linker has every
//! capability; a mapping's only `log` and `config`, so a mapping that imports anything else fails
//! to load, before it ever runs. Both have WASI, denied by default.
//!
//! The same linkers serve plugins built for either supported contract version: they import the
//! same host interfaces, and their `ml-connector:plugin/types` import holds only types, which
//! wasmtime links without a definition.

use std::sync::Arc;

use wasmtime::component::Linker;
use wasmtime::{Engine, ResourceLimiter};
use wasmtime_wasi::{WasiCtxView, WasiView};

use crate::bindings::log::Level;
use crate::capabilities::clock::{ClockState, ClockView};
use crate::capabilities::http::{HttpState, HttpView};
use crate::capabilities::scope::{CallScope, Grant};
use crate::capabilities::storage::{StorageState, StorageView};
use crate::capabilities::wasi::WasiState;
use crate::capabilities::{clock, config, http, log, storage, wasi};
use crate::clock::Clock;
use crate::error::SandboxStop;
use crate::limits::Limits;
use crate::outbound::OutboundHttp;
use crate::storage::KvStore;
use crate::trace::CallTrace;

/// Shared by every call of one host.
pub(crate) struct Services {
    pub http: Arc<dyn OutboundHttp>,
    pub storage: Arc<dyn KvStore>,
    pub clock: Arc<dyn Clock>,
}

/// The Store data of one call.
pub(crate) struct CallState {
    pub scope: CallScope,
    pub memory: MemoryLimiter,
    http: HttpState,
    storage: StorageState,
    clock: ClockState,
    wasi: WasiState,
}

impl CallState {
    pub fn new(
        plugin: Arc<str>,
        grant: Grant,
        limits: Limits,
        services: &Services,
        trace: CallTrace,
    ) -> Self {
        Self {
            scope: CallScope::new(plugin, grant, limits, trace),
            memory: MemoryLimiter::new(limits.memory_bytes),
            http: HttpState {
                outbound: services.http.clone(),
            },
            storage: StorageState {
                store: services.storage.clone(),
            },
            clock: ClockState {
                clock: services.clock.clone(),
            },
            wasi: WasiState::deny_by_default(&services.clock),
        }
    }

    /// Copies what the plugin wrote to WASI stdout/stderr into the log, a record per line.
    pub fn flush_output(&self) {
        for line in self.wasi.output().lines() {
            self.scope
                .record_log(Level::Info, line, vec![("stream".into(), "stdio".into())]);
        }
    }

    fn scope(&mut self) -> &mut CallScope {
        &mut self.scope
    }

    fn http(&mut self) -> HttpView<'_> {
        HttpView {
            state: &self.http,
            scope: &mut self.scope,
        }
    }

    fn storage(&mut self) -> StorageView<'_> {
        StorageView {
            state: &self.storage,
            scope: &mut self.scope,
        }
    }

    fn clock(&mut self) -> ClockView<'_> {
        ClockView {
            state: &self.clock,
            scope: &mut self.scope,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.view()
    }
}

/// Every capability, plus WASI denied by default.
pub(crate) fn connector_linker(engine: &Engine) -> anyhow::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    clock::add_to_linker(&mut linker, CallState::clock)?;
    config::add_config_to_linker(&mut linker, CallState::scope)?;
    config::add_secrets_to_linker(&mut linker, CallState::scope)?;
    http::add_to_linker(&mut linker, CallState::http)?;
    log::add_to_linker(&mut linker, CallState::scope)?;
    storage::add_to_linker(&mut linker, CallState::storage)?;
    wasi::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// `log` and `config`, plus WASI denied by default.
pub(crate) fn mapping_linker(engine: &Engine) -> anyhow::Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    config::add_config_to_linker(&mut linker, CallState::scope)?;
    log::add_to_linker(&mut linker, CallState::scope)?;
    wasi::add_to_linker(&mut linker)?;
    Ok(linker)
}

/// Refuses linear-memory growth past the limit with a [`SandboxStop::MemoryLimit`] trap, so the
/// report says what happened instead of an allocator's abort.
pub(crate) struct MemoryLimiter {
    limit: usize,
}

/// Table elements one instance may hold.
const TABLE_ELEMENTS: usize = 100_000;

impl MemoryLimiter {
    fn new(limit: usize) -> Self {
        Self { limit }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match desired > self.limit {
            true => Err(wasmtime::Error::new(SandboxStop::MemoryLimit {
                limit: self.limit,
                requested: desired,
            })),
            false => Ok(true),
        }
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= TABLE_ELEMENTS)
    }
}
