//! The plugin store: every component installed, kept by the SHA-256 of its bytes
//! (`components/<hash>.wasm`), what it said about itself, and the history of which one of each
//! name was active (`plugins.db`, opened by `crate::sqlite`: WAL mode, so `mlc plugin install` in
//! one process and `mlc run` in another share it; schema changes in `migrations/`). Nothing is
//! ever deleted: a rollback needs the earlier bytes.
//!
//! The store only records; validating a component and making it serve is the flow engine's
//! lifecycle (`flow::plugins`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::plugin::PluginSummary;
use crate::sqlite::{self, Migration, Schema, SharedConnection, from_ms, to_ms};

/// The store's schema, one file per change (see `crate::sqlite`). Never edit a released file:
/// add the next one.
const SCHEMA: Schema = Schema::new(&[Migration::new(
    "0001_initial.sql",
    include_str!("migrations/0001_initial.sql"),
)]);

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
    fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Rollback => "rollback",
            Self::PluginDir => "plugin dir",
        }
    }
}

/// The store under one directory. Cheap to clone; clones share one connection. Its methods block
/// briefly (one small SQLite transaction, or one file).
#[derive(Clone)]
pub struct PluginStore {
    components: PathBuf,
    db: SharedConnection,
}

const COLUMNS: &str = "name, version, world, hash, size, installed_at, origin";

impl PluginStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        // First the database: it creates `dir` private (0700) if it is new.
        let db = sqlite::open(&dir.join("plugins.db"), &SCHEMA).context("the plugin store")?;
        let components = dir.join("components");
        std::fs::create_dir_all(&components)
            .with_context(|| format!("cannot create the plugin store {}", components.display()))?;
        Ok(Self {
            components,
            db: SharedConnection::new(db),
        })
    }

    /// Whether a component with this hash is stored.
    pub fn contains(&self, hash: &str) -> anyhow::Result<bool> {
        Ok(self
            .db()
            .prepare_cached("SELECT 1 FROM components WHERE hash = ?1")?
            .exists([hash])?)
    }

    /// Keeps `bytes` (described by `summary`) if they are new, and makes them the active version
    /// of their name. Returns whether the bytes were new to the store.
    pub fn put_active(
        &self,
        summary: &PluginSummary,
        bytes: &[u8],
        origin: &str,
        why: Activation,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let stored = self.contains(&summary.hash)?;
        if !stored {
            self.write_component(&summary.hash, bytes)?;
        }
        let mut db = self.db();
        let tx = db.transaction()?;
        if !stored {
            tx.execute(
                "INSERT INTO components (hash, name, version, world, size, installed_at, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    summary.hash,
                    summary.name,
                    summary.version,
                    summary.world.to_string(),
                    bytes.len() as i64,
                    to_ms(at),
                    origin
                ],
            )?;
        }
        tx.execute(
            "INSERT INTO activations (name, hash, activated_at, reason) VALUES (?1, ?2, ?3, ?4)",
            params![summary.name, summary.hash, to_ms(at), why.as_str()],
        )?;
        tx.commit()?;
        Ok(!stored)
    }

    /// The bytes of a stored component, checked against their hash.
    pub fn component(&self, hash: &str) -> anyhow::Result<Vec<u8>> {
        let path = self.components.join(format!("{hash}.wasm"));
        let bytes = std::fs::read(&path)
            .with_context(|| format!("the plugin store lost {}", path.display()))?;
        if crate::plugin::cache::content_hash(&bytes) != hash {
            bail!(
                "{} no longer matches its hash: the file was changed outside mlc",
                path.display()
            );
        }
        Ok(bytes)
    }

    /// The hashes of every stored component, active or not.
    pub fn hashes(&self) -> anyhow::Result<BTreeSet<String>> {
        let db = self.db();
        let mut statement = db.prepare_cached("SELECT hash FROM components")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The active component of each name: (name, hash).
    pub fn active(&self) -> anyhow::Result<Vec<(String, String)>> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT name, hash FROM activations a
             WHERE id = (SELECT MAX(id) FROM activations WHERE name = a.name) ORDER BY name",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every name's active and inactive versions, by name.
    pub fn versions(&self) -> anyhow::Result<Vec<PluginVersions>> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT name, hash, reason, activated_at FROM activations a
             WHERE id = (SELECT MAX(id) FROM activations WHERE name = a.name) ORDER BY name",
        )?;
        let active = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut all = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM components WHERE name = ?1 ORDER BY seq DESC"
        ))?;
        let mut versions = Vec::new();
        for (name, hash, reason, at) in active {
            let stored = all
                .query_map([&name], read_version)?
                .collect::<Result<Vec<_>, _>>()?;
            let (mine, inactive): (Vec<_>, Vec<_>) =
                stored.into_iter().partition(|version| version.hash == hash);
            let Some(active) = mine.into_iter().next() else {
                bail!("the plugin store is inconsistent: active {name} {hash} is not stored");
            };
            versions.push(PluginVersions {
                name,
                active,
                activated_by: reason,
                activated_at: from_ms(at),
                inactive,
            });
        }
        Ok(versions)
    }

    /// The version of `name` installed just before its active one: what a rollback returns to.
    pub fn before_active(&self, name: &str) -> anyhow::Result<StoredVersion> {
        let db = self.db();
        let active: Option<String> = db
            .prepare_cached(
                "SELECT hash FROM activations WHERE name = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([name], |row| row.get(0))
            .optional()?;
        let Some(active) = active else {
            let known: Vec<String> = db
                .prepare_cached("SELECT DISTINCT name FROM activations ORDER BY name")?
                .query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            bail!(
                "no plugin named `{name}` is installed (installed: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        };
        db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM components WHERE name = ?1
             AND seq < (SELECT seq FROM components WHERE hash = ?2) ORDER BY seq DESC LIMIT 1"
        ))?
        .query_row([name, &active], read_version)
        .optional()?
        .with_context(|| {
            format!(
                "`{name}` has no version installed before its active one ({}): nothing to roll \
                 back to",
                &active[..12]
            )
        })
    }

    /// Grows with every activation: a running service compares it to notice another process's
    /// install or rollback.
    pub fn generation(&self) -> anyhow::Result<i64> {
        Ok(self
            .db()
            .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM activations")?
            .query_row([], |row| row.get(0))?)
    }

    /// Writes the bytes under their hash: to a name of this writer's, then renamed into place.
    fn write_component(&self, hash: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.components.join(format!("{hash}.wasm"));
        let partial = self.components.join(format!(
            "{hash}.{}-{}.partial",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::write(&partial, bytes)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::File::open(&partial)
            .and_then(|file| file.sync_all())
            .with_context(|| format!("cannot sync {}", partial.display()))?;
        std::fs::rename(&partial, &path)
            .with_context(|| format!("cannot move {} into place", partial.display()))
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock()
    }
}

fn read_version(row: &Row<'_>) -> rusqlite::Result<StoredVersion> {
    Ok(StoredVersion {
        name: row.get(0)?,
        version: row.get(1)?,
        world: row.get(2)?,
        hash: row.get(3)?,
        size: row.get::<_, i64>(4)?.max(0) as u64,
        installed_at: from_ms(row.get(5)?),
        origin: row.get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::fresh_path;

    fn version(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_store_made_before_numbered_migrations_migrates_and_keeps_its_history() {
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
        let versions = store.versions().unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].active.version, "0.2.0");
        assert_eq!(versions[0].activated_by, "install");
        assert_eq!(
            versions[0].activated_at,
            DateTime::parse_from_rfc3339("2026-11-22T08:16:30Z").unwrap()
        );
        assert_eq!(versions[0].inactive[0].hash, "aaa");
        assert_eq!(store.before_active("intacct").unwrap().version, "0.1.0");
        assert_eq!(store.generation().unwrap(), 2);
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
