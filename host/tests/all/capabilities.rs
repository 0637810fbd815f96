//! Each host capability, used for real by the `testkit` plugin: http to an allowlisted local
//! server, storage, the host clock (a manual one here), log, config and secrets.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use mlc_host::clock::ManualClock;
use mlc_host::types::{Level, PluginError};
use mlc_host::{Connection, Host, Secret, World};
use serde_json::json;
use support::{TestServer, apply_one, data, host, host_with};

fn connection(server: &TestServer) -> Arc<Connection> {
    Arc::new(
        Connection::new("shop-a")
            .unwrap()
            .allow(&server.base_url)
            .unwrap()
            .setting("account", "acme")
            .secret("api-key", Secret::new("sk_live_do_not_leak")),
    )
}

#[tokio::test]
async fn plugins_load_with_their_world_and_capabilities() {
    let host = host().await;
    let plugins = host.plugins();
    let testkit = plugins
        .iter()
        .find(|plugin| plugin.name == "testkit")
        .unwrap();
    assert_eq!(testkit.world, World::Connector);
    assert_eq!(testkit.version, "0.1.0");
    for capability in ["http", "storage", "clock", "log", "config", "secrets"] {
        assert!(
            testkit.capabilities().contains(&capability),
            "{:?}",
            testkit.capabilities()
        );
    }
    let mapping = plugins
        .iter()
        .find(|plugin| plugin.name == "testkit-mapping")
        .unwrap();
    assert_eq!(mapping.world, World::Mapping);
    let mut capabilities = mapping.capabilities();
    capabilities.sort();
    assert_eq!(capabilities, ["config", "log"]);
    assert_eq!(mapping.hash.len(), 64);
}

#[tokio::test]
async fn http_reaches_an_allowlisted_origin_and_is_traced_without_secrets() {
    let server = TestServer::start().await;
    let host = host().await;
    let connector = host.connector("testkit", connection(&server)).unwrap();

    let report = apply_one(
        &connector,
        "testkit.http",
        json!({"method": "GET", "url": format!("{}/hello?key=sk_live_do_not_leak", server.base_url)}),
    )
    .await;
    let response = data(&report);
    assert_eq!(response["status"], 200);
    assert_eq!(response["body"], "hello");
    assert!(
        response["headers"]
            .as_array()
            .unwrap()
            .contains(&json!(["x-served-by", "test"]))
    );
    assert_eq!(report.http.len(), 1);
    let exchange = &report.http[0];
    assert_eq!(
        (exchange.method.as_str(), exchange.status),
        ("GET", Some(200))
    );
    assert!(
        exchange.url.ends_with("/hello?key=[redacted]"),
        "{}",
        exchange.url
    );

    let echoed = apply_one(
        &connector,
        "testkit.http",
        json!({"method": "POST", "url": format!("{}/echo", server.base_url), "body": "ping-pong"}),
    )
    .await;
    assert_eq!(data(&echoed)["body"], "ping-pong");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn http_timeouts_and_oversized_responses_are_typed_errors() {
    let server = TestServer::start().await;
    let host = host().await;
    let connector = host.connector("testkit", connection(&server)).unwrap();

    let slow = apply_one(
        &connector,
        "testkit.http",
        json!({"method": "GET", "url": format!("{}/slow", server.base_url), "timeout_ms": 200}),
    )
    .await;
    assert_eq!(data(&slow)["error"], "timeout");

    let limits = mlc_host::Limits {
        http_response_bytes: 1 << 20,
        ..Default::default()
    };
    let small = host_with(Host::builder().limits(limits)).await;
    let connector = small.connector("testkit", connection(&server)).unwrap();
    let big = apply_one(
        &connector,
        "testkit.http",
        json!({"method": "GET", "url": format!("{}/big", server.base_url)}),
    )
    .await;
    assert_eq!(data(&big)["error"], "response-too-large");
    assert!(big.http[0].error.as_deref().unwrap().contains("1048576"));
}

#[tokio::test]
async fn storage_sets_gets_lists_deletes_and_compares_and_swaps() {
    let server = TestServer::start().await;
    let host = host().await;
    let connector = host.connector("testkit", connection(&server)).unwrap();
    let run = |kind: &'static str, body: serde_json::Value| {
        let connector = connector.clone();
        async move { data(&apply_one(&connector, kind, body).await) }
    };

    run(
        "testkit.storage-set",
        json!({"key": "session/a", "value": "one"}),
    )
    .await;
    run(
        "testkit.storage-set",
        json!({"key": "session/b", "value": "two"}),
    )
    .await;
    run(
        "testkit.storage-set",
        json!({"key": "other", "value": "three"}),
    )
    .await;
    assert_eq!(
        run("testkit.storage-get", json!({"key": "session/a"})).await["value"],
        "one"
    );
    assert_eq!(
        run("testkit.storage-list", json!({"prefix": "session/"})).await["keys"],
        json!(["session/a", "session/b"])
    );
    let swap = |expected: Option<&str>, new: &str| json!({"key": "session/a", "expected": expected, "new": new});
    assert_eq!(
        run("testkit.storage-cas", swap(Some("stale"), "x")).await["swapped"],
        false
    );
    assert_eq!(
        run("testkit.storage-cas", swap(Some("one"), "uno")).await["swapped"],
        true
    );
    assert_eq!(
        run("testkit.storage-get", json!({"key": "session/a"})).await["value"],
        "uno"
    );
    assert_eq!(
        run("testkit.storage-delete", json!({"key": "other"})).await["existed"],
        true
    );
    assert_eq!(
        run("testkit.storage-delete", json!({"key": "other"})).await["existed"],
        false
    );
    assert_eq!(
        run("testkit.storage-get", json!({"key": "other"})).await["value"],
        json!(null)
    );

    let empty_key = apply_one(&connector, "testkit.storage-get", json!({"key": ""})).await;
    match &empty_key.result {
        Ok(Err(PluginError::Rejected(rejection))) => {
            assert!(
                rejection.message.contains("keys are 1 to 512 bytes"),
                "{rejection:?}"
            )
        }
        other => panic!("an empty key must be rejected: {other:?}"),
    }
}

#[tokio::test]
async fn the_clock_is_the_hosts_and_sleep_moves_a_manual_clock() {
    let start = Utc.with_ymd_and_hms(2024, 3, 10, 9, 30, 0).unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let host = host_with(Host::builder().clock(clock.clone())).await;
    let server = TestServer::start().await;
    let connector = host.connector("testkit", connection(&server)).unwrap();

    let now = data(&apply_one(&connector, "testkit.clock", json!({})).await);
    assert_eq!(now["now"], "2024-03-10T09:30:00Z");

    clock.advance(Duration::from_secs(3600));
    let slept = data(&apply_one(&connector, "testkit.sleep", json!({"ms": 30_000})).await);
    assert_eq!(slept["before"], "2024-03-10T10:30:00Z");
    assert_eq!(slept["after"], "2024-03-10T10:30:30Z");
}

#[tokio::test]
async fn log_config_and_secrets_reach_the_connector_and_logs_are_redacted() {
    let server = TestServer::start().await;
    let host = host().await;
    let connector = host.connector("testkit", connection(&server)).unwrap();

    let account = data(&apply_one(&connector, "testkit.config", json!({"key": "account"})).await);
    assert_eq!(account["value"], "acme");
    let missing = data(&apply_one(&connector, "testkit.config", json!({"key": "nope"})).await);
    assert_eq!(missing["value"], json!(null));
    let secret = data(&apply_one(&connector, "testkit.secret", json!({"name": "api-key"})).await);
    assert_eq!(secret["value"], "sk_live_do_not_leak");

    let logged = apply_one(
        &connector,
        "testkit.log",
        json!({"level": "warn", "message": "token sk_live_do_not_leak refused", "fields": {"key": "sk_live_do_not_leak", "order": "1001"}}),
    )
    .await;
    data(&logged);
    let record = &logged.logs[0];
    assert_eq!(record.level, Level::Warn);
    assert_eq!(record.message, "token [redacted] refused");
    assert_eq!(record.field("key"), Some("[redacted]"));
    assert_eq!(record.field("order"), Some("1001"));
}

#[tokio::test]
async fn a_mapping_reads_its_flow_settings_and_maps() {
    let host = host().await;
    let settings = [("prefix".to_owned(), "\"orders\"".to_owned())].into();
    let mapping = host.mapping("testkit-mapping", settings).unwrap();
    let event = mlc_host::types::Event {
        key: "evt-7".into(),
        topic: "testkit.event".into(),
        reference: "r7".into(),
        occurred_at: None,
        payload: None,
    };
    let record = mlc_host::types::Entity {
        kind: "testkit.record".into(),
        id: "r7".into(),
        body: "{\"total\":\"12.50\"}".into(),
    };
    let report = mapping.map(&event, &[record], "null").await;
    let commands = report.result.unwrap();
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0].key, "evt-7/0");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&commands[0].body).unwrap(),
        json!({"key": "orders/r7", "value": "{\"total\":\"12.50\"}"})
    );
    assert_eq!(report.logs[0].message, "mapped");
}
