//! Webhook ingress: `POST /webhooks/{connection}[/{rest}]`. The source connector verifies the
//! request and turns it into events; the events for the flows that take their topic are written to
//! the inbox; only then does the sender get its 200. A bad signature is 401, a request the
//! connector cannot read 400, a body over the limit 413, an unknown connection 404, a redelivery
//! 200 with nothing new created, and 503 (with Retry-After) while the host is stopping or the
//! inbox cannot be written, so the sender delivers again later.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;
use serde_json::{Map, json};

use crate::bindings::types::{Event, InboundRequest, VerifyError};
use crate::error::CallError;
use crate::flow::audit::Step;
use crate::flow::inbox::Arrival;
use crate::flow::shared::Shared;
use crate::metrics;

pub(crate) async fn webhook(
    State(shared): State<Arc<Shared>>,
    Path(params): Path<Vec<(String, String)>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let connection = params
        .first()
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    if !shared.accepting() {
        return unavailable("the host is shutting down; deliver again shortly");
    }
    // Only a source's own name, as written (connection names need no percent-encoding), takes
    // webhooks; every other address answers alike, so a caller learns nothing of what exists.
    let prefix = format!("/webhooks/{connection}");
    let is_source = shared
        .config
        .flows
        .values()
        .any(|flow| flow.source == connection);
    let as_written = uri
        .path()
        .strip_prefix(&prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if !is_source || !as_written {
        tracing::debug!(%connection, is_source, as_written, "webhook to no source refused");
        return refuse(
            StatusCode::NOT_FOUND,
            "no webhooks are received at this address".to_owned(),
        );
    }
    let limit = shared.config.server.max_body_bytes;
    let timeout = shared.config.server.body_timeout;
    let body = match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) if too_large(&error) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than the limit of {limit} bytes (server.max_body)"),
            );
        }
        Ok(Err(_)) | Err(_) => {
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                format!("the body did not arrive whole within {timeout:?} (server.body_timeout)"),
            );
        }
    };
    let request = InboundRequest {
        method: method.to_string(),
        path: match uri.path().strip_prefix(&prefix) {
            Some("") | None => "/".to_owned(),
            Some(rest) => rest.to_owned(),
        },
        query: uri.query().unwrap_or_default().to_owned(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    let source = match shared.connector(&connection) {
        Ok(source) => source,
        Err(error) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    };
    let started = shared.now();
    let report = source.verify(&request).await;
    let events = match &report.result {
        Ok(events) => events.clone(),
        Err(CallError::Verify {
            error: VerifyError::Unauthorized(why),
            ..
        }) => {
            tracing::warn!(%connection, %why, "webhook refused: unauthorized");
            return refuse(StatusCode::UNAUTHORIZED, format!("unauthorized: {why}"));
        }
        Err(CallError::Verify {
            error: VerifyError::Malformed(why),
            ..
        }) => {
            return refuse(StatusCode::BAD_REQUEST, format!("malformed: {why}"));
        }
        Err(error) => {
            tracing::error!(%connection, %error, "webhook verification failed");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("verification failed: {error}"),
            );
        }
    };
    let mut ignored = Vec::new();
    let mut entries: Vec<(String, Event)> = Vec::new();
    for event in events {
        let flows: Vec<String> = shared
            .config
            .flows_for(&connection, &event.topic)
            .map(|flow| flow.name.clone())
            .collect();
        if flows.is_empty() {
            ignored.push(json!({ "key": event.key, "topic": event.topic }));
        }
        entries.extend(flows.into_iter().map(|flow| (flow, event.clone())));
    }
    let detail = Map::from_iter([
        ("arrival".into(), json!("webhook")),
        ("request_bytes".into(), json!(request.body.len())),
    ]);
    let step = Step::call(0, "received", source.plugin(), started, &report, detail);
    let now = shared.now();
    let stored = shared
        .inbox
        .receive(connection.clone(), Arrival::Webhook, entries, step, now)
        .await;
    let receipts = match stored {
        Ok(receipts) => receipts,
        Err(error) => {
            tracing::error!(%connection, %error, "cannot store webhook events");
            return unavailable("the inbox cannot be written right now; deliver again shortly");
        }
    };
    let (duplicates, accepted): (Vec<_>, Vec<_>) =
        receipts.into_iter().partition(|receipt| receipt.duplicate);
    metrics::events_received(&accepted);
    if !accepted.is_empty() {
        shared.work.notify_one();
    }
    Json(json!({ "accepted": accepted, "duplicates": duplicates, "ignored": ignored }))
        .into_response()
}

/// Whether reading a body failed because it passed the size limit.
fn too_large(error: &axum::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.is::<LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn unavailable(message: &str) -> Response {
    let mut response = refuse(StatusCode::SERVICE_UNAVAILABLE, message.to_owned());
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    response
}
