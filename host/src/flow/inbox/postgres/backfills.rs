//! Where each backfill stands in the shared inbox (see `super::super::backfills` for the SQLite
//! twin): a page's events, cursor and counts stored in one transaction.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::PostgresInbox;
use super::queue::insert_events;
use crate::flow::inbox::backfills::COLUMNS;
use crate::flow::inbox::queue::of_flow;
use crate::flow::inbox::{Arrival, BackfillOf, BackfillPage, BackfillRow, InboxError, Receipt};
use crate::postgres::Statements;
use crate::sqlite::{from_ms, to_ms};

impl PostgresInbox {
    pub(in crate::flow::inbox) async fn open_backfill(
        &self,
        flow: &str,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Option<BackfillRow>, InboxError> {
        let found = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM backfills
                     WHERE flow = $1 AND since = $2 AND finished_at IS NULL
                       AND ($3::bigint IS NULL OR until = $3)
                     ORDER BY id DESC LIMIT 1"
                ),
                &[&flow, &to_ms(since), &until.map(to_ms)],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(found.as_ref().map(backfill_row))
    }

    pub(in crate::flow::inbox) async fn backfill(
        &self,
        id: i64,
    ) -> Result<Option<BackfillRow>, InboxError> {
        let found = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {COLUMNS} FROM backfills WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(found.as_ref().map(backfill_row))
    }

    pub(in crate::flow::inbox) async fn backfills(&self) -> Result<Vec<BackfillRow>, InboxError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!("SELECT {COLUMNS} FROM backfills ORDER BY id DESC"),
                &[],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(rows.iter().map(backfill_row).collect())
    }

    pub(in crate::flow::inbox) async fn save_backfill_page(
        &self,
        flow: String,
        page: BackfillPage,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Receipt>, BackfillRow), InboxError> {
        let entries = of_flow(&flow, page.events);
        let mut session = self.session().await?;
        let tx = session.transaction().await.map_err(|e| self.failed(e))?;
        let receipts = insert_events(
            &tx,
            &page.connection,
            Arrival::Backfill,
            &entries,
            &page.step,
            now,
        )
        .await
        .map_err(|e| self.failed(e))?;
        let added = receipts.iter().filter(|receipt| !receipt.duplicate).count() as i64;
        let id: i64 = match page.backfill {
            BackfillOf::Stored(id) => id,
            BackfillOf::New { since, until } => tx
                .query_one(
                    "INSERT INTO backfills (flow, since, until, started_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                    &[&flow, &to_ms(since), &to_ms(until), &to_ms(now)],
                )
                .await
                .map_err(|e| self.failed(e))?
                .get(0),
        };
        let values: [&(dyn ToSql + Sync); 7] = [
            &id,
            &page.cursor,
            &(page.listed as i64),
            &added,
            &page.reached.map(to_ms),
            &to_ms(now),
            &page.last,
        ];
        let row = tx
            .query_opt(
                &format!(
                    "UPDATE backfills SET cursor = $2, pages = pages + 1, listed = listed + $3,
                         added = added + $4, reached = GREATEST(reached, $5), updated_at = $6,
                         finished_at = CASE WHEN $7 THEN $6::bigint END
                     WHERE id = $1 AND finished_at IS NULL
                     RETURNING {COLUMNS}"
                ),
                &values,
            )
            .await
            .map_err(|e| self.failed(e))?
            .ok_or_else(|| {
                InboxError(format!(
                    "backfill {id} is finished or gone; its page was not stored"
                ))
            })?;
        tx.commit().await.map_err(|e| self.failed(e))?;
        Ok((receipts, backfill_row(&row)))
    }
}

/// A row of [`COLUMNS`].
fn backfill_row(row: &Row) -> BackfillRow {
    BackfillRow {
        id: row.get(0),
        flow: row.get(1),
        since: from_ms(row.get(2)),
        until: from_ms(row.get(3)),
        cursor: row.get(4),
        pages: row.get::<_, i64>(5).unsigned_abs(),
        listed: row.get::<_, i64>(6).unsigned_abs(),
        added: row.get::<_, i64>(7).unsigned_abs(),
        reached: row.get::<_, Option<i64>>(8).map(from_ms),
        started_at: from_ms(row.get(9)),
        updated_at: from_ms(row.get(10)),
        finished_at: row.get::<_, Option<i64>>(11).map(from_ms),
    }
}
