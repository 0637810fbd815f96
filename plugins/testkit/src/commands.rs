//! `apply`: one function per command kind over the host capabilities (the table in the crate doc),
//! except `testkit.post`, which goes out in batches (see [`crate::post`]).

use std::collections::BTreeMap;
use std::time::Duration;

use ml_connector_sdk::chrono::{DateTime, SecondsFormat, Utc};
use ml_connector_sdk::http::{self, HttpError, Method, Request};
use ml_connector_sdk::log::{self, Level};
use ml_connector_sdk::{Applied, Command, PluginError, clock, config, secrets, storage};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{misbehave, post};

/// Every command kind `apply` understands.
pub const KINDS: &[&str] = &[
    "testkit.http",
    "testkit.storage-set",
    "testkit.storage-get",
    "testkit.storage-delete",
    "testkit.storage-list",
    "testkit.storage-cas",
    "testkit.clock",
    "testkit.sleep",
    "testkit.log",
    "testkit.config",
    "testkit.secret",
    "testkit.fail",
    "testkit.loop",
    "testkit.alloc",
    "testkit.panic",
    DROP_RESULT,
    post::KIND,
];

/// The command `apply` answers no result for.
const DROP_RESULT: &str = "testkit.drop-result";

/// Runs every command, results in their order (none for a `testkit.drop-result`). All
/// `testkit.post` commands go out first, in one request ([`post::apply`]): when that request
/// fails, it is the outer error and nothing else runs, so nothing of the batch was applied.
pub fn apply_all(commands: &[Command]) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
    let is_post = |command: &&Command| command.kind == post::KIND;
    let posts: Vec<&Command> = commands.iter().filter(is_post).collect();
    let mut posted = post::apply(&posts)?.into_iter();
    commands
        .iter()
        .filter(|command| command.kind != DROP_RESULT)
        .map(|command| match is_post(&command) {
            true => Ok(posted
                .next()
                .expect("`post::apply` answers once per command")),
            false => apply(command),
        })
        .collect()
}

/// Runs one command of any kind but `testkit.post`. The outer error fails the whole batch (only
/// `testkit.fail` with `outer`).
pub fn apply(command: &Command) -> Result<Result<Applied, PluginError>, PluginError> {
    let data = match command.kind.as_str() {
        "testkit.http" => body(command).map(send),
        "testkit.storage-set" => body(command).and_then(storage_set),
        "testkit.storage-get" => body(command).and_then(storage_get),
        "testkit.storage-delete" => body(command).and_then(storage_delete),
        "testkit.storage-list" => body(command).and_then(storage_list),
        "testkit.storage-cas" => body(command).and_then(storage_cas),
        "testkit.clock" => Ok(json!({ "now": rfc3339(clock::now()) })),
        "testkit.sleep" => body(command).map(sleep),
        "testkit.log" => body(command).map(write_log),
        "testkit.config" => body(command).map(|Key { key }| json!({ "value": config::get(&key) })),
        "testkit.secret" => {
            body(command).map(|Name { name }| json!({ "value": secrets::get(&name) }))
        }
        "testkit.fail" => return body(command).and_then(fail),
        "testkit.loop" => misbehave::spin(),
        "testkit.alloc" => body(command).map(|Alloc { mib }| misbehave::allocate(mib)),
        "testkit.panic" => body(command).map(|Panic { message }| misbehave::panic(&message)),
        post::KIND => return post::apply(&[command]).map(|mut results| results.remove(0)),
        other => Err(PluginError::rejected(format!(
            "testkit has no command kind `{other}`"
        ))),
    };
    Ok(data.and_then(|data| Applied::new(&command.key).with_data_json(&data)))
}

fn body<T: DeserializeOwned>(command: &Command) -> Result<T, PluginError> {
    command.body_json()
}

#[derive(Deserialize)]
struct Key {
    key: String,
}

#[derive(Deserialize)]
struct Name {
    name: String,
}

#[derive(Deserialize)]
struct Alloc {
    mib: usize,
}

#[derive(Deserialize)]
struct Panic {
    message: String,
}

#[derive(Deserialize)]
struct HttpBody {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: String,
    timeout_ms: Option<u32>,
}

fn send(spec: HttpBody) -> Value {
    let method = match spec.method.to_ascii_uppercase().as_str() {
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        "HEAD" => Method::Head,
        _ => Method::Get,
    };
    let request = Request {
        method,
        url: spec.url,
        headers: spec.headers,
        body: spec.body.into_bytes(),
        timeout_ms: spec.timeout_ms,
    };
    match http::send(&request) {
        Ok(response) => json!({
            "status": response.status,
            "headers": response.headers,
            "body": response.text(),
        }),
        Err(error) => {
            let kind = match &error {
                HttpError::Denied(_) => "denied",
                HttpError::InvalidRequest(_) => "invalid-request",
                HttpError::Timeout(_) => "timeout",
                HttpError::Connection(_) => "connection",
                HttpError::ResponseTooLarge(_) => "response-too-large",
            };
            json!({ "error": kind, "message": error.to_string() })
        }
    }
}

#[derive(Deserialize)]
struct StorageSet {
    key: String,
    value: String,
}

fn storage_set(StorageSet { key, value }: StorageSet) -> Result<Value, PluginError> {
    storage::set(&key, value.as_bytes())?;
    Ok(Value::Null)
}

fn storage_get(Key { key }: Key) -> Result<Value, PluginError> {
    let value = storage::get(&key)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    Ok(json!({ "value": value }))
}

fn storage_delete(Key { key }: Key) -> Result<Value, PluginError> {
    Ok(json!({ "existed": storage::delete(&key)? }))
}

#[derive(Deserialize)]
struct Prefix {
    prefix: String,
}

fn storage_list(Prefix { prefix }: Prefix) -> Result<Value, PluginError> {
    Ok(json!({ "keys": storage::list(&prefix)? }))
}

#[derive(Deserialize)]
struct Cas {
    key: String,
    expected: Option<String>,
    new: Option<String>,
}

fn storage_cas(Cas { key, expected, new }: Cas) -> Result<Value, PluginError> {
    let swapped = storage::compare_and_swap(
        &key,
        expected.as_deref().map(str::as_bytes),
        new.as_deref().map(str::as_bytes),
    )?;
    Ok(json!({ "swapped": swapped }))
}

#[derive(Deserialize)]
struct Sleep {
    ms: u64,
}

fn sleep(Sleep { ms }: Sleep) -> Value {
    let before = clock::now();
    clock::sleep(Duration::from_millis(ms));
    json!({ "before": rfc3339(before), "after": rfc3339(clock::now()) })
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[derive(Deserialize)]
struct LogBody {
    level: String,
    message: String,
    #[serde(default)]
    fields: BTreeMap<String, String>,
}

fn write_log(spec: LogBody) -> Value {
    let level = match spec.level.as_str() {
        "trace" => Level::Trace,
        "debug" => Level::Debug,
        "warn" => Level::Warn,
        "error" => Level::Error,
        _ => Level::Info,
    };
    let fields: Vec<(&str, &str)> = spec
        .fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    log::log(level, &spec.message, &fields);
    Value::Null
}

#[derive(Deserialize)]
struct Fail {
    error: String,
    message: String,
    #[serde(default)]
    retry_after_ms: u64,
    code: Option<String>,
    #[serde(default)]
    outer: bool,
}

fn fail(spec: Fail) -> Result<Result<Applied, PluginError>, PluginError> {
    let error = match spec.error.as_str() {
        "transient" => PluginError::Transient(spec.message),
        "rate-limited" => PluginError::RateLimited {
            retry_after_ms: spec.retry_after_ms,
            message: spec.message,
        },
        "auth" => PluginError::Auth(spec.message),
        "needs-review" => PluginError::NeedsReview(spec.message),
        _ => PluginError::Rejected {
            code: spec.code,
            message: spec.message,
        },
    };
    match spec.outer {
        true => Err(error),
        false => Ok(Err(error)),
    }
}
