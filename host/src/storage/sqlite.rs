//! The SQLite storage backend (WAL mode): one table of (namespace, key) → value.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use super::{KvStore, Namespace, StoreError};

/// Key/value storage in one SQLite file, or in memory.
#[derive(Debug)]
pub struct SqliteStore {
    db: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        }
        let db = Connection::open(path)
            .map_err(|e| StoreError(format!("cannot open {}: {e}", path.display())))?;
        Self::init(db)
    }

    /// A private in-memory database, gone when dropped.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(backend)?)
    }

    fn init(db: Connection) -> Result<Self, StoreError> {
        db.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        db.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS plugin_kv (
                namespace TEXT NOT NULL,
                key TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (namespace, key)
            ) WITHOUT ROWID;",
        )
        .map_err(backend)?;
        Ok(Self { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().expect("sqlite lock")
    }
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError(e.to_string())
}

fn ns_key(ns: &Namespace) -> String {
    format!("{}\u{1f}{}", ns.plugin, ns.connection)
}

impl KvStore for SqliteStore {
    fn get(&self, ns: &Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.db()
            .query_row(
                "SELECT value FROM plugin_kv WHERE namespace = ?1 AND key = ?2",
                params![ns_key(ns), key],
                |row| row.get(0),
            )
            .optional()
            .map_err(backend)
    }

    fn set(&self, ns: &Namespace, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.db()
            .execute(
                "INSERT INTO plugin_kv (namespace, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                params![ns_key(ns), key, value],
            )
            .map(|_| ())
            .map_err(backend)
    }

    fn delete(&self, ns: &Namespace, key: &str) -> Result<bool, StoreError> {
        self.db()
            .execute(
                "DELETE FROM plugin_kv WHERE namespace = ?1 AND key = ?2",
                params![ns_key(ns), key],
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
                params![ns_key(ns), prefix, prefix.chars().count() as i64],
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
        let namespace = ns_key(ns);
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
