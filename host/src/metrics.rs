//! What the host counts, through the `metrics` facade: events received and finished by flow,
//! plugin call latency by plugin, version and export, remote request latency and status class by
//! connection, 429 answers, the last successful poll, each flow's backlog, and build and plugin
//! info. Labels are bounded: flow, connection, plugin, version, export, outcome, status class;
//! never an event, order or request id.
//!
//! The library only records. The application installs a recorder (`mlc` installs Prometheus's)
//! and hands its text to [`serve_with`], which makes the service's `GET /metrics` answer with it;
//! without a recorder every call here does nothing and `/metrics` answers 404.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use crate::flow::{Backlog, Receipt};
use crate::plugin::PluginSummary;
use crate::plugin_store::PluginVersions;
use crate::trace::CallReport;

/// Events the inbox took in (duplicates not counted), by `flow`.
pub const EVENTS_RECEIVED: &str = "mlc_events_received_total";
/// Attempts that ended, by `flow` and `outcome`: `done`, `retry`, `deferred`, `review`, `failed`.
pub const ATTEMPTS_FINISHED: &str = "mlc_attempts_finished_total";
/// Seconds a plugin call took, instantiation included, by `plugin`, `version`, `export` and
/// `outcome` (`ok` or `error`).
pub const PLUGIN_CALL_SECONDS: &str = "mlc_plugin_call_seconds";
/// Seconds a plugin's outbound request took, by `connection` and `status` (`2xx`…`5xx`, or
/// `none` when no answer came).
pub const REMOTE_REQUEST_SECONDS: &str = "mlc_remote_request_seconds";
/// Answers 429 (rate limited), by `connection`.
pub const REMOTE_RATE_LIMITED: &str = "mlc_remote_rate_limited_total";
/// When a flow's last poll succeeded, Unix seconds, by `flow`.
pub const LAST_POLL_SUCCESS: &str = "mlc_poll_last_success_timestamp_seconds";
/// Events waiting to run (pending or due for a retry), by `flow`.
pub const INBOX_WAITING: &str = "mlc_inbox_waiting_events";
/// Seconds since the oldest waiting event arrived, by `flow` (0 when none waits).
pub const INBOX_OLDEST_WAITING: &str = "mlc_inbox_oldest_waiting_seconds";
/// 1, labelled with this build's `version`.
pub const BUILD_INFO: &str = "mlc_build_info";
/// 1 for the active version of each plugin, 0 for its other installed versions; by `plugin`,
/// `version` and `hash`.
pub const PLUGIN_INFO: &str = "mlc_plugin_info";

type Renderer = Arc<dyn Fn() -> String + Send + Sync>;

static RENDERER: OnceLock<Renderer> = OnceLock::new();

/// Makes `GET /metrics` answer with `render()`'s text (Prometheus's exposition format). Called
/// once, by the application that installed the recorder; a second call is ignored.
pub fn serve_with(render: impl Fn() -> String + Send + Sync + 'static) {
    let _ = RENDERER.set(Arc::new(render));
}

/// The recorder's text, when the application handed one over.
pub(crate) fn render() -> Option<String> {
    RENDERER.get().map(|render| render())
}

/// The events the inbox took in; duplicates are not counted.
pub(crate) fn events_received<'a>(receipts: impl IntoIterator<Item = &'a Receipt>) {
    for receipt in receipts.into_iter().filter(|receipt| !receipt.duplicate) {
        metrics::counter!(EVENTS_RECEIVED, "flow" => receipt.flow.clone()).increment(1);
    }
}

pub(crate) fn attempt_finished(flow: &str, outcome: &'static str) {
    metrics::counter!(ATTEMPTS_FINISHED, "flow" => flow.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// A finished plugin call and its outbound requests (made on `connection`, when it has one).
pub(crate) fn plugin_call<T>(
    plugin: &PluginSummary,
    export: &'static str,
    connection: Option<&str>,
    report: &CallReport<T>,
) {
    let outcome = if report.result.is_ok() { "ok" } else { "error" };
    metrics::histogram!(
        PLUGIN_CALL_SECONDS,
        "plugin" => plugin.name.clone(),
        "version" => plugin.version.clone(),
        "export" => export,
        "outcome" => outcome,
    )
    .record(report.total_time.as_secs_f64());
    let Some(connection) = connection else {
        return;
    };
    for exchange in &report.http {
        metrics::histogram!(
            REMOTE_REQUEST_SECONDS,
            "connection" => connection.to_owned(),
            "status" => status_class(exchange.status),
        )
        .record(exchange.duration.as_secs_f64());
        if exchange.status == Some(429) {
            metrics::counter!(REMOTE_RATE_LIMITED, "connection" => connection.to_owned())
                .increment(1);
        }
    }
}

fn status_class(status: Option<u16>) -> &'static str {
    match status {
        Some(100..=199) => "1xx",
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(500..=599) => "5xx",
        Some(_) | None => "none",
    }
}

pub(crate) fn poll_succeeded(flow: &str, at: DateTime<Utc>) {
    metrics::gauge!(LAST_POLL_SUCCESS, "flow" => flow.to_owned()).set(at.timestamp() as f64);
}

/// Sets the gauges read from the state rather than counted as things happen: each configured
/// flow's backlog (zero for a flow with none), build info and plugin info.
pub(crate) fn refresh(
    flows: impl Iterator<Item = String>,
    backlog: &[Backlog],
    plugins: &[PluginVersions],
    now: DateTime<Utc>,
) {
    for flow in flows {
        let waiting = backlog.iter().find(|entry| entry.flow == flow);
        let (count, oldest) = waiting.map_or((0.0, 0.0), |entry| {
            let age = (now - entry.oldest_received_at).num_milliseconds().max(0);
            (entry.waiting as f64, age as f64 / 1000.0)
        });
        metrics::gauge!(INBOX_WAITING, "flow" => flow.clone()).set(count);
        metrics::gauge!(INBOX_OLDEST_WAITING, "flow" => flow).set(oldest);
    }
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    for plugin in plugins {
        let versions = std::iter::once((&plugin.active, 1.0))
            .chain(plugin.inactive.iter().map(|version| (version, 0.0)));
        for (version, value) in versions {
            metrics::gauge!(
                PLUGIN_INFO,
                "plugin" => plugin.name.clone(),
                "version" => version.version.clone(),
                "hash" => version.hash.clone(),
            )
            .set(value);
        }
    }
}
