//! Two hosts in one process do not interfere: each has its own data directory, inbox, plugin
//! storage, plugin store and ledger, with the same connector, connection and flow names. Host A
//! serves its own listener ([`Service::start`]); host B's routes are mounted in an application's
//! router ([`Service::start_embedded`]). Installing and rolling back a plugin in A leaves what B
//! serves alone, and stopping B leaves A serving. B's health probes are mounted with its routes:
//! ready while it serves, not ready once it stops.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use mlc_host::flow::{self, EventFilter, Inbox, Service, Status};
use mlc_host::plugin_store::{PluginVersions, StoredVersion};
use mlc_host::{Connection, Host};
use serde_json::{Value, json};
use support::flows::{
    WEBHOOK_TOKEN, config_text, post_webhook, scratch, wait_settled, webhook_body, write_config,
};
use support::ledger::Ledger;
use support::variant::build_variant;
use support::{apply_one, data};

const SETTLE: Duration = Duration::from_secs(30);

/// A second flow on the same source: each event's record kept in the sink connector's storage,
/// under `kept/<reference>`.
const KEPT_FLOW: &str = r#"
[flows.kept]
source = "shop"
events = ["testkit.event"]
mapping = "testkit-mapping"
sink = "ledger"
mapping_config = { command = "storage-set", prefix = "kept" }
"#;

/// Every event lands in both flows, `orders` and `kept`.
const FLOWS: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_keep_their_events_storage_and_plugins_apart() {
    let (ledger_a, ledger_b) = (Ledger::start().await, Ledger::start().await);
    let (dir_a, dir_b) = (scratch("two-hosts-a"), scratch("two-hosts-b"));
    let config_a = write_config(&dir_a, &config_text(&dir_a, &ledger_a, KEPT_FLOW));
    let config_b = write_config(&dir_b, &config_text(&dir_b, &ledger_b, KEPT_FLOW));
    let (host_a, host_b) = tokio::join!(flow::open_host(&config_a), flow::open_host(&config_b));
    let a = Service::start(host_a.expect("host A opens"), config_a)
        .await
        .expect("host A starts");
    let base_a = format!("http://{}", a.local_addr());
    let (b, webhooks_b) = Service::start_embedded(host_b.expect("host B opens"), config_b)
        .await
        .expect("host B starts");
    let base_b = serve_app(webhooks_b).await;

    // The same event key reaches both: each inbox takes it once, each ledger stores it once.
    send(&base_a, &["shared-1", "a-2", "a-3"], "A").await;
    send(&base_b, &["shared-1", "b-2"], "B").await;
    settle(a.inbox(), 3).await;
    settle(b.inbox(), 2).await;
    assert_eq!(
        ledger_keys(&ledger_a, "A"),
        ["a-2/0", "a-3/0", "shared-1/0"]
    );
    assert_eq!(ledger_keys(&ledger_b, "B"), ["b-2/0", "shared-1/0"]);
    assert_eq!(
        kept(a.host(), "A").await,
        ["kept/ref-a-2", "kept/ref-a-3", "kept/ref-shared-1"]
    );
    assert_eq!(
        kept(b.host(), "B").await,
        ["kept/ref-b-2", "kept/ref-shared-1"]
    );

    // Both serve the plugin directory's testkit; A installs a 0.1.1 build of it.
    let original = active(&a.plugin_versions().await.expect("A's versions"), "testkit").hash;
    let versions_b = b.plugin_versions().await.expect("B's versions");
    assert_eq!(active(&versions_b, "testkit").hash, original);
    let variant = tokio::task::spawn_blocking(|| build_variant("testkit", "0.1.1"))
        .await
        .expect("the variant's build ran");
    let component = std::fs::read(&variant).expect("the variant's component");
    let installed = a
        .install_plugin(&component, "testkit 0.1.1")
        .await
        .expect("A installs testkit 0.1.1");
    assert_eq!(installed.active.version, "0.1.1");
    let newer = installed.active.hash.clone();
    assert_ne!(newer, original);
    assert_eq!(
        installed.replaced.map(|plugin| plugin.hash),
        Some(original.clone())
    );
    assert_eq!(serving(a.host(), "testkit"), newer);
    assert_eq!(serving(b.host(), "testkit"), original);
    assert_eq!(b.plugin_versions().await.expect("B's versions"), versions_b);

    // Events from now on run on each host's own active version, and the audit trail says so.
    send(&base_a, &["a-4"], "A").await;
    send(&base_b, &["b-3"], "B").await;
    settle(a.inbox(), 4).await;
    settle(b.inbox(), 3).await;
    assert_eq!(testkit_hash(a.inbox(), "shared-1"), original);
    assert_eq!(testkit_hash(a.inbox(), "a-4"), newer);
    assert_eq!(testkit_hash(b.inbox(), "b-3"), original);
    assert_eq!(ledger_a.writes(), 4);
    assert_eq!(ledger_b.writes(), 3);
    assert_eq!(kept(a.host(), "A").await.len(), 4);
    assert_eq!(kept(b.host(), "B").await.len(), 3);

    // A rolls back; B's store still has only the plugin directory's version.
    let rolled = a.rollback_plugin("testkit").await.expect("A rolls back");
    assert_eq!(rolled.active.hash, original);
    let testkit_a = active_versions(&a.plugin_versions().await.expect("A's versions"), "testkit");
    assert_eq!(testkit_a.activated_by, "rollback");
    assert_eq!(hashes(&testkit_a.inactive), vec![newer.clone()]);
    assert_eq!(b.plugin_versions().await.expect("B's versions"), versions_b);
    assert!(active_versions(&versions_b, "testkit").inactive.is_empty());

    // B's probes are mounted with its webhooks: alive, ready, and no metrics recorder here.
    assert_eq!(fetch(&base_b, "/livez").await, (200, "ok\n".to_owned()));
    let (status, ready) = fetch(&base_b, "/readyz").await;
    assert_eq!(status, 200, "{ready}");
    let ready: Value = serde_json::from_str(&ready).expect("JSON");
    assert_eq!(
        ready,
        json!({"ready": true, "checks": {"store": "ok", "plugins": "ok", "accepting": "ok"}})
    );
    let (status, answer) = fetch(&base_b, "/metrics").await;
    assert_eq!(status, 404);
    assert!(answer.contains("mlc_host::metrics::serve_with"), "{answer}");

    // Stopping B refuses its webhooks (its application keeps serving) and makes it not ready;
    // A goes on.
    let inbox_b = b.inbox().clone();
    assert_eq!(b.shutdown().await.expect("B stops").released, 0);
    let (status, ready) = fetch(&base_b, "/readyz").await;
    assert_eq!(status, 503, "{ready}");
    let ready: Value = serde_json::from_str(&ready).expect("JSON");
    assert_eq!(ready["ready"], false);
    assert_eq!(ready["checks"]["store"], "ok");
    assert!(
        ready["checks"]["accepting"]
            .as_str()
            .is_some_and(|finding| finding.starts_with("stopping")),
        "{ready}"
    );
    let (status, _) = post(&base_b, &["b-4"], "B").await;
    assert_eq!(status, 503);
    let rows_b = inbox_b.list(&EventFilter::default()).expect("B's events");
    assert_eq!(
        rows_b.len(),
        3 * FLOWS,
        "B took nothing in after it stopped"
    );
    let health = reqwest::get(format!("{base_b}/health"))
        .await
        .expect("B's app answers");
    assert_eq!(health.text().await.expect("a body"), "ok");
    send(&base_a, &["a-5"], "A").await;
    settle(a.inbox(), 5).await;
    assert_eq!(testkit_hash(a.inbox(), "a-5"), original);
    assert_eq!(ledger_a.writes(), 5);
    assert_eq!(ledger_b.writes(), 3);
    assert_eq!(ledger_b.count("b-4/0"), 0);
    a.shutdown().await.expect("A stops");
}

/// Serves an application's router (`GET /health`) with `webhooks` mounted in it; returns its
/// base URL.
async fn serve_app(webhooks: Router) -> String {
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(webhooks);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding a local port");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// `GET base + path`: the status and the body.
async fn fetch(base: &str, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("{base}{path}"))
        .await
        .expect("the app answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

/// Posts one webhook with an event per key, each payload naming `host`.
async fn post(base: &str, keys: &[&str], host: &str) -> (u16, Value) {
    let events: Vec<(&str, Value)> = keys
        .iter()
        .map(|key| (*key, json!({ "host": host })))
        .collect();
    post_webhook(base, "shop", WEBHOOK_TOKEN, webhook_body(&events)).await
}

/// [`post`], which must be accepted whole.
async fn send(base: &str, keys: &[&str], host: &str) {
    let (status, answer) = post(base, keys, host).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["accepted"].as_array().map(Vec::len),
        Some(keys.len() * FLOWS),
        "{answer}"
    );
}

/// Waits until the inbox holds exactly `events` events (in both flows), all done.
async fn settle(inbox: &Inbox, events: usize) {
    let rows = wait_settled(inbox, events * FLOWS, &[Status::Done], SETTLE).await;
    assert_eq!(rows.len(), events * FLOWS, "{rows:?}");
}

/// The ledger's entry keys, sorted, after checking every entry came from `host`'s webhooks.
fn ledger_keys(ledger: &Ledger, host: &str) -> Vec<String> {
    let entries = ledger.entries();
    for entry in &entries {
        assert_eq!(entry.body["record"]["host"], host, "{entry:?}");
    }
    let mut keys: Vec<String> = entries.into_iter().map(|entry| entry.key).collect();
    keys.sort();
    keys
}

/// The keys the `kept` flow left in `host`'s storage for testkit on connection `ledger`, after
/// checking each holds a record from `owner`'s webhooks.
async fn kept(host: &Host, owner: &str) -> Vec<String> {
    let connection = Arc::new(Connection::new("ledger").expect("a connection name"));
    let testkit = host
        .connector("testkit", connection)
        .expect("testkit is loaded");
    let listed = apply_one(
        &testkit,
        "testkit.storage-list",
        json!({ "prefix": "kept/" }),
    )
    .await;
    let keys: Vec<String> = serde_json::from_value(data(&listed)["keys"].clone()).expect("keys");
    for key in &keys {
        let value = data(&apply_one(&testkit, "testkit.storage-get", json!({ "key": key })).await);
        let record: Value =
            serde_json::from_str(value["value"].as_str().expect("a value")).expect("JSON");
        assert_eq!(record["host"], owner, "{key}: {record}");
    }
    keys
}

/// The one testkit hash the steps of event `key`'s `orders` row name (received, fetch, apply).
fn testkit_hash(inbox: &Inbox, key: &str) -> String {
    let filter = EventFilter {
        flow: Some("orders".into()),
        limit: 1000,
        ..EventFilter::default()
    };
    let rows = inbox.list(&filter).expect("listing events");
    let row = rows.iter().find(|row| row.key == key).expect("the event");
    let steps = inbox.show(row.id).expect("the audit trail").steps;
    let mut hashes: Vec<String> = steps
        .iter()
        .filter(|step| step.plugin.as_deref() == Some("testkit"))
        .map(|step| step.plugin_hash.clone().expect("the step names the hash"))
        .collect();
    assert!(hashes.len() >= 3, "received, fetch and apply: {steps:?}");
    hashes.dedup();
    assert_eq!(hashes.len(), 1, "one version ran the event: {steps:?}");
    hashes.remove(0)
}

fn active_versions(versions: &[PluginVersions], name: &str) -> PluginVersions {
    versions
        .iter()
        .find(|plugin| plugin.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} is installed: {versions:?}"))
}

fn active(versions: &[PluginVersions], name: &str) -> StoredVersion {
    active_versions(versions, name).active
}

fn hashes(versions: &[StoredVersion]) -> Vec<String> {
    versions
        .iter()
        .map(|version| version.hash.clone())
        .collect()
}

/// The hash of the version of `name` that `host` serves to new calls.
fn serving(host: &Host, name: &str) -> String {
    host.plugins()
        .into_iter()
        .find(|plugin| plugin.name == name)
        .map(|plugin| plugin.hash)
        .unwrap_or_else(|| panic!("{name} is loaded"))
}
