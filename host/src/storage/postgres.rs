//! The PostgreSQL storage backend: plugin storage that several hosts share (one Intacct session,
//! one ShipStation rate-limit window for the whole cluster). One table of (namespace, key) →
//! value, made and versioned by `crate::postgres`. Every operation is one statement, so a
//! `compare_and_swap` is atomic across hosts without a transaction.
//!
//! Its calls block (as [`KvStore`]'s do): the storage capability runs them on the blocking pool,
//! where they wait on the runtime the store was made on.

use tokio::runtime::Handle;

use super::{KvStore, Namespace, StoreError};
use crate::postgres::{Connection, Database, Part, PostgresError, Statements};

/// Plugin storage's part of the schema.
static PART: Part = Part {
    name: "plugin_storage",
    version: 1,
    tables: "CREATE TABLE IF NOT EXISTS plugin_kv (
                 namespace TEXT NOT NULL,
                 key TEXT NOT NULL,
                 value BYTEA NOT NULL,
                 PRIMARY KEY (namespace, key)
             );",
    holds: "the plugin storage",
};

/// Key/value storage in a PostgreSQL database.
#[derive(Debug)]
pub struct PostgresStore {
    database: Database,
    runtime: Handle,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgresql://user:password@host:port/database`) and
    /// makes the schema when it is missing. Must be called within a tokio runtime, which then
    /// drives the connection.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, None).await
    }

    /// As [`PostgresStore::connect`], the password given apart from the URL (`[store] password`).
    pub async fn connect_with(url: &str, password: Option<&str>) -> Result<Self, StoreError> {
        Ok(Self {
            database: Database::connect(url, password, &PART).await?,
            runtime: Handle::current(),
        })
    }

    /// Runs `work` on the store's connection (opened again first when it broke), waiting for it
    /// on the store's runtime. Called on the blocking pool.
    fn run<T>(
        &self,
        work: impl AsyncFnOnce(&Connection) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        self.runtime.block_on(async {
            let client = self.database.client().await?;
            work(&client)
                .await
                .map_err(|error| self.database.failed(error).into())
        })
    }
}

impl From<PostgresError> for StoreError {
    fn from(error: PostgresError) -> Self {
        Self(error.0)
    }
}

impl KvStore for PostgresStore {
    fn get(&self, ns: &Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let namespace = ns.column();
        self.run(async |client| {
            let row = client
                .query_opt(
                    "SELECT value FROM plugin_kv WHERE namespace = $1 AND key = $2",
                    &[&namespace, &key],
                )
                .await?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    fn set(&self, ns: &Namespace, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let namespace = ns.column();
        self.run(async |client| {
            client
                .execute(
                    "INSERT INTO plugin_kv (namespace, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                    &[&namespace, &key, &value],
                )
                .await
                .map(|_| ())
        })
    }

    fn delete(&self, ns: &Namespace, key: &str) -> Result<bool, StoreError> {
        let namespace = ns.column();
        self.run(async |client| {
            let deleted = client
                .execute(
                    "DELETE FROM plugin_kv WHERE namespace = $1 AND key = $2",
                    &[&namespace, &key],
                )
                .await?;
            Ok(deleted > 0)
        })
    }

    fn list_keys(&self, ns: &Namespace, prefix: &str) -> Result<Vec<String>, StoreError> {
        let namespace = ns.column();
        self.run(async |client| {
            let rows = client
                .query(
                    "SELECT key FROM plugin_kv WHERE namespace = $1 AND starts_with(key, $2)
                     ORDER BY key COLLATE \"C\"",
                    &[&namespace, &prefix],
                )
                .await?;
            Ok(rows.iter().map(|row| row.get(0)).collect())
        })
    }

    fn compare_and_swap(
        &self,
        ns: &Namespace,
        key: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        let namespace = ns.column();
        self.run(async |client| {
            let swapped = match (expected, new) {
                (None, Some(value)) => {
                    client
                        .execute(
                            "INSERT INTO plugin_kv (namespace, key, value) VALUES ($1, $2, $3)
                             ON CONFLICT (namespace, key) DO NOTHING",
                            &[&namespace, &key, &value],
                        )
                        .await?
                }
                (Some(current), Some(value)) => {
                    client
                        .execute(
                            "UPDATE plugin_kv SET value = $4
                             WHERE namespace = $1 AND key = $2 AND value = $3",
                            &[&namespace, &key, &current, &value],
                        )
                        .await?
                }
                (Some(current), None) => {
                    client
                        .execute(
                            "DELETE FROM plugin_kv
                             WHERE namespace = $1 AND key = $2 AND value = $3",
                            &[&namespace, &key, &current],
                        )
                        .await?
                }
                (None, None) => {
                    let absent: bool = client
                        .query_one(
                            "SELECT NOT EXISTS (SELECT 1 FROM plugin_kv
                                                WHERE namespace = $1 AND key = $2)",
                            &[&namespace, &key],
                        )
                        .await?
                        .get(0);
                    u64::from(absent)
                }
            };
            Ok(swapped > 0)
        })
    }
}
