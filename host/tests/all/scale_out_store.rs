//! What several hosts share through `[store]` on PostgreSQL (`support::postgres`: the server of
//! `MLC_TEST_POSTGRES_URL`, else a throwaway cluster). Three plugin stores stand for three hosts
//! on one database: what one installs, the others see (its generation moves, its bytes load, its
//! history reads the same); hosts installing the same bytes at once store them once; the errors a
//! user sees for an unreachable server and for a schema from a newer release; a store whose
//! connection the server dropped (a restart, a failover) connects again. And a serving host whose
//! database goes away: its webhooks are answered 503 (deliver again), it is not ready, nothing
//! reaches the sink, and once the database is back every event is posted, each once.

use std::sync::Arc;
use std::time::Duration;

use mlc_host::flow::{self, Service, Status};
use mlc_host::plugin_store::{Activation, PluginStore};
use mlc_host::storage::{KvStore, Namespace, PostgresStore};
use mlc_host::{Host, PluginSummary};
use serde_json::json;
use support::flows::{
    WEBHOOK_TOKEN, config_text, post_webhook, scratch, wait_settled, webhook_body, write_config,
};
use support::ledger::Ledger;
use support::variant::build_variant;

const SETTLE: Duration = Duration::from_secs(30);

/// Three hosts' stores on one fresh database.
async fn three_stores(test: &str) -> Vec<PluginStore> {
    let database = support::postgres::database(test).await;
    let mut stores = Vec::new();
    for _ in 0..3 {
        stores.push(
            PluginStore::connect(&database.url(), None)
                .await
                .expect("the store opens"),
        );
    }
    stores
}

/// The bytes and summary of the workspace's testkit and of its 0.1.1 build.
async fn two_testkits() -> [(Vec<u8>, PluginSummary); 2] {
    let host = Host::builder().build().unwrap();
    let next = tokio::task::spawn_blocking(|| build_variant("testkit", "0.1.1"))
        .await
        .unwrap();
    let mut versions = Vec::new();
    for path in [support::plugin_dir().join("testkit.wasm"), next] {
        let bytes = std::fs::read(&path).unwrap();
        let summary = host.prepare_plugin(&bytes).await.unwrap().summary().clone();
        versions.push((bytes, summary));
    }
    versions.try_into().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_what_one_host_installs_every_host_sees() {
    let stores = three_stores("plugin_store_shared").await;
    let [(first_bytes, first), (next_bytes, next)] = two_testkits().await;
    let now = chrono::Utc::now();

    assert_eq!(stores[1].generation().await.unwrap(), 0);
    assert!(
        stores[0]
            .put_active(
                &first,
                &first_bytes,
                "plugin dir",
                Activation::PluginDir,
                now
            )
            .await
            .unwrap(),
        "new bytes"
    );
    assert_eq!(stores[1].generation().await.unwrap(), 1);
    assert_eq!(
        stores[2].active().await.unwrap(),
        [("testkit".to_owned(), first.hash.clone())]
    );
    assert_eq!(stores[2].component(&first.hash).await.unwrap(), first_bytes);

    stores[1]
        .put_active(&next, &next_bytes, "admin api", Activation::Install, now)
        .await
        .unwrap();
    assert_eq!(stores[0].generation().await.unwrap(), 2);
    let versions = stores[2].versions().await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].active.version, "0.1.1");
    assert_eq!(versions[0].activated_by, "install");
    assert_eq!(versions[0].active.origin, "admin api");
    assert_eq!(versions[0].inactive.len(), 1);
    assert_eq!(versions[0].inactive[0].hash, first.hash);
    assert_eq!(stores[0].versions().await.unwrap(), versions);
    let before = stores[0].before_active("testkit").await.unwrap();
    assert_eq!(before.version, "0.1.0");
    let error = format!(
        "{:#}",
        stores[0].before_active("quickbooks").await.unwrap_err()
    );
    assert_eq!(
        error,
        "no plugin named `quickbooks` is installed (installed: testkit)"
    );

    // A rollback on a third host: the earlier bytes are not stored again.
    assert!(
        !stores[2]
            .put_active(&first, &first_bytes, "rollback", Activation::Rollback, now)
            .await
            .unwrap(),
        "the bytes were stored already"
    );
    assert_eq!(stores[1].generation().await.unwrap(), 3);
    assert_eq!(
        stores[1].active().await.unwrap(),
        [("testkit".to_owned(), first.hash.clone())]
    );
    let error = format!(
        "{:#}",
        stores[0].before_active("testkit").await.unwrap_err()
    );
    assert!(error.contains("nothing to roll back to"), "{error}");
    assert_eq!(stores[0].hashes().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_hosts_installing_the_same_bytes_at_once_store_them_once() {
    let stores = three_stores("plugin_store_race").await;
    let [(bytes, summary), _] = two_testkits().await;
    let now = chrono::Utc::now();
    let install = async |store: &PluginStore| {
        store
            .put_active(&summary, &bytes, "plugin dir", Activation::PluginDir, now)
            .await
    };
    let (a, b, c) = tokio::join!(
        install(&stores[0]),
        install(&stores[1]),
        install(&stores[2])
    );
    let new: Vec<bool> = [a, b, c]
        .into_iter()
        .map(|result| result.expect("every host's install succeeds"))
        .collect();
    assert_eq!(
        new.iter().filter(|new| **new).count(),
        1,
        "one host stored the bytes: {new:?}"
    );
    assert_eq!(stores[0].hashes().await.unwrap().len(), 1);
    assert_eq!(stores[1].generation().await.unwrap(), 3);
    assert_eq!(stores[2].versions().await.unwrap()[0].inactive, []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_a_plugin_store_that_cannot_be_reached_or_is_newer_is_refused() {
    let error = format!(
        "{:#}",
        PluginStore::connect("postgresql://mlc@127.0.0.1:1/books", Some("hunter2-secret"))
            .await
            .err()
            .unwrap()
    );
    assert!(
        error.starts_with(
            "PostgreSQL at mlc@127.0.0.1:1/books cannot be reached: error connecting to server"
        ),
        "{error}"
    );
    assert!(!error.contains("hunter2"), "{error}");

    let database = support::postgres::database("plugin_store_newer").await;
    support::postgres::mark_newer(&database, "plugin_store", 4).await;
    let error = format!(
        "{:#}",
        PluginStore::connect(&database.url(), None)
            .await
            .err()
            .unwrap()
    );
    assert!(
        error.starts_with("the plugin store in PostgreSQL at ")
            && error.contains(
                "has schema version 4, newer than this build's 1: it was written by a newer \
                 release of mlc"
            ),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_stores_whose_connections_the_server_drops_reconnect_on_the_next_call() {
    let database = support::postgres::database("plugin_store_reconnect").await;
    let store = PluginStore::connect(&database.url(), None).await.unwrap();
    let storage = Arc::new(PostgresStore::connect(&database.url()).await.unwrap());
    let [(bytes, summary), _] = two_testkits().await;
    let now = chrono::Utc::now();
    store
        .put_active(&summary, &bytes, "plugin dir", Activation::PluginDir, now)
        .await
        .unwrap();
    let namespace = Namespace::new("intacct", "books");
    let kept = storage.clone();
    let ns = namespace.clone();
    tokio::task::spawn_blocking(move || kept.set(&ns, "session", b"s-1").unwrap())
        .await
        .unwrap();

    // The server ends every other session on the database, as a restart or a failover does.
    let dropped = support::postgres::drop_connections(&database).await;
    assert_eq!(dropped, 2, "the store's and the storage's connections");

    // The first call after may meet the closed connection; the next one reconnects.
    let mut generation = store.generation().await;
    if generation.is_err() {
        generation = store.generation().await;
    }
    assert_eq!(generation.unwrap(), 1);
    assert_eq!(store.component(&summary.hash).await.unwrap(), bytes);
    let value = tokio::task::spawn_blocking(move || {
        storage
            .get(&namespace, "session")
            .or_else(|_| storage.get(&namespace, "session"))
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(value.as_deref(), Some(&b"s-1"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_a_host_whose_database_goes_away_posts_nothing_until_it_is_back_then_each_once() {
    let database = support::postgres::database("store_goes_away").await;
    let ledger = Ledger::start().await;
    let dir = scratch("store-goes-away");
    let store = database.store_section(&dir);
    let config = write_config(&dir, &config_text(&dir, &ledger, &store));
    let host = flow::open_host(&config).await.expect("the host opens");
    let service = Service::start(host, config).await.expect("the host serves");
    let base = format!("http://{}", service.local_addr());

    send(&base, &["before-1", "before-2"]).await;
    wait_settled(service.inbox(), 2, &[Status::Done], SETTLE).await;
    assert_eq!(ledger.writes(), 2);

    support::postgres::allow_connections(&database, false).await;
    // The inbox cannot take them: the sender is told to deliver again, and nothing is posted.
    let events = [
        ("away-1", json!({})),
        ("away-2", json!({})),
        ("away-3", json!({})),
    ];
    let (status, answer) = post_webhook(&base, "shop", WEBHOOK_TOKEN, webhook_body(&events)).await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("deliver again")
            && !answer.to_string().contains(&database.password()),
        "{answer}"
    );
    let (ready, checks) = support::flows::admin(&base, "GET", "/readyz", None, None).await;
    assert_eq!(
        ready, 503,
        "not ready while the inbox cannot be written: {checks}"
    );
    assert_eq!(
        ledger.writes(),
        2,
        "nothing posted while the database is away"
    );

    support::postgres::allow_connections(&database, true).await;
    send(&base, &["away-1", "away-2", "away-3"]).await;
    let rows = wait_settled(service.inbox(), 5, &[Status::Done], SETTLE).await;
    assert_eq!(rows.len(), 5);
    assert_eq!(ledger.writes(), 5, "each event posted once");
    let mut keys: Vec<String> = ledger
        .entries()
        .into_iter()
        .map(|entry| entry.key)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "away-1/0",
            "away-2/0",
            "away-3/0",
            "before-1/0",
            "before-2/0"
        ]
    );
    service.shutdown().await.unwrap();
}

/// Sends testkit events with these keys to the host's webhook; each is accepted.
async fn send(base: &str, keys: &[&str]) {
    let events: Vec<(&str, serde_json::Value)> = keys.iter().map(|key| (*key, json!({}))).collect();
    let (status, answer) = post_webhook(base, "shop", WEBHOOK_TOKEN, webhook_body(&events)).await;
    assert_eq!(status, 200, "{answer}");
}
