//! The durable inbox: every event the engine accepted, its state, its audit trail and the
//! recordings of its attempts. One interface ([`Inbox`]) over two backends: a SQLite file in the
//! data directory (`sqlite`, the default: one host, nothing to set up), or the PostgreSQL
//! database of `[store]` that several hosts share (`postgres`, with the `postgres` feature), where
//! claims take a lease and every later write of an attempt checks it.
//!
//! Each concern's types, and its SQLite statements, live in a file of their own: `queue` what the
//! engine does with events (its writes committed in groups by `group_commit`), `ops` what a person
//! does, `health` and `activity` what the probes, metrics and console read, `backfills` where each
//! backfill of a source's history stands, `fixes` what a reconciliation's fix looks up,
//! `recordings` and `blobs` what each attempt's mapping was given and answered. `postgres/` holds
//! the same concerns' PostgreSQL statements. This file says which backend each call goes to.

mod activity;
mod backfills;
mod blobs;
mod fixes;
mod group_commit;
mod health;
mod ops;
#[cfg(feature = "postgres")]
mod postgres;
mod queue;
mod recordings;
mod rows;
mod sqlite;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

pub use activity::HourActivity;
pub use backfills::{BackfillOf, BackfillPage, BackfillRow};
pub use fixes::Holder;
pub use health::Backlog;
pub use ops::{EventDetail, EventFilter, OpsError, Resolution};
pub use queue::{Arrival, Finish, PollSave, PollState, Receipt};
pub(crate) use recordings::encode_apply;
pub use recordings::{EncodedApply, PreparedRecording, Pruned, RecordedAttempt, RecordingUsage};
pub use rows::{EventRow, Pins};

use crate::bindings::types::Event;
use crate::config::RecordingPolicy;
use crate::flow::audit::Step;
use crate::flow::status::Status;
use recordings::RecordingHeader;
use sqlite::SqliteInbox;

/// A failure of the inbox's database.
#[derive(Debug, Clone, thiserror::Error)]
#[error("inbox database: {0}")]
pub struct InboxError(pub String);

impl From<rusqlite::Error> for InboxError {
    fn from(error: rusqlite::Error) -> Self {
        Self(error.to_string())
    }
}

/// The inbox. Cheap to clone; clones share one backend. The engine's writes are async; the other
/// methods block, and async callers run them on the blocking pool (see [`Inbox::run`]).
#[derive(Clone)]
pub struct Inbox {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqliteInbox),
    #[cfg(feature = "postgres")]
    Postgres(postgres::PostgresInbox),
}

/// Runs an async backend call: awaited on both backends.
macro_rules! on_backend {
    ($self:ident, |$inbox:ident| $call:expr) => {
        match &$self.backend {
            Backend::Sqlite($inbox) => $call.await,
            #[cfg(feature = "postgres")]
            Backend::Postgres($inbox) => $call.await,
        }
    };
}

/// Runs a blocking backend call: SQLite's block by themselves, PostgreSQL's are driven to the end
/// on the inbox's own runtime.
macro_rules! blocking {
    ($self:ident, |$inbox:ident| $call:expr) => {
        match &$self.backend {
            Backend::Sqlite($inbox) => $call,
            #[cfg(feature = "postgres")]
            Backend::Postgres($inbox) => $inbox.block($call),
        }
    };
}

impl Inbox {
    /// Opens (or creates) the SQLite inbox at `path`, migrating it to this build's schema.
    pub fn open(path: &Path) -> Result<Self, InboxError> {
        Ok(Self {
            backend: Backend::Sqlite(SqliteInbox::open(path)?),
        })
    }

    /// Connects to the inbox in the PostgreSQL database at `url` (`password`, when given,
    /// replaces one the URL carries), making its tables when missing; refuses a database whose
    /// inbox a newer release wrote. This host's claims hold `lease` without news from it
    /// (`[store] lease`). Blocks; it may be called from anywhere.
    #[cfg(feature = "postgres")]
    pub fn connect(
        url: &str,
        password: Option<&str>,
        lease: std::time::Duration,
    ) -> Result<Self, InboxError> {
        let inbox = postgres::PostgresInbox::connect(url, password, lease)?;
        Ok(Self {
            backend: Backend::Postgres(inbox),
        })
    }

    /// How long a claim holds an event without news from its host, on an inbox several hosts
    /// share; none on one host's own.
    pub fn lease(&self) -> Option<std::time::Duration> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            #[cfg(feature = "postgres")]
            Backend::Postgres(inbox) => Some(inbox.lease()),
        }
    }

    /// Runs blocking inbox work off the async executor.
    pub async fn run<T: Send + 'static, E: From<InboxError> + Send + 'static>(
        &self,
        work: impl FnOnce(&Inbox) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let inbox = self.clone();
        tokio::task::spawn_blocking(move || work(&inbox))
            .await
            .map_err(|error| InboxError(format!("inbox task failed: {error}")))?
    }

    /// Stores each (flow, event) pair not seen before as `pending`, with `step` as its first audit
    /// step; returns what happened to each once it is durable. All or nothing.
    pub async fn receive(
        &self,
        connection: String,
        arrival: Arrival,
        entries: Vec<(String, Event)>,
        step: Step,
        now: DateTime<Utc>,
    ) -> Result<Vec<Receipt>, InboxError> {
        on_backend!(self, |inbox| inbox
            .receive(connection, arrival, entries, step, now))
    }

    /// Claims up to `limit` due events (pending, or retry whose time has come), marking them
    /// running and counting the attempt: the attempt's number is its fencing token. On
    /// PostgreSQL the claim is a lease that [`Inbox::keep_leases`] extends; other hosts skip
    /// what this one claims. An event claimed for the first time (or the first time since a
    /// replay or a resolution) is pinned to its flow's versions in `active` (by flow name); one
    /// whose flow is not there stays unpinned.
    pub async fn claim(
        &self,
        limit: usize,
        now: DateTime<Utc>,
        active: &BTreeMap<String, Pins>,
    ) -> Result<Vec<EventRow>, InboxError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let active = serde_json::to_string(active).expect("hashes by name by flow are JSON");
        on_backend!(self, |inbox| inbox.claim(limit, now, active))
    }

    /// Records how attempt `attempt` of event `id` ended, with its steps and what its mapping
    /// was given and answered. Whether the outcome was taken: a row no longer running that
    /// attempt (released, or its lease expired and another host took it) is left alone, and the
    /// steps and the recording are still kept, as what happened.
    pub async fn finish(
        &self,
        id: i64,
        attempt: u32,
        finish: Finish,
        steps: Vec<Step>,
        recording: Option<PreparedRecording>,
        now: DateTime<Utc>,
    ) -> Result<bool, InboxError> {
        on_backend!(self, |inbox| inbox
            .finish(id, attempt, finish, steps, recording, now))
    }

    /// Extends the leases of the attempts this host runs, `(event, attempt)`; returns those it no
    /// longer holds (their lease expired and another host returned them). A SQLite inbox has one
    /// host, whose claims hold until it stops: nothing is lost.
    pub async fn keep_leases(
        &self,
        held: Vec<(i64, u32)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, InboxError> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let _ = (held, now);
                Ok(Vec::new())
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(inbox) => inbox.keep_leases(held, now).await,
        }
    }

    /// Puts events this process holds back to pending (a graceful stop that could not finish them).
    pub async fn release(&self, ids: Vec<i64>, now: DateTime<Utc>) -> Result<(), InboxError> {
        on_backend!(self, |inbox| inbox.release(ids, now))
    }

    /// Events whose attempt was cut short go back to pending, each with an `interrupted` step;
    /// returns how many. On SQLite, called at start: every event left running (the process
    /// crashed or was killed). On PostgreSQL, called by every host now and then: the events whose
    /// lease expired (their host died or stalled), whoever held them.
    pub async fn recover(&self, now: DateTime<Utc>) -> Result<usize, InboxError> {
        on_backend!(self, |inbox| inbox.recover(now))
    }

    /// Where a polled flow stands.
    pub fn poll_state(&self, flow: &str) -> Result<PollState, InboxError> {
        blocking!(self, |inbox| inbox.poll_state(flow))
    }

    /// Whether this host polls `flow` now. On PostgreSQL one host at a time does: this one takes
    /// a lease on the flow's cursor unless another host holds one that has not run out, and only
    /// the host holding it may save a poll. On SQLite, the one host always does.
    pub async fn lead_poll(&self, flow: &str, now: DateTime<Utc>) -> Result<bool, InboxError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(true),
            #[cfg(feature = "postgres")]
            Backend::Postgres(inbox) => inbox.lead_poll(flow, now).await,
        }
    }

    /// Stores a poll's events (deduplicated like webhooks) and its new cursor, all or nothing;
    /// the flow is polled next at `next_at`. On PostgreSQL, refused unless this host polls the
    /// flow ([`Inbox::lead_poll`]).
    pub async fn save_poll(
        &self,
        save: PollSave,
        next_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Receipt>, InboxError> {
        on_backend!(self, |inbox| inbox.save_poll(save, next_at, now))
    }

    /// Records a failed poll; the flow is polled again at `next_at`.
    pub async fn poll_failed(
        &self,
        flow: String,
        error: String,
        next_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        on_backend!(self, |inbox| inbox.poll_failed(flow, error, next_at, now))
    }

    /// How many events are in each status.
    pub fn counts(&self) -> Result<Vec<(Status, u64)>, InboxError> {
        let counted = blocking!(self, |inbox| inbox.status_counts())?;
        Ok(Status::ALL
            .into_iter()
            .map(|status| {
                let count = counted
                    .iter()
                    .find(|(name, _)| name == status.as_str())
                    .map_or(0, |(_, count)| *count);
                (status, count)
            })
            .collect())
    }

    /// The newest events under `filter`, newest first.
    pub fn list(&self, filter: &EventFilter) -> Result<Vec<EventRow>, InboxError> {
        blocking!(self, |inbox| inbox.list(filter))
    }

    /// How many events match `filter` (its `limit` aside).
    pub fn count(&self, filter: &EventFilter) -> Result<u64, InboxError> {
        blocking!(self, |inbox| inbox.count(filter))
    }

    pub fn get(&self, id: i64) -> Result<Option<EventRow>, InboxError> {
        blocking!(self, |inbox| inbox.get(id))
    }

    /// Event `id`'s audit trail, in order.
    fn steps(&self, id: i64) -> Result<Vec<Step>, InboxError> {
        blocking!(self, |inbox| inbox.steps(id))
    }

    /// Marks event `id` skipped, with `step` in its trail.
    fn skip(&self, id: i64, step: Step, now: DateTime<Utc>) -> Result<(), InboxError> {
        blocking!(self, |inbox| inbox.skip(id, step, now))
    }

    /// Back to pending, due now, with `step` in the trail, unless its attempts moved on from
    /// `attempts`; `resolution` replaces the stored one when given.
    fn requeue(
        &self,
        id: i64,
        attempts: u32,
        resolution: Option<String>,
        step: Step,
        now: DateTime<Utc>,
    ) -> Result<(), InboxError> {
        blocking!(self, |inbox| inbox
            .requeue(id, attempts, resolution, step, now))
    }

    /// Each flow that has events waiting to run, by name.
    pub fn backlog(&self) -> Result<Vec<Backlog>, InboxError> {
        blocking!(self, |inbox| inbox.backlog())
    }

    /// Writes the probe's row the way the engine's writes go: `Ok` once it is durable, as a
    /// webhook's would be.
    pub async fn probe_write(&self, now: DateTime<Utc>) -> Result<(), InboxError> {
        on_backend!(self, |inbox| inbox.probe_write(now))
    }

    /// Every (flow, hour) with events received at or after `since`, by flow then hour.
    pub fn activity(&self, since: DateTime<Utc>) -> Result<Vec<HourActivity>, InboxError> {
        blocking!(self, |inbox| inbox.activity(since))
    }

    /// The unfinished backfill of `flow` from `since` (to `until`, when given), to resume.
    pub fn open_backfill(
        &self,
        flow: &str,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Option<BackfillRow>, InboxError> {
        blocking!(self, |inbox| inbox.open_backfill(flow, since, until))
    }

    /// Backfill `id`.
    pub fn backfill(&self, id: i64) -> Result<Option<BackfillRow>, InboxError> {
        blocking!(self, |inbox| inbox.backfill(id))
    }

    /// Every backfill, the newest first.
    pub fn backfills(&self) -> Result<Vec<BackfillRow>, InboxError> {
        blocking!(self, |inbox| inbox.backfills())
    }

    /// Stores a page: its events not in the inbox yet (deduplicated as webhooks and polls are),
    /// and the backfill's new cursor and counts, all or nothing. Returns the page's receipts and
    /// the backfill as it now stands.
    pub async fn save_backfill_page(
        &self,
        flow: String,
        page: BackfillPage,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Receipt>, BackfillRow), InboxError> {
        on_backend!(self, |inbox| inbox.save_backfill_page(flow, page, now))
    }

    /// For each of `keys`, the event of `flow` whose mapping (or fix) produced a command of that
    /// key: a done one first, else the latest. Keys no event produced are left out.
    pub fn producers(
        &self,
        flow: &str,
        keys: &[String],
    ) -> Result<BTreeMap<String, Holder>, InboxError> {
        blocking!(self, |inbox| inbox.producers(flow, keys))
    }

    /// The fix events of `flow` not done yet, by their reference (the document they fix).
    pub fn open_fixes(&self, flow: &str) -> Result<BTreeMap<String, Holder>, InboxError> {
        blocking!(self, |inbox| inbox.open_fixes(flow))
    }

    /// Where event `id`'s last recording is.
    fn recording_header(&self, id: i64) -> Result<Option<RecordingHeader>, InboxError> {
        blocking!(self, |inbox| inbox.recording_header(id))
    }

    /// The bytes of the recorded part stored under `hash`.
    fn blob(&self, hash: &str) -> Result<Option<Vec<u8>>, InboxError> {
        blocking!(self, |inbox| inbox.blob(hash))
    }

    /// The ids of flow `flow`'s events received at or after `since`, oldest first.
    pub fn event_ids_since(
        &self,
        flow: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<i64>, InboxError> {
        blocking!(self, |inbox| inbox.event_ids_since(flow, since))
    }

    /// What the recordings take now.
    pub fn recording_usage(&self) -> Result<RecordingUsage, InboxError> {
        blocking!(self, |inbox| inbox.recording_usage())
    }

    /// Removes the recordings older than `policy.keep`, then the oldest ones while the blobs
    /// take more than `policy.max_bytes`, and the blobs no recording names any more.
    pub async fn prune_recordings(
        &self,
        policy: RecordingPolicy,
        now: DateTime<Utc>,
    ) -> Result<Pruned, InboxError> {
        let cutoff = chrono::Duration::from_std(policy.keep)
            .ok()
            .and_then(|keep| now.checked_sub_signed(keep))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let max_bytes = policy.max_bytes;
        on_backend!(self, |inbox| inbox.prune_recordings(cutoff, max_bytes))
    }

    /// The SQLite backend, for tests of its query plans.
    #[cfg(test)]
    fn sqlite(&self) -> &SqliteInbox {
        match &self.backend {
            Backend::Sqlite(inbox) => inbox,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => panic!("a PostgreSQL inbox"),
        }
    }
}
