//! What the health probes and the metrics read from the shared inbox (see `super::super::health`
//! for the SQLite twin): each flow's backlog, and a probe that the database takes writes.

use chrono::{DateTime, Utc};

use super::PostgresInbox;
use crate::flow::inbox::{Backlog, InboxError};
use crate::postgres::Statements;
use crate::sqlite::{from_ms, to_ms};

impl PostgresInbox {
    pub(in crate::flow::inbox) async fn backlog(&self) -> Result<Vec<Backlog>, InboxError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT flow, COUNT(*), MIN(received_at) FROM events
                 WHERE status IN ('pending', 'retry') GROUP BY flow ORDER BY flow",
                &[],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(rows
            .iter()
            .map(|row| Backlog {
                flow: row.get(0),
                waiting: row.get::<_, i64>(1).unsigned_abs(),
                oldest_received_at: from_ms(row.get(2)),
            })
            .collect())
    }

    /// Writes the probe's row: `Ok` once the database committed it, as a webhook's would be.
    pub(in crate::flow::inbox) async fn probe_write(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO health_probe (id, probed_at) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
                &[&to_ms(now)],
            )
            .await
            .map_err(|e| self.failed(e))?;
        Ok(())
    }
}
