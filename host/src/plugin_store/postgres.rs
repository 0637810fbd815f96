//! The plugin store that several hosts share, in PostgreSQL (the `postgres` feature): the same
//! history as on one machine, with the bytes in the database, so every host serves what any of
//! them installed. Its tables are made and versioned by `crate::postgres`; an install is one
//! statement, so the component and its activation land together.

use std::collections::BTreeSet;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use super::{Activation, ActiveRow, StoredVersion};
use crate::plugin::PluginSummary;
use crate::postgres::{Database, Part, Statements};
use crate::sqlite::{from_ms, to_ms};

/// The plugin store's part of the schema. Times are milliseconds since the Unix epoch, UTC.
static PART: Part = Part {
    name: "plugin_store",
    version: 1,
    tables: "CREATE TABLE IF NOT EXISTS plugin_components (
                 seq BIGSERIAL PRIMARY KEY,
                 hash TEXT NOT NULL UNIQUE,
                 name TEXT NOT NULL,
                 version TEXT NOT NULL,
                 world TEXT NOT NULL,
                 size BIGINT NOT NULL,
                 installed_at BIGINT NOT NULL,
                 origin TEXT NOT NULL,
                 bytes BYTEA NOT NULL
             );
             CREATE INDEX IF NOT EXISTS plugin_components_name ON plugin_components (name, seq);
             CREATE TABLE IF NOT EXISTS plugin_activations (
                 id BIGSERIAL PRIMARY KEY,
                 name TEXT NOT NULL,
                 hash TEXT NOT NULL REFERENCES plugin_components (hash),
                 activated_at BIGINT NOT NULL,
                 reason TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS plugin_activations_name
                 ON plugin_activations (name, id);",
    holds: "the plugin store",
};

const COLUMNS: &str = "name, version, world, hash, size, installed_at, origin";

/// The store in one PostgreSQL database.
#[derive(Debug)]
pub(super) struct PostgresCatalog {
    database: Database,
}

impl PostgresCatalog {
    pub async fn connect(url: &str, password: Option<&str>) -> anyhow::Result<Self> {
        Ok(Self {
            database: Database::connect(url, password, &PART).await?,
        })
    }

    pub async fn contains(&self, hash: &str) -> anyhow::Result<bool> {
        let found = self
            .query("SELECT 1 FROM plugin_components WHERE hash = $1", &[&hash])
            .await?;
        Ok(!found.is_empty())
    }

    pub async fn put_active(
        &self,
        summary: &PluginSummary,
        bytes: &[u8],
        origin: &str,
        why: Activation,
        at: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let world = summary.world.to_string();
        let size = bytes.len() as i64;
        let at = to_ms(at);
        let rows = self
            .query(
                "WITH new AS (
                     INSERT INTO plugin_components
                         (hash, name, version, world, size, installed_at, origin, bytes)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (hash) DO NOTHING
                     RETURNING hash
                 ), activation AS (
                     INSERT INTO plugin_activations (name, hash, activated_at, reason)
                     VALUES ($2, $1, $6, $9)
                     RETURNING id
                 )
                 SELECT (SELECT count(*) FROM new) > 0, (SELECT count(*) FROM activation)",
                &[
                    &summary.hash,
                    &summary.name,
                    &summary.version,
                    &world,
                    &size,
                    &at,
                    &origin,
                    &bytes,
                    &why.as_str(),
                ],
            )
            .await?;
        Ok(rows[0].get(0))
    }

    pub async fn bytes(&self, hash: &str) -> anyhow::Result<(Vec<u8>, String)> {
        let place = format!(
            "component {hash} in PostgreSQL at {}",
            self.database.server()
        );
        let rows = self
            .query(
                "SELECT bytes FROM plugin_components WHERE hash = $1",
                &[&hash],
            )
            .await?;
        let row = rows
            .first()
            .with_context(|| format!("the plugin store has no {place}"))?;
        Ok((row.get(0), place))
    }

    pub async fn hashes(&self) -> anyhow::Result<BTreeSet<String>> {
        let rows = self
            .query("SELECT hash FROM plugin_components", &[])
            .await?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    pub async fn active(&self) -> anyhow::Result<Vec<ActiveRow>> {
        let rows = self
            .query(
                "SELECT DISTINCT ON (name) name, hash, reason, activated_at
                 FROM plugin_activations ORDER BY name, id DESC",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| ActiveRow {
                name: row.get(0),
                hash: row.get(1),
                reason: row.get(2),
                at: from_ms(row.get(3)),
            })
            .collect())
    }

    pub async fn stored(&self, name: &str) -> anyhow::Result<Vec<StoredVersion>> {
        let rows = self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM plugin_components WHERE name = $1 ORDER BY seq DESC"
                ),
                &[&name],
            )
            .await?;
        Ok(rows.iter().map(read_version).collect())
    }

    /// The number of activations. Not the highest id: ids are taken when a transaction starts,
    /// so a smaller one may commit after a bigger one, and the highest would not change.
    pub async fn generation(&self) -> anyhow::Result<i64> {
        let rows = self
            .query("SELECT count(*) FROM plugin_activations", &[])
            .await?;
        Ok(rows[0].get(0))
    }

    async fn query(
        &self,
        statement: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> anyhow::Result<Vec<Row>> {
        let client = self.database.client().await?;
        client
            .query(statement, params)
            .await
            .map_err(|error| self.database.failed(error).into())
    }
}

fn read_version(row: &Row) -> StoredVersion {
    StoredVersion {
        name: row.get(0),
        version: row.get(1),
        world: row.get(2),
        hash: row.get(3),
        size: row.get::<_, i64>(4).max(0) as u64,
        installed_at: from_ms(row.get(5)),
        origin: row.get(6),
    }
}
