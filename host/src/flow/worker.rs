//! One attempt at one event: the source connector fetches its records, the mapping turns them into
//! commands (a reconciliation's fix event carries its commands instead: step `plan`), the sink
//! lane applies them; every step goes to the audit trail, and the outcome
//! (done, retry at T, review, failed) is decided by `outcome`. What the mapping was given and
//! answered is kept whole as the attempt's [`Recording`]. The plugin versions are fixed when
//! the attempt starts, so an upgrade mid-way does not change the versions an attempt runs on.
//! An attempt holds its worker slot while its plugins run and gives it back once it has a place
//! in the sink lane: waiting for the sink costs no worker, so a batch can carry more events than
//! there are workers.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::OwnedSemaphorePermit;

use crate::bindings::types::{Applied, Command, Entity, PluginError};
use crate::error::{CallError, HostError};
use crate::flow::audit::Step;
use crate::flow::inbox::{Arrival, EncodedApply, EventRow, Finish};
use crate::flow::outcome::{after_error, worst};
use crate::flow::pins;
use crate::flow::reconcile::fix;
use crate::flow::recording::{FetchTape, MappingAnswer, RecordedEntity, Recording};
use crate::flow::shared::{FlowCalls, Shared};
use crate::plugin::PluginSummary;
use crate::redact::clip;
use crate::trace::CallReport;

/// How much of each command body the audit trail keeps.
const COMMAND_EXCERPT: usize = 2048;

/// What an attempt leaves to be written: its outcome, its steps and, once its mapping ran, its
/// recording, with the tape of the apply that carried its commands.
pub(crate) struct Attempted {
    pub finish: Finish,
    pub steps: Vec<Step>,
    pub recording: Option<Recording>,
    pub apply_tape: Option<EncodedApply>,
}

/// Runs one attempt. `slot` is the worker slot it runs in, given back as soon as the attempt
/// waits for its sink lane.
pub(crate) async fn attempt(shared: &Shared, row: &EventRow, slot: WorkerSlot) -> Attempted {
    let mut attempted = Attempted {
        finish: Finish::Done {
            external_ids: Vec::new(),
        },
        steps: Vec::new(),
        recording: None,
        apply_tape: None,
    };
    attempted.finish = match run(shared, row, slot, &mut attempted).await {
        Ok(finish) => finish,
        Err(error) => after_error(&error, row.tries(), &shared.config.retry, shared.now()),
    };
    attempted
}

/// A worker slot: dropping it lets the dispatcher claim another event.
pub(crate) struct WorkerSlot {
    pub permit: OwnedSemaphorePermit,
}

impl WorkerSlot {
    /// Gives the slot back and tells the dispatcher so.
    fn give_back(self, shared: &Shared) {
        drop(self.permit);
        shared.work.notify_one();
    }
}

async fn run(
    shared: &Shared,
    row: &EventRow,
    slot: WorkerSlot,
    attempted: &mut Attempted,
) -> Result<Finish, CallError> {
    let calls = pins::calls(shared, row).await?;
    let commands = match row.arrival {
        Arrival::Reconcile => planned(shared, row, &mut attempted.steps)?,
        _ => fetch_and_map(shared, row, &calls, attempted).await?,
    };
    if commands.is_empty() {
        return Ok(Finish::Done {
            external_ids: Vec::new(),
        });
    }
    let steps = &mut attempted.steps;
    let attempt = row.attempts;

    let place = calls.lane.enter().await;
    slot.give_back(shared);
    let started = shared.now();
    let answer = calls.lane.apply(place, calls.sink.clone(), commands).await;
    attempted.apply_tape = answer.tape;
    let report = answer.report;
    let (external_ids, errors) = match &report.result {
        Ok(results) => split(results),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let already_done = report.result.as_ref().map_or(0, |results| {
        results
            .iter()
            .filter(|result| matches!(result, Ok(applied) if applied.already_done))
            .count()
    });
    let detail = Map::from_iter([
        ("external_ids".into(), json!(external_ids)),
        ("already_done".into(), json!(already_done)),
        (
            "batch".into(),
            json!({ "commands": answer.batch_commands, "events": answer.batch_events }),
        ),
    ]);
    let mut step = Step::call(
        attempt,
        "apply",
        calls.sink.plugin(),
        started,
        &report,
        detail,
    );
    let failure = worst(errors).map(|error| CallError::Plugin {
        plugin: calls.sink.plugin().name.clone(),
        error,
    });
    if let Some(failure) = &failure {
        step = step.failed(failure.to_string());
    }
    steps.push(step);
    report.result?;
    match failure {
        Some(failure) => Err(failure),
        None => Ok(Finish::Done { external_ids }),
    }
}

/// The event's records fetched by the source connector and mapped, with their steps and the
/// attempt's recording.
async fn fetch_and_map(
    shared: &Shared,
    row: &EventRow,
    calls: &FlowCalls,
    attempted: &mut Attempted,
) -> Result<Vec<Command>, CallError> {
    let steps = &mut attempted.steps;
    let attempt = row.attempts;
    let event = row.event();
    let started = shared.now();
    let recording_on = shared.config.recording.enabled;
    let mut fetched = match recording_on {
        true => calls.source.fetch_taped(&event).await,
        false => calls.source.fetch(&event).await,
    };
    let fetch = FetchTape {
        connector: calls.source.plugin().into(),
        connection: calls.source.connection().name().to_owned(),
        received: std::mem::take(&mut fetched.tape),
    };
    let source = calls.source.plugin();
    steps.push(call_step(
        attempt,
        "fetch",
        source,
        started,
        &fetched,
        "records",
        |records| records_detail(records),
    ));
    let records = fetched.result?;

    let started = shared.now();
    let config = mapping_config(&calls.mapping_config, row.resolution.as_deref());
    let mapped = calls.mapping.map(&event, &records, &config).await;
    let mapping = calls.mapping.plugin();
    steps.push(call_step(
        attempt,
        "map",
        mapping,
        started,
        &mapped,
        "commands",
        |commands| commands_detail(commands),
    ));
    attempted.recording = recording_on.then(|| Recording {
        mapping: mapping.into(),
        records: records.iter().map(RecordedEntity::from).collect(),
        config,
        settings: calls.mapping.settings.as_ref().clone(),
        answer: MappingAnswer::of(&mapped.result),
        fetch,
    });
    mapped.result
}

/// The commands a reconciliation's fix event carries, with its `plan` step.
fn planned(
    shared: &Shared,
    row: &EventRow,
    steps: &mut Vec<Step>,
) -> Result<Vec<Command>, CallError> {
    let commands = fix::carried(row.payload.as_deref()).map_err(|problem| {
        CallError::Host(HostError::UnreadableFix {
            event: row.key.clone(),
            problem,
        })
    })?;
    let mut step = Step::note(
        row.attempts,
        "plan",
        shared.now(),
        format!("{} command(s) of a reconciliation's fix", commands.len()),
    );
    step.detail = json!({ "commands": commands_detail(&commands) });
    steps.push(step);
    Ok(commands)
}

/// The step of a fetch or map call, with what it produced described under `key`.
fn call_step<T>(
    attempt: u32,
    name: &str,
    plugin: &PluginSummary,
    started: DateTime<Utc>,
    report: &CallReport<T>,
    key: &str,
    describe: impl Fn(&T) -> Value,
) -> Step {
    let produced = report.result.as_ref().map_or(Value::Null, describe);
    Step::call(
        attempt,
        name,
        plugin,
        started,
        report,
        Map::from_iter([(key.into(), produced)]),
    )
}

/// The flow's mapping config, with a person's review decision under `resolution`.
fn mapping_config(config: &Value, resolution: Option<&str>) -> String {
    let Some(resolution) = resolution else {
        return config.to_string();
    };
    let mut config = match config {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let decision = serde_json::from_str(resolution).unwrap_or_else(|_| json!(resolution));
    config.insert("resolution".into(), decision);
    Value::Object(config).to_string()
}

fn split(results: &[Result<Applied, PluginError>]) -> (Vec<(String, String)>, Vec<PluginError>) {
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(applied) => ids.extend(applied.external_ids.iter().cloned()),
            Err(error) => errors.push(error.clone()),
        }
    }
    (ids, errors)
}

fn records_detail(records: &[Entity]) -> Value {
    records
        .iter()
        .map(|record| json!({ "kind": record.kind, "id": record.id, "bytes": record.body.len() }))
        .collect()
}

fn commands_detail(commands: &[Command]) -> Value {
    commands
        .iter()
        .map(|command| {
            let body = clip(command.body.clone(), COMMAND_EXCERPT, command.body.len());
            json!({ "kind": command.kind, "key": command.key, "body": body })
        })
        .collect()
}
