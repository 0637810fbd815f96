//! Deterministic replay of a recorded attempt: the source connector's `fetch` runs again on its
//! tape (the recorded HTTP answers, storage values and clock readings, `playback`), with no
//! network; the mapping maps what it fetched with the recorded config and settings; and the
//! records and commands are compared with the recorded ones. The plugin versions are the recorded
//! ones, taken by hash from the plugin store, unless a candidate replaces one of them: how a
//! connector or mapping upgrade would have behaved on that very input, calling no one.

mod playback;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;

pub use playback::{RequestOutcome, RequestReplay};

use crate::config::Config;
use crate::flow::dry_run::{CommandChange, Difference, diff};
use crate::flow::inbox::Inbox;
use crate::flow::recording::{MappingAnswer, RecordedEntity, RecordedPlugin};
use crate::host::Host;
use crate::plugin_store::PluginStore;
use crate::redact::Redactor;
use crate::storage::Namespace;
use playback::{Playback, PlaybackClock, PlaybackHttp};

/// What a deterministic replay found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    pub event: i64,
    /// The attempt replayed: the last one recorded.
    pub attempt: u32,
    /// The versions that ran in the replay, and those recorded.
    pub source: Versions,
    pub mapping: Versions,
    /// Each request the connector sent, in order.
    pub requests: Vec<RequestReplay>,
    /// Recorded requests the connector did not send this time.
    pub unasked: Vec<RequestReplay>,
    /// The fetch's error, when it failed this time.
    pub fetch_error: Option<String>,
    /// How the records differ from the recorded ones (`records[0].body.total_price`).
    pub record_differences: Vec<Difference>,
    /// The mapping's answer when it is not commands (a refusal, a review), or not the recorded one.
    pub answer_differs: Option<String>,
    pub command_changes: Vec<CommandChange>,
    /// Nothing differs: the same requests, records and commands.
    pub identical: bool,
}

/// A plugin's version in the replay and in the recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Versions {
    pub replayed: RecordedPlugin,
    pub recorded: RecordedPlugin,
}

/// Replays event `id`'s last recorded attempt with no network. `candidates` are (name,
/// component) pairs: each component must call itself `name`, and replaces the recorded version
/// of that plugin.
pub async fn replay(
    config: &Config,
    inbox: &Inbox,
    store: &PluginStore,
    cache_dir: &std::path::Path,
    id: i64,
    candidates: &[(String, Vec<u8>)],
) -> anyhow::Result<ReplayReport> {
    let row = inbox
        .get(id)?
        .ok_or_else(|| anyhow::anyhow!("no event {id}"))?;
    let recorded = inbox.recording(id)?.ok_or_else(|| {
        anyhow::anyhow!(
            "event {id} is not replayable: it has no recording (its mapping never ran, or it ran \
             before this host recorded attempts, or the recording was pruned)"
        )
    })?;
    let recording = recorded.recording;
    let fetch = &recording.fetch;
    let connection = config.connections.get(&fetch.connection).with_context(|| {
        format!(
            "event {id} was fetched on connection {:?}, which {} no longer has",
            fetch.connection,
            config.path.display()
        )
    })?;
    let connection = Arc::new(connection.connection()?);
    let playback = Playback::new(&fetch.received, Redactor::new(connection.secret_values()));
    let namespace = Namespace::new(fetch.connector.name.as_str(), fetch.connection.as_str());
    let storage = Playback::storage(&fetch.received, &namespace)?;
    let host = Host::builder()
        .cache_dir(cache_dir)
        .storage(Arc::new(storage))
        .clock(Arc::new(PlaybackClock(playback.clone())))
        .outbound_http(Arc::new(PlaybackHttp(playback.clone())))
        .build()?;
    for plugin in [&fetch.connector, &recording.mapping] {
        let component = store.component(&plugin.hash).with_context(|| {
            format!(
                "the recorded {} {} ({}) is not in the plugin store",
                plugin.name, plugin.version, plugin.hash
            )
        })?;
        host.load_plugin(&component).await?;
    }
    for (name, candidate) in candidates {
        let summary = host
            .load_plugin(candidate)
            .await
            .with_context(|| format!("the candidate for {name} does not load"))?;
        if &summary.name != name {
            anyhow::bail!(
                "the candidate for {name} calls itself {} {}",
                summary.name,
                summary.version
            );
        }
        if summary.name != fetch.connector.name && summary.name != recording.mapping.name {
            anyhow::bail!(
                "the candidate {} {} replaces neither {} nor {}, the plugins event {id} ran",
                summary.name,
                summary.version,
                fetch.connector.name,
                recording.mapping.name
            );
        }
    }

    let event = row.event();
    let source = host.connector(&fetch.connector.name, connection)?;
    let fetched = source.fetch(&event).await;
    let mapping = host.mapping(&recording.mapping.name, recording.settings.clone())?;
    let mut report = ReplayReport {
        event: id,
        attempt: recorded.attempt,
        source: Versions {
            replayed: source.plugin().into(),
            recorded: fetch.connector.clone(),
        },
        mapping: Versions {
            replayed: mapping.plugin().into(),
            recorded: recording.mapping.clone(),
        },
        requests: Vec::new(),
        unasked: Vec::new(),
        fetch_error: None,
        record_differences: Vec::new(),
        answer_differs: None,
        command_changes: Vec::new(),
        identical: false,
    };
    match fetched.result {
        Err(error) => report.fetch_error = Some(error.to_string()),
        Ok(records) => {
            let replayed: Vec<RecordedEntity> = records.iter().map(RecordedEntity::from).collect();
            report.record_differences = diff::json(
                &serde_json::to_value(records_json(&recording.records))?,
                &serde_json::to_value(records_json(&replayed))?,
            );
            let mapped = mapping.map(&event, &records, &recording.config).await;
            let answer = MappingAnswer::of(&mapped.result);
            match (&recording.answer, &answer) {
                (
                    MappingAnswer::Commands { commands: before },
                    MappingAnswer::Commands { commands: after },
                ) => report.command_changes = diff::commands(before, after),
                (before, after) if before != after => {
                    report.answer_differs = Some(format!(
                        "recorded {}, replayed {}",
                        describe(before),
                        describe(after)
                    ))
                }
                _ => {}
            }
        }
    }
    (report.requests, report.unasked) = playback.requests();
    report.identical = report.fetch_error.is_none()
        && report.unasked.is_empty()
        && report
            .requests
            .iter()
            .all(|request| request.outcome == RequestOutcome::Same)
        && report.record_differences.is_empty()
        && report.answer_differs.is_none()
        && report.command_changes.is_empty();
    Ok(report)
}

/// Records as JSON, their bodies parsed, so they compare field by field.
fn records_json(records: &[RecordedEntity]) -> Vec<BTreeMap<&str, serde_json::Value>> {
    records
        .iter()
        .map(|record| {
            let body = serde_json::from_str(&record.body)
                .unwrap_or_else(|_| serde_json::Value::String(record.body.clone()));
            BTreeMap::from([
                ("kind", serde_json::Value::String(record.kind.clone())),
                ("id", serde_json::Value::String(record.id.clone())),
                ("body", body),
            ])
        })
        .collect()
}

fn describe(answer: &MappingAnswer) -> String {
    match answer {
        MappingAnswer::Commands { commands } => format!("{} command(s)", commands.len()),
        MappingAnswer::Review { reason } => format!("review: {reason}"),
        MappingAnswer::Failed { error } => format!("failure: {error}"),
    }
}
