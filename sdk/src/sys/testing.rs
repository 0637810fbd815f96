//! Native test support: sets the configuration, secrets, clock and HTTP answers a plugin sees, and
//! reads back its storage and logs. State is per thread, so parallel tests do not share it.
//!
//! ```ignore
//! ml_connector_sdk::testing::reset();
//! ml_connector_sdk::testing::set_config([("company", "acme")]);
//! let commands = MyMapping::map(event, records, &config)?;
//! assert!(ml_connector_sdk::testing::take_logs().iter().any(|record| record.message == "mapped"));
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::native::{State, with_state};
use crate::http::{HttpError, Request, Response};
use crate::level::Level;

/// One log call, as the plugin made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: Level,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl LogRecord {
    /// The value of the first field named `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        crate::http::find_header(&self.fields, name)
    }
}

/// Forgets all state of this thread: config, secrets, storage, clock (back to the Unix epoch),
/// HTTP handler and logs.
pub fn reset() {
    with_state(|state| *state = State::default());
}

/// Replaces the settings `config::get` and `config::entries` see.
pub fn set_config<K: Into<String>, V: Into<String>>(entries: impl IntoIterator<Item = (K, V)>) {
    let entries = collect(entries);
    with_state(|state| state.config = entries);
}

/// Replaces the secrets `secrets::get` sees.
pub fn set_secrets<K: Into<String>, V: Into<String>>(entries: impl IntoIterator<Item = (K, V)>) {
    let entries = collect(entries);
    with_state(|state| state.secrets = entries);
}

/// Sets the host clock; `clock::sleep` advances it.
pub fn set_now(now: DateTime<Utc>) {
    with_state(|state| state.now = now);
}

/// Answers every `http::send` with `handler`.
pub fn set_http_handler(handler: impl FnMut(&Request) -> Result<Response, HttpError> + 'static) {
    with_state(|state| state.http = Some(Box::new(handler)));
}

/// What the plugin has stored, by key.
pub fn storage() -> BTreeMap<String, Vec<u8>> {
    with_state(|state| state.storage.clone())
}

/// The log calls made since the last `take_logs` or `reset`.
pub fn take_logs() -> Vec<LogRecord> {
    with_state(|state| std::mem::take(&mut state.logs))
}

fn collect<K: Into<String>, V: Into<String>>(
    entries: impl IntoIterator<Item = (K, V)>,
) -> BTreeMap<String, String> {
    entries
        .into_iter()
        .map(|(key, value)| (key.into(), value.into()))
        .collect()
}
