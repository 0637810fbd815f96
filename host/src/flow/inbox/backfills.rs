//! Where each backfill of a flow's source history stands (`migrations/0006_backfills.sql`): the
//! unfinished backfill to resume, and each page's events stored with the new cursor and counts in
//! one transaction (the first page's also makes the backfill's row), so a backfill killed between
//! pages resumes at the first page it had not stored and a backfill that lists nothing stores
//! nothing.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::InboxError;
use super::queue::{Arrival, Receipt, insert_events, of_flow};
use super::sqlite::SqliteInbox;
use crate::bindings::types::Event;
use crate::flow::audit::Step;
use crate::sqlite::{from_ms, to_ms};

/// One backfill and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackfillRow {
    pub id: i64,
    pub flow: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Where the next page starts (none: at the first page).
    pub cursor: Option<String>,
    pub pages: u64,
    /// Events the source listed, the flow's topics or not.
    pub listed: u64,
    /// Events the inbox did not have yet.
    pub added: u64,
    /// The newest change listed so far.
    pub reached: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub(super) const COLUMNS: &str = "id, flow, since, until, cursor, pages, listed, added, reached, \
                                  started_at, updated_at, finished_at";

impl BackfillRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            flow: row.get(1)?,
            since: from_ms(row.get(2)?),
            until: from_ms(row.get(3)?),
            cursor: row.get(4)?,
            pages: row.get::<_, i64>(5)?.unsigned_abs(),
            listed: row.get::<_, i64>(6)?.unsigned_abs(),
            added: row.get::<_, i64>(7)?.unsigned_abs(),
            reached: row.get::<_, Option<i64>>(8)?.map(from_ms),
            started_at: from_ms(row.get(9)?),
            updated_at: from_ms(row.get(10)?),
            finished_at: row.get::<_, Option<i64>>(11)?.map(from_ms),
        })
    }
}

/// Which backfill a page belongs to.
pub enum BackfillOf {
    /// One already stored.
    Stored(i64),
    /// A new one, of this range: the page is its first.
    New {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
}

/// One page of a backfill, to store.
pub struct BackfillPage {
    pub backfill: BackfillOf,
    pub connection: String,
    /// The page's events of the flow's topics: each goes into the inbox unless it is there.
    pub events: Vec<Event>,
    /// How many events the source listed on the page, of the flow's topics or not.
    pub listed: u64,
    /// Where the next page starts.
    pub cursor: Option<String>,
    /// The newest change on the page.
    pub reached: Option<DateTime<Utc>>,
    /// The source said no page follows: the backfill is finished.
    pub last: bool,
    /// Every new event's first audit step.
    pub step: Step,
}

impl SqliteInbox {
    /// The unfinished backfill of `flow` from `since` (to `until`, when given), to resume.
    pub(super) fn open_backfill(
        &self,
        flow: &str,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Option<BackfillRow>, InboxError> {
        Ok(self
            .db()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM backfills
                     WHERE flow = ?1 AND since = ?2 AND finished_at IS NULL
                       AND (?3 IS NULL OR until = ?3)
                     ORDER BY id DESC LIMIT 1"
                ),
                params![flow, to_ms(since), until.map(to_ms)],
                BackfillRow::read,
            )
            .optional()?)
    }

    /// Backfill `id`.
    pub(super) fn backfill(&self, id: i64) -> Result<Option<BackfillRow>, InboxError> {
        Ok(self
            .db()
            .query_row(
                &format!("SELECT {COLUMNS} FROM backfills WHERE id = ?1"),
                params![id],
                BackfillRow::read,
            )
            .optional()?)
    }

    /// Every backfill, the newest first.
    pub(super) fn backfills(&self) -> Result<Vec<BackfillRow>, InboxError> {
        let db = self.db();
        let mut statement =
            db.prepare(&format!("SELECT {COLUMNS} FROM backfills ORDER BY id DESC"))?;
        let rows = statement.query_map([], BackfillRow::read)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores a page: its events not in the inbox yet (deduplicated as webhooks and polls are),
    /// and the backfill's new cursor and counts, all or nothing. Returns the page's receipts and
    /// the backfill as it now stands.
    pub(super) async fn save_backfill_page(
        &self,
        flow: String,
        page: BackfillPage,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Receipt>, BackfillRow), InboxError> {
        self.write(move |db| save_page(db, &flow, page, now)).await
    }
}

fn save_page(
    db: &Connection,
    flow: &str,
    page: BackfillPage,
    now: DateTime<Utc>,
) -> Result<(Vec<Receipt>, BackfillRow), InboxError> {
    let entries = of_flow(flow, page.events);
    let receipts = insert_events(
        db,
        &page.connection,
        Arrival::Backfill,
        &entries,
        &page.step,
        now,
    )?;
    let added = receipts.iter().filter(|receipt| !receipt.duplicate).count() as i64;
    let id = match page.backfill {
        BackfillOf::Stored(id) => id,
        BackfillOf::New { since, until } => {
            db.prepare_cached(
                "INSERT INTO backfills (flow, since, until, started_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![flow, to_ms(since), to_ms(until), to_ms(now)])?;
            db.last_insert_rowid()
        }
    };
    let row = db
        .prepare_cached(&format!(
            "UPDATE backfills SET cursor = ?2, pages = pages + 1, listed = listed + ?3,
                 added = added + ?4, reached = MAX(COALESCE(reached, ?5), COALESCE(?5, reached)),
                 updated_at = ?6, finished_at = CASE WHEN ?7 THEN ?6 END
             WHERE id = ?1 AND finished_at IS NULL
             RETURNING {COLUMNS}"
        ))?
        .query_row(
            params![
                id,
                page.cursor,
                page.listed as i64,
                added,
                page.reached.map(to_ms),
                to_ms(now),
                page.last
            ],
            BackfillRow::read,
        )
        .optional()?
        .ok_or_else(|| {
            InboxError(format!(
                "backfill {id} is finished or gone; its page was not stored"
            ))
        })?;
    Ok((receipts, row))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::inbox::Inbox;
    use crate::sqlite::fresh_path;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn event(key: &str) -> Event {
        Event {
            key: key.into(),
            topic: "orders/updated".into(),
            reference: key.into(),
            occurred_at: None,
            payload: None,
        }
    }

    fn page(backfill: BackfillOf, keys: &[&str], cursor: &str, last: bool) -> BackfillPage {
        BackfillPage {
            backfill,
            connection: "shop".into(),
            events: keys.iter().map(|key| event(key)).collect(),
            listed: keys.len() as u64 + 1,
            cursor: Some(cursor.into()),
            reached: Some(at("2026-11-10T00:00:00Z")),
            last,
            step: Step::note(0, "received", at("2026-12-01T00:00:00Z"), "listed"),
        }
    }

    #[tokio::test]
    async fn a_backfill_resumes_at_its_cursor_and_a_finished_one_is_not_resumed() {
        let inbox = Inbox::open(&fresh_path("backfills")).unwrap();
        let (since, now) = (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"));
        assert_eq!(inbox.open_backfill("orders", since, None).unwrap(), None);

        let new = BackfillOf::New { since, until: now };
        let (receipts, first) = inbox
            .save_backfill_page("orders".into(), page(new, &["a", "b"], "p2", false), now)
            .await
            .unwrap();
        assert!(receipts.iter().all(|receipt| !receipt.duplicate));
        assert_eq!((first.pages, first.listed, first.added), (1, 3, 2));
        assert_eq!((first.since, first.until), (since, now));

        let later = at("2026-12-02T00:00:00Z");
        let again = inbox.open_backfill("orders", since, None).unwrap().unwrap();
        assert_eq!((again.id, again.cursor.as_deref()), (first.id, Some("p2")));
        assert_eq!(
            inbox.open_backfill("orders", since, Some(later)).unwrap(),
            None
        );

        let stored = BackfillOf::Stored(first.id);
        let (receipts, row) = inbox
            .save_backfill_page(
                "orders".into(),
                page(stored, &["b", "c"], "p3", true),
                later,
            )
            .await
            .unwrap();
        let duplicates: Vec<bool> = receipts.iter().map(|receipt| receipt.duplicate).collect();
        assert_eq!(duplicates, [true, false]);
        assert_eq!((row.pages, row.listed, row.added), (2, 6, 3));
        assert_eq!(row.finished_at, Some(later));

        let stored = BackfillOf::Stored(first.id);
        let error = inbox
            .save_backfill_page("orders".into(), page(stored, &["d"], "p4", true), later)
            .await
            .unwrap_err();
        assert!(error.0.contains("is finished or gone"), "{error}");
        assert_eq!(inbox.open_backfill("orders", since, None).unwrap(), None);
        assert_eq!(inbox.backfills().unwrap().len(), 1);
        let events = inbox.list(&crate::flow::EventFilter::default()).unwrap();
        assert_eq!(events.len(), 3, "d was not stored");
    }
}
