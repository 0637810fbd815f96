//! GL batches Intacct confirmed (created, or answered "already executed"), remembered in the
//! connector's storage by command key. A batch held for review because no sales order matched is
//! posted on a person's decision; when the same shipment comes again (the 4-hour poll), its own
//! look-up would hold it once more, so a batch remembered here is done without asking. One small
//! entry per batch.

use ml_connector_sdk::{PluginError, storage};

const PREFIX: &str = "posted-gl-batch/";

/// Remembers that the batch keyed `key` is in Intacct.
pub fn remember(key: &str) -> Result<(), PluginError> {
    storage::set(&format!("{PREFIX}{key}"), b"1").map_err(PluginError::from)
}

/// Whether the batch keyed `key` is known to be in Intacct.
pub fn known(key: &str) -> Result<bool, PluginError> {
    Ok(storage::get(&format!("{PREFIX}{key}"))
        .map_err(PluginError::from)?
        .is_some())
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn remembers_by_key() {
        testing::reset();
        assert!(!known("shipment/1").unwrap());
        remember("shipment/1").unwrap();
        assert!(known("shipment/1").unwrap());
        assert!(!known("shipment/2").unwrap());
    }
}
