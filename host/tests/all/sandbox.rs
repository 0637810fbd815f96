//! The sandbox holds: an off-allowlist request never leaves the machine, an endless loop is stopped
//! at its CPU deadline, memory past the limit fails cleanly, a panic is reported with its message,
//! one plugin cannot read another's storage, and after each of these the host answers the next call.

use std::sync::Arc;
use std::time::Duration;

use mlc_host::{CallError, Connection, ConnectorCall, Host, Limits, SandboxStop};
use serde_json::json;
use support::{TestServer, apply_one, data, host, host_with};

fn connection(name: &str, server: &TestServer) -> Arc<Connection> {
    Arc::new(
        Connection::new(name)
            .unwrap()
            .allow(&server.base_url)
            .unwrap(),
    )
}

/// The proof that the host still serves: a fresh call on the same handle answers.
async fn still_serves(connector: &ConnectorCall) {
    let ping = connector.ping().await;
    assert_eq!(ping.result.unwrap(), "testkit ok: account (none)");
}

fn stop(result: &Result<impl std::fmt::Debug, CallError>) -> &SandboxStop {
    match result {
        Err(CallError::Sandbox { plugin, stop }) => {
            assert_eq!(plugin, "testkit");
            stop
        }
        other => panic!("expected the sandbox to stop the plugin, got {other:?}"),
    }
}

#[tokio::test]
async fn a_request_off_the_allowlist_is_refused_and_never_leaves() {
    let allowed = TestServer::start().await;
    let outside = TestServer::start().await;
    let host = host().await;
    let connector = host
        .connector("testkit", connection("shop", &allowed))
        .unwrap();

    let report = apply_one(
        &connector,
        "testkit.http",
        json!({"method": "GET", "url": format!("{}/hello", outside.base_url)}),
    )
    .await;
    let refused = data(&report);
    assert_eq!(refused["error"], "denied");
    let message = refused["message"].as_str().unwrap();
    let outside_origin = outside.base_url.replace("localhost", "127.0.0.1");
    assert!(message.contains(&outside_origin), "{message}");
    assert!(
        message.contains("not on the allowlist of connection `shop`"),
        "{message}"
    );
    assert!(
        message.contains(&allowed.base_url),
        "names what is allowed: {message}"
    );
    assert_eq!(outside.hits(), 0, "the refused request reached the server");
    assert_eq!(report.http[0].status, None);

    let scheme = apply_one(
        &connector,
        "testkit.http",
        json!({"method": "GET", "url": "file:///etc/passwd"}),
    )
    .await;
    assert_eq!(data(&scheme)["error"], "invalid-request");

    let fine = apply_one(
        &connector,
        "testkit.http",
        json!({"method": "GET", "url": format!("{}/hello", allowed.base_url)}),
    )
    .await;
    assert_eq!(data(&fine)["status"], 200);
    assert_eq!(allowed.hits(), 1);
}

#[tokio::test]
async fn an_endless_loop_is_stopped_at_its_cpu_deadline() {
    let server = TestServer::start().await;
    let limits = Limits {
        cpu_time: Duration::from_millis(300),
        ..Limits::default()
    };
    let host = host_with(Host::builder().limits(limits)).await;
    let connector = host
        .connector("testkit", connection("shop", &server))
        .unwrap();

    let report = apply_one(&connector, "testkit.loop", json!({})).await;
    assert_eq!(
        stop(&report.result),
        &SandboxStop::CpuDeadline {
            budget: Duration::from_millis(300)
        }
    );
    assert!(
        report.plugin_time >= Duration::from_millis(300),
        "{:?}",
        report.plugin_time
    );
    let message = report.result.unwrap_err().to_string();
    assert!(message.contains("CPU budget of 300ms"), "{message}");
    still_serves(&connector).await;
}

#[tokio::test]
async fn waiting_on_http_is_not_charged_to_the_cpu_budget() {
    let server = TestServer::start().await;
    let limits = Limits {
        cpu_time: Duration::from_millis(500),
        ..Limits::default()
    };
    let host = host_with(Host::builder().limits(limits)).await;
    let connector = host
        .connector("testkit", connection("shop", &server))
        .unwrap();

    let report = apply_one(
        &connector,
        "testkit.http",
        json!({"method": "GET", "url": format!("{}/slow", server.base_url)}),
    )
    .await;
    assert_eq!(data(&report)["body"], "late");
    assert!(report.total_time >= Duration::from_secs(3));
}

#[tokio::test]
async fn allocating_past_the_memory_limit_fails_cleanly() {
    let server = TestServer::start().await;
    let limits = Limits {
        memory_bytes: 32 << 20,
        ..Limits::default()
    };
    let host = host_with(Host::builder().limits(limits)).await;
    let connector = host
        .connector("testkit", connection("shop", &server))
        .unwrap();

    let small = apply_one(&connector, "testkit.alloc", json!({"mib": 8})).await;
    assert_eq!(data(&small)["mib"], 8);

    let report = apply_one(&connector, "testkit.alloc", json!({"mib": 64})).await;
    match stop(&report.result) {
        SandboxStop::MemoryLimit { limit, requested } => {
            assert_eq!(*limit, 32 << 20);
            assert!(*requested > 32 << 20);
        }
        other => panic!("expected the memory limit, got {other:?}"),
    }
    still_serves(&connector).await;
}

#[tokio::test]
async fn a_panic_is_reported_with_its_message() {
    let server = TestServer::start().await;
    let host = host().await;
    let connector = host
        .connector("testkit", connection("shop", &server))
        .unwrap();

    let report = apply_one(
        &connector,
        "testkit.panic",
        json!({"message": "ledger out of balance"}),
    )
    .await;
    match stop(&report.result) {
        SandboxStop::Panic { message } => {
            assert!(message.contains("ledger out of balance"), "{message}")
        }
        other => panic!("expected a panic, got {other:?}"),
    }
    still_serves(&connector).await;
}

#[tokio::test]
async fn one_plugin_cannot_read_another_plugins_or_connections_storage() {
    let server = TestServer::start().await;
    let host = host().await;
    let shop_a = connection("shop-a", &server);
    let testkit_a = host.connector("testkit", shop_a.clone()).unwrap();
    let testkit_b = host
        .connector("testkit", connection("shop-b", &server))
        .unwrap();
    let peer_a = host.connector("testkit-peer", shop_a).unwrap();

    data(
        &apply_one(
            &testkit_a,
            "testkit.storage-set",
            json!({"key": "token", "value": "secret-a"}),
        )
        .await,
    );
    data(
        &apply_one(
            &peer_a,
            "peer.write",
            json!({"key": "mine", "value": "peer-value"}),
        )
        .await,
    );

    let from_peer = data(&apply_one(&peer_a, "peer.read", json!({"key": "token"})).await);
    assert_eq!(from_peer["value"], json!(null));
    assert_eq!(from_peer["keys"], json!(["mine"]));
    let from_other_connection =
        data(&apply_one(&testkit_b, "testkit.storage-get", json!({"key": "token"})).await);
    assert_eq!(from_other_connection["value"], json!(null));
    let own = data(&apply_one(&testkit_a, "testkit.storage-get", json!({"key": "token"})).await);
    assert_eq!(own["value"], "secret-a");
    let listed = data(&apply_one(&testkit_a, "testkit.storage-list", json!({"prefix": ""})).await);
    assert_eq!(listed["keys"], json!(["token"]));
}

#[tokio::test]
async fn bad_components_and_wrong_worlds_get_clear_errors() {
    let host = host().await;
    let error = host.load_plugin(b"not wasm at all").await.unwrap_err();
    assert!(format!("{error:#}").contains("magic header"), "{error:#}");

    let wrong = host.mapping("testkit", Default::default()).err().unwrap();
    assert_eq!(
        wrong.to_string(),
        "plugin `testkit` is a connector, not a mapping; name a mapping plugin there in the \
         configuration"
    );
    let unknown = host
        .connector("nope", connection_without_server())
        .err()
        .unwrap();
    let text = unknown.to_string();
    assert!(
        text.starts_with("no plugin named `nope` is loaded (loaded: ")
            && text.contains("testkit, testkit-mapping, testkit-peer"),
        "{text}"
    );
}

fn connection_without_server() -> Arc<Connection> {
    Arc::new(Connection::new("none").unwrap())
}
