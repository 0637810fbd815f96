//! The flow engine: turns loaded plugins into a running integration.
//!
//! ```text
//! POST /webhooks/{connection} ─ ingress: source verify → inbox (dedupe on flow + event key) → 200
//! poller (per flow with poll_interval): source poll(cursor) → inbox, cursor in the same transaction
//! dispatch: claim due events → worker: fetch → map → sink lane (batching, per-sink concurrency)
//!           → outcome: done | retry at T (backoff, jitter, retry-after) | review | failed
//! inbox: every step of every attempt (the audit trail); replay and review from the CLI or admin API
//! ```
//!
//! Exactly-once effect comes from at-least-once processing plus the sink's idempotency keys: a
//! crash anywhere leaves the event pending or running, and a running event found at start runs
//! again; the commands it already applied come back as `already done`.
//!
//! [`open_host`] makes a host for a [`Config`]; [`Service::start`] serves it on its own listener
//! (`mlc run`), [`Service::start_embedded`] hands its routes to an application's axum server.

mod admin;
mod audit;
pub mod backfill;
mod console;
mod diagnose;
mod dispatch;
pub mod dry_run;
mod inbox;
mod ingress;
mod lane_gate;
mod mapping_check;
mod outcome;
mod pins;
mod plugin_watch;
pub mod plugins;
mod poller;
mod probes;
pub mod reconcile;
pub mod recording;
pub mod replay;
mod retention;
mod server;
mod service;
mod shared;
mod sink;
mod status;
pub mod stores;
pub use stores::open_inbox;
mod worker;

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};

pub use audit::Step;
pub use diagnose::{PingReport, ping};
pub use inbox::{
    Arrival, BackfillRow, Backlog, EventDetail, EventFilter, EventRow, Finish, HourActivity, Inbox,
    InboxError, OpsError, Pins, PollSave, PollState, Pruned, Receipt, RecordedAttempt,
    RecordingUsage, Resolution,
};
pub use mapping_check::check_mapping_configs;
pub use service::{Embedded, Listening, Service, Stopped};
pub use status::Status;

use crate::call::ConnectorCall;
use crate::config::Config;
use crate::host::Host;
use crate::plugin_store::PluginStore;

/// Compiled components under `data_dir`.
const COMPILED_DIR: &str = "compiled";

/// `component` as a candidate mapping for dry-runs over the config's recorded events, whether or
/// not `mlc run` is serving; its compiled code shares the data directory's cache.
pub async fn open_candidate(
    config: &Config,
    component: &[u8],
) -> anyhow::Result<dry_run::Candidate> {
    let inbox = open_inbox(config)?;
    let host = Host::builder()
        .cache_dir(config.data_dir.join(COMPILED_DIR))
        .build()?;
    dry_run::Candidate::load(host, inbox, component).await
}

/// Replays event `id` of the config's inbox deterministically (see [`replay::replay`]), whether
/// or not `mlc run` is serving.
pub async fn replay_recorded(
    config: &Config,
    id: i64,
    candidates: &[(String, Vec<u8>)],
) -> anyhow::Result<replay::ReplayReport> {
    let inbox = open_inbox(config)?;
    let store = stores::open_plugin_store(config).await?;
    let cache = config.data_dir.join(COMPILED_DIR);
    replay::replay(config, &inbox, &store, &cache, id, candidates).await
}

/// A host for `config`: its plugin storage (see [`stores`]), the plugin directory's components
/// and the installed ones loaded (see [`plugins::load`]), and the config checked against them
/// (unknown plugins, events, commands).
pub async fn open_host(config: &Config) -> anyhow::Result<Host> {
    let (host, _) = open_plugins(config).await?;
    config.check_plugins(&host.plugins())?;
    check_mapping_configs(&host, config).await?;
    Ok(host)
}

/// A host for `config` with its plugins loaded, and its plugin store, the config not yet checked
/// against them: what `mlc plugin install` needs to install the plugin a config still lacks.
pub async fn open_plugins(config: &Config) -> anyhow::Result<(Host, PluginStore)> {
    let host = Host::builder()
        .storage(stores::open_plugin_storage(config).await?)
        .cache_dir(config.data_dir.join(COMPILED_DIR))
        .build()?;
    let store = stores::open_plugin_store(config).await?;
    plugins::load(&host, &store, &config.plugin_dir)
        .await
        .with_context(|| format!("[plugins] dir in {}", config.path.display()))?;
    plugins::remove_unused_compiled(&host, &store).await?;
    Ok((host, store))
}

/// The connector of connection `name` in `config`, called through `host`.
pub(crate) fn connection_call(
    config: &Config,
    host: &Host,
    name: &str,
) -> anyhow::Result<ConnectorCall> {
    let connection = config
        .connections
        .get(name)
        .with_context(|| format!("no connection `{name}` in {}", config.path.display()))?;
    let call = host.connector(
        &connection.connector,
        Arc::new(
            connection
                .connection()
                .with_context(|| format!("connection `{name}`"))?,
        ),
    )?;
    Ok(call)
}

/// A `since` filter: an RFC 3339 time, or a duration back from `now` (`2h`, `30m`, `7d`); a
/// duration longer than the calendar reaches back means since the beginning.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let ago = crate::config::parse_duration(text).ok_or_else(|| {
        format!("`{text}` is neither an RFC 3339 time (2026-11-22T08:00:00Z) nor a duration ago (2h, 30m)")
    })?;
    Ok(chrono::Duration::from_std(ago)
        .ok()
        .and_then(|ago| now.checked_sub_signed(ago))
        .unwrap_or(DateTime::<Utc>::MIN_UTC))
}
