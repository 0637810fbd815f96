//! The connection's secrets by name. Connector world only: a mapping that calls these fails to
//! componentize, because its world cannot import secrets.

use crate::{PluginError, sys};

/// The secret `name`, if the connection has it.
pub fn get(name: &str) -> Option<String> {
    sys::secret_get(name)
}

/// The secret `name`; a missing secret is an auth error (the connection needs a person).
pub fn require(name: &str) -> Result<String, PluginError> {
    get(name).ok_or_else(|| PluginError::auth(format!("secret `{name}` is not configured")))
}
