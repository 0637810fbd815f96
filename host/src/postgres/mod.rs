//! One home for PostgreSQL (the `postgres` feature): how the host reaches a database that several
//! hosts share, how each part of its schema (the inbox, plugin storage, the plugin store) is made
//! and versioned, and how its errors read.
//!
//! A [`Database`] holds one shared connection, opened on first use and again after it broke;
//! statements from many tasks share it (tokio-postgres pipelines them). A transaction takes a
//! [`Session`] instead: a connection of its own for as long as it runs, kept for the next one.
//! Either prepares each statement text once ([`Connection`]). Each part's tables are made when
//! missing, under an advisory lock so that hosts starting together do not race, and its row in
//! `mlc_schema` records the version this build wrote: a database whose part is newer than this
//! build's is refused. Errors name the server (`user@host:port/database`) and the cause, never
//! the password.

use std::sync::Arc;

use tokio::sync::{Mutex, Semaphore, SemaphorePermit};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

mod connection;

pub(crate) use connection::{Connection, Statements};

/// A failure to reach or use the database; its text carries no password.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct PostgresError(pub String);

/// One part of the schema: its name in `mlc_schema`, this build's version of it, and the
/// statements that make its tables when they are missing.
pub(crate) struct Part {
    pub name: &'static str,
    pub version: i32,
    pub tables: &'static str,
    /// What the part holds, for messages: "the plugin store".
    pub holds: &'static str,
}

/// How long opening a connection may take, unless the URL says (`connect_timeout`): a server that
/// does not answer fails the call that needed it instead of holding it.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// At most this many sessions of one [`Database`] are open at once; more wait for one.
const MOST_SESSIONS: usize = 8;

/// The key of the advisory lock taken while a part's tables are made.
const SCHEMA_LOCK: i64 = 7_240_001;

/// A database several hosts share, for one part of the schema.
pub(crate) struct Database {
    config: Config,
    /// Where the server is, for messages: `postgres@localhost:5432/mlc`.
    server: String,
    part: &'static Part,
    client: Mutex<Option<Arc<Connection>>>,
    /// Connections free for a [`Session`].
    idle: std::sync::Mutex<Vec<Connection>>,
    /// One permit per session that may be open at once.
    sessions: Semaphore,
    /// The runtime `connect` was called in: it drives every connection, the reopened ones too,
    /// whichever runtime or thread uses the database later.
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("server", &self.server)
            .field("part", &self.part.name)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Connects to the database at `url` (`postgresql://user@host:port/database`; `password`,
    /// when given, replaces one the URL carries) and makes `part`'s tables when missing. Must
    /// be called within a tokio runtime, which then drives the connection.
    pub async fn connect(
        url: &str,
        password: Option<&str>,
        part: &'static Part,
    ) -> Result<Self, PostgresError> {
        let mut config: Config = url.parse().map_err(|_| {
            PostgresError(
                "the PostgreSQL URL does not read (postgresql://user@host:port/database)".into(),
            )
        })?;
        if let Some(password) = password {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let database = Self {
            server: server(&config),
            config,
            part,
            client: Mutex::new(None),
            idle: std::sync::Mutex::default(),
            sessions: Semaphore::new(MOST_SESSIONS),
            runtime: tokio::runtime::Handle::current(),
        };
        database.client().await?;
        Ok(database)
    }

    /// `user@host:port/database`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The connection, opened again first when it broke.
    pub async fn client(&self) -> Result<Arc<Connection>, PostgresError> {
        let mut held = self.client.lock().await;
        if let Some(client) = held.as_ref().filter(|client| !client.is_closed()) {
            return Ok(client.clone());
        }
        let client = Arc::new(Connection::new(self.open().await?));
        *held = Some(client.clone());
        Ok(client)
    }

    /// A connection for this caller alone, for a transaction: one kept from an earlier session,
    /// or a new one. Given back when dropped, unless it broke.
    pub async fn session(&self) -> Result<Session<'_>, PostgresError> {
        let permit = self
            .sessions
            .acquire()
            .await
            .map_err(|_| PostgresError("the database is closed".into()))?;
        let kept = loop {
            let popped = self
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop();
            match popped {
                Some(client) if client.is_closed() => continue,
                found => break found,
            }
        };
        let client = match kept {
            Some(client) => client,
            None => Connection::new(self.open().await?),
        };
        Ok(Session {
            client: Some(client),
            database: self,
            _permit: permit,
        })
    }

    /// The error of a statement, naming the server.
    pub fn failed(&self, error: tokio_postgres::Error) -> PostgresError {
        PostgresError(format!(
            "PostgreSQL at {}: {}",
            self.server,
            with_causes(&error)
        ))
    }

    /// A new connection, with the part's tables made and its version checked.
    async fn open(&self) -> Result<Client, PostgresError> {
        let (client, connection) = self.config.connect(NoTls).await.map_err(|error| {
            PostgresError(format!(
                "PostgreSQL at {} cannot be reached: {}",
                self.server,
                with_causes(&error)
            ))
        })?;
        self.runtime.spawn(connection);
        let part = self.part;
        let version = match part_version(&client, part).await {
            Some(version) => version,
            None => self.make_part(&client).await?,
        };
        if version > part.version {
            return Err(PostgresError(format!(
                "{} in PostgreSQL at {} has schema version {version}, newer than this build's {}: \
                 it was written by a newer release of mlc; run that release, or another database",
                part.holds, self.server, part.version
            )));
        }
        Ok(client)
    }

    /// Makes the part's tables and records its version, under the schema lock; the version
    /// recorded (another host's, when it made them first). Only where they are missing: `CREATE
    /// INDEX IF NOT EXISTS` locks its table even when the index is there, which would stall (or
    /// deadlock with) the writes of hosts already running.
    async fn make_part(&self, client: &Client) -> Result<i32, PostgresError> {
        let part = self.part;
        client
            .batch_execute(&format!(
                "BEGIN;
                 SELECT pg_advisory_xact_lock({SCHEMA_LOCK});
                 CREATE TABLE IF NOT EXISTS mlc_schema (
                     part TEXT PRIMARY KEY,
                     version INTEGER NOT NULL
                 );
                 {tables}
                 INSERT INTO mlc_schema (part, version) VALUES ('{name}', {version})
                     ON CONFLICT (part) DO NOTHING;
                 COMMIT;",
                tables = part.tables,
                name = part.name,
                version = part.version,
            ))
            .await
            .map_err(|error| self.failed(error))?;
        Ok(client
            .query_one(
                "SELECT version FROM mlc_schema WHERE part = $1",
                &[&part.name],
            )
            .await
            .map_err(|error| self.failed(error))?
            .get(0))
    }
}

/// The version of `part` the database records; none when it has no record of it (or no
/// `mlc_schema` yet).
async fn part_version(client: &Client, part: &Part) -> Option<i32> {
    client
        .query_opt(
            "SELECT version FROM mlc_schema WHERE part = $1",
            &[&part.name],
        )
        .await
        .ok()
        .flatten()
        .map(|row| row.get(0))
}

/// A connection held by one caller; derefs to its [`Connection`].
pub(crate) struct Session<'a> {
    client: Option<Connection>,
    database: &'a Database,
    _permit: SemaphorePermit<'a>,
}

impl std::ops::Deref for Session<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.client
            .as_ref()
            .expect("a session holds its client until dropped")
    }
}

impl std::ops::DerefMut for Session<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.client
            .as_mut()
            .expect("a session holds its client until dropped")
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take().filter(|client| !client.is_closed()) {
            self.database
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(client);
        }
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
