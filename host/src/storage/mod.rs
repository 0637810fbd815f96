//! Durable key/value storage behind a trait, with two backends: SQLite (one host, the default)
//! and, with the `postgres` feature, PostgreSQL (several hosts sharing it; given to
//! [`crate::HostBuilder::storage`]). Every key
//! lives in a namespace; the host gives each (plugin, connection) pair its own, and plugins only
//! ever name keys inside it.

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// A namespace: one plugin's keys for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace {
    pub plugin: String,
    pub connection: String,
}

impl Namespace {
    pub fn new(plugin: impl Into<String>, connection: impl Into<String>) -> Self {
        Self {
            plugin: plugin.into(),
            connection: connection.into(),
        }
    }
}

impl Namespace {
    /// How the backends store it: plugin and connection joined by a unit separator.
    fn column(&self) -> String {
        format!("{}\u{1f}{}", self.plugin, self.connection)
    }
}

impl std::fmt::Display for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.plugin, self.connection)
    }
}

/// A storage backend failure.
#[derive(Debug, thiserror::Error)]
#[error("storage backend: {0}")]
pub struct StoreError(pub String);

/// The operations the storage capability needs. Implementations must make `compare_and_swap` atomic.
/// The calls block: make them off the async executor (the capability uses the blocking pool).
pub trait KvStore: Send + Sync + 'static {
    fn get(&self, ns: &Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn set(&self, ns: &Namespace, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Returns whether the key existed.
    fn delete(&self, ns: &Namespace, key: &str) -> Result<bool, StoreError>;
    /// Keys starting with `prefix`, ascending.
    fn list_keys(&self, ns: &Namespace, prefix: &str) -> Result<Vec<String>, StoreError>;
    /// Replaces the value only if it currently equals `expected` (`None`: absent); `new` of `None`
    /// deletes. Returns whether it swapped.
    fn compare_and_swap(
        &self,
        ns: &Namespace,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError>;
}
