//! Durable key/value storage, namespaced by the host per plugin and connection: bytes, with JSON
//! on top. Connector world only.
//!
//! JSON compare-and-swap compares serialised bytes, so `expected` must serialise exactly as the
//! stored value did (true for a value read back with [`get_json`] into the same type).

use std::fmt;

use serde::{Serialize, de::DeserializeOwned};

use crate::{PluginError, sys};

/// Why a storage call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// Empty key, or longer than the host's key limit.
    InvalidKey(String),
    /// Value larger than the host's value limit (the limit, in bytes).
    ValueTooLarge(u64),
    /// The backend failed; the call may be retried.
    Backend(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidKey(message) => write!(f, "invalid storage key: {message}"),
            Self::ValueTooLarge(limit) => {
                write!(f, "storage value larger than the limit of {limit} bytes")
            }
            Self::Backend(message) => write!(f, "storage backend failed: {message}"),
        }
    }
}

impl std::error::Error for StorageError {}

impl From<StorageError> for PluginError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Backend(_) => PluginError::Transient(error.to_string()),
            StorageError::InvalidKey(_) | StorageError::ValueTooLarge(_) => {
                PluginError::rejected(error.to_string())
            }
        }
    }
}

pub fn get(key: &str) -> Result<Option<Vec<u8>>, StorageError> {
    sys::storage_get(key)
}

pub fn set(key: &str, value: &[u8]) -> Result<(), StorageError> {
    sys::storage_set(key, value)
}

/// Returns whether the key existed.
pub fn delete(key: &str) -> Result<bool, StorageError> {
    sys::storage_delete(key)
}

/// Keys starting with `prefix`, in ascending order.
pub fn list(prefix: &str) -> Result<Vec<String>, StorageError> {
    sys::storage_list(prefix)
}

/// Sets `key` to `new` (`None` deletes it) only if its value equals `expected` (`None`: absent).
/// Returns whether the swap happened.
pub fn compare_and_swap(
    key: &str,
    expected: Option<&[u8]>,
    new: Option<&[u8]>,
) -> Result<bool, StorageError> {
    sys::storage_compare_and_swap(key, expected, new)
}

pub fn get_json<T: DeserializeOwned>(key: &str) -> Result<Option<T>, PluginError> {
    get(key)?
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|error| {
                PluginError::rejected(format!("stored `{key}` is not the expected JSON: {error}"))
            })
        })
        .transpose()
}

pub fn set_json<T: Serialize>(key: &str, value: &T) -> Result<(), PluginError> {
    Ok(set(key, &to_bytes(value)?)?)
}

/// [`compare_and_swap`] over JSON values.
pub fn compare_and_swap_json<T: Serialize>(
    key: &str,
    expected: Option<&T>,
    new: Option<&T>,
) -> Result<bool, PluginError> {
    let expected = expected.map(to_bytes).transpose()?;
    let new = new.map(to_bytes).transpose()?;
    Ok(compare_and_swap(key, expected.as_deref(), new.as_deref())?)
}

fn to_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, PluginError> {
    serde_json::to_vec(value)
        .map_err(|error| PluginError::rejected(format!("cannot serialise JSON: {error}")))
}
