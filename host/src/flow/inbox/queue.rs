//! What the engine does with the inbox: take events in (deduplicated), claim the due ones, record
//! each attempt's outcome with its steps and recording, hand back what a stopping or crashed process held, and
//! keep each polled flow's cursor, in the same transaction as the events it produced.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::InboxError;
use super::recordings::{self, PreparedRecording};
use super::rows::{EVENT_COLUMNS, EventRow};
use super::sqlite::SqliteInbox;
use crate::bindings::types::Event;
use crate::flow::audit::Step;
use crate::flow::status::Status;
use crate::sqlite::{from_ms, to_ms};

/// How an event reached the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    Webhook,
    Poll,
    /// Listed by a backfill of the source's history.
    Backfill,
    /// Queued by a reconciliation's fix: it carries the commands to apply.
    Reconcile,
}

impl Arrival {
    pub fn as_str(self) -> &'static str {
        match self {
            Arrival::Webhook => "webhook",
            Arrival::Poll => "poll",
            Arrival::Backfill => "backfill",
            Arrival::Reconcile => "reconcile",
        }
    }

    pub(super) fn parse(text: &str) -> Self {
        match text {
            "poll" => Arrival::Poll,
            "backfill" => Arrival::Backfill,
            "reconcile" => Arrival::Reconcile,
            _ => Arrival::Webhook,
        }
    }
}

/// What became of one event offered to the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub flow: String,
    pub key: String,
    pub id: i64,
    /// The inbox had it already: nothing new was created.
    pub duplicate: bool,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    Done {
        external_ids: Vec<(String, String)>,
    },
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// The host lacked capacity (a full instance pool, a stopping lane): the event runs again at
    /// `at`, and this attempt does not count against its retries.
    Defer {
        at: DateTime<Utc>,
        reason: String,
    },
    Review {
        reason: String,
    },
    Failed {
        error: String,
    },
}

impl Finish {
    /// A word for how it ended: `done`, `retry`, `deferred`, `review` or `failed`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Finish::Done { .. } => "done",
            Finish::Retry { .. } => "retry",
            Finish::Defer { .. } => "deferred",
            Finish::Review { .. } => "review",
            Finish::Failed { .. } => "failed",
        }
    }
}

/// What an outcome writes on its event's row.
pub(super) struct FinishedRow<'a> {
    pub status: Status,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<&'a str>,
    pub review_reason: Option<&'a str>,
    /// JSON; none keeps the ids stored.
    pub external_ids: Option<String>,
    /// How far `replayed_at_attempt` moves on: 1 for a deferred attempt, whose retries count from
    /// there, so it uses up none.
    pub replays_moved: i32,
}

impl Finish {
    /// The columns this outcome sets.
    pub(super) fn row(&self) -> FinishedRow<'_> {
        let (status, next_attempt_at, last_error, review_reason) = match self {
            Finish::Done { .. } => (Status::Done, None, None, None),
            Finish::Retry { at, error } => (Status::Retry, Some(to_ms(*at)), Some(error), None),
            Finish::Defer { at, reason } => (Status::Retry, Some(to_ms(*at)), Some(reason), None),
            Finish::Review { reason } => (Status::Review, None, None, Some(reason)),
            Finish::Failed { error } => (Status::Failed, None, Some(error), None),
        };
        let external_ids = match self {
            Finish::Done { external_ids } => {
                Some(serde_json::to_string(external_ids).unwrap_or_default())
            }
            _ => None,
        };
        FinishedRow {
            status,
            next_attempt_at,
            last_error: last_error.map(String::as_str),
            review_reason: review_reason.map(String::as_str),
            external_ids,
            replays_moved: i32::from(matches!(self, Finish::Defer { .. })),
        }
    }
}

/// `events`, each for `flow`, as the entries to store.
pub(super) fn of_flow(flow: &str, events: Vec<Event>) -> Vec<(String, Event)> {
    events
        .into_iter()
        .map(|event| (flow.to_owned(), event))
        .collect()
}

/// Where a polled flow stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollState {
    pub cursor: Option<String>,
    pub polled_at: Option<DateTime<Utc>>,
    /// When the next poll is due (none: at once).
    pub next_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A poll's result, saved with its events in one transaction.
#[derive(Debug, Clone)]
pub struct PollSave {
    pub flow: String,
    pub connection: String,
    pub events: Vec<Event>,
    /// The new cursor; `None` keeps the current one.
    pub cursor: Option<String>,
    pub step: Step,
}

impl SqliteInbox {
    /// Stores each (flow, event) pair not seen before as `pending`, with `step` as its first audit
    /// step; returns what happened to each once it is on disk. All or nothing.
    pub(super) async fn receive(
        &self,
        connection: String,
        arrival: Arrival,
        entries: Vec<(String, Event)>,
        step: Step,
        now: DateTime<Utc>,
    ) -> Result<Vec<Receipt>, InboxError> {
        self.write(move |db| insert_events(db, &connection, arrival, &entries, &step, now))
            .await
    }

    /// Claims up to `limit` due events (pending, or retry whose time has come), marking them
    /// running, counting the attempt and pinning the unpinned to their flow's versions in
    /// `active` (JSON: hashes by plugin name by flow).
    pub(super) async fn claim(
        &self,
        limit: usize,
        now: DateTime<Utc>,
        active: String,
    ) -> Result<Vec<EventRow>, InboxError> {
        self.write(move |db| claim_due(db, limit, now, &active))
            .await
    }

    pub(super) async fn finish(
        &self,
        id: i64,
        attempt: u32,
        finish: Finish,
        steps: Vec<Step>,
        recording: Option<PreparedRecording>,
        now: DateTime<Utc>,
    ) -> Result<bool, InboxError> {
        self.write(move |db| {
            if let Some(recording) = &recording {
                recordings::insert(db, id, attempt, now, recording)?;
            }
            record_finish(db, id, attempt, &finish, &steps, now)
        })
        .await
    }

    /// Puts events this process holds back to pending (a graceful stop that could not finish them).
    pub(super) async fn release(
        &self,
        ids: Vec<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        self.write(move |db| {
            for id in ids {
                let attempt: Option<u32> = db
                    .query_row(
                        "UPDATE events SET status = 'pending', next_attempt_at = ?2, updated_at = ?2
                         WHERE id = ?1 AND status = 'running' RETURNING attempts",
                        params![id, to_ms(now)],
                        |row| row.get(0),
                    )
                    .optional()?;
                if let Some(attempt) = attempt {
                    let note =
                        "released at shutdown before it finished; it runs again on the next start";
                    insert_step(db, id, &Step::note(attempt, "released", now, note))?;
                }
            }
            Ok(())
        })
        .await
    }

    /// At start: events a previous process left running (it crashed or was killed) go back to
    /// pending, each with an `interrupted` step. Returns how many.
    pub(super) async fn recover(&self, now: DateTime<Utc>) -> Result<usize, InboxError> {
        self.write(move |db| {
            let interrupted: Vec<(i64, u32)> = {
                let mut statement = db.prepare(
                    "UPDATE events SET status = 'pending', next_attempt_at = ?1, updated_at = ?1
                     WHERE status = 'running' RETURNING id, attempts",
                )?;
                statement
                    .query_map(params![to_ms(now)], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect::<Result<_, _>>()?
            };
            for &(id, attempt) in &interrupted {
                let note = "the process stopped during this attempt; resumed at start";
                insert_step(db, id, &Step::note(attempt, "interrupted", now, note))?;
            }
            Ok(interrupted.len())
        })
        .await
    }

    /// Where a polled flow stands.
    pub(super) fn poll_state(&self, flow: &str) -> Result<PollState, InboxError> {
        let found = self
            .db()
            .query_row(
                "SELECT cursor, polled_at, next_at, last_error FROM cursors WHERE flow = ?1",
                params![flow],
                |row| {
                    Ok(PollState {
                        cursor: row.get(0)?,
                        polled_at: row.get::<_, Option<i64>>(1)?.map(from_ms),
                        next_at: row.get::<_, Option<i64>>(2)?.map(from_ms),
                        last_error: row.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(found.unwrap_or_default())
    }

    /// Stores a poll's events (deduplicated like webhooks) and its new cursor, all or nothing;
    /// the flow is polled next at `next_at`.
    pub(super) async fn save_poll(
        &self,
        save: PollSave,
        next_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Receipt>, InboxError> {
        self.write(move |db| {
            let entries = of_flow(&save.flow, save.events);
            let receipts = insert_events(
                db,
                &save.connection,
                Arrival::Poll,
                &entries,
                &save.step,
                now,
            )?;
            db.prepare_cached(
                "INSERT INTO cursors (flow, cursor, polled_at, next_at, last_error)
                 VALUES (?1, ?2, ?3, ?4, NULL)
                 ON CONFLICT (flow) DO UPDATE SET cursor = COALESCE(?2, cursor), polled_at = ?3,
                     next_at = ?4, last_error = NULL",
            )?
            .execute(params![save.flow, save.cursor, to_ms(now), to_ms(next_at)])?;
            Ok(receipts)
        })
        .await
    }

    /// Records a failed poll; the flow is polled again at `next_at`.
    pub(super) async fn poll_failed(
        &self,
        flow: String,
        error: String,
        next_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        self.write(move |db| {
            db.prepare_cached(
                "INSERT INTO cursors (flow, polled_at, next_at, last_error) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (flow) DO UPDATE SET polled_at = ?2, next_at = ?3, last_error = ?4",
            )?
            .execute(params![flow, to_ms(now), to_ms(next_at), error])?;
            Ok(())
        })
        .await
    }

    /// How many events are in each status that has any, by the status's name.
    pub(super) fn status_counts(&self) -> Result<Vec<(String, u64)>, InboxError> {
        let db = self.db();
        let mut statement =
            db.prepare_cached("SELECT status, COUNT(*) FROM events GROUP BY status")?;
        let counted = statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get::<_, i64>(1)?.max(0) as u64))
            })?
            .collect::<Result<_, _>>()?;
        Ok(counted)
    }
}

fn claim_due(
    db: &Connection,
    limit: usize,
    now: DateTime<Utc>,
    active: &str,
) -> Result<Vec<EventRow>, InboxError> {
    let mut statement = db.prepare_cached(&format!(
        "UPDATE events SET status = 'running', attempts = attempts + 1, updated_at = ?1,
             pins = COALESCE(pins, json_extract(?3, '$.' || json_quote(flow)))
         WHERE id IN (SELECT id FROM events WHERE status IN ('pending', 'retry')
                      AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2)
         RETURNING {EVENT_COLUMNS}"
    ))?;
    let mut rows: Vec<EventRow> = statement
        .query_map(params![to_ms(now), limit as i64, active], EventRow::read)?
        .collect::<Result<_, _>>()?;
    rows.sort_by_key(|row| row.id);
    Ok(rows)
}

fn record_finish(
    db: &Connection,
    id: i64,
    attempt: u32,
    finish: &Finish,
    steps: &[Step],
    now: DateTime<Utc>,
) -> Result<bool, InboxError> {
    for step in steps {
        insert_step(db, id, step)?;
    }
    let row = finish.row();
    let updated = db
        .prepare_cached(
            "UPDATE events SET status = ?3, next_attempt_at = ?4, last_error = ?5,
                 review_reason = ?6, external_ids = COALESCE(?7, external_ids), updated_at = ?8,
                 replayed_at_attempt = replayed_at_attempt + ?9
             WHERE id = ?1 AND attempts = ?2 AND status = 'running'",
        )?
        .execute(params![
            id,
            attempt,
            row.status.as_str(),
            row.next_attempt_at,
            row.last_error,
            row.review_reason,
            row.external_ids,
            to_ms(now),
            row.replays_moved
        ])?;
    Ok(updated == 1)
}

pub(super) fn insert_events(
    db: &Connection,
    connection: &str,
    arrival: Arrival,
    entries: &[(String, Event)],
    step: &Step,
    now: DateTime<Utc>,
) -> Result<Vec<Receipt>, InboxError> {
    let mut receipts = Vec::with_capacity(entries.len());
    for (flow, event) in entries {
        let inserted = db
            .prepare_cached(
                "INSERT INTO events (flow, connection, event_key, topic, reference, occurred_at,
                     payload, arrival, status, received_at, updated_at, next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?9, ?9)
                 ON CONFLICT (flow, event_key) DO NOTHING",
            )?
            .execute(params![
                flow,
                connection,
                event.key,
                event.topic,
                event.reference,
                event.occurred_at,
                event.payload,
                arrival.as_str(),
                to_ms(now)
            ])?;
        let id = match inserted {
            1 => {
                let id = db.last_insert_rowid();
                insert_step(db, id, step)?;
                id
            }
            _ => db.query_row(
                "SELECT id FROM events WHERE flow = ?1 AND event_key = ?2",
                params![flow, event.key],
                |row| row.get(0),
            )?,
        };
        receipts.push(Receipt {
            flow: flow.clone(),
            key: event.key.clone(),
            id,
            duplicate: inserted == 0,
        });
    }
    Ok(receipts)
}

pub(super) fn insert_step(db: &Connection, event_id: i64, step: &Step) -> Result<(), InboxError> {
    db.prepare_cached(
        "INSERT INTO steps (event_id, attempt, name, plugin, plugin_version, plugin_hash,
             started_at, duration_us, ok, message, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        event_id,
        step.attempt,
        step.name,
        step.plugin,
        step.plugin_version,
        step.plugin_hash,
        to_ms(step.started_at),
        step.duration.as_micros() as i64,
        step.ok,
        step.message,
        step.detail.to_string()
    ])?;
    Ok(())
}
