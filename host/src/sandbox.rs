//! The data of one call's Store: what the plugin may reach (its connection or its settings), the
//! services behind the capabilities, and the meters the sandbox enforces: the memory limiter and
//! the CPU meter the epoch callback reads.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::clock::Clock;
use crate::connection::Connection;
use crate::error::SandboxStop;
use crate::limits::Limits;
use crate::redact::Redactor;
use crate::storage::{KvStore, Namespace};
use crate::trace::CallTrace;

/// Shared by every call of one host.
pub(crate) struct Services {
    pub http: reqwest::Client,
    pub storage: Arc<dyn KvStore>,
    pub clock: Arc<dyn Clock>,
}

/// What a call may read: a connector call gets its connection; a mapping call (and `describe`)
/// only settings.
pub(crate) enum Grant {
    Connection(Arc<Connection>),
    Settings(Arc<BTreeMap<String, String>>),
}

/// The Store data of one call.
pub(crate) struct CallState {
    pub plugin: Arc<str>,
    pub grant: Grant,
    pub limits: Limits,
    pub services: Arc<Services>,
    pub redactor: Redactor,
    pub trace: CallTrace,
    pub memory: MemoryLimiter,
    pub cpu: CpuMeter,
    /// Where the plugin's WASI stdout and stderr go; copied to the log after the call.
    pub output: MemoryOutputPipe,
    wasi: WasiCtx,
    table: ResourceTable,
}

/// Largest stdout + stderr text kept from one call.
const OUTPUT_BYTES: usize = 64 << 10;

impl CallState {
    pub fn new(
        plugin: Arc<str>,
        grant: Grant,
        limits: Limits,
        services: Arc<Services>,
        trace: CallTrace,
    ) -> Self {
        let redactor = match &grant {
            Grant::Connection(connection) => Redactor::new(connection.secret_values()),
            Grant::Settings(_) => Redactor::default(),
        };
        let output = MemoryOutputPipe::new(OUTPUT_BYTES);
        let wasi = crate::capabilities::wasi::deny_by_default(&services.clock, &output);
        Self {
            plugin,
            grant,
            limits,
            services,
            redactor,
            trace,
            memory: MemoryLimiter::new(limits.memory_bytes),
            cpu: CpuMeter::new(limits.cpu_time),
            output,
            wasi,
            table: ResourceTable::new(),
        }
    }

    /// The connection of a connector call (mappings have none).
    pub fn connection(&self) -> Option<&Connection> {
        match &self.grant {
            Grant::Connection(connection) => Some(connection),
            Grant::Settings(_) => None,
        }
    }

    /// The storage namespace of this (plugin, connection) pair.
    pub fn namespace(&self) -> Namespace {
        let connection = self.connection().map_or("", Connection::name);
        Namespace::new(self.plugin.as_ref(), connection)
    }

    /// Wall-clock time left of this call's budget.
    pub fn wall_time_left(&self) -> Duration {
        self.limits
            .wall_time
            .saturating_sub(self.cpu.started.elapsed())
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Measures time spent executing wasm: the call's elapsed time less the time spent waiting in
/// host capabilities (HTTP, storage, sleep).
pub(crate) struct CpuMeter {
    started: Instant,
    outside: Duration,
    budget: Duration,
}

impl CpuMeter {
    fn new(budget: Duration) -> Self {
        Self {
            started: Instant::now(),
            outside: Duration::ZERO,
            budget,
        }
    }

    /// Counts `waited` as time outside the plugin.
    pub fn exclude(&mut self, waited: Duration) {
        self.outside += waited;
    }

    pub fn used(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.outside)
    }

    /// `Err` once the budget is spent.
    pub fn check(&self) -> Result<(), SandboxStop> {
        match self.used() > self.budget {
            true => Err(SandboxStop::CpuDeadline {
                budget: self.budget,
            }),
            false => Ok(()),
        }
    }
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
