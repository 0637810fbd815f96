//! A sink lane across several hosts. With `[store]` on PostgreSQL, each apply call to a sink
//! connection first holds one of the connection's `concurrency` slots in the database: a session
//! advisory lock keyed by the connection's name and the slot's number, taken on a connection of
//! the slot's own. So however many hosts serve, the sink (one Intacct company) sees at most
//! `concurrency` requests at once from all of them. Without `[store]`, a slot holds nothing: the
//! lane's own limit is all there is.
//!
//! A host that dies gives its slots back with its connections. A slot that cannot be held (the
//! database is away) fails the batch as a capacity error: its events wait and run again, and
//! nothing reaches the sink.

#[cfg(feature = "postgres")]
use std::sync::Arc;

use crate::config::{Config, StoreConfig};
use crate::error::HostError;

/// Where a config's lanes hold their slots.
pub(crate) enum LaneGate {
    /// One host: nothing to hold.
    Local,
    /// The `[store]` database.
    #[cfg(feature = "postgres")]
    Cluster(Arc<crate::config::PostgresUrl>),
}

impl LaneGate {
    pub fn of(config: &Config) -> Self {
        match &config.store {
            StoreConfig::Local => Self::Local,
            #[cfg(feature = "postgres")]
            StoreConfig::Postgres(postgres) => Self::Cluster(Arc::new(postgres.clone())),
            // Opening the store refused this config before any lane starts.
            #[cfg(not(feature = "postgres"))]
            StoreConfig::Postgres(_) => Self::Local,
        }
    }

    /// The `concurrency` slots of sink connection `connection`.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub fn slots(&self, connection: &str, concurrency: usize) -> Vec<Slot> {
        let numbers = 0..concurrency.max(1) as i32;
        match self {
            Self::Local => numbers.map(|_| Slot::Local).collect(),
            #[cfg(feature = "postgres")]
            Self::Cluster(store) => numbers
                .map(|number| {
                    Slot::Cluster(Box::new(cluster::ClusterSlot::new(
                        store.clone(),
                        connection,
                        number,
                    )))
                })
                .collect(),
        }
    }
}

/// One of a lane's slots.
pub(crate) enum Slot {
    Local,
    #[cfg(feature = "postgres")]
    Cluster(Box<cluster::ClusterSlot>),
}

impl Slot {
    /// Waits until no other host holds this slot, and holds it.
    pub async fn hold(&self) -> Result<(), HostError> {
        match self {
            Self::Local => Ok(()),
            #[cfg(feature = "postgres")]
            Self::Cluster(slot) => slot.hold().await,
        }
    }

    /// Lets other hosts have the slot again.
    pub async fn release(&self) {
        match self {
            Self::Local => {}
            #[cfg(feature = "postgres")]
            Self::Cluster(slot) => slot.release().await,
        }
    }
}

#[cfg(feature = "postgres")]
mod cluster {
    use std::sync::Arc;

    use tokio::sync::OnceCell;

    use crate::config::PostgresUrl;
    use crate::error::HostError;
    use crate::postgres::{Database, Part, Statements};

    /// The lanes need no table; their row in `mlc_schema` marks how they hold slots.
    static PART: Part = Part {
        name: "sink_lanes",
        version: 1,
        tables: "",
        holds: "the sink lanes",
    };

    pub(crate) struct ClusterSlot {
        store: Arc<PostgresUrl>,
        connection: String,
        number: i32,
        /// The slot's own connection: an advisory lock belongs to the session that took it.
        database: OnceCell<Database>,
    }

    impl ClusterSlot {
        pub fn new(store: Arc<PostgresUrl>, connection: &str, number: i32) -> Self {
            Self {
                store,
                connection: connection.to_owned(),
                number,
                database: OnceCell::new(),
            }
        }

        pub async fn hold(&self) -> Result<(), HostError> {
            let unavailable = |problem: String| HostError::LaneUnavailable {
                connection: self.connection.clone(),
                problem,
            };
            let database = self
                .database
                .get_or_try_init(|| async {
                    let password = self.store.password.as_ref().map(|secret| secret.expose());
                    Database::connect(&self.store.url, password, &PART).await
                })
                .await
                .map_err(|error| unavailable(error.0))?;
            let client = database
                .client()
                .await
                .map_err(|error| unavailable(error.0))?;
            client
                .execute(
                    "SELECT pg_advisory_lock(hashtext('mlc sink lane ' || $1), $2)",
                    &[&self.connection, &self.number],
                )
                .await
                .map_err(|error| unavailable(database.failed(error).0))?;
            Ok(())
        }

        pub async fn release(&self) {
            let Some(database) = self.database.get() else {
                return;
            };
            let released = match database.client().await {
                Ok(client) => client
                    .query_one(
                        "SELECT pg_advisory_unlock(hashtext('mlc sink lane ' || $1), $2)",
                        &[&self.connection, &self.number],
                    )
                    .await
                    .map(|row| row.get::<_, bool>(0))
                    .map_err(|error| database.failed(error).0),
                Err(error) => Err(error.0),
            };
            let problem = match released {
                Ok(true) => return,
                Ok(false) => "the slot was not held".to_owned(),
                Err(problem) => problem,
            };
            tracing::warn!(
                connection = %self.connection,
                slot = self.number,
                %problem,
                "the sink lane's slot was lost while the sink was called (the database dropped \
                 the connection): another host may have called the sink at the same time"
            );
        }
    }
}
