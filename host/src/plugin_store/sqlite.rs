//! The plugin store of one machine: the history in `plugins.db` (opened by `crate::sqlite`: WAL
//! mode, so `mlc plugin install` in one process and `mlc run` in another share it; schema
//! changes in `migrations/`), the bytes in `components/<hash>.wasm` beside it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::{Activation, ActiveRow, StoredVersion};
use crate::plugin::PluginSummary;
use crate::sqlite::{self, Migration, Schema, SharedConnection, from_ms, to_ms};

/// The store's schema, one file per change (see `crate::sqlite`). Never edit a released file:
/// add the next one.
pub(super) const SCHEMA: Schema = Schema::new(&[Migration::new(
    "0001_initial.sql",
    include_str!("migrations/0001_initial.sql"),
)]);

const COLUMNS: &str = "name, version, world, hash, size, installed_at, origin";

/// The store under one directory. Its methods block briefly (one small SQLite transaction, or
/// one file).
pub(super) struct SqliteCatalog {
    components: PathBuf,
    db: SharedConnection,
}

impl SqliteCatalog {
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

    pub fn contains(&self, hash: &str) -> anyhow::Result<bool> {
        Ok(self
            .db()
            .prepare_cached("SELECT 1 FROM components WHERE hash = ?1")?
            .exists([hash])?)
    }

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

    /// The bytes under `hash`, and where they were read, for messages.
    pub fn bytes(&self, hash: &str) -> anyhow::Result<(Vec<u8>, String)> {
        let path = self.components.join(format!("{hash}.wasm"));
        let bytes = std::fs::read(&path)
            .with_context(|| format!("the plugin store lost {}", path.display()))?;
        Ok((bytes, path.display().to_string()))
    }

    pub fn hashes(&self) -> anyhow::Result<BTreeSet<String>> {
        let db = self.db();
        let mut statement = db.prepare_cached("SELECT hash FROM components")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn active(&self) -> anyhow::Result<Vec<ActiveRow>> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT name, hash, reason, activated_at FROM activations a
             WHERE id = (SELECT MAX(id) FROM activations WHERE name = a.name) ORDER BY name",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(ActiveRow {
                name: row.get(0)?,
                hash: row.get(1)?,
                reason: row.get(2)?,
                at: from_ms(row.get(3)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn stored(&self, name: &str) -> anyhow::Result<Vec<StoredVersion>> {
        let db = self.db();
        let mut statement = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM components WHERE name = ?1 ORDER BY seq DESC"
        ))?;
        let rows = statement.query_map([name], read_version)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

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
