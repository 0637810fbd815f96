//! Settings: a connector's connection settings, or a mapping's flow settings (JSON text values).

use serde::de::DeserializeOwned;

use crate::{PluginError, sys};

/// The setting `key`, if set.
pub fn get(key: &str) -> Option<String> {
    sys::config_get(key)
}

/// The setting `key`; a missing setting is a permanent error naming it.
pub fn require(key: &str) -> Result<String, PluginError> {
    get(key).ok_or_else(|| PluginError::rejected(format!("setting `{key}` is not configured")))
}

/// The setting `key` parsed as JSON, if set.
pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>, PluginError> {
    get(key)
        .map(|text| {
            serde_json::from_str(&text).map_err(|error| {
                PluginError::rejected(format!("setting `{key}` is not the expected JSON: {error}"))
            })
        })
        .transpose()
}

/// Every setting as (key, value), sorted by key.
pub fn entries() -> Vec<(String, String)> {
    sys::config_entries()
}
