//! A candidate mapping run over recorded history: each selected event's last recorded attempt
//! gives the records, config and settings its mapping saw; the candidate maps them in a fresh
//! instance of its own, sandboxed as any mapping, and never reaches the sink. Its answer is
//! compared with the recorded one (`diff`), and the difference in what would be posted is summed
//! per GL account and dimension (`effect`) into a [`DryRunReport`]. An event whose candidate
//! traps or refuses is reported as such, and the run goes on.

pub(crate) mod diff;
pub(crate) mod effect;
mod report;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

pub use diff::{Change, CommandChange, Difference};
pub use report::{
    AccountDelta, DimensionDelta, DocumentChange, DryRunReport, EffectReport, EventVerdict,
    Summary, Verdict,
};

use crate::call::MappingCall;
use crate::flow::inbox::{EventRow, Inbox};
use crate::flow::recording::{MappingAnswer, RecordedCommand, RecordedEntity, RecordedPlugin};
use crate::host::{Host, PreparedPlugin};
use crate::plugin::PluginSummary;
use crate::world::World;
use effect::{Effect, document_total};

/// Which recorded events a dry-run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The flow's events received since then.
    Since(DateTime<Utc>),
    /// These events, in this order.
    Events(Vec<i64>),
}

/// How far back a dry-run looks when told neither `since` nor events.
pub const DEFAULT_SINCE: &str = "7d";

impl Selection {
    /// From a `since` (an RFC 3339 time or a duration ago, see [`crate::flow::parse_since`]) or a
    /// comma-separated list of event ids, not both; neither is [`DEFAULT_SINCE`].
    pub fn parse(
        since: Option<&str>,
        events: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, String> {
        match (since, events) {
            (Some(_), Some(_)) => Err("give `since` or `events`, not both".into()),
            (None, Some(events)) => {
                let ids = events
                    .split(',')
                    .map(|id| {
                        id.trim().parse::<i64>().map_err(|_| {
                            format!("`{id}` is not an event id: give ids as in `events=3,5,8`")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Self::Events(ids))
            }
            (since, None) => {
                crate::flow::parse_since(since.unwrap_or(DEFAULT_SINCE), now).map(Self::Since)
            }
        }
    }
}

/// A candidate mapping, loaded into a host (never activated) beside the inbox whose recordings it
/// runs over.
pub struct Candidate {
    host: Host,
    inbox: Inbox,
    prepared: PreparedPlugin,
}

impl Candidate {
    /// Loads `component`: refused unless it loads and is a mapping.
    pub async fn load(host: Host, inbox: Inbox, component: &[u8]) -> anyhow::Result<Self> {
        let prepared = prepare_mapping(&host, component).await?;
        Ok(Self {
            host,
            inbox,
            prepared,
        })
    }

    /// What the candidate says it is.
    pub fn summary(&self) -> &PluginSummary {
        self.prepared.summary()
    }

    /// Runs the candidate over `selection`'s recorded events of flow `flow`, calling
    /// `progress(done, total)` after each event. Fails only when the inbox cannot be read.
    pub async fn dry_run(
        &self,
        flow: &str,
        selection: &Selection,
        progress: impl FnMut(usize, usize),
    ) -> anyhow::Result<DryRunReport> {
        dry_run(
            &self.host,
            &self.inbox,
            flow,
            &self.prepared,
            selection,
            progress,
        )
        .await
    }
}

async fn dry_run(
    host: &Host,
    inbox: &Inbox,
    flow: &str,
    prepared: &PreparedPlugin,
    selection: &Selection,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<DryRunReport> {
    let ids = match selection {
        Selection::Since(since) => {
            let (flow, since) = (flow.to_owned(), *since);
            inbox
                .run(move |inbox| inbox.event_ids_since(&flow, since))
                .await?
        }
        Selection::Events(ids) => ids.clone(),
    };
    let mut run = Run {
        flow,
        effect: Effect::default(),
        documents: Vec::new(),
        review: Vec::new(),
        summary: Summary::default(),
    };
    let mut events = Vec::with_capacity(ids.len());
    for (done, id) in ids.iter().enumerate() {
        let verdict = run.event(host, inbox, prepared, *id).await?;
        run.count(verdict.verdict);
        events.push(verdict);
        progress(done + 1, ids.len());
    }
    Ok(DryRunReport {
        flow: flow.to_owned(),
        candidate: RecordedPlugin::from(prepared.summary()),
        summary: run.summary,
        events,
        effect: EffectReport::new(run.effect, run.documents),
        review: run.review,
    })
}

/// The candidate compiled and described, refused unless it is a mapping.
async fn prepare_mapping(host: &Host, candidate: &[u8]) -> anyhow::Result<PreparedPlugin> {
    let prepared = host
        .prepare_plugin(candidate)
        .await
        .context("the candidate does not load")?;
    let summary = prepared.summary();
    if summary.world != World::Mapping {
        anyhow::bail!(
            "the candidate {} {} is a {} plugin; a dry-run runs a mapping",
            summary.name,
            summary.version,
            summary.world
        );
    }
    Ok(prepared)
}

/// What a dry-run gathers as it goes.
struct Run<'a> {
    flow: &'a str,
    effect: Effect,
    documents: Vec<DocumentChange>,
    review: Vec<i64>,
    summary: Summary,
}

impl Run<'_> {
    async fn event(
        &mut self,
        host: &Host,
        inbox: &Inbox,
        prepared: &PreparedPlugin,
        id: i64,
    ) -> anyhow::Result<EventVerdict> {
        let (row, recorded) = inbox
            .run(move |inbox| Ok::<_, anyhow::Error>((inbox.get(id)?, inbox.recording(id)?)))
            .await?;
        let row = match row {
            Some(row) if row.flow == self.flow => row,
            Some(row) => {
                let message = format!("event {id} belongs to flow {}", row.flow);
                return Ok(not_replayable(id, Some(&row), message));
            }
            None => return Ok(not_replayable(id, None, format!("no event {id}"))),
        };
        let Some(recorded) = recorded else {
            let message = "no recording: its mapping never ran, or ran before this host \
                           recorded attempts, or the recording was pruned";
            return Ok(not_replayable(id, Some(&row), message.into()));
        };
        let recording = recorded.recording;
        let mapping: MappingCall = host.prepared_mapping(prepared, recording.settings.clone())?;
        let records: Vec<_> = recording
            .records
            .iter()
            .map(RecordedEntity::to_entity)
            .collect();
        let report = mapping.map(&row.event(), &records, &recording.config).await;
        let candidate = MappingAnswer::of(&report.result);
        Ok(self.compare(&row, recording.mapping, &recording.answer, &candidate))
    }

    /// The verdict on one event, its effect added to the run's.
    fn compare(
        &mut self,
        row: &EventRow,
        recorded_by: RecordedPlugin,
        recorded: &MappingAnswer,
        candidate: &MappingAnswer,
    ) -> EventVerdict {
        let before = commands(recorded);
        let after = commands(candidate);
        let changes = diff::commands(before, after);
        let (verdict, message) = match (recorded, candidate) {
            (MappingAnswer::Commands { .. }, MappingAnswer::Commands { .. })
                if changes.is_empty() =>
            {
                (Verdict::Unchanged, None)
            }
            (MappingAnswer::Review { reason: old }, MappingAnswer::Review { reason: new })
            | (MappingAnswer::Failed { error: old }, MappingAnswer::Failed { error: new })
                if old == new =>
            {
                (Verdict::Unchanged, None)
            }
            (MappingAnswer::Failed { .. }, MappingAnswer::Failed { error }) => {
                (Verdict::Changed, Some(error.clone()))
            }
            (_, MappingAnswer::Failed { error }) => (Verdict::NewFailure, Some(error.clone())),
            (MappingAnswer::Review { .. }, MappingAnswer::Review { reason }) => {
                (Verdict::Changed, Some(format!("review: {reason}")))
            }
            (_, MappingAnswer::Review { reason }) => {
                self.review.push(row.id);
                (Verdict::NewReview, Some(reason.clone()))
            }
            (MappingAnswer::Failed { error }, _) => {
                (Verdict::Changed, Some(format!("recorded: {error}")))
            }
            (MappingAnswer::Review { reason }, _) => {
                (Verdict::Changed, Some(format!("recorded review: {reason}")))
            }
            (MappingAnswer::Commands { .. }, MappingAnswer::Commands { .. }) => {
                (Verdict::Changed, None)
            }
        };
        self.effect.merge(&Effect::of(after), Decimal::ONE);
        self.effect.merge(&Effect::of(before), -Decimal::ONE);
        self.documents.extend(documents(row.id, before, after));
        EventVerdict {
            id: row.id,
            key: Some(row.key.clone()),
            topic: Some(row.topic.clone()),
            verdict,
            recorded: Some(recorded_by),
            message,
            changes,
        }
    }

    fn count(&mut self, verdict: Verdict) {
        let summary = &mut self.summary;
        summary.events += 1;
        match verdict {
            Verdict::Unchanged => summary.unchanged += 1,
            Verdict::Changed => summary.changed += 1,
            Verdict::NewFailure => summary.new_failure += 1,
            Verdict::NewReview => summary.new_review += 1,
            Verdict::NotReplayable => summary.not_replayable += 1,
        }
    }
}

fn not_replayable(id: i64, row: Option<&EventRow>, message: String) -> EventVerdict {
    EventVerdict {
        id,
        key: row.map(|row| row.key.clone()),
        topic: row.map(|row| row.topic.clone()),
        verdict: Verdict::NotReplayable,
        recorded: None,
        message: Some(message),
        changes: Vec::new(),
    }
}

fn commands(answer: &MappingAnswer) -> &[RecordedCommand] {
    match answer {
        MappingAnswer::Commands { commands } => commands,
        MappingAnswer::Review { .. } | MappingAnswer::Failed { .. } => &[],
    }
}

/// The invoices and adjustments of event `event` whose totals differ between the two answers.
fn documents(
    event: i64,
    before: &[RecordedCommand],
    after: &[RecordedCommand],
) -> Vec<DocumentChange> {
    let total_of = |commands: &[RecordedCommand], key: &str| {
        commands
            .iter()
            .find(|command| command.key == key)
            .and_then(document_total)
    };
    let mut keys: Vec<(&str, &str)> = before
        .iter()
        .chain(after)
        .filter(|command| document_total(command).is_some())
        .map(|command| (command.key.as_str(), command.kind.as_str()))
        .collect();
    keys.sort();
    keys.dedup_by_key(|(key, _)| *key);
    keys.into_iter()
        .filter_map(|(key, kind)| {
            let (old, new) = (total_of(before, key), total_of(after, key));
            (old != new).then(|| DocumentChange {
                event,
                key: key.to_owned(),
                kind: kind.to_owned(),
                before: old,
                after: new,
            })
        })
        .collect()
}
