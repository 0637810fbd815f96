//! The worker pool: claims due events from the inbox while a worker slot is free, runs each
//! attempt on its own task, records the outcome, and wakes on new work or every tick (retries come
//! due by the clock). On stop it takes no more events, lets running attempts finish within the
//! grace period, and hands the rest back to the inbox as pending.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::flow::inbox::{EventRow, Finish, PreparedRecording};
use crate::flow::shared::Shared;
use crate::flow::worker::{self, WorkerSlot};
use crate::metrics;

/// How often the pool looks for events that came due without a signal (retries, replays from
/// another process).
pub(crate) const TICK: Duration = Duration::from_millis(200);

/// Runs until `stop` turns true; returns how many events it handed back unfinished.
pub(crate) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> usize {
    let slots = Arc::new(Semaphore::new(shared.config.workers));
    let running: Arc<Mutex<BTreeSet<i64>>> = Arc::default();
    let mut tasks = JoinSet::new();
    while !*stop.borrow() {
        while tasks.try_join_next().is_some() {}
        let free = slots.available_permits();
        let claimed = match free {
            0 => Vec::new(),
            free => {
                let now = shared.now();
                shared.inbox.claim(free, now).await.unwrap_or_else(|error| {
                    tracing::error!(%error, "cannot claim events");
                    Vec::new()
                })
            }
        };
        let full = !claimed.is_empty() && claimed.len() == free;
        for row in claimed {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            lock(&running).insert(row.id);
            let (shared, running) = (shared.clone(), running.clone());
            let span = tracing::info_span!(
                "attempt",
                event = row.id,
                flow = %row.flow,
                attempt = row.attempts
            );
            tasks.spawn(
                async move {
                    settle(&shared, &row, WorkerSlot { permit }).await;
                    lock(&running).remove(&row.id);
                }
                .instrument(span),
            );
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = shared.work.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drain(&shared, tasks, &running).await
}

async fn settle(shared: &Shared, row: &EventRow, slot: WorkerSlot) {
    let worker::Attempted {
        finish,
        steps,
        recording,
        apply_tape,
    } = worker::attempt(shared, row, slot).await;
    match &finish {
        Finish::Done { .. } => {
            tracing::info!(event = row.id, flow = %row.flow, key = %row.key, "done")
        }
        Finish::Retry { at, error } => {
            tracing::warn!(event = row.id, flow = %row.flow, %at, %error, "retry")
        }
        Finish::Defer { at, reason } => {
            tracing::info!(event = row.id, flow = %row.flow, %at, %reason, "deferred")
        }
        Finish::Review { reason } => {
            tracing::warn!(event = row.id, flow = %row.flow, %reason, "needs review")
        }
        Finish::Failed { error } => {
            tracing::error!(event = row.id, flow = %row.flow, %error, "failed")
        }
    }
    metrics::attempt_finished(&row.flow, finish.outcome());
    let (id, attempt, now) = (row.id, row.attempts, shared.now());
    let recording = recording.and_then(|recording| {
        PreparedRecording::of(&recording, apply_tape)
            .inspect_err(|error| tracing::error!(event = id, %error, "cannot record the attempt"))
            .ok()
    });
    let written = shared
        .inbox
        .finish(id, attempt, finish, steps, recording, now)
        .await;
    if let Err(error) = written {
        tracing::error!(event = id, %error, "cannot record the outcome; the event runs again after a restart");
    }
}

/// Waits for running attempts up to the grace period, then stops them and releases their events.
async fn drain(shared: &Shared, mut tasks: JoinSet<()>, running: &Mutex<BTreeSet<i64>>) -> usize {
    let grace = shared.config.server.shutdown_grace;
    let finished =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if finished.is_ok() {
        return 0;
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let unfinished: Vec<i64> = lock(running).iter().copied().collect();
    let count = unfinished.len();
    let now = shared.now();
    if let Err(error) = shared.inbox.release(unfinished, now).await {
        tracing::error!(%error, "cannot release unfinished events; they resume at the next start");
    }
    count
}

fn lock(running: &Mutex<BTreeSet<i64>>) -> std::sync::MutexGuard<'_, BTreeSet<i64>> {
    running
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
