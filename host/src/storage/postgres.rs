//! The PostgreSQL storage backend: plugin storage that several hosts share (one Intacct session,
//! one ShipStation rate-limit window for the whole cluster). One table of (namespace, key) →
//! value, made on first use; a `mlc_schema` row records its version, and a database whose version
//! is newer than this build's is refused. Every operation is one statement, so a
//! `compare_and_swap` is atomic across hosts without a transaction.
//!
//! The store holds one connection, opened on first use and again after it broke. Its calls block
//! (as [`KvStore`]'s do): the storage capability runs them on the blocking pool, where they wait
//! on the runtime the store was made on. Errors name the server (host, port, database, user),
//! never the password.

use std::sync::Mutex;

use tokio::runtime::Handle;
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

use super::{KvStore, Namespace, StoreError};

/// This build's schema of plugin storage.
const SCHEMA_VERSION: i32 = 1;

/// The schema, made when missing, under a lock so that hosts starting together do not race.
const SCHEMA: &str = "
BEGIN;
SELECT pg_advisory_xact_lock(7240001);
CREATE TABLE IF NOT EXISTS mlc_schema (
    part TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS plugin_kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value BYTEA NOT NULL,
    PRIMARY KEY (namespace, key)
);
INSERT INTO mlc_schema (part, version) VALUES ('plugin_storage', 1) ON CONFLICT (part) DO NOTHING;
COMMIT;
";

/// Key/value storage in a PostgreSQL database.
pub struct PostgresStore {
    config: Config,
    /// Where the server is, for messages: `postgres@localhost:5432/mlc`.
    server: String,
    runtime: Handle,
    client: Mutex<Option<Client>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgresql://user:password@host:port/database`) and
    /// makes the schema when it is missing. Must be called within a tokio runtime, which then
    /// drives the connection.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config: Config = url.parse().map_err(|_| {
            StoreError(
                "the PostgreSQL URL does not read (postgresql://user:password@host:port/database)"
                    .into(),
            )
        })?;
        let store = Self {
            server: server(&config),
            config,
            runtime: Handle::current(),
            client: Mutex::new(None),
        };
        let client = store.open().await?;
        *store.client.lock().expect("the client lock") = Some(client);
        Ok(store)
    }

    /// A new connection, with the schema checked.
    async fn open(&self) -> Result<Client, StoreError> {
        let (client, connection) = self.config.connect(NoTls).await.map_err(|error| {
            StoreError(format!(
                "PostgreSQL at {} cannot be reached: {}",
                self.server,
                with_causes(&error)
            ))
        })?;
        self.runtime.spawn(connection);
        client
            .batch_execute(SCHEMA)
            .await
            .map_err(|error| self.failed(error))?;
        let version: i32 = client
            .query_one(
                "SELECT version FROM mlc_schema WHERE part = 'plugin_storage'",
                &[],
            )
            .await
            .map_err(|error| self.failed(error))?
            .get(0);
        if version > SCHEMA_VERSION {
            return Err(StoreError(format!(
                "the plugin storage in PostgreSQL at {} has schema version {version}, newer than \
                 this build's {SCHEMA_VERSION}: it was written by a newer release of mlc; run \
                 that release, or another database",
                self.server
            )));
        }
        Ok(client)
    }

    /// Runs `work` on the store's connection (opened again first when it broke), waiting for it
    /// on the store's runtime. Called on the blocking pool.
    fn run<T>(
        &self,
        work: impl AsyncFnOnce(&Client) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut held = self.client.lock().expect("the client lock");
        self.runtime.block_on(async {
            let client = match held.take() {
                Some(client) if !client.is_closed() => client,
                _ => self.open().await?,
            };
            let result = work(&client).await.map_err(|error| self.failed(error));
            *held = Some(client);
            result
        })
    }

    fn failed(&self, error: tokio_postgres::Error) -> StoreError {
        StoreError(format!(
            "PostgreSQL at {}: {}",
            self.server,
            with_causes(&error)
        ))
    }
}

/// The error and what caused it: `error connecting to server: Connection refused (os error 111)`.
fn with_causes(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
    }
    text
}

/// `user@host:port/database` of `config`.
fn server(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or("postgres"),
        config.get_dbname().unwrap_or("postgres")
    )
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
