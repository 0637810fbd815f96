//! A connection that prepares each statement once. The host sends a few dozen statement texts
//! over and over; sent unprepared, each is parsed and planned by the server every time (and costs
//! a round trip more). A [`Connection`], and a [`Tx`] on one, answer `query`, `execute`, … given
//! the text, with the statement prepared for that text on that connection.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Error, GenericClient, Row, Statement, Transaction};

/// The statements prepared on one connection, by their text.
#[derive(Default)]
pub(crate) struct Prepared(Mutex<HashMap<String, Statement>>);

impl Prepared {
    /// `sql` prepared through `client`, once for its connection.
    async fn statement(&self, client: &impl GenericClient, sql: &str) -> Result<Statement, Error> {
        if let Some(found) = self.lock().get(sql) {
            return Ok(found.clone());
        }
        let statement = client.prepare(sql).await?;
        self.lock().insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Statement>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Runs statements given by their text, each prepared once per connection.
pub(crate) trait Statements: Sync {
    type Client: GenericClient + Sync;

    fn client(&self) -> &Self::Client;
    fn prepared(&self) -> &Prepared;

    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, Error> {
        let statement = self.prepared().statement(self.client(), sql).await?;
        self.client().query(&statement, params).await
    }

    async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Error> {
        let statement = self.prepared().statement(self.client(), sql).await?;
        self.client().query_opt(&statement, params).await
    }

    async fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row, Error> {
        let statement = self.prepared().statement(self.client(), sql).await?;
        self.client().query_one(&statement, params).await
    }

    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, Error> {
        let statement = self.prepared().statement(self.client(), sql).await?;
        self.client().execute(&statement, params).await
    }
}

/// A connection and the statements prepared on it.
pub(crate) struct Connection {
    client: Client,
    prepared: Prepared,
}

impl Connection {
    pub(super) fn new(client: Client) -> Self {
        Self {
            client,
            prepared: Prepared::default(),
        }
    }

    /// Whether the server or the network ended the connection.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Starts a transaction; it rolls back unless committed.
    pub async fn transaction(&mut self) -> Result<Tx<'_>, Error> {
        let Self { client, prepared } = self;
        Ok(Tx {
            transaction: client.transaction().await?,
            prepared,
        })
    }
}

impl Statements for Connection {
    type Client = Client;

    fn client(&self) -> &Client {
        &self.client
    }

    fn prepared(&self) -> &Prepared {
        &self.prepared
    }
}

/// A transaction on a [`Connection`], using the statements prepared on it.
pub(crate) struct Tx<'a> {
    transaction: Transaction<'a>,
    prepared: &'a Prepared,
}

impl Tx<'_> {
    pub async fn commit(self) -> Result<(), Error> {
        self.transaction.commit().await
    }
}

impl<'a> Statements for Tx<'a> {
    type Client = Transaction<'a>;

    fn client(&self) -> &Transaction<'a> {
        &self.transaction
    }

    fn prepared(&self) -> &Prepared {
        self.prepared
    }
}
