//! What one plugin call leaves behind for the audit trail: its log records, every outbound request
//! (secrets already redacted), where its time went and, for a taped call, what it received whole
//! ([`crate::tape`]). The collector is shared between the call's
//! Store and the caller, so a call that is stopped mid-way still reports what it did.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::bindings::log::Level;
use crate::error::CallError;
use crate::tape::Received;

/// One `log` call of a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: Level,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl LogRecord {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// One outbound HTTP request of a connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpExchange {
    pub method: String,
    /// The URL with secrets redacted.
    pub url: String,
    /// The response status, or `None` when there was no response.
    pub status: Option<u16>,
    /// Why there was no response (denied, timeout, ...), redacted.
    pub error: Option<String>,
    pub duration: Duration,
    pub request_bytes: u64,
    pub response_bytes: u64,
    /// The start of the request body, redacted, at most [`crate::Limits::trace_body_bytes`].
    pub request_body: String,
    /// The start of the response body, likewise.
    pub response_body: String,
}

/// The outcome of one plugin call.
#[derive(Debug)]
pub struct CallReport<T> {
    pub result: Result<T, CallError>,
    pub logs: Vec<LogRecord>,
    /// Log records beyond [`crate::Limits::log_records`], dropped from `logs`.
    pub logs_dropped: usize,
    pub http: Vec<HttpExchange>,
    /// What the plugin received, whole, when the call was taped; empty otherwise.
    pub tape: Vec<Received>,
    /// Time spent executing the plugin's code.
    pub plugin_time: Duration,
    /// The whole call, instantiation and waits included.
    pub total_time: Duration,
}

impl<T> CallReport<T> {
    /// The same report with its value transformed.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> CallReport<U> {
        self.and_then(|value| Ok(f(value)))
    }

    /// The same report with its value checked and transformed: an error from `f` becomes the
    /// report's error.
    pub fn and_then<U>(self, f: impl FnOnce(T) -> Result<U, CallError>) -> CallReport<U> {
        CallReport {
            result: self.result.and_then(f),
            logs: self.logs,
            logs_dropped: self.logs_dropped,
            http: self.http,
            tape: self.tape,
            plugin_time: self.plugin_time,
            total_time: self.total_time,
        }
    }
}

#[derive(Debug, Default)]
struct Recorded {
    logs: Vec<LogRecord>,
    logs_dropped: usize,
    http: Vec<HttpExchange>,
    tape: Vec<Received>,
}

/// The collector a call writes into.
#[derive(Debug, Clone)]
pub(crate) struct CallTrace {
    recorded: Arc<Mutex<Recorded>>,
    log_capacity: usize,
    taping: bool,
}

impl CallTrace {
    /// A collector; `taping` keeps what the plugin receives, whole.
    pub fn new(log_capacity: usize, taping: bool) -> Self {
        Self {
            recorded: Arc::default(),
            log_capacity,
            taping,
        }
    }

    /// Whether what the plugin receives is kept whole.
    pub fn taping(&self) -> bool {
        self.taping
    }

    /// Keeps `received` on the tape, when taping.
    pub fn tape(&self, received: Received) {
        if self.taping {
            self.recorded().tape.push(received);
        }
    }

    fn recorded(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.recorded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn log(&self, record: LogRecord) {
        let mut recorded = self.recorded();
        match recorded.logs.len() < self.log_capacity {
            true => recorded.logs.push(record),
            false => recorded.logs_dropped += 1,
        }
    }

    pub fn http(&self, exchange: HttpExchange) {
        self.recorded().http.push(exchange);
    }

    /// The message of the panic the plugin reported before trapping, if any (the SDK's panic hook
    /// logs it at error level with the field `panic=true`).
    pub fn panic_message(&self) -> Option<String> {
        self.recorded()
            .logs
            .iter()
            .rev()
            .find(|record| record.field("panic") == Some("true"))
            .map(|record| record.message.clone())
    }

    pub fn report<T>(
        &self,
        result: Result<T, CallError>,
        plugin_time: Duration,
        total_time: Duration,
    ) -> CallReport<T> {
        let recorded = std::mem::take(&mut *self.recorded());
        CallReport {
            result,
            logs: recorded.logs,
            logs_dropped: recorded.logs_dropped,
            http: recorded.http,
            tape: recorded.tape,
            plugin_time,
            total_time,
        }
    }
}
