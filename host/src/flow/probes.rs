//! The routes a platform polls, beside the webhooks and without a token: `GET /livez` (the
//! process answers), `GET /readyz` (the inbox commits a write, every flow's plugins are loaded, the
//! service is not stopping: 200, else 503, with each check's finding as JSON) and `GET /metrics`
//! (the gauges read from the state refreshed, then the application's recorder's text; see
//! [`crate::metrics`]). None of them shows an event, a body or a secret.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::flow::shared::Shared;
use crate::metrics;

/// How long the readiness probe waits for the inbox's commit.
const WRITE_PROBE_LIMIT: Duration = Duration::from_secs(2);

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/livez", get(live))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_text))
}

async fn live() -> &'static str {
    "ok\n"
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let mut checks = Map::new();
    let store =
        match tokio::time::timeout(WRITE_PROBE_LIMIT, shared.inbox.probe_write(shared.now())).await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!(
                "the inbox did not commit a write within {WRITE_PROBE_LIMIT:?}"
            )),
        };
    checks.insert("store".into(), finding(store));
    checks.insert("plugins".into(), finding(plugins_loaded(&shared)));
    let stopping = match shared.accepting() {
        true => Ok(()),
        false => Err("stopping: no new webhooks are taken".to_owned()),
    };
    checks.insert("accepting".into(), finding(stopping));
    let ready = checks.values().all(|check| check == "ok");
    let status = match ready {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(json!({ "ready": ready, "checks": checks }))).into_response()
}

/// Every flow's source, mapping and sink have a loaded version.
fn plugins_loaded(shared: &Shared) -> Result<(), String> {
    let missing: Vec<String> = shared
        .config
        .flows
        .keys()
        .filter_map(|flow| {
            shared
                .calls(flow)
                .err()
                .map(|error| format!("flow {flow}: {error}"))
        })
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(missing.join("; ")),
    }
}

fn finding(check: Result<(), String>) -> Value {
    match check {
        Ok(()) => json!("ok"),
        Err(problem) => json!(problem),
    }
}

async fn metrics_text(State(shared): State<Arc<Shared>>) -> Response {
    let backlog = shared.inbox.run(|inbox| inbox.backlog()).await;
    let plugins = shared.store.versions().await;
    match (backlog, plugins) {
        (Ok(backlog), Ok(plugins)) => {
            let flows = shared.config.flows.keys().cloned();
            metrics::refresh(flows, &backlog, &plugins, shared.now())
        }
        (Err(error), _) => tracing::warn!(%error, "metrics: cannot read the inbox's backlog"),
        (_, Err(error)) => tracing::warn!(%error, "metrics: cannot read the plugin store"),
    }
    match metrics::render() {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({
                "error": "no metrics recorder: the application embedding the host installs one \
                          and hands its text to mlc_host::metrics::serve_with (`mlc run` does)"
            })),
        )
            .into_response(),
    }
}
