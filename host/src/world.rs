//! The two plugin worlds of the contract, by name: what a plugin implements, and what a flow
//! expects of the plugin it names.

use std::fmt;

/// The two plugin worlds of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum World {
    Connector,
    Mapping,
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connector => "connector",
            Self::Mapping => "mapping",
        })
    }
}
