//! The admin HTTP API (JSON), the same operations as the CLI: list and show events, replay,
//! review, ping a connection, counts by status, and the plugin lifecycle (list, install a
//! component sent as the request body, roll back). Every route needs
//! `Authorization: Bearer <token>` with the configured `[admin] token`; without one configured the
//! API is not served at all.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connection::Secret;
use crate::flow::diagnose;
use crate::flow::inbox::{EventFilter, OpsError, Resolution};
use crate::flow::plugins::Installed;
use crate::flow::shared::Shared;
use crate::flow::status::Status;

pub(crate) fn routes(token: Secret) -> Router<Arc<Shared>> {
    Router::new()
        .route("/admin/status", get(status))
        .route("/admin/events", get(list))
        .route("/admin/events/{id}", get(show))
        .route("/admin/events/{id}/replay", post(replay))
        .route("/admin/replay-failed", post(replay_failed))
        .route("/admin/review", get(review_list))
        .route("/admin/review/{id}/resolve", post(resolve))
        .route("/admin/connections/{name}/ping", get(ping))
        .route(
            "/admin/plugins",
            get(plugin_list).post(plugin_install.layer(DefaultBodyLimit::max(MAX_COMPONENT))),
        )
        .route("/admin/plugins/{name}/rollback", post(plugin_rollback))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let token = token.clone();
            async move {
                let presented = request
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.strip_prefix("Bearer "));
                match presented
                    .is_some_and(|presented| same(presented.as_bytes(), token.expose().as_bytes()))
                {
                    true => next.run(request).await,
                    false => error(
                        StatusCode::UNAUTHORIZED,
                        "send `Authorization: Bearer <admin token>`",
                    ),
                }
            }
        }))
}

/// Compares in time independent of where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

type SharedState = State<Arc<Shared>>;

async fn status(State(shared): SharedState) -> Response {
    let counts = shared
        .inbox
        .run(|inbox| inbox.counts().map_err(OpsError::from))
        .await;
    answer(counts.map(|counts| {
        counts
            .into_iter()
            .map(|(status, count)| (status.to_string(), json!(count)))
            .collect::<serde_json::Map<_, _>>()
    }))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    flow: Option<String>,
    since: Option<String>,
    limit: Option<usize>,
}

async fn list(State(shared): SharedState, Query(query): Query<ListQuery>) -> Response {
    let status = match query
        .status
        .as_deref()
        .map(str::parse::<Status>)
        .transpose()
    {
        Ok(status) => status,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let since = match query
        .since
        .as_deref()
        .map(|since| crate::flow::parse_since(since, shared.now()))
        .transpose()
    {
        Ok(since) => since,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let filter = EventFilter {
        status,
        flow: query.flow,
        since,
        limit: query.limit.unwrap_or(0),
    };
    answer(
        shared
            .inbox
            .run(move |inbox| inbox.list(&filter).map_err(OpsError::from))
            .await,
    )
}

async fn show(State(shared): SharedState, Path(id): Path<i64>) -> Response {
    answer(shared.inbox.run(move |inbox| inbox.show(id)).await)
}

async fn replay(State(shared): SharedState, Path(id): Path<i64>) -> Response {
    let now = shared.now();
    let replayed = shared.inbox.run(move |inbox| inbox.replay(id, now)).await;
    shared.work.notify_one();
    answer(replayed)
}

async fn replay_failed(State(shared): SharedState) -> Response {
    let now = shared.now();
    let replayed = shared
        .inbox
        .run(move |inbox| inbox.replay_failed(now))
        .await;
    shared.work.notify_one();
    answer(replayed.map(|ids| json!({ "replayed": ids })))
}

async fn review_list(State(shared): SharedState) -> Response {
    let filter = EventFilter {
        status: Some(Status::Review),
        ..EventFilter::default()
    };
    answer(
        shared
            .inbox
            .run(move |inbox| inbox.list(&filter).map_err(OpsError::from))
            .await,
    )
}

/// `{"resolution": <JSON for the mapping>}` posts it; `{"skip": "why"}` does not.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    resolution: Option<Value>,
    skip: Option<String>,
}

/// The decision in a resolve request. No body at all is `{}` (post as is); any other body must be
/// JSON and say so in its `Content-Type`, so a skip can never be read as a post.
fn resolution(headers: &HeaderMap, body: &[u8]) -> Result<Resolution, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Resolution::Post(json!({})));
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        });
    if !json {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the decision as JSON with `Content-Type: application/json`: \
             {\"resolution\": {...}} or {\"skip\": \"why\"}; nothing was changed",
        ));
    }
    let parsed: ResolveBody = serde_json::from_slice(body).map_err(|why| {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!(
                "the body must be {{\"resolution\": {{...}}}} or {{\"skip\": \"why\"}} ({why}); \
                 nothing was changed"
            ),
        )
    })?;
    match parsed {
        ResolveBody {
            skip: Some(why),
            resolution: None,
        } => Ok(Resolution::Skip(why)),
        ResolveBody {
            resolution,
            skip: None,
        } => Ok(Resolution::Post(resolution.unwrap_or_else(|| json!({})))),
        ResolveBody { .. } => Err(error(
            StatusCode::BAD_REQUEST,
            "give either `resolution` or `skip`, not both; nothing was changed",
        )),
    }
}

async fn resolve(
    State(shared): SharedState,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let resolution = match resolution(&headers, &body) {
        Ok(resolution) => resolution,
        Err(refused) => return refused,
    };
    let now = shared.now();
    let resolved = shared
        .inbox
        .run(move |inbox| inbox.resolve(id, &resolution, now))
        .await;
    shared.work.notify_one();
    answer(resolved)
}

async fn ping(State(shared): SharedState, Path(name): Path<String>) -> Response {
    match shared.connector(&name) {
        Ok(connector) => Json(diagnose::ping(&connector).await).into_response(),
        Err(why) => error(StatusCode::NOT_FOUND, &why.to_string()),
    }
}

/// The largest component the API takes.
const MAX_COMPONENT: usize = 64 << 20;

/// What this service serves now, and every installed version.
async fn plugin_list(State(shared): SharedState) -> Response {
    match shared.store.versions() {
        Ok(installed) => Json(json!({ "serving": shared.host.plugins(), "installed": installed }))
            .into_response(),
        Err(why) => error(StatusCode::SERVICE_UNAVAILABLE, &format!("{why:#}")),
    }
}

/// The request body is the component (`application/wasm`).
async fn plugin_install(State(shared): SharedState, component: Bytes) -> Response {
    if component.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "send the component as the request body (Content-Type: application/wasm)",
        );
    }
    lifecycle(shared.install_plugin(&component, "admin api").await)
}

async fn plugin_rollback(State(shared): SharedState, Path(name): Path<String>) -> Response {
    lifecycle(shared.rollback_plugin(&name).await)
}

/// An install or rollback: what is active now, or why nothing changed.
fn lifecycle(result: anyhow::Result<Installed>) -> Response {
    match result {
        Ok(installed) => Json(installed).into_response(),
        Err(why) => error(StatusCode::UNPROCESSABLE_ENTITY, &format!("{why:#}")),
    }
}

fn answer<T: serde::Serialize>(result: Result<T, OpsError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(OpsError::NotFound(id)) => {
            error(StatusCode::NOT_FOUND, &OpsError::NotFound(id).to_string())
        }
        Err(wrong @ OpsError::WrongState { .. }) => error(StatusCode::CONFLICT, &wrong.to_string()),
        Err(OpsError::Inbox(why)) => error(StatusCode::SERVICE_UNAVAILABLE, &why.to_string()),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The longest error text [`json_errors`] reads from a response it rewrites.
const ERROR_TEXT_BYTES: usize = 16 << 10;

/// Every error answer as `{"error": …}`: an answer that is not JSON already (axum's own
/// rejections of a path, a query or a body that is too large) gets its text wrapped, its status
/// and other headers kept.
pub(crate) async fn json_errors(response: Response) -> Response {
    let failed = response.status().is_client_error() || response.status().is_server_error();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !failed || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, ERROR_TEXT_BYTES)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match text.trim() {
        "" => parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_owned(),
        text => text.to_owned(),
    };
    let body = serde_json::to_vec(&json!({ "error": message })).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(body))
}
