//! Keeps the recordings within `[recording]` while the service runs: at start and every
//! [`PRUNE_EVERY`] after, recordings older than `keep` go, then the oldest while they take more
//! than `max_size`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::flow::shared::Shared;

/// How often the recordings are pruned.
pub(crate) const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Runs until `stop` turns true.
pub(crate) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        let policy = shared.config.recording;
        match shared.inbox.prune_recordings(policy, shared.now()).await {
            Ok(pruned) if pruned.recordings > 0 => {
                tracing::info!(
                    recordings = pruned.recordings,
                    blobs = pruned.blobs,
                    "old recordings removed"
                )
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "cannot prune the recordings; they are kept"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = stop.changed() => {}
        }
    }
}
