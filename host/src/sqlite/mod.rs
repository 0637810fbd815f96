//! One home for SQLite: how the host opens a database file (private file modes, pragmas), how its
//! schema moves forward (numbered migrations tracked in `PRAGMA user_version`, see [`Schema`]),
//! and how times are stored (UTC milliseconds). The inbox, the plugin store and plugin storage
//! each open their file here with their own migrations.
//!
//! Every database gets the same settings:
//! - `journal_mode = WAL`: readers do not block the writer, and another process (`mlc events`,
//!   `mlc plugin install`) can share the file with a running `mlc run`;
//! - `synchronous = FULL`: a commit is on disk before it returns. The inbox acknowledges a
//!   webhook only after its write, and the plugin store's activations decide what serves. Plugin
//!   storage gets the same, although its values look like caches: a refresh token Shopify
//!   rotated is the only one still valid once the old one is spent, and the Intacct connector's
//!   query serial must never repeat (Intacct runs a controlid once), so losing the last commit to
//!   a power cut would lock a connection out or leave a query unanswered;
//! - `busy_timeout` of 10 s: a write waits for another process's transaction instead of failing;
//! - `foreign_keys = ON`: the `REFERENCES` the schemas declare are enforced.

mod files;
mod migrate;
mod time;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

pub(crate) use migrate::{Migration, Schema};
pub(crate) use time::{from_ms, to_ms};

/// How long a statement waits for another connection's lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SqliteError {
    #[error("cannot create {}: {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "{} has schema version {found}, which this ml-connector does not know (it knows versions \
         up to {known}): a newer release wrote it. Run that release, or restore a copy of the file \
         made before the upgrade",
        path.display()
    )]
    UnknownVersion {
        path: PathBuf,
        found: i64,
        known: usize,
    },
    #[error("{}: migration {file} failed: {source}", path.display())]
    Migration {
        path: PathBuf,
        file: &'static str,
        source: rusqlite::Error,
    },
}

/// Opens (or creates) the database file at `path` and brings it to the latest version of
/// `schema`. A new file and the directories made for it are private to the user (0600, 0700).
pub(crate) fn open(path: &Path, schema: &Schema) -> Result<Connection, SqliteError> {
    files::create_private(path)?;
    let db = Connection::open(path).map_err(|source| SqliteError::Open {
        path: path.to_owned(),
        source,
    })?;
    prepare(db, path, schema)
}

/// A private in-memory database with `schema`, gone when dropped.
pub(crate) fn open_in_memory(schema: &Schema) -> Result<Connection, SqliteError> {
    let path = Path::new(":memory:");
    let db = Connection::open_in_memory().map_err(|source| SqliteError::Open {
        path: path.to_owned(),
        source,
    })?;
    prepare(db, path, schema)
}

fn prepare(mut db: Connection, path: &Path, schema: &Schema) -> Result<Connection, SqliteError> {
    configure(&db).map_err(|source| SqliteError::Open {
        path: path.to_owned(),
        source,
    })?;
    migrate::apply(&mut db, path, schema)?;
    Ok(db)
}

fn configure(db: &Connection) -> rusqlite::Result<()> {
    db.busy_timeout(BUSY_TIMEOUT)?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.pragma_update(None, "foreign_keys", "ON")
}

/// One connection shared by the clones of a store. A panic while it was held leaves no half
/// transaction behind (an open transaction rolls back when dropped), so a poisoned lock is
/// taken over rather than passed on.
#[derive(Debug, Clone)]
pub(crate) struct SharedConnection(Arc<Mutex<Connection>>);

impl SharedConnection {
    pub(crate) fn new(db: Connection) -> Self {
        Self(Arc::new(Mutex::new(db)))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A path in a new directory under the system's temporary directory; neither exists yet.
#[cfg(test)]
pub(crate) fn fresh_path(file: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir()
        .join(format!(
            "mlc-sqlite-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
        .join(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = Schema::new(&[Migration::new(
        "0001_notes.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
         CREATE TABLE tags (note INTEGER NOT NULL REFERENCES notes (id), tag TEXT NOT NULL);",
    )]);

    #[test]
    fn every_database_is_opened_with_wal_full_sync_a_busy_timeout_and_foreign_keys() {
        let db = open(&fresh_path("settings.db"), &SCHEMA).unwrap();
        let pragma = |name: &str| -> String {
            db.pragma_query_value(None, name, |row| {
                row.get::<_, rusqlite::types::Value>(0)
                    .map(|value| format!("{value:?}"))
            })
            .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma("synchronous"), "Integer(2)", "2 is FULL");
        assert_eq!(pragma("busy_timeout"), "Integer(10000)");
        assert_eq!(pragma("foreign_keys"), "Integer(1)");
    }

    #[test]
    fn foreign_keys_are_enforced() {
        let db = open_in_memory(&SCHEMA).unwrap();
        let orphan = db
            .execute("INSERT INTO tags (note, tag) VALUES (7, 'x')", [])
            .unwrap_err();
        assert!(
            orphan.to_string().contains("FOREIGN KEY constraint failed"),
            "{orphan}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_its_wal_and_shm_are_0600_in_directories_made_0700() {
        use std::os::unix::fs::PermissionsExt;
        let path = fresh_path("nested/data.db");
        let db = open(&path, &SCHEMA).unwrap();
        db.execute("INSERT INTO notes (text) VALUES ('secret')", [])
            .unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", path.display()));
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            mode(&with("-wal")),
            0o600,
            "SQLite makes the WAL like the database"
        );
        assert_eq!(mode(&with("-shm")), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(path.parent().unwrap().parent().unwrap()), 0o700);
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_database_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let path = fresh_path("shared.db");
        drop(open(&path, &SCHEMA).unwrap());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        drop(open(&path, &SCHEMA).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn a_database_that_cannot_be_created_names_the_path() {
        let blocker = fresh_path("a-file");
        std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
        std::fs::write(&blocker, "not a directory").unwrap();
        let error = open(&blocker.join("inbox.db"), &SCHEMA).unwrap_err();
        assert!(matches!(error, SqliteError::Create { .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("cannot create {}", blocker.display())),
            "{error}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_naming_it() {
        let path = fresh_path("notes.txt");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "these are notes, not a database, ".repeat(40)).unwrap();
        let error = open(&path, &SCHEMA).unwrap_err();
        assert!(
            error.to_string().starts_with(&format!(
                "cannot open {}: file is not a database",
                path.display()
            )),
            "{error}"
        );
    }

    #[test]
    fn clones_of_a_shared_connection_use_one_connection_even_after_a_panic() {
        let shared = SharedConnection::new(open_in_memory(&SCHEMA).unwrap());
        let clone = shared.clone();
        let panicked = std::thread::spawn(move || {
            let db = clone.lock();
            db.execute("INSERT INTO notes (text) VALUES ('before')", [])
                .unwrap();
            panic!("a bug while holding the connection");
        })
        .join();
        assert!(panicked.is_err());
        let count: i64 = shared
            .lock()
            .query_row("SELECT COUNT(*) FROM notes", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }
}
