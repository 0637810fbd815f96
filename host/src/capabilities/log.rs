//! `log`: a plugin's log records go to the host log (tracing, target `plugin`) and into the call's
//! trace, both with the connection's secrets redacted.

use crate::bindings::log::{Host, Level};
use crate::sandbox::CallState;
use crate::trace::LogRecord;

impl Host for CallState {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        self.record_log(level, &message, fields);
        Ok(())
    }
}

impl CallState {
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
        let connection = self.connection().map_or("", |connection| connection.name());
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
