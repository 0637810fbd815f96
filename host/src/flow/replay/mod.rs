//! Deterministic replay of a recorded attempt: the source connector's `fetch` runs again on its
//! tape (the recorded HTTP answers, storage values and clock readings, `playback`), with no
//! network; the mapping maps what it fetched with the recorded config and settings; and the
//! records and commands are compared with the recorded ones. The plugin versions are the recorded
//! ones, taken by hash from the plugin store, unless a candidate replaces one of them: how a
//! connector or mapping upgrade would have behaved on that very input, calling no one. When the
//! attempt reached the sink, the apply of its batch runs again too, on the apply's tape, and its
//! requests are compared with the recorded ones.

mod playback;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;

pub use playback::{RequestOutcome, RequestReplay};

use crate::bindings::types::Command;
use crate::config::Config;
use crate::connection::Connection;
use crate::flow::dry_run::{CommandChange, Difference, diff};
use crate::flow::inbox::Inbox;
use crate::flow::recording::{
    ApplyTape, MappingAnswer, RecordedCommand, RecordedEntity, RecordedPlugin,
};
use crate::host::Host;
use crate::plugin_store::PluginStore;
use crate::redact::Redactor;
use crate::storage::Namespace;
use crate::tape::Received;
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
    /// The replayed apply of the batch that carried the event's commands; none when the attempt
    /// never reached the sink.
    pub apply: Option<ApplyReplay>,
    /// Nothing differs: the same requests, records and commands.
    pub identical: bool,
}

/// The batch's apply, replayed: the recorded batch's commands through the sink connector, on the
/// apply's tape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplyReplay {
    pub sink: Versions,
    /// Commands in the batch (this event's and the others it carried).
    pub commands: usize,
    pub requests: Vec<RequestReplay>,
    pub unasked: Vec<RequestReplay>,
    /// The apply's error for the whole batch, if it failed this time.
    pub error: Option<String>,
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
    cache_dir: &Path,
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
    let mut ran = vec![&fetch.connector.name, &recording.mapping.name];
    ran.extend(recorded.apply.as_ref().map(|apply| &apply.connector.name));
    let candidates = checked(candidates, &ran, id, cache_dir).await?;

    let connection = connection(config, &fetch.connection, id)?;
    let (host, playback) =
        playback_host(cache_dir, &fetch.received, &fetch.connector, &connection)?;
    load(&host, store, &fetch.connector, &candidates).await?;
    load(&host, store, &recording.mapping, &candidates).await?;
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
        apply: None,
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
    if let Some(apply) = &recorded.apply {
        report.apply = Some(replay_apply(config, store, cache_dir, apply, &candidates, id).await?);
    }
    report.identical = report.fetch_error.is_none()
        && all_same(&report.requests, &report.unasked)
        && report.record_differences.is_empty()
        && report.answer_differs.is_none()
        && report.command_changes.is_empty()
        && report
            .apply
            .as_ref()
            .is_none_or(|apply| all_same(&apply.requests, &apply.unasked));
    Ok(report)
}

/// Replays the apply of the batch that carried the event's commands: the recorded batch's
/// commands through the sink connector, on the apply's tape.
async fn replay_apply(
    config: &Config,
    store: &PluginStore,
    cache_dir: &Path,
    apply: &ApplyTape,
    candidates: &[(String, Vec<u8>)],
    id: i64,
) -> anyhow::Result<ApplyReplay> {
    let connection = connection(config, &apply.connection, id)?;
    let (host, playback) =
        playback_host(cache_dir, &apply.received, &apply.connector, &connection)?;
    load(&host, store, &apply.connector, candidates).await?;
    let sink = host.connector(&apply.connector.name, connection)?;
    let commands: Vec<Command> = apply
        .commands
        .iter()
        .map(RecordedCommand::to_command)
        .collect();
    let applied = sink.apply(&commands).await;
    let (requests, unasked) = playback.requests();
    Ok(ApplyReplay {
        sink: Versions {
            replayed: sink.plugin().into(),
            recorded: apply.connector.clone(),
        },
        commands: commands.len(),
        requests,
        unasked,
        error: applied.result.err().map(|error| error.to_string()),
    })
}

/// Loads each candidate to read its name: it must be the one given, and one of the plugins
/// `ran` (those event `id` ran). Returns the candidates, checked.
async fn checked(
    candidates: &[(String, Vec<u8>)],
    ran: &[&String],
    id: i64,
    cache_dir: &Path,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let host = Host::builder().cache_dir(cache_dir).build()?;
    for (name, candidate) in candidates {
        let summary = host
            .prepare_plugin(candidate)
            .await
            .with_context(|| format!("the candidate for {name} does not load"))?;
        let summary = summary.summary();
        if &summary.name != name {
            anyhow::bail!(
                "the candidate for {name} calls itself {} {}",
                summary.name,
                summary.version
            );
        }
        if !ran.contains(&name) {
            let ran: Vec<&str> = ran.iter().map(|name| name.as_str()).collect();
            anyhow::bail!(
                "the candidate {} {} replaces none of {}, the plugins event {id} ran",
                summary.name,
                summary.version,
                ran.join(", ")
            );
        }
    }
    Ok(candidates.to_vec())
}

/// Connection `name` of the config, which event `id` ran on.
fn connection(config: &Config, name: &str, id: i64) -> anyhow::Result<Arc<Connection>> {
    let connection = config.connections.get(name).with_context(|| {
        format!(
            "event {id} ran on connection {name:?}, which {} no longer has",
            config.path.display()
        )
    })?;
    Ok(Arc::new(connection.connection()?))
}

/// A host with nothing but `tape` for its network, clock and storage (that of `plugin` on
/// `connection`).
fn playback_host(
    cache_dir: &Path,
    tape: &[Received],
    plugin: &RecordedPlugin,
    connection: &Connection,
) -> anyhow::Result<(Host, Arc<Playback>)> {
    let redactor = Redactor::new(connection.secret_pairs());
    let namespace = Namespace::new(plugin.name.as_str(), connection.name());
    let storage = Playback::storage(tape, &namespace, &redactor)?;
    let playback = Playback::new(tape, redactor);
    let host = Host::builder()
        .cache_dir(cache_dir)
        .storage(Arc::new(storage))
        .clock(Arc::new(PlaybackClock(playback.clone())))
        .outbound_http(Arc::new(PlaybackHttp(playback.clone())))
        .build()?;
    Ok((host, playback))
}

/// Loads the recorded version of `plugin` from the store, or the candidate of its name.
async fn load(
    host: &Host,
    store: &PluginStore,
    plugin: &RecordedPlugin,
    candidates: &[(String, Vec<u8>)],
) -> anyhow::Result<()> {
    let component = match candidates.iter().find(|(name, _)| *name == plugin.name) {
        Some((_, candidate)) => candidate.clone(),
        None => store.component(&plugin.hash).await.with_context(|| {
            format!(
                "the recorded {} {} ({}) is not in the plugin store",
                plugin.name, plugin.version, plugin.hash
            )
        })?,
    };
    host.load_plugin(&component).await?;
    Ok(())
}

fn all_same(requests: &[RequestReplay], unasked: &[RequestReplay]) -> bool {
    unasked.is_empty()
        && requests
            .iter()
            .all(|request| request.outcome == RequestOutcome::Same)
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
