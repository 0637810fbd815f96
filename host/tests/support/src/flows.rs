//! A flow-engine setup for the tests: a temporary directory with a config (testkit source `shop`
//! → testkit-mapping → testkit sink `ledger` posting to a [`Ledger`]), secrets in files, and
//! helpers to post webhooks, call the admin API and wait for events to settle.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mlc_host::config::Config;
use mlc_host::flow::{EventFilter, EventRow, Inbox, Status};
use serde_json::{Value, json};

use super::ledger::Ledger;
use super::plugin_dir;

pub const WEBHOOK_TOKEN: &str = "whk-test-token-0042";
pub const ADMIN_TOKEN: &str = "adm-test-token-0042";

/// A fresh directory for one test's config and data (`mlc-flow-<name>-<pid>-<n>` in the
/// temporary directory). It stays after the test, to be looked at; the next test process
/// removes it (see [`remove_ended_runs`]).
pub fn scratch(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    remove_ended_runs();
    let dir = std::env::temp_dir().join(format!(
        "mlc-flow-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the scratch directory");
    std::fs::write(dir.join("webhook-token"), format!("{WEBHOOK_TOKEN}\n")).unwrap();
    std::fs::write(dir.join("admin-token"), ADMIN_TOKEN).unwrap();
    dir
}

/// Removes the scratch directories of test processes that have ended, once per process: a whole
/// run leaves about 3 GB of them. Only where `/proc` tells which processes run.
fn remove_ended_runs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        if !Path::new("/proc/self").exists() {
            return;
        }
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(rest) = name
                .to_str()
                .and_then(|name| name.strip_prefix("mlc-flow-"))
            else {
                continue;
            };
            let Some(pid) = rest
                .rsplit('-')
                .nth(1)
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            let ended = !Path::new(&format!("/proc/{pid}")).exists();
            if ended && pid != std::process::id() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    });
}

/// The variable that runs the flow tests on a shared store: `postgres` puts each test's inbox,
/// plugin store and plugin storage in a PostgreSQL database of its own (see
/// [`super::postgres`]); unset, they are files under the test's `data_dir`.
pub const STORE: &str = "MLC_TEST_STORE";

/// The `[store]` section of a test config in `dir`, as [`STORE`] asks: empty, or a fresh
/// database's. [`config_text`] has it; a test on another config appends it.
pub fn store_section(dir: &Path) -> String {
    match std::env::var(STORE).as_deref() {
        Err(_) | Ok("" | "sqlite") => String::new(),
        Ok("postgres") => {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            super::postgres::database_now(&name).store_section(dir)
        }
        Ok(other) => panic!("{STORE} is `{other}`: it takes `postgres` or `sqlite`"),
    }
}

/// The test config; `extra` is appended (more flows, or overrides in new tables).
pub fn config_text(dir: &Path, ledger: &Ledger, flow_extra: &str) -> String {
    format!(
        r#"data_dir = "{data}"
workers = 4
{store}
[server]
listen = "127.0.0.1:0"
shutdown_grace = "10s"

[admin]
token = {{ file = "admin-token" }}

[plugins]
dir = "{plugins}"

[retry]
max_attempts = 3
base = "200ms"
max = "2s"

[connections.shop]
connector = "testkit"
settings = {{ account = "test-shop" }}
secrets = {{ webhook-token = {{ file = "webhook-token" }} }}

[connections.ledger]
connector = "testkit"
base_url = "{ledger}"
concurrency = 1
batch = 20

[flows.orders]
source = "shop"
events = ["testkit.event"]
mapping = "testkit-mapping"
sink = "ledger"
mapping_config = {{ command = "post" }}
{flow_extra}"#,
        data = dir.join("data").display(),
        store = store_section(dir),
        plugins = plugin_dir().display(),
        ledger = ledger.base_url,
    )
}

/// Writes `text` as `mlc.toml` in `dir` and loads it.
pub fn write_config(dir: &Path, text: &str) -> Config {
    let path = dir.join("mlc.toml");
    std::fs::write(&path, text).expect("writing the config");
    Config::load(&path).unwrap_or_else(|error| panic!("the test config does not load: {error}"))
}

/// A webhook body carrying events `(key, payload)`.
pub fn webhook_body(events: &[(&str, Value)]) -> String {
    let events: Vec<Value> = events
        .iter()
        .map(|(key, payload)| json!({ "key": key, "topic": "testkit.event", "reference": format!("ref-{key}"), "payload": payload }))
        .collect();
    json!({ "events": events }).to_string()
}

/// Posts a webhook to `connection`; returns the status and the JSON answer.
pub async fn post_webhook(base: &str, connection: &str, token: &str, body: String) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/webhooks/{connection}"))
        .header("x-testkit-token", token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the webhook reaches the host");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Calls the admin API; `token` None sends no Authorization header.
pub async fn admin(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = match method {
        "POST" => client.post(format!("{base}{path}")),
        _ => client.get(format!("{base}{path}")),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the admin API answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Waits until every event in the inbox is in `wanted` and there are at least `count`.
pub async fn wait_settled(
    inbox: &Inbox,
    count: usize,
    wanted: &[Status],
    within: Duration,
) -> Vec<EventRow> {
    let deadline = Instant::now() + within;
    loop {
        let rows = inbox
            .list(&EventFilter {
                limit: 100_000,
                ..EventFilter::default()
            })
            .expect("listing events");
        if rows.len() >= count && rows.iter().all(|row| wanted.contains(&row.status)) {
            return rows;
        }
        if Instant::now() > deadline {
            let states: Vec<String> = rows
                .iter()
                .map(|row| format!("{}={}", row.key, row.status))
                .collect();
            panic!("events did not settle as {wanted:?} within {within:?}: {states:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The names of an event's steps in order, a failed one marked `!`.
pub fn step_names(detail: &mlc_host::flow::EventDetail) -> Vec<String> {
    detail
        .steps
        .iter()
        .map(|step| format!("{}{}", step.name, if step.ok { "" } else { "!" }))
        .collect()
}
