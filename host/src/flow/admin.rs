//! The admin HTTP API (JSON), the same operations as the CLI: list and show events, replay,
//! review, ping a connection, counts by status, the plugin lifecycle (list, install a
//! component sent as the request body, roll back), dry-runs of a candidate mapping sent so, and
//! backfills of a flow's source history (started here, run by the host). Every route needs
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
use crate::flow::backfill::{Backfill, Range};
use crate::flow::diagnose;
use crate::flow::dry_run::{Candidate, Selection};
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
        .route(
            "/admin/flows/{flow}/dry-run",
            post(dry_run.layer(DefaultBodyLimit::max(MAX_COMPONENT))),
        )
        .route("/admin/flows/{flow}/backfill", post(backfill_start))
        .route("/admin/backfills", get(backfill_list))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let token = token.clone();
            async move {
                let presented = request
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.strip_prefix("Bearer "));
                match presented.is_some_and(|presented| token.matches(presented)) {
                    true => next.run(request).await,
                    false => error(
                        StatusCode::UNAUTHORIZED,
                        "send `Authorization: Bearer <admin token>`",
                    ),
                }
            }
        }))
}

type SharedState = State<Arc<Shared>>;

/// Who the audit trail says acted, for replays and resolutions through this API.
const ACTOR: &str = "admin api";

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
    topic: Option<String>,
    text: Option<String>,
    since: Option<String>,
    before: Option<i64>,
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
        topic: query.topic,
        text: query.text,
        since,
        before: query.before,
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
    let replayed = shared
        .inbox
        .run(move |inbox| inbox.replay(id, ACTOR, now))
        .await;
    shared.work.notify_one();
    answer(replayed)
}

async fn replay_failed(State(shared): SharedState) -> Response {
    let now = shared.now();
    let replayed = shared
        .inbox
        .run(move |inbox| inbox.replay_failed(ACTOR, now))
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

/// The decision in a resolve request: `{"resolution": <JSON for the mapping>}` posts it,
/// `{"skip": "why"}` does not. No body at all is `{}` (post as is); any other body must be JSON
/// and say so in its `Content-Type`, and a body that names `skip` is a skip or a refusal, never a
/// post (`{"skip": null}` too), so a skip can never be read as a post. A refusal is its status
/// and message.
fn resolution(headers: &HeaderMap, body: &[u8]) -> Result<Resolution, (StatusCode, String)> {
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
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the decision as JSON with `Content-Type: application/json`: \
             {\"resolution\": {...}} or {\"skip\": \"why\"}; nothing was changed"
                .to_owned(),
        ));
    }
    let refused = |status: StatusCode, problem: &str| {
        (
            status,
            format!(
                "{problem}: send {{\"resolution\": {{...}}}} or {{\"skip\": \"why\"}}; nothing \
                 was changed"
            ),
        )
    };
    let parsed: serde_json::Map<String, Value> = serde_json::from_slice(body).map_err(|why| {
        refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("the body is not a JSON object ({why})"),
        )
    })?;
    if let Some(unknown) = parsed
        .keys()
        .find(|key| !matches!(key.as_str(), "resolution" | "skip"))
    {
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("`{unknown}` is not a field of the decision"),
        ));
    }
    match (parsed.get("resolution"), parsed.get("skip")) {
        (None, Some(Value::String(why))) => Ok(Resolution::Skip(why.clone())),
        (None, Some(_)) => Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`skip` must be the reason, as text",
        )),
        (resolution, None) => Ok(Resolution::Post(
            resolution
                .filter(|resolution| !resolution.is_null())
                .cloned()
                .unwrap_or_else(|| json!({})),
        )),
        (Some(_), Some(_)) => Err(refused(
            StatusCode::BAD_REQUEST,
            "give either `resolution` or `skip`, not both",
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
        Err((status, message)) => return error(status, &message),
    };
    let now = shared.now();
    let resolved = shared
        .inbox
        .run(move |inbox| inbox.resolve(id, &resolution, ACTOR, now))
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
    match shared.store.versions().await {
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

#[derive(Deserialize)]
struct DryRunQuery {
    since: Option<String>,
    events: Option<String>,
}

/// Runs the candidate mapping sent as the body over the flow's recorded events.
async fn dry_run(
    State(shared): SharedState,
    Path(flow): Path<String>,
    Query(query): Query<DryRunQuery>,
    candidate: Bytes,
) -> Response {
    if let Some(unknown) = unknown_flow(&shared, &flow) {
        return unknown;
    }
    if candidate.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "send the candidate mapping as the request body (Content-Type: application/wasm)",
        );
    }
    let selection = match Selection::parse(
        query.since.as_deref(),
        query.events.as_deref(),
        shared.now(),
    ) {
        Ok(selection) => selection,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let candidate = Candidate::load(shared.host.clone(), shared.inbox.clone(), &candidate).await;
    let report = match candidate {
        Ok(candidate) => candidate.dry_run(&flow, &selection, |_, _| {}).await,
        Err(why) => Err(why),
    };
    match report {
        Ok(report) => Json(report).into_response(),
        Err(why) => error(StatusCode::UNPROCESSABLE_ENTITY, &format!("{why:#}")),
    }
}

#[derive(Deserialize)]
struct BackfillQuery {
    since: Option<String>,
    until: Option<String>,
}

/// Starts a backfill of the flow's source history on the host, or resumes the unfinished one of
/// the same flow and range: 202 at once, with the backfill it resumes if any; its progress is at
/// `GET /admin/backfills`.
async fn backfill_start(
    State(shared): SharedState,
    Path(flow): Path<String>,
    Query(query): Query<BackfillQuery>,
) -> Response {
    if let Some(unknown) = unknown_flow(&shared, &flow) {
        return unknown;
    }
    let Some(since) = query.since.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "give ?since= (a date, 2026-11-01; an RFC 3339 time; or a duration ago, 30d)",
        );
    };
    let range = match Range::parse(since, query.until.as_deref(), shared.now()) {
        Ok(range) => range,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let backfill = match Backfill::new(
        &shared.config,
        &shared.host,
        shared.inbox.clone(),
        &flow,
        range,
    ) {
        Ok(backfill) => backfill,
        Err(why) => return error(StatusCode::UNPROCESSABLE_ENTITY, &format!("{why:#}")),
    };
    let resumes = match backfill.resumes().await {
        Ok(resumes) => resumes,
        Err(why) => return error(StatusCode::INTERNAL_SERVER_ERROR, &format!("{why:#}")),
    };
    if !shared.backfills.try_start(&flow, range) {
        return error(
            StatusCode::CONFLICT,
            &format!("a backfill of flow {flow:?} is running in this host; see /admin/backfills"),
        );
    }
    let running = shared.clone();
    let name = flow.clone();
    tokio::spawn(async move {
        let ended = backfill.run(|_| running.work.notify_one()).await;
        if let Err(error) = &ended {
            tracing::warn!(flow = %name, error = format!("{error:#}"), "backfill failed");
        }
        running.backfills.finish(&name, &ended);
    });
    (
        StatusCode::ACCEPTED,
        Json(json!({
            "flow": flow,
            "since": range.since,
            "until": range.until,
            "resumes": resumes,
        })),
    )
        .into_response()
}

/// Every stored backfill with its progress, and how the ones this host ran ended.
async fn backfill_list(State(shared): SharedState) -> Response {
    let stored = shared.inbox.run(|inbox| inbox.backfills()).await;
    match stored {
        Ok(stored) => Json(json!({
            "in_this_host": shared.backfills.states(),
            "backfills": stored,
        }))
        .into_response(),
        Err(why) => error(StatusCode::INTERNAL_SERVER_ERROR, &why.to_string()),
    }
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

/// 404 when the config has no flow `flow`.
fn unknown_flow(shared: &Shared, flow: &str) -> Option<Response> {
    (!shared.config.flows.contains_key(flow)).then(|| {
        error(
            StatusCode::NOT_FOUND,
            &format!("no flow {flow:?} in the config"),
        )
    })
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

/// Property tests of the admin API's input: the resolve body under any content type, and the
/// `since` filter. The default case count keeps this to seconds in CI; set `PROPTEST_CASES` to run
/// longer, e.g. `PROPTEST_CASES=20000 cargo test -p ml-connector-host --lib flow::admin`.
#[cfg(test)]
mod properties {
    use chrono::{DateTime, Utc};
    use proptest::collection::{btree_map, vec};
    use proptest::prelude::*;

    use super::*;

    fn headers(content_type: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type.and_then(|text| HeaderValue::from_str(text).ok()) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers
    }

    fn content_type() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop_oneof![
            Just("application/json".to_owned()),
            Just("application/json; charset=utf-8".to_owned()),
            Just("application/problem+json".to_owned()),
            Just("text/plain".to_owned()),
            Just("application/x-www-form-urlencoded".to_owned()),
            any::<String>(),
        ])
    }

    /// JSON a careless or hostile client might send, with the body's own keys likely.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        let key = prop_oneof![
            Just("skip".to_owned()),
            Just("resolution".to_owned()),
            "[a-z]{0,8}",
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Value::Array),
                btree_map(key.clone(), inner, 0..4)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_body_under_any_content_type_is_a_decision_or_a_refusal_that_changes_nothing(
            content_type in content_type(),
            body in vec(any::<u8>(), 0..512),
        ) {
            if let Err((status, message)) = resolution(&headers(content_type.as_deref()), &body) {
                prop_assert!(status.is_client_error());
                prop_assert!(message.ends_with("nothing was changed"), "{message}");
            }
        }

        #[test]
        fn a_body_that_names_skip_never_posts(
            value in json_value(),
            content_type in content_type(),
        ) {
            let body = serde_json::to_vec(&value).expect("JSON serialises");
            let decided = resolution(&headers(content_type.as_deref()), &body);
            let names_skip = value.as_object().is_some_and(|object| object.contains_key("skip"));
            if names_skip {
                prop_assert!(!matches!(decided, Ok(Resolution::Post(_))), "{decided:?}");
            }
            if let Ok(Resolution::Skip(why)) = &decided {
                prop_assert_eq!(Some(why.as_str()), value.get("skip").and_then(Value::as_str));
            }
        }

        #[test]
        fn since_is_a_time_or_a_refusal_and_a_duration_reaches_back(
            text in prop_oneof![any::<String>(), "[0-9]{1,25}(ms|s|m|h|d)", "[0-9]{1,12}d[0-9]{1,12}h"],
        ) {
            let now: DateTime<Utc> = "2026-12-03T10:00:00Z".parse().expect("a time");
            let since = crate::flow::parse_since(&text, now);
            if DateTime::parse_from_rfc3339(&text).is_err()
                && let Ok(since) = since
            {
                prop_assert!(since <= now, "{text} gave {since}");
            }
        }
    }
}
