//! The wasm32 side: every capability calls the host import of the same name.

use chrono::{DateTime, Utc};

use crate::bindings::connector::ml_connector::host::{clock, config, http, log, secrets, storage};
use crate::http::{HttpError, Method, Request, Response};
use crate::level::Level;
use crate::storage::StorageError;

pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    let level = match level {
        Level::Trace => log::Level::Trace,
        Level::Debug => log::Level::Debug,
        Level::Info => log::Level::Info,
        Level::Warn => log::Level::Warn,
        Level::Error => log::Level::Error,
    };
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    log::log(level, message, &fields);
}

pub fn config_get(key: &str) -> Option<String> {
    config::get(key)
}

pub fn config_entries() -> Vec<(String, String)> {
    config::entries()
}

pub fn secret_get(name: &str) -> Option<String> {
    secrets::get(name)
}

pub fn clock_now() -> DateTime<Utc> {
    let instant = clock::now();
    DateTime::from_timestamp(instant.seconds, instant.nanoseconds).unwrap_or(DateTime::UNIX_EPOCH)
}

pub fn clock_sleep(milliseconds: u64) {
    clock::sleep(milliseconds);
}

pub fn storage_get(key: &str) -> Result<Option<Vec<u8>>, StorageError> {
    storage::get(key).map_err(Into::into)
}

pub fn storage_set(key: &str, value: &[u8]) -> Result<(), StorageError> {
    storage::set(key, value).map_err(Into::into)
}

pub fn storage_delete(key: &str) -> Result<bool, StorageError> {
    storage::delete(key).map_err(Into::into)
}

pub fn storage_list(prefix: &str) -> Result<Vec<String>, StorageError> {
    storage::list_keys(prefix).map_err(Into::into)
}

pub fn storage_compare_and_swap(
    key: &str,
    expected: Option<&[u8]>,
    new: Option<&[u8]>,
) -> Result<bool, StorageError> {
    storage::compare_and_swap(key, expected, new).map_err(Into::into)
}

pub fn http_send(request: &Request) -> Result<Response, HttpError> {
    let request = http::Request {
        method: match request.method {
            Method::Get => http::Method::Get,
            Method::Post => http::Method::Post,
            Method::Put => http::Method::Put,
            Method::Patch => http::Method::Patch,
            Method::Delete => http::Method::Delete,
            Method::Head => http::Method::Head,
        },
        url: request.url.clone(),
        headers: request.headers.clone(),
        body: request.body.clone(),
        timeout_ms: request.timeout_ms,
    };
    match http::send(&request) {
        Ok(response) => Ok(Response {
            status: response.status,
            headers: response.headers,
            body: response.body,
        }),
        Err(http::Error::Denied(message)) => Err(HttpError::Denied(message)),
        Err(http::Error::InvalidRequest(message)) => Err(HttpError::InvalidRequest(message)),
        Err(http::Error::Timeout(message)) => Err(HttpError::Timeout(message)),
        Err(http::Error::Connection(message)) => Err(HttpError::Connection(message)),
        Err(http::Error::ResponseTooLarge(cap)) => Err(HttpError::ResponseTooLarge(cap)),
    }
}

impl From<storage::Error> for StorageError {
    fn from(error: storage::Error) -> Self {
        match error {
            storage::Error::InvalidKey(message) => Self::InvalidKey(message),
            storage::Error::ValueTooLarge(limit) => Self::ValueTooLarge(limit),
            storage::Error::Backend(message) => Self::Backend(message),
        }
    }
}
