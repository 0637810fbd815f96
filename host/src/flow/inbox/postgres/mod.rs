//! The inbox in the PostgreSQL database of `[store]`, shared by every host of a config
//! (`schema.sql`). Each concern's statements are in the file of the same name as its SQLite
//! twin's one level up. What several hosts need is here: a claim takes events with
//! `FOR UPDATE SKIP LOCKED`, so two hosts never claim one event, and gives this host a lease on
//! each; every later write of the attempt names its attempt number (its fencing token), so an
//! attempt whose lease ran out and whose event another host took again cannot record an outcome.
//!
//! The inbox runs its own small runtime, which drives its connections: its blocking methods are
//! driven to the end there from any thread, and its async ones run in the caller's.

mod activity;
mod backfills;
mod fixes;
mod health;
mod ops;
mod queue;
mod recordings;
mod rows;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::flow::inbox::InboxError;
use crate::postgres::{Connection, Database, Part, PostgresError, Session};

/// The inbox's tables in the shared database.
static PART: Part = Part {
    name: "inbox",
    version: 1,
    tables: include_str!("schema.sql"),
    holds: "the inbox",
};

/// The inbox in PostgreSQL. Cheap to clone.
#[derive(Clone)]
pub(in crate::flow::inbox) struct PostgresInbox {
    database: Arc<Database>,
    driver: Arc<Driver>,
    /// How long a claim holds an event (or a flow's polling) without news from this host: past
    /// it, any host returns the event to pending.
    lease: Duration,
    /// Who this host is, in `held_by` and `leader`: `hostname:pid:n`, `n` counting the inboxes
    /// this process connected (an embedding platform may run several hosts in one process).
    holder: Arc<str>,
}

impl PostgresInbox {
    /// Connects, making the inbox's tables when missing. Blocks.
    pub(in crate::flow::inbox) fn connect(
        url: &str,
        password: Option<&str>,
        lease: Duration,
    ) -> Result<Self, InboxError> {
        let driver = Driver::start()?;
        let database = driver.block(Database::connect(url, password, &PART))?;
        Ok(Self {
            database: Arc::new(database),
            driver: Arc::new(driver),
            lease,
            holder: holder().into(),
        })
    }

    pub(in crate::flow::inbox) fn lease(&self) -> Duration {
        self.lease
    }

    /// When a lease taken or renewed at `now` runs out, as stored.
    fn lease_until(&self, now: chrono::DateTime<chrono::Utc>) -> i64 {
        crate::sqlite::to_ms(now) + self.lease.as_millis() as i64
    }

    /// Drives `work` to its end on the inbox's runtime; blocks the calling thread meanwhile.
    pub(in crate::flow::inbox) fn block<T: Send>(&self, work: impl Future<Output = T> + Send) -> T {
        self.driver.block(work)
    }

    /// The shared connection, for single statements.
    async fn client(&self) -> Result<Arc<Connection>, InboxError> {
        Ok(self.database.client().await?)
    }

    /// A connection of this caller's own, for a transaction.
    async fn session(&self) -> Result<Session<'_>, InboxError> {
        Ok(self.database.session().await?)
    }

    /// The error of a statement, naming the server.
    fn failed(&self, error: tokio_postgres::Error) -> InboxError {
        self.database.failed(error).into()
    }
}

impl From<PostgresError> for InboxError {
    fn from(error: PostgresError) -> Self {
        Self(error.0)
    }
}

/// A runtime of the inbox's own, stopped without waiting when the inbox's last clone goes.
struct Driver(Option<tokio::runtime::Runtime>);

impl Driver {
    fn start() -> Result<Self, InboxError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mlc-inbox-db")
            .enable_all()
            .build()
            .map(|runtime| Self(Some(runtime)))
            .map_err(|error| InboxError(format!("cannot start the inbox's runtime: {error}")))
    }

    /// Drives `work` on a thread of its own (a caller inside another runtime may not block on
    /// this one), in this runtime's context.
    fn block<T: Send>(&self, work: impl Future<Output = T> + Send) -> T {
        let handle = self.0.as_ref().expect("running until dropped").handle();
        std::thread::scope(|scope| {
            scope
                .spawn(|| handle.block_on(work))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// `hostname:pid:n`, a new `n` for each inbox this process connects.
fn holder() -> String {
    static CONNECTED: AtomicUsize = AtomicUsize::new(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "host".into());
    let n = CONNECTED.fetch_add(1, Ordering::Relaxed);
    format!("{host}:{}:{n}", std::process::id())
}
