//! The durable inbox: every event the engine accepted, its state, and its audit trail, in one
//! SQLite file (WAL, `synchronous=FULL`, so an event acknowledged to its sender survives a crash
//! or a power cut). `queue` holds what the engine does with events; `ops` what a person does.

mod ops;
mod queue;
mod rows;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

pub use ops::{EventDetail, EventFilter, OpsError, Resolution};
pub use queue::{Arrival, Finish, PollSave, PollState, Receipt};
pub use rows::EventRow;

/// A failure of the inbox's database.
#[derive(Debug, Clone, thiserror::Error)]
#[error("inbox database: {0}")]
pub struct InboxError(pub String);

impl From<rusqlite::Error> for InboxError {
    fn from(error: rusqlite::Error) -> Self {
        Self(error.to_string())
    }
}

/// The inbox. Cheap to clone; clones share one database connection. Its methods block: async
/// callers run them on the blocking pool (see [`Inbox::run`]).
#[derive(Clone)]
pub struct Inbox {
    db: Arc<Mutex<Connection>>,
}

impl Inbox {
    /// Opens (or creates) the inbox at `path`.
    pub fn open(path: &Path) -> Result<Self, InboxError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| InboxError(format!("cannot create {}: {e}", dir.display())))?;
        }
        let db = Connection::open(path)
            .map_err(|e| InboxError(format!("cannot open {}: {e}", path.display())))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(Duration::from_secs(10))?;
        db.execute_batch(include_str!("schema.sql"))?;
        add_plugin_hash(&db)?;
        Ok(Self {
            db: Arc::new(Mutex::new(db)),
        })
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

    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Inboxes made before steps recorded the component's hash get the column (empty for old steps).
fn add_plugin_hash(db: &Connection) -> Result<(), InboxError> {
    let has_it = db
        .prepare("SELECT 1 FROM pragma_table_info('steps') WHERE name = 'plugin_hash'")?
        .exists([])?;
    if !has_it {
        db.execute_batch("ALTER TABLE steps ADD COLUMN plugin_hash TEXT")?;
    }
    Ok(())
}

pub(crate) fn to_ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
