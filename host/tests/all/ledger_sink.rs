//! `testkit.post` against the ledger test server (`support::ledger`), through the real host: one
//! request per `apply`, idempotent replays, whole-request failures as the outer error, per-entry
//! rejections, and the mapping's `"command": "post"` feeding it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use mlc_host::types::{Applied, Command, Entity, Event, PluginError, RateLimit, Rejection};
use mlc_host::{CallError, Connection, ConnectorCall, Host};
use serde_json::{Value, json};
use support::host;
use support::ledger::Ledger;

fn connection(ledger: &Ledger) -> Arc<Connection> {
    Arc::new(
        Connection::new("ledger")
            .unwrap()
            .setting("base_url", &ledger.base_url)
            .allow(&ledger.base_url)
            .unwrap(),
    )
}

fn post(key: &str, body: Value) -> Command {
    Command {
        kind: "testkit.post".into(),
        key: key.into(),
        body: body.to_string(),
    }
}

fn three_posts() -> Vec<Command> {
    (1..=3)
        .map(|n| post(&format!("evt-1/{n}"), json!({"n": n})))
        .collect()
}

async fn apply(
    connector: &ConnectorCall,
    commands: &[Command],
) -> Vec<Result<Applied, PluginError>> {
    connector
        .apply(commands)
        .await
        .result
        .expect("the batch succeeds")
}

/// The outer (whole-batch) error of an apply that must have failed.
async fn batch_error(connector: &ConnectorCall, commands: &[Command]) -> PluginError {
    match connector.apply(commands).await.result {
        Err(CallError::Plugin { error, .. }) => error,
        other => panic!("expected the batch to fail, got {other:?}"),
    }
}

fn entry_id(result: &Result<Applied, PluginError>) -> &str {
    let applied = result.as_ref().expect("the command was applied");
    assert_eq!(applied.external_ids.len(), 1, "{applied:?}");
    assert_eq!(applied.external_ids[0].0, "entry");
    &applied.external_ids[0].1
}

async fn setup() -> (Ledger, Host, ConnectorCall) {
    let ledger = Ledger::start().await;
    let host = host().await;
    let connector = host.connector("testkit", connection(&ledger)).unwrap();
    (ledger, host, connector)
}

#[tokio::test]
async fn a_batch_is_one_request_and_a_replay_stores_nothing() {
    let (ledger, _host, connector) = setup().await;

    let report = connector.apply(&three_posts()).await;
    assert_eq!(report.http.len(), 1, "{:?}", report.http);
    let results = report.result.unwrap();
    assert_eq!(ledger.requests(), 1);
    assert_eq!(ledger.writes(), 3);
    let ids: Vec<&str> = results.iter().map(entry_id).collect();
    assert_eq!(ids, ["E-1", "E-2", "E-3"]);
    for (result, key) in results.iter().zip(["evt-1/1", "evt-1/2", "evt-1/3"]) {
        let applied = result.as_ref().unwrap();
        assert_eq!(applied.key, key);
        assert!(!applied.already_done);
    }
    let entries = ledger.entries();
    assert_eq!(entries[1].key, "evt-1/2");
    assert_eq!(entries[1].body, json!({"n": 2}));

    let again = apply(&connector, &three_posts()).await;
    assert!(
        again
            .iter()
            .all(|result| result.as_ref().unwrap().already_done)
    );
    assert_eq!(again.iter().map(entry_id).collect::<Vec<_>>(), ids);
    assert_eq!(ledger.requests(), 2);
    assert_eq!((ledger.writes(), ledger.replays()), (3, 3));
    assert_eq!(ledger.count("evt-1/1"), 1);
    assert_eq!(ledger.entries().len(), 3);
}

#[tokio::test]
async fn a_failed_request_is_the_outer_error_and_stores_nothing() {
    let (ledger, _host, connector) = setup().await;

    ledger.fail_next(1, 503, None);
    assert!(matches!(
        batch_error(&connector, &three_posts()).await,
        PluginError::Transient(message) if message.contains("503")
    ));
    assert_eq!((ledger.requests(), ledger.writes()), (1, 0));

    ledger.fail_next(1, 429, Some(2));
    assert!(matches!(
        batch_error(&connector, &three_posts()).await,
        PluginError::RateLimited(RateLimit {
            retry_after_ms: 2000,
            ..
        })
    ));
    assert_eq!((ledger.requests(), ledger.writes()), (2, 0));

    ledger.fail_next(1, 401, None);
    assert!(matches!(
        batch_error(&connector, &three_posts()).await,
        PluginError::Auth(_)
    ));

    // The failures are used up: the same batch now goes through.
    let results = apply(&connector, &three_posts()).await;
    assert!(results.iter().all(|result| result.is_ok()));
    assert_eq!((ledger.requests(), ledger.writes()), (4, 3));
}

#[tokio::test]
async fn a_rejected_entry_fails_alone() {
    let (ledger, _host, connector) = setup().await;
    ledger.reject_containing("poison", "LEDGER-42", "no poison in the ledger");
    let commands = [
        post("k/1", json!({"n": 1})),
        post("k/2", json!({"note": "poison"})),
        post("k/3", json!({"n": 3})),
    ];

    let results = apply(&connector, &commands).await;

    assert_eq!(ledger.requests(), 1);
    assert_eq!(entry_id(&results[0]), "E-1");
    assert_eq!(
        results[1],
        Err(PluginError::Rejected(Rejection {
            code: Some("LEDGER-42".into()),
            message: "no poison in the ledger".into(),
        }))
    );
    assert_eq!(entry_id(&results[2]), "E-2");
    assert_eq!(ledger.count("k/2"), 0);

    ledger.clear_rejections();
    let retried = apply(&connector, &commands).await;
    assert_eq!(entry_id(&retried[1]), "E-3");
    assert!(!retried[1].as_ref().unwrap().already_done);
    assert!(retried[0].as_ref().unwrap().already_done);
    assert_eq!((ledger.writes(), ledger.replays()), (3, 2));
}

#[tokio::test]
async fn other_kinds_keep_their_place_and_base_url_is_required() {
    let (ledger, host, connector) = setup().await;
    let commands = [
        Command {
            kind: "testkit.storage-set".into(),
            key: "set".into(),
            body: json!({"key": "k", "value": "v"}).to_string(),
        },
        post("p/1", json!({})),
        Command {
            kind: "testkit.clock".into(),
            key: "clock".into(),
            body: "{}".into(),
        },
        post("p/2", json!({})),
    ];

    let results = apply(&connector, &commands).await;

    let keys: Vec<&str> = results
        .iter()
        .map(|result| result.as_ref().unwrap().key.as_str())
        .collect();
    assert_eq!(keys, ["set", "p/1", "clock", "p/2"]);
    assert_eq!(
        (entry_id(&results[1]), entry_id(&results[3])),
        ("E-1", "E-2")
    );
    assert!(results[2].as_ref().unwrap().data.is_some());
    assert_eq!(ledger.requests(), 1);

    let no_url = Arc::new(
        Connection::new("ledger-without-url")
            .unwrap()
            .allow(&ledger.base_url)
            .unwrap(),
    );
    let unconfigured = host.connector("testkit", no_url).unwrap();
    let results = apply(&unconfigured, &[post("p/3", json!({}))]).await;
    assert!(matches!(
        &results[0],
        Err(PluginError::Rejected(Rejection { message, .. })) if message.contains("base_url")
    ));
    assert_eq!(ledger.requests(), 1);
}

#[tokio::test]
async fn mapped_posts_reach_the_ledger_and_concurrent_batches_overlap() {
    let (ledger, host, connector) = setup().await;
    let mapping = host.mapping("testkit-mapping", BTreeMap::new()).unwrap();
    let event = Event {
        key: "evt-9".into(),
        topic: "testkit.event".into(),
        reference: "r9".into(),
        occurred_at: None,
        payload: None,
    };
    let records = [
        Entity {
            kind: "testkit.record".into(),
            id: "a".into(),
            body: json!({"n": 1}).to_string(),
        },
        Entity {
            kind: "testkit.record".into(),
            id: "b".into(),
            body: json!({"review": true}).to_string(),
        },
    ];

    let held = mapping
        .map(&event, &records, &json!({"command": "post"}).to_string())
        .await;
    assert!(matches!(
        held.result,
        Err(CallError::Plugin {
            error: PluginError::NeedsReview(_),
            ..
        })
    ));

    let config = json!({"command": "post", "resolution": {"by": "pat"}}).to_string();
    let commands = mapping.map(&event, &records, &config).await.result.unwrap();
    let (first, second) = commands.split_at(1);
    ledger.set_delay(Duration::from_millis(300));
    let (a, b) = tokio::join!(connector.apply(first), connector.apply(second));
    assert!(a.result.is_ok() && b.result.is_ok());
    assert!(ledger.wait_for_writes(2, Duration::from_secs(5)).await);
    assert_eq!(ledger.requests(), 2);
    assert_eq!(ledger.max_in_flight(), 2);
    let mut entries = ledger.entries();
    entries.sort_by(|x, y| x.key.cmp(&y.key));
    assert_eq!(entries[1].key, "evt-9/1");
    assert_eq!(
        entries[1].body,
        json!({"id": "b", "topic": "testkit.event", "record": {"review": true}, "resolution": {"by": "pat"}})
    );
}
