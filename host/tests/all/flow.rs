//! The flow engine end to end, in process: real HTTP into the webhook server, the real testkit
//! plugins, and the ledger sink over HTTP. Each test has its own config, inbox and ledger.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use mlc_host::Host;
use mlc_host::clock::ManualClock;
use mlc_host::config::Config;
use mlc_host::flow::reconcile::fix;
use mlc_host::flow::{self, Arrival, Service, Status, Step};
use mlc_host::storage::SqliteStore;
use mlc_host::types::Event;
use serde_json::{Value, json};
use support::flows::*;
use support::ledger::Ledger;

const SETTLE: Duration = Duration::from_secs(30);

pub(crate) async fn start(config: Config) -> (Service, String) {
    let host = flow::open_host(&config).await.expect("the host opens");
    let service = Service::start(host, config)
        .await
        .expect("the service starts");
    let base = format!("http://{}", service.local_addr());
    (service, base)
}

/// A ledger and a service on the test config, named `name`; returns the server's base URL too.
async fn serve(name: &str) -> (Ledger, Service, String) {
    let ledger = Ledger::start().await;
    let dir = scratch(name);
    let (service, base) = start(write_config(&dir, &config_text(&dir, &ledger, ""))).await;
    (ledger, service, base)
}

/// Posts one testkit event to the `shop` connection, with the right token.
async fn send(base: &str, key: &str, payload: Value) -> (u16, Value) {
    post_webhook(base, "shop", WEBHOOK_TOKEN, webhook_body(&[(key, payload)])).await
}

#[tokio::test]
async fn a_webhook_becomes_exactly_one_sink_write_and_a_duplicate_adds_nothing() {
    let (ledger, service, base) = serve("once").await;

    let body = webhook_body(&[("order-1", json!({"total": "19.99"}))]);
    let (status, answer) = post_webhook(&base, "shop", WEBHOOK_TOKEN, body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"].as_array().unwrap().len(), 1);
    let rows = wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;
    assert_eq!(
        rows[0].external_ids,
        vec![("entry".to_owned(), "E-1".to_owned())]
    );

    let (status, answer) = post_webhook(&base, "shop", WEBHOOK_TOKEN, body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["accepted"], json!([]));
    assert_eq!(answer["duplicates"][0]["key"], "order-1");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ledger.writes(), 1);
    assert_eq!(ledger.count("order-1/0"), 1);
    assert_eq!(ledger.entries()[0].body["record"]["total"], "19.99");

    let detail = service.inbox().show(rows[0].id).unwrap();
    assert_eq!(step_names(&detail), ["received", "fetch", "map", "apply"]);
    let apply = &detail.steps[3];
    assert_eq!(apply.plugin.as_deref(), Some("testkit"));
    assert_eq!(apply.plugin_version.as_deref(), Some("0.1.0"));
    let request = &apply.detail["requests"][0];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["url"], format!("{}/entries", ledger.base_url));
    assert_eq!(request["status"], 200);
    assert!(
        request["request_body"]
            .as_str()
            .unwrap()
            .contains("order-1/0")
    );
    assert_eq!(apply.detail["external_ids"], json!([["entry", "E-1"]]));
    assert_eq!(
        detail.steps[2].detail["commands"][0]["kind"],
        "testkit.post"
    );
    let everything = serde_json::to_string(&detail).unwrap();
    assert!(
        !everything.contains(WEBHOOK_TOKEN),
        "the audit trail holds the secret"
    );
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_reason_and_store_nothing() {
    let ledger = Ledger::start().await;
    let dir = scratch("refuse");
    let text = config_text(&dir, &ledger, "")
        .replace("shutdown_grace", "max_body = \"1KiB\"\nshutdown_grace");
    let (service, base) = start(write_config(&dir, &text)).await;
    let body = || webhook_body(&[("order-1", json!({}))]);

    let (status, answer) = post_webhook(&base, "shop", "wrong-token", body()).await;
    assert_eq!(status, 401);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("unauthorized:"),
        "{answer}"
    );
    assert!(!answer.to_string().contains(WEBHOOK_TOKEN));

    let (status, answer) = post_webhook(&base, "shop", WEBHOOK_TOKEN, "{not json".into()).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().starts_with("malformed:"),
        "{answer}"
    );

    let big = webhook_body(&[("order-big", json!({"pad": "x".repeat(2000)}))]);
    let (status, answer) = post_webhook(&base, "shop", WEBHOOK_TOKEN, big).await;
    assert_eq!(status, 413);
    assert_eq!(
        answer["error"],
        "the body is larger than the limit of 1024 bytes (server.max_body)"
    );

    // An unknown connection, a sink and a percent-encoded source answer alike.
    for connection in ["nowhere", "ledger", "sh%6Fp"] {
        let (status, answer) = post_webhook(&base, connection, WEBHOOK_TOKEN, body()).await;
        assert_eq!(
            (status, answer["error"].as_str().unwrap()),
            (404, "no webhooks are received at this address"),
            "{connection}"
        );
    }

    let unknown_topic =
        json!({"events": [{"key": "k", "topic": "testkit.polled", "reference": "r"}]}).to_string();
    let (status, answer) = post_webhook(&base, "shop", WEBHOOK_TOKEN, unknown_topic).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["ignored"],
        json!([{"key": "k", "topic": "testkit.polled"}])
    );

    assert!(
        service
            .inbox()
            .list(&Default::default())
            .unwrap()
            .is_empty()
    );
    assert_eq!(ledger.requests(), 0);
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_backoff_and_succeeds() {
    let (ledger, service, base) = serve("transient").await;
    ledger.fail_next(2, 503, None);

    send(&base, "order-7", json!({})).await;
    let rows = wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;
    assert_eq!(rows[0].attempts, 3);
    assert_eq!(ledger.writes(), 1);
    assert_eq!(ledger.requests(), 3);

    let detail = service.inbox().show(rows[0].id).unwrap();
    let applies: Vec<_> = detail
        .steps
        .iter()
        .filter(|step| step.name == "apply")
        .collect();
    assert_eq!(
        applies.iter().map(|step| step.ok).collect::<Vec<_>>(),
        [false, false, true]
    );
    assert!(
        applies[0].message.as_deref().unwrap().contains("transient"),
        "{:?}",
        applies[0].message
    );
    // Backoff with equal jitter: at least half of 200 ms, then half of 400 ms.
    let gaps: Vec<_> = applies
        .windows(2)
        .map(|pair| pair[1].started_at - pair[0].started_at)
        .collect();
    assert!(gaps[0] >= chrono::Duration::milliseconds(100), "{gaps:?}");
    assert!(gaps[1] >= chrono::Duration::milliseconds(200), "{gaps:?}");
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_rate_limit_is_honoured_and_attempts_run_out_into_failed() {
    let (ledger, service, base) = serve("ratelimit").await;
    ledger.fail_next(1, 429, Some(1));

    send(&base, "order-8", json!({})).await;
    let rows = wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;
    let detail = service.inbox().show(rows[0].id).unwrap();
    let applies: Vec<_> = detail
        .steps
        .iter()
        .filter(|step| step.name == "apply")
        .collect();
    assert!(applies[1].started_at - applies[0].started_at >= chrono::Duration::seconds(1));

    ledger.fail_next(10, 500, None);
    send(&base, "order-9", json!({})).await;
    let rows = wait_settled(service.inbox(), 2, &[Status::Done, Status::Failed], SETTLE).await;
    let failed = rows.iter().find(|row| row.key == "order-9").unwrap();
    assert_eq!(failed.status, Status::Failed);
    assert_eq!(failed.attempts, 3);
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("gave up after 3 attempts"),
        "{:?}",
        failed.last_error
    );
    assert_eq!(ledger.count("order-9/0"), 0);
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_permanent_failure_keeps_the_remote_message_and_replay_reruns_it_once_fixed() {
    let (ledger, service, base) = serve("permanent").await;
    ledger.reject_containing("SKU-BAD", "E42", "unknown SKU SKU-BAD");

    send(&base, "order-2", json!({"sku": "SKU-BAD"})).await;
    let rows = wait_settled(service.inbox(), 1, &[Status::Failed], SETTLE).await;
    assert_eq!(rows[0].attempts, 1, "a rejection is not retried");
    let error = rows[0].last_error.as_deref().unwrap();
    assert!(
        error.contains("[E42]") && error.contains("unknown SKU SKU-BAD"),
        "{error}"
    );
    assert_eq!(ledger.writes(), 0);

    let id = rows[0].id;
    let (status, _) = admin(
        &base,
        "POST",
        &format!("/admin/events/{id}/replay"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    ledger.clear_rejections();
    let (status, answer) = admin(
        &base,
        "POST",
        &format!("/admin/events/{id}/replay"),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let rows = wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(ledger.writes(), 1);
    let (status, answer) = admin(
        &base,
        "POST",
        &format!("/admin/events/{id}/replay"),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200, "replaying a done event is allowed: {answer}");
    wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;
    assert_eq!(
        (ledger.writes(), ledger.replays()),
        (1, 1),
        "the replay posts nothing twice"
    );
    let (status, answer) = admin(
        &base,
        "POST",
        "/admin/events/999/replay",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str().unwrap()),
        (
            404,
            "there is no event 999 (list them with `mlc events list`)"
        )
    );
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_needs_review_event_waits_until_resolved() {
    let (ledger, service, base) = serve("review").await;

    send(&base, "order-3", json!({"review": true})).await;
    let rows = wait_settled(service.inbox(), 1, &[Status::Review], SETTLE).await;
    assert_eq!(
        rows[0].review_reason.as_deref(),
        Some("record ref-order-3 asks for review")
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        service.inbox().get(rows[0].id).unwrap().unwrap().status,
        Status::Review
    );
    assert_eq!(ledger.requests(), 0);

    let (status, listed) = admin(&base, "GET", "/admin/review", Some(ADMIN_TOKEN), None).await;
    assert_eq!((status, listed.as_array().unwrap().len()), (200, 1));
    let path = format!("/admin/review/{}/resolve", rows[0].id);
    let (status, answer) = admin(
        &base,
        "POST",
        &path,
        Some(ADMIN_TOKEN),
        Some(json!({"resolution": {"order": "SO-1"}})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;
    assert_eq!(
        ledger.entries()[0].body["resolution"],
        json!({"order": "SO-1"})
    );
    let (status, answer) = admin(&base, "POST", &path, Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 409, "{answer}");
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_burst_is_batched_and_the_sink_sees_one_request_at_a_time() {
    let (ledger, service, base) = serve("burst").await;
    ledger.set_delay(Duration::from_millis(40));

    let sends = (0..40).map(|n| {
        let base = base.clone();
        tokio::spawn(async move { send(&base, &format!("burst-{n}"), json!({"n": n})).await })
    });
    for send in sends {
        assert_eq!(send.await.unwrap().0, 200);
    }
    wait_settled(service.inbox(), 40, &[Status::Done], SETTLE).await;
    assert_eq!(ledger.writes(), 40);
    assert_eq!(
        ledger.max_in_flight(),
        1,
        "concurrency = 1 for the ledger connection"
    );
    assert!(
        ledger.requests() < 40,
        "commands of waiting events share a request: {} requests",
        ledger.requests()
    );
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn polling_keeps_its_cursor_across_restarts_on_the_host_clock() {
    let ledger = Ledger::start().await;
    let dir = scratch("poll");
    let extra = r#"
[flows.polled]
source = "shop"
events = ["testkit.polled"]
mapping = "testkit-mapping"
sink = "ledger"
poll_interval = "1h"
mapping_config = { command = "post" }
"#;
    let config = write_config(&dir, &config_text(&dir, &ledger, extra));
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap(),
    ));
    let host_on_clock = || async {
        let storage = SqliteStore::open(&dir.join("data/storage.db")).unwrap();
        let host = Host::builder()
            .clock(clock.clone())
            .storage(Arc::new(storage))
            .build()
            .unwrap();
        host.load_plugin_dir(support::plugin_dir()).await.unwrap();
        host
    };

    let service = Service::start(host_on_clock().await, config.clone())
        .await
        .unwrap();
    let rows = wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;
    assert_eq!(rows[0].key, "poll-1");
    clock.advance(Duration::from_secs(30 * 60));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        service.inbox().list(&Default::default()).unwrap().len(),
        1,
        "not due yet"
    );
    clock.advance(Duration::from_secs(31 * 60));
    wait_settled(service.inbox(), 2, &[Status::Done], SETTLE).await;
    service.shutdown().await.unwrap();

    let service = Service::start(host_on_clock().await, config).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        service.inbox().list(&Default::default()).unwrap().len(),
        2,
        "a restart does not poll early"
    );
    clock.advance(Duration::from_secs(60 * 60));
    let rows = wait_settled(service.inbox(), 3, &[Status::Done], SETTLE).await;
    let third = rows
        .iter()
        .find(|row| row.key == "poll-3")
        .expect("the third poll");
    let payload: Value = serde_json::from_str(third.payload.as_deref().unwrap()).unwrap();
    assert_eq!(
        payload["previous_cursor"], "2",
        "the stored cursor survived the restart"
    );
    assert_eq!(ledger.writes(), 3);
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_admin_api_needs_its_token_and_answers_status_events_and_ping() {
    let (_ledger, service, base) = serve("admin").await;
    send(&base, "order-4", json!({})).await;
    wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;

    let (status, answer) = admin(&base, "GET", "/admin/events", Some("not-the-token"), None).await;
    assert_eq!(
        (status, answer["error"].as_str().unwrap()),
        (401, "send `Authorization: Bearer <admin token>`")
    );
    let (_, events) = admin(
        &base,
        "GET",
        "/admin/events?status=done&since=1h",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(events[0]["key"], "order-4");
    let (status, answer) = admin(
        &base,
        "GET",
        "/admin/events?status=finished",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("unknown status `finished`")
    );
    let (_, counts) = admin(&base, "GET", "/admin/status", Some(ADMIN_TOKEN), None).await;
    assert_eq!(counts["done"], 1);
    let (_, shown) = admin(
        &base,
        "GET",
        &format!("/admin/events/{}", events[0]["id"]),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(shown["steps"].as_array().unwrap().len(), 4);
    let (_, ping) = admin(
        &base,
        "GET",
        "/admin/connections/shop/ping",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (ping["ok"].as_bool(), ping["message"].as_str()),
        (Some(true), Some("testkit ok: account test-shop"))
    );
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_fix_event_applies_the_commands_it_carries_once_and_an_unreadable_one_waits_for_review() {
    let (ledger, service, _) = serve("fix-events").await;
    let inbox = service.inbox();
    let now = Utc::now();
    let fix = |key: &str, payload: &str| Event {
        key: key.into(),
        topic: fix::TOPIC.into(),
        reference: format!("invoice/{key}"),
        occurred_at: None,
        payload: Some(payload.into()),
    };
    let carried = json!({"commands": [
        {"kind": "testkit.post", "key": "entry/7/reconcile-2026-12-04", "body": json!({"id": "7"}).to_string()}
    ]})
    .to_string();
    let events = vec![
        (
            "orders".to_owned(),
            fix("reconcile/2026-12-04/invoice/7", &carried),
        ),
        (
            "orders".to_owned(),
            fix("reconcile/2026-12-04/invoice/8", "{\"commands\": 3}"),
        ),
    ];
    let step = || Step::note(0, "received", now, "queued by a test");
    let receipts = inbox
        .receive(
            "ledger".into(),
            Arrival::Reconcile,
            events.clone(),
            step(),
            now,
        )
        .await
        .unwrap();
    let again = inbox
        .receive("ledger".into(), Arrival::Reconcile, events, step(), now)
        .await
        .unwrap();
    assert!(again.iter().all(|receipt| receipt.duplicate));

    let rows = wait_settled(inbox, 2, &[Status::Done, Status::Review], SETTLE).await;
    let status = |id| rows.iter().find(|row| row.id == id).unwrap().status;
    assert_eq!(
        (status(receipts[0].id), status(receipts[1].id)),
        (Status::Done, Status::Review)
    );
    assert_eq!(ledger.count("entry/7/reconcile-2026-12-04"), 1);
    assert_eq!(ledger.writes(), 1, "the unreadable fix posted nothing");
    let done = inbox.show(receipts[0].id).unwrap();
    assert_eq!(step_names(&done), ["received", "plan", "apply"]);
    assert_eq!(
        done.steps[1].detail["commands"][0]["key"],
        "entry/7/reconcile-2026-12-04"
    );
    let held = inbox.show(receipts[1].id).unwrap().event;
    let reason = held.review_reason.or(held.last_error).unwrap();
    assert!(
        reason.contains("the reconciliation's fix `reconcile/2026-12-04/invoice/8` cannot be read")
            && reason.contains("run `mlc reconcile --fix` again"),
        "{reason}"
    );
    service.shutdown().await.unwrap();
}
