//! `config` and `secrets`. A connector reads its connection's settings and secrets; a mapping reads
//! the flow's mapping settings and cannot import `secrets` at all (its linker lacks it). Both read
//! the call's grant ([`CallScope`]) and keep no state of their own.

use wasmtime::component::{HasData, Linker};

use crate::bindings::{config, secrets};
use crate::capabilities::scope::CallScope;
use crate::error::to_anyhow;

struct HasGrant;

impl HasData for HasGrant {
    type Data<'a> = &'a mut CallScope;
}

pub(crate) fn add_config_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> &mut CallScope,
) -> anyhow::Result<()> {
    config::add_to_linker::<T, HasGrant>(linker, view).map_err(to_anyhow)
}

pub(crate) fn add_secrets_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> &mut CallScope,
) -> anyhow::Result<()> {
    secrets::add_to_linker::<T, HasGrant>(linker, view).map_err(to_anyhow)
}

impl config::Host for &mut CallScope {
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

impl secrets::Host for &mut CallScope {
    async fn get(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self
            .connection()
            .and_then(|connection| connection.secret_value(&name))
            .map(|secret| secret.expose().to_owned()))
    }
}
