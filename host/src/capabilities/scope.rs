//! What every capability of one call shares: who is calling (the plugin, and what it was granted:
//! a connection or a flow's settings), the limits, the redactor of the connection's secrets, the
//! trace the call's report is made from, and the CPU meter that the capabilities' waits are taken
//! out of. Each capability keeps its own state beside it and borrows this through its view.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bindings::log::Level;
use crate::connection::Connection;
use crate::error::SandboxStop;
use crate::limits::Limits;
use crate::redact::Redactor;
use crate::trace::{CallTrace, LogRecord};

/// What a call may read: a connector call gets its connection; a mapping call (and `describe`)
/// only settings.
pub(crate) enum Grant {
    Connection(Arc<Connection>),
    Settings(Arc<BTreeMap<String, String>>),
}

/// The shared part of one call's state.
pub(crate) struct CallScope {
    pub plugin: Arc<str>,
    pub grant: Grant,
    pub limits: Limits,
    pub redactor: Redactor,
    pub trace: CallTrace,
    pub cpu: CpuMeter,
}

impl CallScope {
    pub fn new(plugin: Arc<str>, grant: Grant, limits: Limits, trace: CallTrace) -> Self {
        let redactor = match &grant {
            Grant::Connection(connection) => Redactor::new(connection.secret_pairs()),
            Grant::Settings(_) => Redactor::default(),
        };
        Self {
            plugin,
            grant,
            limits,
            redactor,
            trace,
            cpu: CpuMeter::new(limits.cpu_time),
        }
    }

    /// The connection of a connector call (mappings have none).
    pub fn connection(&self) -> Option<&Connection> {
        match &self.grant {
            Grant::Connection(connection) => Some(connection),
            Grant::Settings(_) => None,
        }
    }

    /// The connection's name, or `""` for a mapping.
    pub fn connection_name(&self) -> &str {
        self.connection().map_or("", Connection::name)
    }

    /// The settings the plugin reads through `config`.
    pub fn settings(&self) -> &BTreeMap<String, String> {
        match &self.grant {
            Grant::Connection(connection) => connection.settings(),
            Grant::Settings(settings) => settings,
        }
    }

    /// Wall-clock time left of this call's budget.
    pub fn wall_time_left(&self) -> Duration {
        self.limits
            .wall_time
            .saturating_sub(self.cpu.started.elapsed())
    }

    /// Writes one redacted record to the host log and the trace.
    pub fn record_log(&self, level: Level, message: &str, fields: Vec<(String, String)>) {
        let record = LogRecord {
            level,
            message: self.redactor.redact(message),
            fields: fields
                .into_iter()
                .map(|(name, value)| (name, self.redactor.redact(&value)))
                .collect(),
        };
        let plugin = self.plugin.as_ref();
        let connection = self.connection_name();
        let fields = format!("{:?}", record.fields);
        let message = record.message.as_str();
        match level {
            Level::Trace => {
                tracing::trace!(target: "plugin", plugin, connection, %fields, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "plugin", plugin, connection, %fields, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "plugin", plugin, connection, %fields, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "plugin", plugin, connection, %fields, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "plugin", plugin, connection, %fields, "{message}")
            }
        }
        self.trace.log(record);
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
