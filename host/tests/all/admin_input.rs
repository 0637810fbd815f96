//! The admin API reads what careless clients send one way only: a resolve body without a JSON
//! content type is refused (415) and changes nothing, so a skip can never run as a post; no body at
//! all posts as is; every error answer, axum's own rejections included, is `{"error": …}`.

use std::time::Duration;

use mlc_host::flow::{self, Service, Status};
use serde_json::json;
use support::flows::*;
use support::ledger::Ledger;

const SETTLE: Duration = Duration::from_secs(30);

/// A service whose event `held` waits for review; returns its base URL and the event's id.
async fn serve_with_held_event(name: &str) -> (Ledger, Service, String, i64) {
    let ledger = Ledger::start().await;
    let dir = scratch(name);
    let config = write_config(&dir, &config_text(&dir, &ledger, ""));
    let service = Service::start(flow::open_host(&config).await.unwrap(), config)
        .await
        .unwrap();
    let base = format!("http://{}", service.local_addr());
    let body = webhook_body(&[("held", json!({ "review": true }))]);
    assert_eq!(
        post_webhook(&base, "shop", WEBHOOK_TOKEN, body).await.0,
        200
    );
    let rows = wait_settled(service.inbox(), 1, &[Status::Review], SETTLE).await;
    let id = rows[0].id;
    (ledger, service, base, id)
}

/// POSTs `body` as is, with the content type given (none: no header).
async fn resolve_raw(
    base: &str,
    id: i64,
    content_type: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/admin/review/{id}/resolve"))
        .bearer_auth(ADMIN_TOKEN)
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn a_skip_without_a_json_content_type_is_refused_and_never_posts() {
    let (ledger, service, base, id) = serve_with_held_event("skip-no-type").await;

    let (status, answer) = resolve_raw(&base, id, None, r#"{"skip":"duplicate order"}"#).await;
    assert_eq!(status, 415, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("Content-Type: application/json")
    );
    let (status, answer) = resolve_raw(
        &base,
        id,
        Some("text/plain"),
        r#"{"skip":"duplicate order"}"#,
    )
    .await;
    assert_eq!(status, 415, "{answer}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        service.inbox().get(id).unwrap().unwrap().status,
        Status::Review
    );
    assert_eq!(ledger.requests(), 0, "nothing posted");

    let (status, answer) = resolve_raw(
        &base,
        id,
        Some("application/json"),
        r#"{"skip":"duplicate order"}"#,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let row = service.inbox().get(id).unwrap().unwrap();
    assert_eq!(row.status, Status::Skipped);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ledger.requests(), 0, "a skip posts nothing");
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn no_body_posts_as_is_and_a_bad_body_changes_nothing() {
    let (ledger, service, base, id) = serve_with_held_event("resolve-empty").await;

    for not_a_reason in [r#"{"skip": 3}"#, r#"{"skip": null}"#] {
        let (status, answer) = resolve_raw(&base, id, Some("application/json"), not_a_reason).await;
        assert_eq!(status, 422, "{not_a_reason}: {answer}");
        assert_eq!(
            answer["error"],
            "`skip` must be the reason, as text: send {\"resolution\": {...}} or {\"skip\": \"why\"}; nothing was changed"
        );
    }
    let (status, answer) = resolve_raw(
        &base,
        id,
        Some("application/json"),
        r#"{"skip": "x", "resolution": {}}"#,
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(
        service.inbox().get(id).unwrap().unwrap().status,
        Status::Review
    );

    let (status, answer) = resolve_raw(&base, id, None, "").await;
    assert_eq!(status, 200, "{answer}");
    wait_settled(service.inbox(), 1, &[Status::Done], SETTLE).await;
    assert_eq!(ledger.entries().len(), 1);
    assert_eq!(ledger.entries()[0].body["resolution"], json!({}));
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_error_answer_is_json() {
    let (_ledger, service, base, _id) = serve_with_held_event("json-errors").await;

    let (status, answer) = admin(
        &base,
        "GET",
        "/admin/events/not-a-number",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|text| !text.is_empty()),
        "{answer}"
    );
    let (status, answer) = admin(
        &base,
        "GET",
        "/admin/events?limit=lots",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(answer["error"].is_string(), "{answer}");
    let (status, answer) = admin(&base, "GET", "/admin/events", None, None).await;
    assert_eq!(status, 401);
    assert!(answer["error"].is_string(), "{answer}");
    service.shutdown().await.unwrap();
}
