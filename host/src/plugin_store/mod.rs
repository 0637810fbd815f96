//! The plugin store: every component installed, kept by the SHA-256 of its bytes, what it said
//! about itself, and the history of which one of each name was active. Two backends: on one
//! machine, a SQLite file with the bytes beside it (`sqlite`); for several hosts, a PostgreSQL
//! database (`postgres`, with the `postgres` feature). Nothing is ever deleted: a rollback needs
//! the earlier bytes.
//!
//! The store only records; validating a component and making it serve is the flow engine's
//! lifecycle (`flow::plugins`).

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::plugin::PluginSummary;

/// One stored component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredVersion {
    /// What the plugin calls itself (`describe`); flows name plugins by it.
    pub name: String,
    /// The plugin's own version (`describe`).
    pub version: String,
    /// `connector` or `mapping`.
    pub world: String,
    /// SHA-256 of the component, hex.
    pub hash: String,
    /// Bytes.
    pub size: u64,
    /// When these bytes were first installed.
    pub installed_at: DateTime<Utc>,
    /// Where they came from: a file, the admin API, the plugin directory.
    pub origin: String,
}

/// The versions of one plugin name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginVersions {
    pub name: String,
    /// The version new events use.
    pub active: StoredVersion,
    /// Why the active one became active: `install`, `rollback` or `plugin dir`.
    pub activated_by: String,
    /// When it became active.
    pub activated_at: DateTime<Utc>,
    /// The others, newest install first.
    pub inactive: Vec<StoredVersion>,
}

/// Why a version became active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `mlc plugin install` or the admin API.
    Install,
    /// `mlc plugin rollback` or the admin API.
    Rollback,
    /// New in the configured plugin directory at start.
    PluginDir,
}

impl Activation {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Rollback => "rollback",
            Self::PluginDir => "plugin dir",
        }
    }
}

/// The newest activation of one name.
pub(crate) struct ActiveRow {
    pub name: String,
    pub hash: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

enum Backend {
    Sqlite(sqlite::SqliteCatalog),
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::PostgresCatalog>),
}

/// The store. Cheap to clone; clones share one backend. On SQLite its calls block briefly (one
/// small transaction, or one file); on PostgreSQL each is a statement or two.
#[derive(Clone)]
pub struct PluginStore {
    backend: Arc<Backend>,
}

/// Runs `$call` on whichever backend the store has, awaiting it on PostgreSQL.
macro_rules! on_backend {
    ($store:expr, $catalog:ident => $call:expr) => {
        match &*$store.backend {
            Backend::Sqlite($catalog) => $call,
            #[cfg(feature = "postgres")]
            Backend::Postgres($catalog) => $call.await,
        }
    };
}

impl PluginStore {
    /// Opens (or creates) the store of one machine in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            backend: Arc::new(Backend::Sqlite(sqlite::SqliteCatalog::open(dir)?)),
        })
    }

    /// Connects to the store several hosts share in the PostgreSQL database at `url`
    /// (`password`, when given, replaces one the URL carries), making its tables when missing.
    #[cfg(feature = "postgres")]
    pub async fn connect(url: &str, password: Option<&str>) -> anyhow::Result<Self> {
        Ok(Self {
            backend: Arc::new(Backend::Postgres(Box::new(
                postgres::PostgresCatalog::connect(url, password).await?,
            ))),
        })
    }

    /// Whether a component with this hash is stored.
    pub async fn contains(&self, hash: &str) -> anyhow::Result<bool> {
        on_backend!(self, catalog => catalog.contains(hash))
    }

    /// Keeps `bytes` (described by `summary`) if they are new, and makes them the active version
    /// of their name. Returns whether the bytes were new to the store.
    pub async fn put_active(
        &self,
        summary: &PluginSummary,
        bytes: &[u8],
        origin: &str,
        why: Activation,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        on_backend!(self, catalog => catalog.put_active(summary, bytes, origin, why, at))
    }

    /// The bytes of a stored component, checked against their hash.
    pub async fn component(&self, hash: &str) -> anyhow::Result<Vec<u8>> {
        let (bytes, place) = on_backend!(self, catalog => catalog.bytes(hash))?;
        if crate::plugin::cache::content_hash(&bytes) != hash {
            bail!("{place} no longer matches its hash: it was changed outside mlc");
        }
        Ok(bytes)
    }

    /// The hashes of every stored component, active or not.
    pub async fn hashes(&self) -> anyhow::Result<BTreeSet<String>> {
        on_backend!(self, catalog => catalog.hashes())
    }

    /// The active component of each name: (name, hash).
    pub async fn active(&self) -> anyhow::Result<Vec<(String, String)>> {
        let active = on_backend!(self, catalog => catalog.active())?;
        Ok(active.into_iter().map(|row| (row.name, row.hash)).collect())
    }

    /// Every name's active and inactive versions, by name.
    pub async fn versions(&self) -> anyhow::Result<Vec<PluginVersions>> {
        let mut versions = Vec::new();
        for row in on_backend!(self, catalog => catalog.active())? {
            let stored = on_backend!(self, catalog => catalog.stored(&row.name))?;
            let (mine, inactive): (Vec<_>, Vec<_>) = stored
                .into_iter()
                .partition(|version| version.hash == row.hash);
            let Some(active) = mine.into_iter().next() else {
                bail!(
                    "the plugin store is inconsistent: active {} {} is not stored",
                    row.name,
                    row.hash
                );
            };
            versions.push(PluginVersions {
                name: row.name,
                active,
                activated_by: row.reason,
                activated_at: row.at,
                inactive,
            });
        }
        Ok(versions)
    }

    /// The version of `name` installed just before its active one: what a rollback returns to.
    pub async fn before_active(&self, name: &str) -> anyhow::Result<StoredVersion> {
        let active = on_backend!(self, catalog => catalog.active())?;
        let Some(row) = active.iter().find(|row| row.name == name) else {
            let known: Vec<&str> = active.iter().map(|row| row.name.as_str()).collect();
            bail!(
                "no plugin named `{name}` is installed (installed: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        };
        let stored = on_backend!(self, catalog => catalog.stored(name))?;
        stored
            .into_iter()
            .skip_while(|version| version.hash != row.hash)
            .nth(1)
            .with_context(|| {
                format!(
                    "`{name}` has no version installed before its active one ({}): nothing to \
                     roll back to",
                    &row.hash[..12]
                )
            })
    }

    /// Grows with every activation: a running service compares it to notice another process's
    /// (or, on PostgreSQL, another host's) install or rollback.
    pub async fn generation(&self) -> anyhow::Result<i64> {
        on_backend!(self, catalog => catalog.generation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    use crate::sqlite::fresh_path;
    use sqlite::SCHEMA;

    fn version(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    #[tokio::test]
    async fn a_store_made_before_numbered_migrations_migrates_and_keeps_its_history() {
        let dir = fresh_path("plugins");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plugins.db");
        let old = Connection::open(&path).unwrap();
        // 0001 is, unedited, the schema the store ran on every open before numbered migrations.
        old.execute_batch(include_str!("migrations/0001_initial.sql"))
            .unwrap();
        old.execute_batch(
            "INSERT INTO components (hash, name, version, world, size, installed_at, origin)
             VALUES ('aaa', 'intacct', '0.1.0', 'connector', 10, 1795335330000, 'plugin dir'),
                    ('bbb', 'intacct', '0.2.0', 'connector', 12, 1795335390000, 'upload');
             INSERT INTO activations (name, hash, activated_at, reason)
             VALUES ('intacct', 'aaa', 1795335330000, 'plugin dir'),
                    ('intacct', 'bbb', 1795335390000, 'install');",
        )
        .unwrap();
        drop(old);

        let store = PluginStore::open(&dir).unwrap();
        assert_eq!(version(&path), SCHEMA.version() as i64);
        let versions = store.versions().await.unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].active.version, "0.2.0");
        assert_eq!(versions[0].activated_by, "install");
        assert_eq!(
            versions[0].activated_at,
            DateTime::parse_from_rfc3339("2026-11-22T08:16:30Z").unwrap()
        );
        assert_eq!(versions[0].inactive[0].hash, "aaa");
        assert_eq!(
            store.before_active("intacct").await.unwrap().version,
            "0.1.0"
        );
        assert_eq!(store.generation().await.unwrap(), 2);
    }

    #[test]
    fn a_store_written_by_a_newer_release_is_refused() {
        let dir = fresh_path("plugins");
        drop(PluginStore::open(&dir).unwrap());
        Connection::open(dir.join("plugins.db"))
            .unwrap()
            .pragma_update(None, "user_version", 2)
            .unwrap();
        let error = format!("{:#}", PluginStore::open(&dir).err().unwrap());
        assert!(
            error.starts_with(&format!(
                "the plugin store: {} has schema version 2, which this ml-connector does not know \
                 (it knows versions up to 1)",
                dir.join("plugins.db").display()
            )),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_new_store_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = fresh_path("data").join("plugins");
        drop(PluginStore::open(&dir).unwrap());
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.parent().unwrap()), 0o700, "the data directory");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("plugins.db")), 0o600);
    }
}
