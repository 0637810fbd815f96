//! What a person does with the inbox, from the CLI or the admin API: list and inspect events,
//! replay them, and settle the ones waiting for review.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use super::queue::insert_step;
use super::rows::{EVENT_COLUMNS, EventRow, STEP_COLUMNS, read_step};
use super::{Inbox, InboxError};
use crate::flow::audit::Step;
use crate::flow::status::Status;
use crate::sqlite::to_ms;

/// Which events `list` shows, newest first, and `count` counts.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub status: Option<Status>,
    pub flow: Option<String>,
    pub topic: Option<String>,
    /// Text the reference contains (case-insensitive for ASCII).
    pub text: Option<String>,
    /// Received at or after.
    pub since: Option<DateTime<Utc>>,
    /// Only events older than this id: the next page after a page that ended at it.
    pub before: Option<i64>,
    /// At most this many (0: the default of 100).
    pub limit: usize,
}

/// The `WHERE` clause of an [`EventFilter`], its parameters `?1` to `?6` in [`filter_params`]'s order.
const FILTER_WHERE: &str = "(?1 IS NULL OR status = ?1) AND (?2 IS NULL OR flow = ?2)
    AND (?3 IS NULL OR topic = ?3) AND (?4 IS NULL OR instr(lower(reference), lower(?4)) > 0)
    AND (?5 IS NULL OR received_at >= ?5) AND (?6 IS NULL OR id < ?6)";

fn filter_params(filter: &EventFilter) -> [Box<dyn rusqlite::ToSql + '_>; 6] {
    [
        Box::new(filter.status.map(Status::as_str)),
        Box::new(filter.flow.as_deref()),
        Box::new(filter.topic.as_deref()),
        Box::new(filter.text.as_deref()),
        Box::new(filter.since.map(to_ms)),
        Box::new(filter.before),
    ]
}

/// An event with its whole audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct EventDetail {
    pub event: EventRow,
    pub steps: Vec<Step>,
}

/// A person's decision on an event waiting for review.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Post it; the mapping receives this JSON as `resolution` in its config (an order to match,
    /// or `{}` to post as is).
    Post(Value),
    /// Do not post it; the note says why.
    Skip(String),
}

/// Why an operation was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OpsError {
    #[error("there is no event {0} (list them with `mlc events list`)")]
    NotFound(i64),
    #[error("event {id} is {status}: {hint}")]
    WrongState {
        id: i64,
        status: Status,
        hint: String,
    },
    #[error(transparent)]
    Inbox(#[from] InboxError),
}

impl From<rusqlite::Error> for OpsError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Inbox(error.into())
    }
}

const DEFAULT_LIMIT: usize = 100;

impl Inbox {
    pub fn list(&self, filter: &EventFilter) -> Result<Vec<EventRow>, InboxError> {
        let db = self.db();
        let mut statement = db.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE {FILTER_WHERE} ORDER BY id DESC LIMIT ?7"
        ))?;
        let limit = match filter.limit {
            0 => DEFAULT_LIMIT,
            limit => limit,
        };
        let [status, flow, topic, text, since, before] = filter_params(filter);
        let rows = statement
            .query_map(
                params![status, flow, topic, text, since, before, limit as i64],
                EventRow::read,
            )?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// How many events match `filter` (its `limit` aside).
    pub fn count(&self, filter: &EventFilter) -> Result<u64, InboxError> {
        let db = self.db();
        let mut statement =
            db.prepare_cached(&format!("SELECT COUNT(*) FROM events WHERE {FILTER_WHERE}"))?;
        let [status, flow, topic, text, since, before] = filter_params(filter);
        let count: i64 = statement
            .query_row(params![status, flow, topic, text, since, before], |row| {
                row.get(0)
            })?;
        Ok(count.max(0) as u64)
    }

    pub fn get(&self, id: i64) -> Result<Option<EventRow>, InboxError> {
        Ok(self
            .db()
            .query_row(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"),
                params![id],
                EventRow::read,
            )
            .optional()?)
    }

    /// The event and its audit trail.
    pub fn show(&self, id: i64) -> Result<EventDetail, OpsError> {
        let event = self.get(id)?.ok_or(OpsError::NotFound(id))?;
        let db = self.db();
        let mut statement = db.prepare_cached(&format!(
            "SELECT {STEP_COLUMNS} FROM steps WHERE event_id = ?1 ORDER BY id"
        ))?;
        let steps = statement
            .query_map(params![id], read_step)?
            .collect::<Result<_, _>>()?;
        Ok(EventDetail { event, steps })
    }

    /// Runs a finished event again from the start (fetch, map, apply). The sink's idempotency keys
    /// make commands it already carried out count as done rather than post twice. `actor` (who
    /// asked: `cli`, `admin api`, a console user) goes into the audit trail.
    pub fn replay(&self, id: i64, actor: &str, now: DateTime<Utc>) -> Result<EventRow, OpsError> {
        let event = self.get(id)?.ok_or(OpsError::NotFound(id))?;
        match event.status {
            Status::Failed | Status::Done | Status::Skipped => {}
            Status::Review => {
                return Err(OpsError::WrongState {
                    id,
                    status: event.status,
                    hint: format!("it waits for a decision: `mlc review resolve {id}`"),
                });
            }
            Status::Pending | Status::Running | Status::Retry => {
                return Err(OpsError::WrongState {
                    id,
                    status: event.status,
                    hint: "the engine has it in hand already".into(),
                });
            }
        }
        let note = format!("replay requested by {actor} (was {})", event.status);
        self.requeue(
            id,
            event.attempts,
            None,
            &Step::note(event.attempts, "replay", now, note),
            now,
        )?;
        self.get(id)?.ok_or(OpsError::NotFound(id))
    }

    /// Replays every failed event; returns their ids.
    pub fn replay_failed(&self, actor: &str, now: DateTime<Utc>) -> Result<Vec<i64>, OpsError> {
        let failed = self.list(&EventFilter {
            status: Some(Status::Failed),
            limit: usize::MAX >> 1,
            ..EventFilter::default()
        })?;
        let mut ids = Vec::with_capacity(failed.len());
        for event in failed.into_iter().rev() {
            self.replay(event.id, actor, now)?;
            ids.push(event.id);
        }
        Ok(ids)
    }

    /// Settles an event waiting for review: posts it with the decision, or skips it; `actor` as
    /// for [`Inbox::replay`].
    pub fn resolve(
        &self,
        id: i64,
        resolution: &Resolution,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<EventRow, OpsError> {
        let event = self.get(id)?.ok_or(OpsError::NotFound(id))?;
        if event.status != Status::Review {
            return Err(OpsError::WrongState {
                id,
                status: event.status,
                hint: "only events waiting for review can be resolved (`mlc review list`)".into(),
            });
        }
        match resolution {
            Resolution::Post(decision) => {
                let note = format!("resolved by {actor}: post with {decision}");
                let step = Step::note(event.attempts, "resolve", now, note);
                self.requeue(id, event.attempts, Some(&decision.to_string()), &step, now)?;
            }
            Resolution::Skip(why) => {
                let mut db = self.db();
                let tx = db.transaction()?;
                let step = Step::note(
                    event.attempts,
                    "resolve",
                    now,
                    format!("skipped by {actor}: {why}"),
                );
                insert_step(&tx, id, &step)?;
                tx.execute(
                    "UPDATE events SET status = 'skipped', updated_at = ?2 WHERE id = ?1",
                    params![id, to_ms(now)],
                )?;
                tx.commit()?;
            }
        }
        self.get(id)?.ok_or(OpsError::NotFound(id))
    }

    /// Back to pending, due now, with `step` in the trail; `resolution` replaces the stored one
    /// when given.
    fn requeue(
        &self,
        id: i64,
        attempts: u32,
        resolution: Option<&str>,
        step: &Step,
        now: DateTime<Utc>,
    ) -> Result<(), OpsError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        insert_step(&tx, id, step)?;
        tx.execute(
            "UPDATE events SET status = 'pending', next_attempt_at = ?2, updated_at = ?2,
                 resolution = COALESCE(?3, resolution), replayed_at_attempt = attempts
             WHERE id = ?1 AND attempts = ?4",
            params![id, to_ms(now), resolution, attempts],
        )?;
        tx.commit()?;
        Ok(())
    }
}
