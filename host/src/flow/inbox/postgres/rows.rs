//! Reading the inbox's PostgreSQL rows into [`EventRow`] and [`Step`] values, and writing steps.

use tokio_postgres::Row;

use crate::postgres::Statements;
use tokio_postgres::types::ToSql;

use crate::flow::audit::Step;
use crate::flow::inbox::{Arrival, EventRow, InboxError};
use crate::sqlite::{from_ms, to_ms};

/// The columns [`event_row`] expects, in order: the SQLite inbox's.
pub(super) use crate::flow::inbox::rows::EVENT_COLUMNS;
/// The columns [`step`] expects, in order.
pub(super) use crate::flow::inbox::rows::STEP_COLUMNS;
use crate::flow::inbox::rows::read_pins;

pub(super) fn event_row(row: &Row) -> Result<EventRow, InboxError> {
    let status: String = row.get(9);
    let arrival: String = row.get(8);
    let external_ids: String = row.get(17);
    Ok(EventRow {
        id: row.get(0),
        flow: row.get(1),
        connection: row.get(2),
        key: row.get(3),
        topic: row.get(4),
        reference: row.get(5),
        occurred_at: row.get(6),
        payload: row.get(7),
        arrival: Arrival::parse(&arrival),
        status: status.parse().map_err(InboxError)?,
        attempts: count(row.get(10)),
        replayed_at_attempt: count(row.get(18)),
        received_at: from_ms(row.get(11)),
        updated_at: from_ms(row.get(12)),
        next_attempt_at: row.get::<_, Option<i64>>(13).map(from_ms),
        last_error: row.get(14),
        review_reason: row.get(15),
        resolution: row.get(16),
        external_ids: serde_json::from_str(&external_ids).unwrap_or_default(),
        pins: read_pins(row.get(19)),
    })
}

pub(super) fn event_rows(rows: &[Row]) -> Result<Vec<EventRow>, InboxError> {
    rows.iter().map(event_row).collect()
}

pub(super) fn step(row: &Row) -> Step {
    let detail: String = row.get(9);
    Step {
        attempt: count(row.get(0)),
        name: row.get(1),
        plugin: row.get(2),
        plugin_version: row.get(3),
        plugin_hash: row.get(4),
        started_at: from_ms(row.get(5)),
        duration: std::time::Duration::from_micros(row.get::<_, i64>(6).max(0) as u64),
        ok: row.get(7),
        message: row.get(8),
        detail: serde_json::from_str(&detail).unwrap_or_default(),
    }
}

/// An attempt count as stored (INTEGER).
pub(super) fn count(stored: i32) -> u32 {
    stored.max(0) as u32
}

/// An attempt number to store.
pub(super) fn attempt(attempt: u32) -> i32 {
    attempt.min(i32::MAX as u32) as i32
}

/// Appends `steps` of event `event_id` to its trail, in one statement.
pub(super) async fn insert_steps(
    client: &impl Statements,
    event_id: i64,
    steps: &[Step],
) -> Result<(), tokio_postgres::Error> {
    if steps.is_empty() {
        return Ok(());
    }
    let mut attempts = Vec::with_capacity(steps.len());
    let mut names = Vec::with_capacity(steps.len());
    let mut plugins = Vec::with_capacity(steps.len());
    let mut versions = Vec::with_capacity(steps.len());
    let mut hashes = Vec::with_capacity(steps.len());
    let mut started = Vec::with_capacity(steps.len());
    let mut durations = Vec::with_capacity(steps.len());
    let mut oks = Vec::with_capacity(steps.len());
    let mut messages = Vec::with_capacity(steps.len());
    let mut details = Vec::with_capacity(steps.len());
    for step in steps {
        attempts.push(attempt(step.attempt));
        names.push(step.name.as_str());
        plugins.push(step.plugin.as_deref());
        versions.push(step.plugin_version.as_deref());
        hashes.push(step.plugin_hash.as_deref());
        started.push(to_ms(step.started_at));
        durations.push(step.duration.as_micros() as i64);
        oks.push(step.ok);
        messages.push(step.message.as_deref());
        details.push(step.detail.to_string());
    }
    let values: [&(dyn ToSql + Sync); 11] = [
        &event_id, &attempts, &names, &plugins, &versions, &hashes, &started, &durations, &oks,
        &messages, &details,
    ];
    client
        .execute(
            "INSERT INTO steps (event_id, attempt, name, plugin, plugin_version, plugin_hash,
                 started_at, duration_us, ok, message, detail)
             SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::bigint[], $8::bigint[], $9::bool[], $10::text[], $11::text[])",
            &values,
        )
        .await?;
    Ok(())
}
