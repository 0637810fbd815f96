//! What the console's charts read from the shared inbox (see `super::super::activity` for the
//! SQLite twin): per flow and per hour, events received, failed, and their mean lag.

use chrono::{DateTime, Utc};

use super::PostgresInbox;
use crate::flow::inbox::{HourActivity, InboxError};
use crate::postgres::Statements;
use crate::sqlite::{from_ms, to_ms};

const HOUR_MS: i64 = 3_600_000;

impl PostgresInbox {
    pub(in crate::flow::inbox) async fn activity(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<HourActivity>, InboxError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT flow, received_at / $2 AS hour, COUNT(*),
                     COUNT(*) FILTER (WHERE status IN ('failed', 'review')),
                     AVG(CASE WHEN status = 'done' THEN updated_at - received_at END)::float8
                 FROM events WHERE received_at >= $1
                 GROUP BY flow, hour ORDER BY flow, hour",
                &[&to_ms(since), &HOUR_MS],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(rows
            .iter()
            .map(|row| HourActivity {
                flow: row.get(0),
                hour: from_ms(row.get::<_, i64>(1) * HOUR_MS),
                received: row.get::<_, i64>(2).unsigned_abs(),
                failed: row.get::<_, i64>(3).unsigned_abs(),
                mean_lag_ms: row
                    .get::<_, Option<f64>>(4)
                    .map(|mean| mean.max(0.0) as u64),
            })
            .collect())
    }
}
