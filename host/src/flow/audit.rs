//! The audit trail's unit: one step of one attempt at an event (received, fetch, map, apply, a
//! person's decision), with its times, the plugin version that ran it, and what it did: each
//! outbound request (bodies capped, secrets already redacted by the sandbox), the plugin's log
//! records, the commands it produced and the ids the sink assigned.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::bindings::log::Level;
use crate::plugin::PluginSummary;
use crate::trace::{CallReport, HttpExchange, LogRecord};

/// One step of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub attempt: u32,
    /// `received`, `fetch`, `map`, `plan` (a fix event's commands), `apply`, `interrupted`,
    /// `released`, `replay`, `resolve`.
    pub name: String,
    pub plugin: Option<String>,
    pub plugin_version: Option<String>,
    /// SHA-256 of the component that ran it, hex.
    pub plugin_hash: Option<String>,
    pub started_at: DateTime<Utc>,
    #[serde(serialize_with = "micros")]
    pub duration: Duration,
    pub ok: bool,
    /// The error, or a short note.
    pub message: Option<String>,
    /// Requests, logs, commands, external ids: whatever the step has.
    pub detail: Value,
}

fn micros<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(duration.as_micros() as u64)
}

impl Step {
    /// A step taken by the host or a person, with no plugin call behind it.
    pub fn note(attempt: u32, name: &str, at: DateTime<Utc>, message: impl Into<String>) -> Self {
        Self {
            attempt,
            name: name.to_owned(),
            plugin: None,
            plugin_version: None,
            plugin_hash: None,
            started_at: at,
            duration: Duration::ZERO,
            ok: true,
            message: Some(message.into()),
            detail: Value::Null,
        }
    }

    /// The step of one plugin call: its report's requests, logs and times; `detail` adds to them.
    pub fn call<T>(
        attempt: u32,
        name: &str,
        plugin: &PluginSummary,
        started_at: DateTime<Utc>,
        report: &CallReport<T>,
        mut detail: serde_json::Map<String, Value>,
    ) -> Self {
        detail.insert(
            "plugin_time_us".into(),
            json!(report.plugin_time.as_micros() as u64),
        );
        if !report.http.is_empty() {
            detail.insert("requests".into(), report.http.iter().map(request).collect());
        }
        if !report.logs.is_empty() {
            detail.insert("logs".into(), report.logs.iter().map(log).collect());
        }
        if report.logs_dropped > 0 {
            detail.insert("logs_dropped".into(), json!(report.logs_dropped));
        }
        Self {
            attempt,
            name: name.to_owned(),
            plugin: Some(plugin.name.clone()),
            plugin_version: Some(plugin.version.clone()),
            plugin_hash: Some(plugin.hash.clone()),
            started_at,
            duration: report.total_time,
            ok: report.result.is_ok(),
            message: report.result.as_ref().err().map(ToString::to_string),
            detail: Value::Object(detail),
        }
    }

    /// Marks the step failed with `message` (a call that answered, but not usefully).
    pub fn failed(mut self, message: impl Into<String>) -> Self {
        self.ok = false;
        self.message = Some(message.into());
        self
    }
}

fn request(exchange: &HttpExchange) -> Value {
    json!({
        "method": exchange.method,
        "url": exchange.url,
        "status": exchange.status,
        "error": exchange.error,
        "duration_us": exchange.duration.as_micros() as u64,
        "request_bytes": exchange.request_bytes,
        "response_bytes": exchange.response_bytes,
        "request_body": exchange.request_body,
        "response_body": exchange.response_body,
    })
}

fn log(record: &LogRecord) -> Value {
    let fields: serde_json::Map<String, Value> = record
        .fields
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    json!({ "level": level_name(record.level), "message": record.message, "fields": fields })
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}
