//! Reading inbox rows into [`EventRow`] and [`Step`] values.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::Row;
use serde::Serialize;

use super::Arrival;
use crate::bindings::types::Event;
use crate::flow::audit::Step;
use crate::flow::status::Status;
use crate::sqlite::from_ms;

/// The columns [`EventRow::read`] expects, in order.
pub(super) const EVENT_COLUMNS: &str = "id, flow, connection, event_key, topic, reference, \
    occurred_at, payload, arrival, status, attempts, received_at, updated_at, next_attempt_at, \
    last_error, review_reason, resolution, external_ids, replayed_at_attempt, pins";

/// Plugin versions by plugin name: the content hash of each plugin an event's attempts run.
pub type Pins = BTreeMap<String, String>;

/// One event in the inbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub flow: String,
    pub connection: String,
    pub key: String,
    pub topic: String,
    pub reference: String,
    pub occurred_at: Option<String>,
    pub payload: Option<String>,
    pub arrival: Arrival,
    pub status: Status,
    pub attempts: u32,
    /// `attempts` when the last replay or resolution began; retries count from there. A deferred
    /// attempt (the host lacked capacity) moves it on by one, so it uses up no retry.
    pub replayed_at_attempt: u32,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the engine takes it up next (pending and retry only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub review_reason: Option<String>,
    /// A person's decision on a review, JSON, handed to the mapping as `resolution`.
    pub resolution: Option<String>,
    /// Ids the sink assigned, e.g. ("invoice", "1234").
    pub external_ids: Vec<(String, String)>,
    /// The plugin versions its attempts run, fixed at its first claim (none before it, and
    /// again after a replay or a resolution, until its next claim).
    pub pins: Option<Pins>,
}

impl EventRow {
    pub(super) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        let status: String = row.get(9)?;
        let arrival: String = row.get(8)?;
        let external_ids: String = row.get(17)?;
        Ok(Self {
            id: row.get(0)?,
            flow: row.get(1)?,
            connection: row.get(2)?,
            key: row.get(3)?,
            topic: row.get(4)?,
            reference: row.get(5)?,
            occurred_at: row.get(6)?,
            payload: row.get(7)?,
            arrival: Arrival::parse(&arrival),
            status: status.parse().map_err(|error: String| {
                rusqlite::Error::FromSqlConversionFailure(
                    9,
                    rusqlite::types::Type::Text,
                    error.into(),
                )
            })?,
            attempts: row.get(10)?,
            replayed_at_attempt: row.get(18)?,
            received_at: from_ms(row.get(11)?),
            updated_at: from_ms(row.get(12)?),
            next_attempt_at: row.get::<_, Option<i64>>(13)?.map(from_ms),
            last_error: row.get(14)?,
            review_reason: row.get(15)?,
            resolution: row.get(16)?,
            external_ids: serde_json::from_str(&external_ids).unwrap_or_default(),
            pins: read_pins(row.get(19)?),
        })
    }

    /// Attempts since the event was last replayed or resolved (the one running included).
    pub fn tries(&self) -> u32 {
        self.attempts.saturating_sub(self.replayed_at_attempt)
    }

    /// One line for people: `event 7 orders/create is failed after 3 attempt(s): why (review: why)`.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "event {} {} is {} after {} attempt(s)",
            self.id, self.topic, self.status, self.attempts
        );
        if let Some(error) = &self.last_error {
            line.push_str(&format!(": {error}"));
        }
        if let Some(reason) = &self.review_reason {
            line.push_str(&format!(" (review: {reason})"));
        }
        line
    }

    /// The event as plugins see it.
    pub fn event(&self) -> Event {
        Event {
            key: self.key.clone(),
            topic: self.topic.clone(),
            reference: self.reference.clone(),
            occurred_at: self.occurred_at.clone(),
            payload: self.payload.clone(),
        }
    }
}

/// An event's `pins` column: none when empty or not an object of hashes by name.
pub(super) fn read_pins(column: Option<String>) -> Option<Pins> {
    serde_json::from_str(&column?).ok()
}

/// The columns [`read_step`] expects, in order.
pub(super) const STEP_COLUMNS: &str = "attempt, name, plugin, plugin_version, plugin_hash, started_at, duration_us, ok, message, detail";

pub(super) fn read_step(row: &Row<'_>) -> rusqlite::Result<Step> {
    let detail: String = row.get(9)?;
    Ok(Step {
        attempt: row.get(0)?,
        name: row.get(1)?,
        plugin: row.get(2)?,
        plugin_version: row.get(3)?,
        plugin_hash: row.get(4)?,
        started_at: from_ms(row.get(5)?),
        duration: std::time::Duration::from_micros(row.get::<_, i64>(6)?.max(0) as u64),
        ok: row.get(7)?,
        message: row.get(8)?,
        detail: serde_json::from_str(&detail).unwrap_or_default(),
    })
}
