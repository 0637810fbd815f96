//! Follows the plugin store while the service runs: when another process (`mlc plugin install`,
//! `mlc plugin rollback`) changes which version of a plugin is active, the service loads it and
//! new events use it, within [`WATCH_EVERY`], with no restart.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::flow::shared::Shared;

/// How often the store's generation is compared.
pub(crate) const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Runs until `stop` turns true. A store that cannot be read (its database away) is logged
/// once, and once more when it answers again; versions that do not load are tried again until
/// they do, logged once per change; the versions serving stay meanwhile.
pub(crate) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut seen = shared.store.generation().await.ok();
    let mut unreadable = false;
    // The generation whose versions did not load, so that trying again logs nothing new.
    let mut failed = None;
    while !*stop.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            _ = stop.changed() => continue,
        }
        let now = match shared.store.generation().await {
            Ok(now) => now,
            Err(error) => {
                if !unreadable {
                    tracing::error!(error = %format!("{error:#}"), "cannot read the plugin store; the versions serving stay, and it is read again every 500 ms");
                    unreadable = true;
                }
                continue;
            }
        };
        if unreadable {
            tracing::info!("the plugin store answers again");
            unreadable = false;
        }
        if seen == Some(now) {
            continue;
        }
        match shared.sync_plugins().await {
            Ok(loaded) => {
                seen = Some(now);
                for plugin in loaded {
                    tracing::info!(plugin = %plugin.name, version = %plugin.version, hash = %&plugin.hash[..12], "installed version now serves new events");
                }
            }
            Err(error) => {
                if failed != Some(now) {
                    tracing::error!(error = %format!("{error:#}"), "cannot load the plugin store's active versions; the ones serving stay, and loading is tried again every 500 ms");
                    failed = Some(now);
                }
            }
        }
    }
}
