//! The plugin versions an event runs. Its first claim pins it to its flow's versions active then
//! (content hashes by plugin name, kept in the inbox), and every later attempt, on any host, runs
//! those bytes: the active version when it is the pinned one, else the pinned version loaded
//! from the plugin store. A retry after an upgrade, or an attempt another host took over, runs
//! what the first attempt ran. A person's replay or resolution unpins the event, so its next
//! claim takes the versions active then.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{CallError, HostError};
use crate::flow::inbox::{EventRow, Pins};
use crate::flow::shared::{FlowCalls, Shared};
use crate::host::PreparedPlugin;
use crate::plugin::PluginSummary;

/// How many versions that are no longer active stay loaded for the events pinned to them.
const KEPT: usize = 8;

/// The versions each flow's events are pinned to when claimed now, by flow name. A flow whose
/// plugins are not all loaded is left out: its events stay unpinned and fail as they would.
pub(crate) fn active(shared: &Shared) -> BTreeMap<String, Pins> {
    shared
        .config
        .flows
        .keys()
        .filter_map(|flow| Some((flow.clone(), of(&shared.calls(flow).ok()?))))
        .collect()
}

/// The handles of an attempt at `row`: the versions it is pinned to (the active ones when it is
/// not pinned).
pub(crate) async fn calls(shared: &Shared, row: &EventRow) -> Result<FlowCalls, CallError> {
    let mut calls = shared.calls(&row.flow)?;
    let Some(pins) = &row.pins else {
        return Ok(calls);
    };
    if let Some(hash) = other_version(pins, calls.source.plugin()) {
        let pinned = shared.kept.get(shared, calls.source.plugin(), hash).await?;
        let connection = calls.source.connection.clone();
        calls.source = shared.host.prepared_connector(&pinned, connection)?;
    }
    if let Some(hash) = other_version(pins, calls.mapping.plugin()) {
        let pinned = shared
            .kept
            .get(shared, calls.mapping.plugin(), hash)
            .await?;
        let settings = calls.mapping.settings.as_ref().clone();
        calls.mapping = shared.host.prepared_mapping(&pinned, settings)?;
    }
    if let Some(hash) = other_version(pins, calls.sink.plugin()) {
        let pinned = shared.kept.get(shared, calls.sink.plugin(), hash).await?;
        let connection = calls.sink.connection.clone();
        calls.sink = shared.host.prepared_connector(&pinned, connection)?;
    }
    Ok(calls)
}

/// The versions `calls` run, by plugin name.
fn of(calls: &FlowCalls) -> Pins {
    [
        calls.source.plugin(),
        calls.mapping.plugin(),
        calls.sink.plugin(),
    ]
    .into_iter()
    .map(|plugin| (plugin.name.clone(), plugin.hash.clone()))
    .collect()
}

/// The hash `pins` holds for `active`'s plugin when it is not `active`'s.
fn other_version<'a>(pins: &'a Pins, active: &PluginSummary) -> Option<&'a str> {
    pins.get(&active.name)
        .map(String::as_str)
        .filter(|hash| *hash != active.hash)
}

/// Versions loaded for pinned events that are no longer active, the most recently used last.
#[derive(Default)]
pub(crate) struct Kept(tokio::sync::Mutex<Vec<Arc<PreparedPlugin>>>);

impl Kept {
    /// Version `hash` of `active`'s plugin, loaded from the plugin store the first time.
    async fn get(
        &self,
        shared: &Shared,
        active: &PluginSummary,
        hash: &str,
    ) -> Result<Arc<PreparedPlugin>, CallError> {
        let mut kept = self.0.lock().await;
        if let Some(at) = kept.iter().position(|loaded| loaded.summary().hash == hash) {
            let loaded = kept.remove(at);
            kept.push(loaded.clone());
            return Ok(loaded);
        }
        let short = hash.get(..12).unwrap_or(hash);
        let unavailable = |problem: anyhow::Error| {
            CallError::from(HostError::PinnedVersionUnavailable {
                plugin: active.name.clone(),
                hash: short.to_owned(),
                problem: format!("{problem:#}"),
            })
        };
        let bytes = shared.store.component(hash).await.map_err(unavailable)?;
        let loaded = shared
            .host
            .prepare_plugin(&bytes)
            .await
            .map_err(unavailable)?;
        let version = &loaded.summary().version;
        tracing::info!(plugin = %active.name, %version, hash = %short, "loaded a pinned version");
        if kept.len() == KEPT {
            kept.remove(0);
        }
        let loaded = Arc::new(loaded);
        kept.push(loaded.clone());
        Ok(loaded)
    }
}
