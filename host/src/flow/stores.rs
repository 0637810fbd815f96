//! Where a config keeps what its hosts may share, the inbox, plugin storage and the plugin store:
//! files under `data_dir` for one host, or, with `[store] url`, the PostgreSQL database that
//! several hosts share (which needs the host crate's `postgres` feature; `mlc` has it).

use std::sync::Arc;

use anyhow::Context;

use crate::config::{Config, StoreConfig};
use crate::flow::inbox::Inbox;
use crate::plugin_store::PluginStore;
use crate::storage::{KvStore, SqliteStore};

/// The inbox under `data_dir`.
const INBOX_FILE: &str = "inbox.db";
/// Plugin storage under `data_dir`.
const STORAGE_FILE: &str = "storage.db";
/// The plugin store under `data_dir`.
const PLUGIN_STORE_DIR: &str = "plugins";

/// The inbox of `config`. Blocks while it connects.
pub fn open_inbox(config: &Config) -> anyhow::Result<Inbox> {
    match &config.store {
        StoreConfig::Local => Inbox::open(&config.data_dir.join(INBOX_FILE))
            .with_context(|| format!("data_dir in {}", config.path.display())),
        StoreConfig::Postgres(postgres) => {
            #[cfg(feature = "postgres")]
            {
                let password = postgres.password.as_ref().map(|secret| secret.expose());
                Inbox::connect(&postgres.url, password, postgres.lease)
                    .with_context(|| in_store(config))
            }
            #[cfg(not(feature = "postgres"))]
            {
                let _ = postgres;
                Err(without_postgres(config))
            }
        }
    }
}

/// The plugin store of `config`.
pub async fn open_plugin_store(config: &Config) -> anyhow::Result<PluginStore> {
    match &config.store {
        StoreConfig::Local => PluginStore::open(&config.data_dir.join(PLUGIN_STORE_DIR))
            .with_context(|| format!("data_dir in {}", config.path.display())),
        StoreConfig::Postgres(postgres) => {
            #[cfg(feature = "postgres")]
            {
                let password = postgres.password.as_ref().map(|secret| secret.expose());
                PluginStore::connect(&postgres.url, password)
                    .await
                    .with_context(|| in_store(config))
            }
            #[cfg(not(feature = "postgres"))]
            {
                let _ = postgres;
                Err(without_postgres(config))
            }
        }
    }
}

/// Plugin storage of `config`.
pub async fn open_plugin_storage(config: &Config) -> anyhow::Result<Arc<dyn KvStore>> {
    match &config.store {
        StoreConfig::Local => {
            let storage = SqliteStore::open(&config.data_dir.join(STORAGE_FILE))
                .with_context(|| format!("data_dir in {}", config.path.display()))?;
            Ok(Arc::new(storage))
        }
        StoreConfig::Postgres(postgres) => {
            #[cfg(feature = "postgres")]
            {
                let password = postgres.password.as_ref().map(|secret| secret.expose());
                let storage = crate::storage::PostgresStore::connect_with(&postgres.url, password)
                    .await
                    .with_context(|| in_store(config))?;
                Ok(Arc::new(storage))
            }
            #[cfg(not(feature = "postgres"))]
            {
                let _ = postgres;
                Err(without_postgres(config))
            }
        }
    }
}

#[cfg(feature = "postgres")]
fn in_store(config: &Config) -> String {
    format!("[store] url in {}", config.path.display())
}

#[cfg(not(feature = "postgres"))]
fn without_postgres(config: &Config) -> anyhow::Error {
    anyhow::anyhow!(
        "[store] url in {}: this build of ml-connector has no PostgreSQL support; build the host \
         crate with its `postgres` feature (mlc has it)",
        config.path.display()
    )
}
