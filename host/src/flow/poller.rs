//! Polling: each flow with a `poll_interval` asks its source connector what changed since the
//! stored cursor, on the host's clock (tests move it forward). The events go into the inbox with
//! the same dedupe as webhooks, in one transaction with the new cursor, so a crash between the two
//! cannot skip or double anything. A connector that says `more` is polled again at once; a failed
//! poll is tried again after a minute (or the interval, if shorter). On an inbox several hosts
//! share, a host polls a flow only while it holds the flow's lease ([`Inbox::lead_poll`]), so
//! one host at a time polls it and only that host moves its cursor; the lease is renewed while the
//! connector polls.
//!
//! [`Inbox::lead_poll`]: crate::flow::inbox::Inbox::lead_poll

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, json};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::flow::audit::Step;
use crate::flow::dispatch::TICK;
use crate::flow::inbox::{Inbox, PollSave};
use crate::flow::outcome::later;
use crate::flow::shared::Shared;
use crate::metrics;

const RETRY_FAILED_POLL: Duration = Duration::from_secs(60);

/// Polls flow `flow` every `interval` until `stop` turns true.
pub(crate) async fn run(
    shared: Arc<Shared>,
    flow: String,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let state = {
            let flow = flow.clone();
            shared.inbox.run(move |inbox| inbox.poll_state(&flow)).await
        };
        let due = match state {
            Ok(state) => state.next_at.is_none_or(|next| shared.now() >= next),
            Err(error) => {
                tracing::error!(%flow, %error, "cannot read the poll state");
                false
            }
        };
        let due = due
            && match shared.inbox.lead_poll(&flow, shared.now()).await {
                Ok(leading) => leading,
                Err(error) => {
                    tracing::error!(%flow, %error, "cannot take the lease to poll");
                    false
                }
            };
        if due {
            let more = poll_once(&shared, &flow, interval).await;
            if more {
                continue;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Runs `call` (the source connector's poll) while a task of its own renews this host's lease on
/// `flow` every third of the lease, as a call may take longer than the lease (a throttled source
/// makes the connector wait). Only the call is covered: the save that follows is one short
/// transaction, and it holds the flow's cursor row that a renewal would wait for. `None` when the
/// lease went to another host meanwhile: that host polls now, and this call is dropped.
async fn leading<T>(shared: &Shared, flow: &str, call: impl Future<Output = T>) -> Option<T> {
    let Some(lease) = shared.inbox.lease() else {
        return Some(call.await);
    };
    let renewal = tokio::spawn(keep_poll_lease(
        shared.inbox.clone(),
        shared.clock.clone(),
        flow.to_owned(),
        lease / 3,
    ));
    let _stop_renewing = AbortOnDrop(renewal.abort_handle());
    tokio::select! {
        answer = call => Some(answer),
        _ = renewal => {
            tracing::warn!(flow, "another host took the lease to poll: this poll is dropped");
            None
        }
    }
}

/// Renews this host's lease on `flow` every `every`; returns once another host holds it.
async fn keep_poll_lease(inbox: Inbox, clock: Arc<dyn Clock>, flow: String, every: Duration) {
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        renew.tick().await;
        match inbox.lead_poll(&flow, clock.now()).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => tracing::warn!(%flow, %error, "cannot renew the lease to poll"),
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One poll; returns whether the connector has more waiting.
async fn poll_once(shared: &Shared, flow_name: &str, interval: Duration) -> bool {
    let Ok(flow) = shared.flow(flow_name) else {
        return false;
    };
    let state = {
        let flow = flow_name.to_owned();
        shared.inbox.run(move |inbox| inbox.poll_state(&flow)).await
    };
    let cursor = state.ok().and_then(|state| state.cursor);
    let source = match shared.connector(&flow.source) {
        Ok(source) => source,
        Err(error) => {
            record_failure(shared, flow_name, &error.to_string(), interval).await;
            return false;
        }
    };
    let started = shared.now();
    let Some(report) = leading(shared, flow_name, source.poll(cursor.as_deref())).await else {
        return false;
    };
    let polled = match &report.result {
        Ok(polled) => polled.clone(),
        Err(error) => {
            tracing::warn!(flow = flow_name, %error, "poll failed");
            record_failure(shared, flow_name, &error.to_string(), interval).await;
            return false;
        }
    };
    let taken: Vec<_> = polled
        .events
        .iter()
        .filter(|event| flow.takes(&event.topic))
        .cloned()
        .collect();
    let detail = Map::from_iter([
        ("arrival".into(), json!("poll")),
        ("cursor".into(), json!(cursor)),
        ("next_cursor".into(), json!(polled.cursor)),
        ("events_in_poll".into(), json!(polled.events.len())),
    ]);
    let save = PollSave {
        flow: flow_name.to_owned(),
        connection: flow.source.clone(),
        events: taken,
        cursor: polled.cursor,
        step: Step::call(0, "received", source.plugin(), started, &report, detail),
    };
    let now = shared.now();
    let next_at = match polled.more {
        true => now,
        false => later(now, interval),
    };
    match shared.inbox.save_poll(save, next_at, now).await {
        Ok(receipts) => {
            metrics::poll_succeeded(flow_name, now);
            metrics::events_received(&receipts);
            let new = receipts.iter().filter(|receipt| !receipt.duplicate).count();
            tracing::info!(
                flow = flow_name,
                new,
                duplicates = receipts.len() - new,
                "polled"
            );
            if new > 0 {
                shared.work.notify_one();
            }
            polled.more
        }
        Err(error) => {
            tracing::error!(flow = flow_name, %error, "cannot store the poll's events");
            false
        }
    }
}

async fn record_failure(shared: &Shared, flow: &str, error: &str, interval: Duration) {
    let now = shared.now();
    let next_at = later(now, interval.min(RETRY_FAILED_POLL));
    let (flow, error) = (flow.to_owned(), error.to_owned());
    if let Err(error) = shared.inbox.poll_failed(flow, error, next_at, now).await {
        tracing::error!(%error, "cannot record the failed poll");
    }
}
