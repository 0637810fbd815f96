//! The SQLite storage backend: one table of (namespace, key) → value in a file opened by
//! `crate::sqlite` (WAL, `synchronous=FULL`: why plugin storage needs it is said there; schema
//! changes in `migrations/`).

use std::path::Path;
use std::sync::MutexGuard;

use rusqlite::{Connection, OptionalExtension, params};

use super::{KvStore, Namespace, StoreError};
use crate::sqlite::{self, Migration, Schema, SharedConnection};

/// Plugin storage's schema, one file per change (see `crate::sqlite`). Never edit a released
/// file: add the next one.
const SCHEMA: Schema = Schema::new(&[Migration::new(
    "0001_initial.sql",
    include_str!("migrations/0001_initial.sql"),
)]);

/// Key/value storage in one SQLite file, or in memory.
#[derive(Debug)]
pub struct SqliteStore {
    db: SharedConnection,
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path`. A new file is readable by its owner only
    /// (0600): it holds the connectors' tokens and sessions.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self::new(sqlite::open(path, &SCHEMA).map_err(opening)?))
    }

    /// A private in-memory database, gone when dropped.
    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self::new(sqlite::open_in_memory(&SCHEMA).map_err(opening)?))
    }

    fn new(db: Connection) -> Self {
        Self {
            db: SharedConnection::new(db),
        }
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock()
    }
}

fn opening(error: sqlite::SqliteError) -> StoreError {
    StoreError(error.to_string())
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError(e.to_string())
}

impl KvStore for SqliteStore {
    fn get(&self, ns: &Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.db()
            .prepare_cached("SELECT value FROM plugin_kv WHERE namespace = ?1 AND key = ?2")
            .and_then(|mut statement| {
                statement
                    .query_row(params![ns.column(), key], |row| row.get(0))
                    .optional()
            })
            .map_err(backend)
    }

    fn set(&self, ns: &Namespace, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.db()
            .prepare_cached(
                "INSERT INTO plugin_kv (namespace, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut statement| statement.execute(params![ns.column(), key, value]))
            .map(|_| ())
            .map_err(backend)
    }

    fn delete(&self, ns: &Namespace, key: &str) -> Result<bool, StoreError> {
        self.db()
            .execute(
                "DELETE FROM plugin_kv WHERE namespace = ?1 AND key = ?2",
                params![ns.column(), key],
            )
            .map(|deleted| deleted > 0)
            .map_err(backend)
    }

    fn list_keys(&self, ns: &Namespace, prefix: &str) -> Result<Vec<String>, StoreError> {
        let db = self.db();
        let mut statement = db
            .prepare("SELECT key FROM plugin_kv WHERE namespace = ?1 AND substr(key, 1, ?3) = ?2 ORDER BY key")
            .map_err(backend)?;
        let keys = statement
            .query_map(
                params![ns.column(), prefix, prefix.chars().count() as i64],
                |row| row.get(0),
            )
            .map_err(backend)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(backend)?;
        Ok(keys)
    }

    fn compare_and_swap(
        &self,
        ns: &Namespace,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        let mut db = self.db();
        let tx = db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let namespace = ns.column();
        let current: Option<Vec<u8>> = tx
            .query_row(
                "SELECT value FROM plugin_kv WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
                |row| row.get(0),
            )
            .optional()
            .map_err(backend)?;
        if current.as_deref() != expected {
            return Ok(false);
        }
        match new {
            Some(value) => tx.execute(
                "INSERT INTO plugin_kv (namespace, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                params![namespace, key, value],
            ),
            None => tx.execute(
                "DELETE FROM plugin_kv WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
            ),
        }
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::fresh_path;

    fn shop() -> Namespace {
        Namespace::new("shopify", "shop")
    }

    #[test]
    fn storage_made_before_numbered_migrations_migrates_and_keeps_its_values() {
        let path = fresh_path("storage.db");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let old = Connection::open(&path).unwrap();
        // The table as the backend created it before numbered migrations, user_version 0.
        old.execute_batch(
            "CREATE TABLE IF NOT EXISTS plugin_kv (
                namespace TEXT NOT NULL,
                key TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (namespace, key)
            ) WITHOUT ROWID;
            INSERT INTO plugin_kv VALUES ('shopify' || char(31) || 'shop', 'token', X'7B7D');",
        )
        .unwrap();
        drop(old);

        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.get(&shop(), "token").unwrap().as_deref(),
            Some(&b"{}"[..])
        );
        let version: i64 = store
            .db()
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA.version() as i64);
    }

    #[test]
    fn storage_written_by_a_newer_release_is_refused() {
        let path = fresh_path("storage.db");
        let store = SqliteStore::open(&path).unwrap();
        store.db().pragma_update(None, "user_version", 5).unwrap();
        drop(store);
        let error = SqliteStore::open(&path).unwrap_err();
        assert!(
            error.to_string().starts_with(&format!(
                "storage backend: {} has schema version 5",
                path.display()
            )),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_credentials_file_its_wal_and_shm_are_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let path = fresh_path("data").join("storage.db");
        let store = SqliteStore::open(&path).unwrap();
        store.set(&shop(), "token", b"shpat_live").unwrap();
        let mode = |suffix: &str| {
            let file = format!("{}{suffix}", path.display());
            std::fs::metadata(file).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode(""), 0o600);
        assert_eq!(mode("-wal"), 0o600);
        assert_eq!(mode("-shm"), 0o600);
        let dir = std::fs::metadata(path.parent().unwrap()).unwrap();
        assert_eq!(
            dir.permissions().mode() & 0o777,
            0o700,
            "the data directory"
        );
    }
}
