//! The native side: capabilities backed by thread-local test state (one state per test thread).
//! Logs go to stderr and are kept for [`super::testing::take_logs`]; HTTP answers through the
//! handler a test sets, or says there is no host.

use std::cell::RefCell;
use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::testing::LogRecord;
use crate::http::{HttpError, Request, Response};
use crate::level::Level;
use crate::storage::StorageError;

pub(super) type HttpHandler = Box<dyn FnMut(&Request) -> Result<Response, HttpError>>;

pub(super) struct State {
    pub config: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
    pub storage: BTreeMap<String, Vec<u8>>,
    pub now: DateTime<Utc>,
    pub http: Option<HttpHandler>,
    pub logs: Vec<LogRecord>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            config: BTreeMap::new(),
            secrets: BTreeMap::new(),
            storage: BTreeMap::new(),
            now: DateTime::UNIX_EPOCH,
            http: None,
            logs: Vec::new(),
        }
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

pub(super) fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    STATE.with(|state| f(&mut state.borrow_mut()))
}

pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    let rendered: String = fields
        .iter()
        .map(|(name, value)| format!(" {name}={value:?}"))
        .collect();
    eprintln!("[plugin {level}] {message}{rendered}");
    let record = LogRecord {
        level,
        message: message.to_owned(),
        fields: fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
    };
    with_state(|state| state.logs.push(record));
}

pub fn config_get(key: &str) -> Option<String> {
    with_state(|state| state.config.get(key).cloned())
}

pub fn config_entries() -> Vec<(String, String)> {
    with_state(|state| state.config.clone().into_iter().collect())
}

pub fn secret_get(name: &str) -> Option<String> {
    with_state(|state| state.secrets.get(name).cloned())
}

pub fn clock_now() -> DateTime<Utc> {
    with_state(|state| state.now)
}

/// Advances the test clock instead of waiting.
pub fn clock_sleep(milliseconds: u64) {
    let step = TimeDelta::milliseconds(i64::try_from(milliseconds).unwrap_or(i64::MAX));
    with_state(|state| state.now = state.now.checked_add_signed(step).unwrap_or(state.now));
}

pub fn storage_get(key: &str) -> Result<Option<Vec<u8>>, StorageError> {
    check_key(key)?;
    Ok(with_state(|state| state.storage.get(key).cloned()))
}

pub fn storage_set(key: &str, value: &[u8]) -> Result<(), StorageError> {
    check_key(key)?;
    with_state(|state| state.storage.insert(key.to_owned(), value.to_vec()));
    Ok(())
}

pub fn storage_delete(key: &str) -> Result<bool, StorageError> {
    check_key(key)?;
    Ok(with_state(|state| state.storage.remove(key).is_some()))
}

pub fn storage_list(prefix: &str) -> Result<Vec<String>, StorageError> {
    Ok(with_state(|state| {
        state
            .storage
            .keys()
            .filter(|key| key.starts_with(prefix))
            .cloned()
            .collect()
    }))
}

pub fn storage_compare_and_swap(
    key: &str,
    expected: Option<&[u8]>,
    new: Option<&[u8]>,
) -> Result<bool, StorageError> {
    check_key(key)?;
    Ok(with_state(|state| {
        if state.storage.get(key).map(Vec::as_slice) != expected {
            return false;
        }
        match new {
            Some(value) => state.storage.insert(key.to_owned(), value.to_vec()),
            None => state.storage.remove(key),
        };
        true
    }))
}

/// Calls the test's handler outside the state borrow, so the handler may use the SDK itself.
pub fn http_send(request: &Request) -> Result<Response, HttpError> {
    let Some(mut handler) = with_state(|state| state.http.take()) else {
        return Err(HttpError::Denied(format!(
            "no host: natively, set an HTTP handler with ml_connector_sdk::testing::set_http_handler \
             ({:?} {})",
            request.method, request.url
        )));
    };
    let response = handler(request);
    with_state(|state| {
        state.http.get_or_insert(handler);
    });
    response
}

fn check_key(key: &str) -> Result<(), StorageError> {
    match key.is_empty() {
        true => Err(StorageError::InvalidKey("empty key".into())),
        false => Ok(()),
    }
}
