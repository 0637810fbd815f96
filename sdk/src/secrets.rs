//! The connection's secrets by name. Connector world only: the plugin builder refuses a mapping
//! whose component imports secrets, and the host could not link it anyway.

use crate::{PluginError, sys};

/// The secret `name`, if the connection has it.
pub fn get(name: &str) -> Option<String> {
    sys::secret_get(name)
}

/// The secret `name`; a missing secret is an auth error (the connection needs a person).
pub fn require(name: &str) -> Result<String, PluginError> {
    get(name).ok_or_else(|| PluginError::auth(format!("secret `{name}` is not configured")))
}
