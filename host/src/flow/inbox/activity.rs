//! What the console's charts read from the inbox: per flow and per hour, how many events arrived,
//! how many of them failed or wait for review, and how long the finished ones took from arrival
//! to their last change (the lag).

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::InboxError;
use super::sqlite::SqliteInbox;
use crate::sqlite::{from_ms, to_ms};

const HOUR_MS: i64 = 3_600_000;

/// One flow's events that arrived in one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourActivity {
    pub flow: String,
    /// The start of the hour.
    pub hour: DateTime<Utc>,
    pub received: u64,
    /// Failed, or held for review.
    pub failed: u64,
    /// The mean time from arrival to done, milliseconds, over those done.
    pub mean_lag_ms: Option<u64>,
}

impl SqliteInbox {
    /// Every (flow, hour) with events received at or after `since`, by flow then hour. It reads
    /// only those events, through `events_received`: left to choose, SQLite walks an index in
    /// flow order to spare the grouping its sort, and so reads every event there is.
    pub(super) fn activity(&self, since: DateTime<Utc>) -> Result<Vec<HourActivity>, InboxError> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT flow, received_at / ?2 AS hour, COUNT(*),
                    SUM(status IN ('failed', 'review')),
                    AVG(CASE WHEN status = 'done' THEN updated_at - received_at END)
             FROM events INDEXED BY events_received WHERE received_at >= ?1
             GROUP BY flow, hour ORDER BY flow, hour",
        )?;
        let hours = statement
            .query_map(params![to_ms(since), HOUR_MS], |row| {
                Ok(HourActivity {
                    flow: row.get(0)?,
                    hour: from_ms(row.get::<_, i64>(1)? * HOUR_MS),
                    received: row.get::<_, i64>(2)?.max(0) as u64,
                    failed: row.get::<_, i64>(3)?.max(0) as u64,
                    mean_lag_ms: row
                        .get::<_, Option<f64>>(4)?
                        .map(|mean| mean.max(0.0) as u64),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(hours)
    }
}
