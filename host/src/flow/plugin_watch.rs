//! Follows the plugin store while the service runs: when another process (`mlc plugin install`,
//! `mlc plugin rollback`) changes which version of a plugin is active, the service loads it and
//! new events use it, within [`WATCH_EVERY`], with no restart.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::flow::shared::Shared;

/// How often the store's generation is compared.
pub(crate) const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Runs until `stop` turns true.
pub(crate) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut seen = generation(&shared).await;
    while !*stop.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            _ = stop.changed() => continue,
        }
        let now = generation(&shared).await;
        if now == seen {
            continue;
        }
        seen = now;
        match shared.sync_plugins().await {
            Ok(loaded) => {
                for plugin in loaded {
                    tracing::info!(plugin = %plugin.name, version = %plugin.version, hash = %&plugin.hash[..12], "installed version now serves new events");
                }
            }
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "cannot load the plugin store's active versions; the ones serving stay")
            }
        }
    }
}

async fn generation(shared: &Shared) -> Option<i64> {
    shared
        .store
        .generation()
        .await
        .inspect_err(|error| tracing::error!(%error, "cannot read the plugin store"))
        .ok()
}
