//! `storage`: key/value storage in the (plugin, connection) namespace of the call. The plugin names
//! keys only inside it, so it cannot read or overwrite another plugin's or connection's keys. Backend
//! calls run on the blocking pool, and their time is not charged to the plugin's CPU budget. A
//! taped call keeps each value it reads on its tape.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{HasData, Linker};

use crate::bindings::storage::{self, Error, Host};
use crate::capabilities::scope::CallScope;
use crate::error::to_anyhow;
use crate::limits::STORAGE_KEY_BYTES;
use crate::storage::{KvStore, Namespace, StoreError};
use crate::tape::Received;

/// The backend a call's plugin stores into.
pub(crate) struct StorageState {
    pub store: Arc<dyn KvStore>,
}

/// `storage` as one call sees it: the backend, in the call's namespace.
pub(crate) struct StorageView<'a> {
    pub state: &'a StorageState,
    pub scope: &'a mut CallScope,
}

struct HasStorage;

impl HasData for HasStorage {
    type Data<'a> = StorageView<'a>;
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> StorageView<'_>,
) -> anyhow::Result<()> {
    storage::add_to_linker::<T, HasStorage>(linker, view).map_err(to_anyhow)
}

impl Host for StorageView<'_> {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let read = self
            .with_key(key.clone(), None, |store, ns, key| store.get(ns, &key))
            .await;
        if let Ok(Ok(value)) = &read
            && self.scope.trace.taping()
        {
            let value = value
                .as_deref()
                .map(|bytes| self.scope.redactor.whole(bytes));
            self.scope.trace.tape(Received::Storage { key, value });
        }
        read
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        let size = value.len() as u64;
        self.with_key(key, Some(size), move |store, ns, key| {
            store.set(ns, &key, &value)
        })
        .await
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, Error>> {
        self.with_key(key, None, |store, ns, key| store.delete(ns, &key))
            .await
    }

    async fn list_keys(&mut self, prefix: String) -> wasmtime::Result<Result<Vec<String>, Error>> {
        Ok(self
            .backend(move |store, ns| store.list_keys(ns, &prefix))
            .await)
    }

    async fn compare_and_swap(
        &mut self,
        key: String,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> wasmtime::Result<Result<bool, Error>> {
        let size = new.as_ref().map(|value| value.len() as u64);
        self.with_key(key, size, move |store, ns, key| {
            store.compare_and_swap(ns, &key, expected.as_deref(), new.as_deref())
        })
        .await
    }
}

impl StorageView<'_> {
    /// Checks the key (and the size of a value to write), then runs `operation` on the backend.
    async fn with_key<T: Send + 'static>(
        &mut self,
        key: String,
        value_size: Option<u64>,
        operation: impl FnOnce(&dyn KvStore, &Namespace, String) -> Result<T, StoreError>
        + Send
        + 'static,
    ) -> wasmtime::Result<Result<T, Error>> {
        if key.is_empty() || key.len() > STORAGE_KEY_BYTES {
            return Ok(Err(Error::InvalidKey(format!(
                "keys are 1 to {STORAGE_KEY_BYTES} bytes; this one has {}",
                key.len()
            ))));
        }
        let limit = self.scope.limits.storage_value_bytes;
        if value_size.is_some_and(|size| size > limit) {
            return Ok(Err(Error::ValueTooLarge(limit)));
        }
        Ok(self
            .backend(move |store, ns| operation(store, ns, key))
            .await)
    }

    /// Runs `operation` on the blocking pool in this call's namespace, outside the CPU budget.
    async fn backend<T: Send + 'static>(
        &mut self,
        operation: impl FnOnce(&dyn KvStore, &Namespace) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Error> {
        let started = Instant::now();
        let store = self.state.store.clone();
        let ns = Namespace::new(self.scope.plugin.as_ref(), self.scope.connection_name());
        let result = tokio::task::spawn_blocking(move || operation(store.as_ref(), &ns)).await;
        self.scope.cpu.exclude(started.elapsed());
        match result {
            Ok(result) => result.map_err(|error| Error::Backend(error.to_string())),
            Err(join) => Err(Error::Backend(format!("storage task failed: {join}"))),
        }
    }
}
