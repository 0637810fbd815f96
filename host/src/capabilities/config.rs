//! `config` and `secrets`. A connector reads its connection's settings and secrets; a mapping reads
//! the flow's mapping settings and cannot import `secrets` at all (its linker lacks it).

use crate::bindings::{config, secrets};
use crate::sandbox::{CallState, Grant};

impl config::Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.settings().get(&key).cloned())
    }

    async fn entries(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self
            .settings()
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }
}

impl secrets::Host for CallState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self
            .connection()
            .and_then(|connection| connection.secret_value(&name))
            .map(|secret| secret.expose().to_owned()))
    }
}

impl CallState {
    fn settings(&self) -> &std::collections::BTreeMap<String, String> {
        match &self.grant {
            Grant::Connection(connection) => connection.settings(),
            Grant::Settings(settings) => settings,
        }
    }
}
