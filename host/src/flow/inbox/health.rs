//! What the health probes and the metrics read from the inbox: each flow's backlog (events
//! waiting to run, pending or due for a retry, and when the oldest of them arrived), and a probe
//! that the writer still commits to disk.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::InboxError;
use super::sqlite::SqliteInbox;
use crate::sqlite::{from_ms, to_ms};

/// The events of one flow waiting to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub flow: String,
    /// Pending, or waiting for a retry.
    pub waiting: u64,
    /// When the oldest of them arrived.
    pub oldest_received_at: DateTime<Utc>,
}

impl SqliteInbox {
    /// Each flow that has events waiting to run, by name.
    pub(super) fn backlog(&self) -> Result<Vec<Backlog>, InboxError> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT flow, COUNT(*), MIN(received_at) FROM events
             WHERE status IN ('pending', 'retry') GROUP BY flow ORDER BY flow",
        )?;
        let backlog = statement
            .query_map([], |row| {
                Ok(Backlog {
                    flow: row.get(0)?,
                    waiting: row.get::<_, i64>(1)?.max(0) as u64,
                    oldest_received_at: from_ms(row.get(2)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(backlog)
    }

    /// Writes the probe's row through the writer that commits the engine's writes: `Ok` once that
    /// commit is on disk, as a webhook's would be.
    pub(super) async fn probe_write(&self, now: DateTime<Utc>) -> Result<(), InboxError> {
        self.write(move |db| {
            db.prepare_cached(
                "INSERT INTO health_probe (id, probed_at) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
            )?
            .execute(params![to_ms(now)])?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::bindings::types::Event;
    use crate::flow::audit::Step;
    use crate::flow::inbox::Arrival;
    use crate::flow::inbox::Inbox;
    use crate::sqlite::fresh_path;

    fn event(key: &str) -> Event {
        Event {
            key: key.into(),
            topic: "orders/create".into(),
            reference: key.into(),
            occurred_at: None,
            payload: None,
        }
    }

    #[tokio::test]
    async fn the_backlog_counts_waiting_events_per_flow_from_the_oldest() {
        let inbox = Inbox::open(&fresh_path("backlog.db")).unwrap();
        assert_eq!(inbox.backlog().unwrap(), []);
        let start = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc();
        for (n, (flow, key)) in [("orders", "a"), ("orders", "b"), ("labels", "c")]
            .into_iter()
            .enumerate()
        {
            let at = start + Duration::minutes(n as i64);
            let step = Step::note(0, "received", at, "test");
            let entries = vec![(flow.to_owned(), event(key))];
            inbox
                .receive("shop".into(), Arrival::Webhook, entries, step, at)
                .await
                .unwrap();
        }
        let claimed = inbox
            .claim(1, start + Duration::hours(1), &Default::default())
            .await
            .unwrap();
        assert_eq!(
            claimed[0].key, "a",
            "the oldest is claimed and no longer waits"
        );

        let backlog = inbox.backlog().unwrap();
        let summary: Vec<(&str, u64, DateTime<Utc>)> = backlog
            .iter()
            .map(|flow| (flow.flow.as_str(), flow.waiting, flow.oldest_received_at))
            .collect();
        assert_eq!(
            summary,
            [
                ("labels", 1, start + Duration::minutes(2)),
                ("orders", 1, start + Duration::minutes(1)),
            ]
        );
        inbox.probe_write(start).await.unwrap();
        inbox.probe_write(start + Duration::hours(2)).await.unwrap();
    }
}
