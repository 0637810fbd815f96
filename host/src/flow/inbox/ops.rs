//! What a person does with the inbox, from the CLI or the admin API: list and inspect events,
//! replay them, and settle the ones waiting for review.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, ToSql, params, params_from_iter};
use serde::Serialize;
use serde_json::Value;

use super::queue::insert_step;
use super::rows::{EVENT_COLUMNS, EventRow, STEP_COLUMNS, read_step};
use super::sqlite::SqliteInbox;
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

/// An [`EventFilter`]'s conditions as a `WHERE` clause, one `?` per value, with the values in
/// order. Only the conditions the filter sets are written, so SQLite walks the index of the column
/// filtered (`migrations/0004_console_indexes.sql`) or the ids below `before` and stops after a
/// page; a clause testing every parameter for NULL would hide the indexes and scan the table.
fn filter_sql(filter: &EventFilter) -> (String, Vec<Box<dyn ToSql + '_>>) {
    let conditions: [(&str, Option<Box<dyn ToSql + '_>>); 6] = [
        (
            "status = ?",
            filter.status.map(|status| boxed(status.as_str())),
        ),
        ("flow = ?", filter.flow.as_deref().map(boxed)),
        ("topic = ?", filter.topic.as_deref().map(boxed)),
        (
            "reference LIKE ? ESCAPE '\\'",
            filter.text.as_deref().map(|text| boxed(containing(text))),
        ),
        (
            "received_at >= ?",
            filter.since.map(|since| boxed(to_ms(since))),
        ),
        ("id < ?", filter.before.map(boxed)),
    ];
    let (clauses, values): (Vec<&str>, Vec<_>) = conditions
        .into_iter()
        .filter_map(|(clause, value)| Some((clause, value?)))
        .unzip();
    match clauses.is_empty() {
        true => ("1".to_owned(), values),
        false => (clauses.join(" AND "), values),
    }
}

fn boxed<'a>(value: impl ToSql + 'a) -> Box<dyn ToSql + 'a> {
    Box::new(value)
}

/// The `LIKE` pattern (escape `\`) of a text containing `text`: `LIKE` ignores the case of ASCII
/// letters, and `%` and `_` in `text` stand for themselves.
pub(super) fn containing(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for character in text.chars() {
        if matches!(character, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

/// The newest events matching `clause`, at most `?` (the last value).
fn list_sql(clause: &str) -> String {
    format!("SELECT {EVENT_COLUMNS} FROM events WHERE {clause} ORDER BY id DESC LIMIT ?")
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

/// How many events a list shows when its filter sets no limit.
pub(super) const DEFAULT_LIMIT: usize = 100;

impl EventFilter {
    /// The most events a list under this filter shows.
    pub(super) fn most(&self) -> usize {
        match self.limit {
            0 => DEFAULT_LIMIT,
            limit => limit,
        }
    }
}

impl Inbox {
    /// The event and its audit trail.
    pub fn show(&self, id: i64) -> Result<EventDetail, OpsError> {
        let event = self.get(id)?.ok_or(OpsError::NotFound(id))?;
        let steps = self.steps(id)?;
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
        let step = Step::note(event.attempts, "replay", now, note);
        self.requeue(id, event.attempts, None, step, now)?;
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
                self.requeue(id, event.attempts, Some(decision.to_string()), step, now)?;
            }
            Resolution::Skip(why) => {
                let note = format!("skipped by {actor}: {why}");
                let step = Step::note(event.attempts, "resolve", now, note);
                self.skip(id, step, now)?;
            }
        }
        self.get(id)?.ok_or(OpsError::NotFound(id))
    }
}

impl SqliteInbox {
    pub(super) fn list(&self, filter: &EventFilter) -> Result<Vec<EventRow>, InboxError> {
        let (clause, mut values) = filter_sql(filter);
        values.push(boxed(filter.most() as i64));
        let db = self.db();
        let mut statement = db.prepare_cached(&list_sql(&clause))?;
        let rows = statement
            .query_map(params_from_iter(values), EventRow::read)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    pub(super) fn count(&self, filter: &EventFilter) -> Result<u64, InboxError> {
        let (clause, values) = filter_sql(filter);
        let db = self.db();
        let mut statement =
            db.prepare_cached(&format!("SELECT COUNT(*) FROM events WHERE {clause}"))?;
        let count: i64 = statement.query_row(params_from_iter(values), |row| row.get(0))?;
        Ok(count.max(0) as u64)
    }

    pub(super) fn get(&self, id: i64) -> Result<Option<EventRow>, InboxError> {
        Ok(self
            .db()
            .query_row(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"),
                params![id],
                EventRow::read,
            )
            .optional()?)
    }

    pub(super) fn steps(&self, id: i64) -> Result<Vec<Step>, InboxError> {
        let db = self.db();
        let mut statement = db.prepare_cached(&format!(
            "SELECT {STEP_COLUMNS} FROM steps WHERE event_id = ?1 ORDER BY id"
        ))?;
        let steps = statement
            .query_map(params![id], read_step)?
            .collect::<Result<_, _>>()?;
        Ok(steps)
    }

    pub(super) fn skip(&self, id: i64, step: Step, now: DateTime<Utc>) -> Result<(), InboxError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        insert_step(&tx, id, &step)?;
        tx.execute(
            "UPDATE events SET status = 'skipped', updated_at = ?2 WHERE id = ?1",
            params![id, to_ms(now)],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(super) fn requeue(
        &self,
        id: i64,
        attempts: u32,
        resolution: Option<String>,
        step: Step,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        insert_step(&tx, id, &step)?;
        tx.execute(
            "UPDATE events SET status = 'pending', next_attempt_at = ?2, updated_at = ?2,
                 resolution = COALESCE(?3, resolution), replayed_at_attempt = attempts,
                 pins = NULL
             WHERE id = ?1 AND attempts = ?4",
            params![id, to_ms(now), resolution, attempts],
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::bindings::types::Event;
    use crate::flow::inbox::{Arrival, Finish};
    use crate::sqlite::fresh_path;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc()
    }

    /// An inbox with one event per `(flow, topic, reference)`, an hour apart from `start()`,
    /// every one failed but the first, done.
    async fn inbox_with(events: &[(&str, &str, &str)]) -> Inbox {
        let inbox = Inbox::open(&fresh_path("filters.db")).unwrap();
        for (n, &(flow, topic, reference)) in events.iter().enumerate() {
            let at = start() + Duration::hours(n as i64);
            let event = Event {
                key: format!("e{n}"),
                topic: topic.into(),
                reference: reference.into(),
                occurred_at: None,
                payload: None,
            };
            let step = Step::note(0, "received", at, "test");
            let entries = vec![(flow.to_owned(), event)];
            inbox
                .receive("shop".into(), Arrival::Webhook, entries, step, at)
                .await
                .unwrap();
        }
        let later = start() + Duration::days(1);
        for row in inbox
            .claim(events.len(), later, &Default::default())
            .await
            .unwrap()
        {
            let finish = match row.key.as_str() {
                "e0" => Finish::Done {
                    external_ids: Vec::new(),
                },
                _ => Finish::Failed {
                    error: "refused".into(),
                },
            };
            inbox
                .finish(row.id, 1, finish, Vec::new(), None, later)
                .await
                .unwrap();
        }
        inbox
    }

    /// The keys `filter` lists, newest first, after checking `count` agrees.
    fn keys(inbox: &Inbox, filter: EventFilter) -> Vec<String> {
        let keys: Vec<String> = inbox
            .list(&filter)
            .unwrap()
            .into_iter()
            .map(|row| row.key)
            .collect();
        let unlimited = EventFilter { limit: 0, ..filter };
        assert_eq!(inbox.count(&unlimited).unwrap(), keys.len() as u64);
        keys
    }

    #[tokio::test]
    async fn each_filter_narrows_the_list_and_the_count_alike() {
        let inbox = inbox_with(&[
            ("orders", "orders/create", "#1001"),
            ("orders", "orders/paid", "#A1002"),
            ("refunds", "refunds/create", "100%_off"),
            ("orders", "orders/paid", "#1004"),
        ])
        .await;
        let every = EventFilter::default();
        assert_eq!(keys(&inbox, every.clone()), ["e3", "e2", "e1", "e0"]);
        let only = |change: fn(&mut EventFilter)| {
            let mut filter = every.clone();
            change(&mut filter);
            keys(&inbox, filter)
        };
        assert_eq!(
            only(|f| f.status = Some(Status::Failed)),
            ["e3", "e2", "e1"]
        );
        assert_eq!(only(|f| f.flow = Some("refunds".into())), ["e2"]);
        assert_eq!(only(|f| f.topic = Some("orders/paid".into())), ["e3", "e1"]);
        assert_eq!(only(|f| f.text = Some("#a10".into())), ["e1"]);
        assert_eq!(only(|f| f.text = Some("%".into())), ["e2"]);
        assert_eq!(only(|f| f.text = Some("0%_".into())), ["e2"]);
        assert_eq!(only(|f| f.text = Some("1_0".into())), Vec::<String>::new());
        assert_eq!(
            only(|f| f.since = Some(start() + Duration::hours(2))),
            ["e3", "e2"]
        );
        let before_e2 = inbox.list(&every).unwrap()[1].id;
        let mut older = every.clone();
        older.before = Some(before_e2);
        assert_eq!(keys(&inbox, older.clone()), ["e1", "e0"]);
        older.status = Some(Status::Failed);
        older.topic = Some("orders/paid".into());
        assert_eq!(keys(&inbox, older), ["e1"]);
        assert_eq!(
            inbox
                .list(&EventFilter { limit: 1, ..every })
                .unwrap()
                .len(),
            1
        );
    }

    /// How SQLite runs the list under `filter`.
    fn plan(inbox: &Inbox, filter: &EventFilter) -> String {
        let (clause, mut values) = filter_sql(filter);
        values.push(boxed(51));
        let db = inbox.sqlite().db();
        let mut statement = db
            .prepare(&format!("EXPLAIN QUERY PLAN {}", list_sql(&clause)))
            .unwrap();
        let steps: Vec<String> = statement
            .query_map(params_from_iter(values), |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        steps.join("; ")
    }

    #[tokio::test]
    async fn a_page_under_a_status_flow_topic_or_before_walks_an_index() {
        let inbox = inbox_with(&[("orders", "orders/create", "#1")]).await;
        let cases = [
            (
                EventFilter {
                    status: Some(Status::Failed),
                    ..EventFilter::default()
                },
                "USING INDEX events_status (status=?)",
            ),
            (
                EventFilter {
                    flow: Some("orders".into()),
                    before: Some(10),
                    ..EventFilter::default()
                },
                "USING INDEX events_flow (flow=? AND id<?)",
            ),
            (
                EventFilter {
                    topic: Some("orders/paid".into()),
                    ..EventFilter::default()
                },
                "USING INDEX events_topic (topic=?)",
            ),
            (
                EventFilter {
                    before: Some(10),
                    ..EventFilter::default()
                },
                "USING INTEGER PRIMARY KEY (rowid<?)",
            ),
        ];
        for (filter, expected) in cases {
            let plan = plan(&inbox, &filter);
            assert!(plan.contains(expected), "{filter:?}: {plan}");
        }
    }
}
