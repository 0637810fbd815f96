//! Waiting for the flow to catch up with the shop: every webhook the simulated shop started is
//! delivered (or given up), and every event it put in the inbox is settled (done, review, failed or
//! skipped; retries are waited out). Polls the inbox; no fixed sleeps.

use std::time::{Duration, Instant};

use anyhow::bail;
use mlc_host::flow::{EventFilter, EventRow, Inbox, InboxError};
use simulators::shopify::ShopifySim;

/// How often the inbox is looked at.
const POLL: Duration = Duration::from_millis(25);

/// Waits until the shop has nothing in flight and every event after `after_id` is settled; returns
/// those events, oldest first. Fails after `within` with the events still open.
pub async fn events_after(
    shop: &ShopifySim,
    inbox: &Inbox,
    after_id: i64,
    within: Duration,
) -> anyhow::Result<Vec<EventRow>> {
    let deadline = Instant::now() + within;
    if tokio::time::timeout(within, shop.wait_idle())
        .await
        .is_err()
    {
        bail!(
            "the simulated shop still had webhooks in flight after {within:?} (is the host's \
             server answering?)"
        );
    }
    loop {
        let rows = newer_than(inbox, after_id).await?;
        if rows.iter().all(|row| row.status.is_settled()) {
            return Ok(rows);
        }
        if Instant::now() > deadline {
            let open: Vec<String> = rows
                .iter()
                .filter(|row| !row.status.is_settled())
                .map(|row| row.summary())
                .collect();
            bail!(
                "the flow did not settle within {within:?}:\n  {}",
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
