//! The worker pool: claims due events from the inbox while a worker slot is free, runs each
//! attempt on its own task, records the outcome, and wakes on new work or every tick (retries come
//! due by the clock). On stop it takes no more events, lets running attempts finish within the
//! grace period, and hands the rest back to the inbox as pending. On an inbox several hosts
//! share, it also extends the leases of the attempts it runs and returns the events whose lease
//! ran out, whichever host held them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::flow::inbox::{EventRow, Finish, PreparedRecording};
use crate::flow::pins;
use crate::flow::shared::Shared;
use crate::flow::worker::{self, WorkerSlot};
use crate::metrics;

/// How many times an attempt tries to record its outcome when the inbox fails (a database away
/// for a moment): its work is done, and is not thrown away lightly. The waits between tries
/// grow by [`FINISH_RETRY_WAIT`] each time.
const FINISH_TRIES: u32 = 3;
const FINISH_RETRY_WAIT: Duration = Duration::from_secs(1);

/// How often the pool looks for events that came due without a signal (retries, replays from
/// another process).
pub(crate) const TICK: Duration = Duration::from_millis(200);

/// Runs until `stop` turns true; returns how many events it handed back unfinished.
pub(crate) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> usize {
    let slots = Arc::new(Semaphore::new(shared.config.workers));
    let running: Running = Arc::default();
    let leases = shared.inbox.lease().map(|lease| {
        tokio::spawn(keep_leases(
            shared.clone(),
            running.clone(),
            lease,
            stop.clone(),
        ))
    });
    let mut tasks = JoinSet::new();
    while !*stop.borrow() {
        while tasks.try_join_next().is_some() {}
        let free = slots.available_permits();
        let claimed = match free {
            0 => Vec::new(),
            free => {
                let (now, active) = (shared.now(), pins::active(&shared));
                (shared.inbox.claim(free, now, &active).await).unwrap_or_else(|error| {
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
            lock(&running).insert(row.id, row.attempts);
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
    let unfinished = drain(&shared, tasks, &running).await;
    if let Some(leases) = leases {
        leases.abort();
    }
    unfinished
}

/// The attempts this host runs: event id and attempt number.
type Running = Arc<Mutex<BTreeMap<i64, u32>>>;

/// Every third of `lease` until `stop`: extends the leases of the attempts running here, and
/// returns to pending the events whose lease ran out (their host died or stalled).
async fn keep_leases(
    shared: Arc<Shared>,
    running: Running,
    lease: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(lease / 3);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !*stop.borrow() {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => continue,
        }
        let held: Vec<(i64, u32)> = lock(&running).iter().map(|(id, n)| (*id, *n)).collect();
        let now = shared.now();
        match shared.inbox.keep_leases(held.clone(), now).await {
            Ok(lost) => {
                // An attempt that finished while the leases were extended is not running either:
                // only those this host still runs were lost.
                let lost: Vec<i64> = {
                    let running = lock(&running);
                    let still_running = |id: &i64| {
                        (running.get(id)).is_some_and(|attempt| held.contains(&(*id, *attempt)))
                    };
                    lost.into_iter().filter(still_running).collect()
                };
                for event in lost {
                    tracing::warn!(
                        event,
                        "this host's lease on the event ran out and another host took it back; \
                         this attempt's outcome will not be recorded"
                    );
                }
            }
            Err(error) => tracing::error!(%error, "cannot extend this host's leases"),
        }
        match shared.inbox.recover(now).await {
            Ok(0) => {}
            Ok(returned) => {
                tracing::warn!(returned, "returned events whose host's lease ran out");
                shared.work.notify_one();
            }
            Err(error) => tracing::error!(%error, "cannot return events whose lease ran out"),
        }
    }
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
    let mut tries = 0;
    let written = loop {
        tries += 1;
        let written = shared
            .inbox
            .finish(
                id,
                attempt,
                finish.clone(),
                steps.clone(),
                recording.clone(),
                now,
            )
            .await;
        match written {
            Err(error) if tries < FINISH_TRIES => {
                tracing::warn!(event = id, %error, "cannot record the outcome yet; trying again");
                tokio::time::sleep(FINISH_RETRY_WAIT * tries).await;
            }
            written => break written,
        }
    };
    match written {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            event = id,
            attempt,
            "the outcome was not recorded: the event no longer runs this attempt (its lease ran \
             out and it was returned); its steps are kept"
        ),
        Err(error) => tracing::error!(
            event = id,
            %error,
            "cannot record the outcome; the event runs again (after its lease runs out, or at \
             the next start)"
        ),
    }
}

/// Waits for running attempts up to the grace period, then stops them and releases their events.
async fn drain(shared: &Shared, mut tasks: JoinSet<()>, running: &Running) -> usize {
    let grace = shared.config.server.shutdown_grace;
    let finished =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if finished.is_ok() {
        return 0;
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let unfinished: Vec<i64> = lock(running).keys().copied().collect();
    let count = unfinished.len();
    let now = shared.now();
    if let Err(error) = shared.inbox.release(unfinished, now).await {
        tracing::error!(%error, "cannot release unfinished events; they resume at the next start");
    }
    count
}

fn lock(running: &Mutex<BTreeMap<i64, u32>>) -> std::sync::MutexGuard<'_, BTreeMap<i64, u32>> {
    running
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
