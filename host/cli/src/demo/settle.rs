//! Waiting for the flow to catch up with a simulator: every webhook it started is delivered (or
//! given up), the events expected are in the inbox (a poll may bring them a little later), and every
//! event is settled (done, review, failed or skipped; retries are waited out). Polls the inbox; no
//! fixed sleeps.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::bail;
use mlc_host::flow::{EventFilter, EventRow, Inbox, InboxError};

/// How often the inbox is looked at.
const POLL: Duration = Duration::from_millis(25);

/// Waits until `idle` (the simulator has no webhook in flight), then until the events after
/// `after_id` are `complete` (all expected are there) and every one is settled; returns those
/// events, oldest first. Fails after `within` with the events still open.
pub async fn events_after(
    idle: impl Future<Output = ()>,
    inbox: &Inbox,
    after_id: i64,
    within: Duration,
    complete: impl Fn(&[EventRow]) -> bool,
) -> anyhow::Result<Vec<EventRow>> {
    let deadline = Instant::now() + within;
    if tokio::time::timeout(within, idle).await.is_err() {
        bail!(
            "the simulator still had webhooks in flight after {within:?} (is the host's server \
             answering?)"
        );
    }
    loop {
        let rows = newer_than(inbox, after_id).await?;
        if complete(&rows) && rows.iter().all(|row| row.status.is_settled()) {
            return Ok(rows);
        }
        if Instant::now() > deadline {
            let open: Vec<String> = rows
                .iter()
                .filter(|row| !row.status.is_settled())
                .map(|row| row.summary())
                .collect();
            bail!(
                "the flow did not settle within {within:?} ({} events in; still open:\n  {})",
                rows.len(),
                open.join("\n  ")
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the events `ids` (resolved or replayed ones, say) are settled again; returns them.
pub async fn these(inbox: &Inbox, ids: &[i64], within: Duration) -> anyhow::Result<Vec<EventRow>> {
    let deadline = Instant::now() + within;
    loop {
        let mut rows = newer_than(inbox, 0).await?;
        rows.retain(|row| ids.contains(&row.id));
        if rows.iter().all(|row| row.status.is_settled()) {
            return Ok(rows);
        }
        if Instant::now() > deadline {
            let open: Vec<String> = rows.iter().map(|row| row.summary()).collect();
            bail!(
                "the events did not settle within {within:?}:\n  {}",
                open.join("\n  ")
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The highest event id so far (0 for an empty inbox).
pub async fn last_id(inbox: &Inbox) -> anyhow::Result<i64> {
    let newest = inbox
        .run(|inbox| {
            inbox.list(&EventFilter {
                limit: 1,
                ..EventFilter::default()
            })
        })
        .await?;
    Ok(newest.first().map_or(0, |row| row.id))
}

/// Every event with an id above `after_id`, oldest first.
async fn newer_than(inbox: &Inbox, after_id: i64) -> Result<Vec<EventRow>, InboxError> {
    let mut rows = inbox
        .run(|inbox| {
            inbox.list(&EventFilter {
                limit: 100_000,
                ..EventFilter::default()
            })
        })
        .await?;
    rows.retain(|row| row.id > after_id);
    rows.reverse();
    Ok(rows)
}
