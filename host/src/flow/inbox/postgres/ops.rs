//! What a person does with the shared inbox (see `super::super::ops` for the SQLite twin and the
//! decisions made above both): list, count and read events and their trails, requeue and skip.

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;

use super::PostgresInbox;
use super::rows::{
    EVENT_COLUMNS, STEP_COLUMNS, attempt, event_row, event_rows, insert_steps, step,
};
use crate::flow::audit::Step;
use crate::flow::inbox::ops::containing;
use crate::flow::inbox::{EventFilter, EventRow, InboxError};
use crate::postgres::Statements;
use crate::sqlite::to_ms;

/// A value a filter compares with.
type Value = Box<dyn ToSql + Sync + Send>;

/// An [`EventFilter`]'s conditions as a `WHERE` clause with numbered parameters, and their values
/// in order. Only the conditions the filter sets are written, so the planner can use the index
/// of the column filtered. `ILIKE`: the reference text is matched regardless of case, as SQLite's
/// `LIKE` does for ASCII.
fn filter_sql(filter: &EventFilter) -> (String, Vec<Value>) {
    let conditions: [(&str, Option<Value>); 6] = [
        (
            "status = $",
            filter
                .status
                .map(|status| boxed(status.as_str().to_owned())),
        ),
        ("flow = $", filter.flow.clone().map(boxed)),
        ("topic = $", filter.topic.clone().map(boxed)),
        (
            "reference ILIKE $",
            filter.text.as_deref().map(|text| boxed(containing(text))),
        ),
        (
            "received_at >= $",
            filter.since.map(|since| boxed(to_ms(since))),
        ),
        ("id < $", filter.before.map(boxed)),
    ];
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    for (clause, value) in conditions {
        if let Some(value) = value {
            values.push(value);
            clauses.push(format!("{clause}{}", values.len()));
        }
    }
    match clauses.is_empty() {
        true => ("true".to_owned(), values),
        false => (clauses.join(" AND "), values),
    }
}

fn boxed(value: impl ToSql + Sync + Send + 'static) -> Value {
    Box::new(value)
}

fn borrowed(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|value| value.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

impl PostgresInbox {
    pub(in crate::flow::inbox) async fn list(
        &self,
        filter: &EventFilter,
    ) -> Result<Vec<EventRow>, InboxError> {
        let (clause, mut values) = filter_sql(filter);
        values.push(boxed(filter.most() as i64));
        let limit = values.len();
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE {clause} ORDER BY id DESC LIMIT ${limit}"
                ),
                &borrowed(&values),
            )
            .await
            .map_err(|e| self.failed(e))?;
        event_rows(&rows)
    }

    pub(in crate::flow::inbox) async fn count(
        &self,
        filter: &EventFilter,
    ) -> Result<u64, InboxError> {
        let (clause, values) = filter_sql(filter);
        let row = self
            .client()
            .await?
            .query_one(
                &format!("SELECT COUNT(*) FROM events WHERE {clause}"),
                &borrowed(&values),
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    pub(in crate::flow::inbox) async fn get(
        &self,
        id: i64,
    ) -> Result<Option<EventRow>, InboxError> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(|e| self.failed(e))?
            .as_ref()
            .map(event_row)
            .transpose()
    }

    pub(in crate::flow::inbox) async fn steps(&self, id: i64) -> Result<Vec<Step>, InboxError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!("SELECT {STEP_COLUMNS} FROM steps WHERE event_id = $1 ORDER BY id"),
                &[&id],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(rows.iter().map(step).collect())
    }

    pub(in crate::flow::inbox) async fn skip(
        &self,
        id: i64,
        step: Step,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        self.change_with_step(
            id,
            &step,
            "UPDATE events SET status = 'skipped', updated_at = $2 WHERE id = $1",
            &[&id, &to_ms(now)],
        )
        .await
    }

    pub(in crate::flow::inbox) async fn requeue(
        &self,
        id: i64,
        attempts: u32,
        resolution: Option<String>,
        step: Step,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        self.change_with_step(
            id,
            &step,
            "UPDATE events SET status = 'pending', next_attempt_at = $2, updated_at = $2,
                 resolution = COALESCE($3, resolution), replayed_at_attempt = attempts,
                 pins = NULL
             WHERE id = $1 AND attempts = $4",
            &[&id, &to_ms(now), &resolution, &attempt(attempts)],
        )
        .await
    }

    /// Adds `step` to event `id`'s trail and runs `change` on its row, in one transaction.
    async fn change_with_step(
        &self,
        id: i64,
        step: &Step,
        change: &str,
        values: &[&(dyn ToSql + Sync)],
    ) -> Result<(), InboxError> {
        let mut session = self.session().await?;
        let tx = session.transaction().await.map_err(|e| self.failed(e))?;
        insert_steps(&tx, id, std::slice::from_ref(step))
            .await
            .map_err(|e| self.failed(e))?;
        tx.execute(change, values)
            .await
            .map_err(|e| self.failed(e))?;
        tx.commit().await.map_err(|e| self.failed(e))
    }
}
