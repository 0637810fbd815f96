//! The events pages: the list (filters by flow, status, topic, time and text in the reference;
//! keyset paging by id, so a page costs the same at the 100,000th event as at the first), one
//! event's step timeline (each step's plugin name, version and hash; each request's status,
//! duration and its redacted, truncated bodies), and replaying one event.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use super::page::{Failure, excerpt, render, took, when};
use super::session::{CsrfOnly, Operator};
use crate::flow::audit::Step;
use crate::flow::inbox::{EventFilter, EventRow, OpsError};
use crate::flow::shared::Shared;
use crate::flow::status::Status;

/// Events a page lists.
const PAGE: usize = 50;
/// The longest body or payload excerpt a page shows, in bytes.
const BODY_BYTES: usize = 2000;

/// The filter as the forms and links carry it: text fields, empty when unset.
#[derive(Debug, Clone, Default)]
pub(super) struct FilterForm {
    pub flow: String,
    pub status: String,
    pub topic: String,
    pub text: String,
    pub since: String,
}

impl FilterForm {
    /// The filter fields among a query's or a form's pairs; other names are left to the caller.
    pub fn read<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            let field = match name {
                "flow" => &mut form.flow,
                "status" => &mut form.status,
                "topic" => &mut form.topic,
                "text" => &mut form.text,
                "since" => &mut form.since,
                _ => continue,
            };
            *field = value.trim().to_owned();
        }
        form
    }

    /// The inbox's filter, or what is wrong with a field.
    pub fn filter(&self, shared: &Shared) -> Result<EventFilter, String> {
        let given = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        let status = given(&self.status)
            .map(|status| status.parse::<Status>())
            .transpose()?;
        let since = given(&self.since)
            .map(|since| crate::flow::parse_since(&since, shared.now()))
            .transpose()?;
        Ok(EventFilter {
            status,
            flow: given(&self.flow),
            topic: given(&self.topic),
            text: given(&self.text),
            since,
            ..EventFilter::default()
        })
    }

    /// The filter as a query string, for links that keep it.
    pub fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                [
                    ("flow", &self.flow),
                    ("status", &self.status),
                    ("topic", &self.topic),
                    ("text", &self.text),
                    ("since", &self.since),
                ]
                .into_iter()
                .filter(|(_, value)| !value.is_empty()),
            )
            .finish()
    }
}

/// A query's pairs, decoded.
pub(super) fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// One event as a line of a list.
pub(super) struct EventLine {
    pub id: i64,
    pub flow: String,
    pub topic: String,
    pub reference: String,
    pub status: Status,
    pub attempts: u32,
    pub received: String,
    pub error: String,
}

impl EventLine {
    pub fn of(row: &EventRow) -> Self {
        let error = row
            .last_error
            .as_deref()
            .or(row.review_reason.as_deref())
            .unwrap_or_default();
        Self {
            id: row.id,
            flow: row.flow.clone(),
            topic: row.topic.clone(),
            reference: row.reference.clone(),
            status: row.status,
            attempts: row.attempts,
            received: when(&row.received_at),
            error: excerpt(error, 160),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "events.html")]
struct EventsPage {
    op: Operator,
    form: FilterForm,
    flows: Vec<String>,
    statuses: Vec<&'static str>,
    lines: Vec<EventLine>,
    /// The query of the next, older page.
    older: Option<String>,
    /// Whether this page starts below the newest event.
    paged: bool,
    problem: Option<String>,
    query_took: String,
}

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let pairs = pairs(query.as_deref());
    let form = FilterForm::read(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let before = pairs
        .iter()
        .find(|(name, _)| name == "before")
        .and_then(|(_, value)| value.parse::<i64>().ok());
    let mut page = EventsPage {
        op: op.clone(),
        form: form.clone(),
        flows: shared.config.flows.keys().cloned().collect(),
        statuses: Status::ALL.iter().map(|status| status.as_str()).collect(),
        lines: Vec::new(),
        older: None,
        paged: before.is_some(),
        problem: None,
        query_took: String::new(),
    };
    let mut filter = match form.filter(&shared) {
        Ok(filter) => filter,
        Err(problem) => {
            page.problem = Some(problem);
            return Ok((StatusCode::BAD_REQUEST, render(&page)).into_response());
        }
    };
    filter.before = before;
    filter.limit = PAGE + 1;
    let started = Instant::now();
    let mut rows = shared
        .inbox
        .run(move |inbox| inbox.list(&filter).map_err(OpsError::from))
        .await
        .map_err(|error| Failure::ops(&op.base, error))?;
    page.query_took = took(started.elapsed());
    if rows.len() > PAGE {
        rows.truncate(PAGE);
        let last = rows.last().map_or(0, |row| row.id);
        let mut query = form.query();
        if !query.is_empty() {
            query.push('&');
        }
        page.older = Some(format!("{query}before={last}"));
    }
    page.lines = rows.iter().map(EventLine::of).collect();
    Ok(render(&page))
}

/// One step of the timeline.
struct StepView {
    attempt: u32,
    name: String,
    /// `name version`, for a plugin's step.
    plugin: Option<String>,
    hash: String,
    started: String,
    took: String,
    ok: bool,
    message: String,
    requests: Vec<RequestView>,
    logs: Vec<String>,
    /// The rest of the step's detail (commands, ids), as JSON.
    other: Option<String>,
}

struct RequestView {
    method: String,
    url: String,
    status: String,
    took: String,
    request_body: Option<String>,
    response_body: Option<String>,
}

impl StepView {
    fn of(step: &Step) -> Self {
        let mut detail = match &step.detail {
            Value::Object(detail) => detail.clone(),
            _ => serde_json::Map::new(),
        };
        let requests = match detail.remove("requests") {
            Some(Value::Array(requests)) => requests.iter().map(RequestView::of).collect(),
            _ => Vec::new(),
        };
        let logs = match detail.remove("logs") {
            Some(Value::Array(logs)) => logs.iter().map(log_line).collect(),
            _ => Vec::new(),
        };
        detail.remove("plugin_time_us");
        let other = (!detail.is_empty()).then(|| {
            excerpt(
                &serde_json::to_string_pretty(&detail).unwrap_or_default(),
                BODY_BYTES,
            )
        });
        Self {
            attempt: step.attempt,
            name: step.name.clone(),
            plugin: step.plugin.as_ref().map(|plugin| {
                format!("{plugin} {}", step.plugin_version.as_deref().unwrap_or("?"))
            }),
            hash: step.plugin_hash.clone().unwrap_or_default(),
            started: when(&step.started_at),
            took: took(step.duration),
            ok: step.ok,
            message: step.message.clone().unwrap_or_default(),
            requests,
            logs,
            other,
        }
    }

    /// The first 12 hex digits of the plugin's hash.
    fn short_hash(&self) -> &str {
        &self.hash[..self.hash.len().min(12)]
    }
}

impl RequestView {
    fn of(request: &Value) -> Self {
        let text = |name: &str| {
            request
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let body = |name: &str| {
            request
                .get(name)
                .and_then(Value::as_str)
                .filter(|body| !body.is_empty())
                .map(|body| excerpt(body, BODY_BYTES))
        };
        let status = match (request.get("status").and_then(Value::as_u64), text("error")) {
            (Some(status), _) => status.to_string(),
            (None, "") => "no answer".to_owned(),
            (None, error) => excerpt(error, 200),
        };
        let micros = request
            .get("duration_us")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        Self {
            method: text("method").to_owned(),
            url: text("url").to_owned(),
            status,
            took: took(std::time::Duration::from_micros(micros)),
            request_body: body("request_body"),
            response_body: body("response_body"),
        }
    }
}

fn log_line(record: &Value) -> String {
    let text = |name: &str| record.get(name).and_then(Value::as_str).unwrap_or_default();
    excerpt(&format!("{}: {}", text("level"), text("message")), 300)
}

/// `name version (first 12 hex digits of the hash)`.
fn plugin_label(name: &str, version: &str, hash: &str) -> String {
    format!("{name} {version} ({})", &hash[..hash.len().min(12)])
}

/// The versions a replay of `flow`'s events runs now: the active source, mapping and sink.
pub(super) fn versions_now(shared: &Shared, flow: &str) -> Vec<String> {
    let Some(config) = shared.config.flows.get(flow) else {
        return vec![format!("flow {flow} is no longer in the config")];
    };
    let connector = |connection: &str| {
        shared
            .config
            .connections
            .get(connection)
            .map(|connection| connection.connector.clone())
            .unwrap_or_default()
    };
    let serving = shared.host.plugins();
    [
        connector(&config.source),
        config.mapping.clone(),
        connector(&config.sink),
    ]
    .into_iter()
    .map(
        |name| match serving.iter().find(|plugin| plugin.name == name) {
            Some(plugin) => plugin_label(&name, &plugin.version, &plugin.hash),
            None => format!("{name} (not loaded)"),
        },
    )
    .collect()
}

#[derive(askama::Template)]
#[template(path = "event.html")]
struct EventPage {
    op: Operator,
    line: EventLine,
    key: String,
    connection: String,
    arrival: &'static str,
    occurred_at: String,
    next_attempt: String,
    resolution: String,
    external_ids: Vec<(String, String)>,
    payload: String,
    steps: Vec<StepView>,
    replayable: bool,
    runs_now: Vec<String>,
    ran_last: Vec<String>,
}

pub(super) async fn detail(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    Path(id): Path<i64>,
) -> Result<Response, Failure> {
    let detail = shared
        .inbox
        .run(move |inbox| inbox.show(id))
        .await
        .map_err(|error| Failure::ops(&op.base, error))?;
    let event = &detail.event;
    let last_attempt = detail.steps.iter().map(|step| step.attempt).max();
    let ran_last = detail
        .steps
        .iter()
        .filter(|step| Some(step.attempt) == last_attempt)
        .filter_map(|step| {
            Some(plugin_label(
                step.plugin.as_ref()?,
                step.plugin_version.as_deref().unwrap_or("?"),
                step.plugin_hash.as_deref().unwrap_or_default(),
            ))
        })
        .fold(Vec::new(), |mut seen, plugin| {
            if !seen.contains(&plugin) {
                seen.push(plugin);
            }
            seen
        });
    let page = EventPage {
        op,
        line: EventLine::of(event),
        key: event.key.clone(),
        connection: event.connection.clone(),
        arrival: event.arrival.as_str(),
        occurred_at: event.occurred_at.clone().unwrap_or_default(),
        next_attempt: event.next_attempt_at.as_ref().map(when).unwrap_or_default(),
        resolution: event.resolution.clone().unwrap_or_default(),
        external_ids: event.external_ids.clone(),
        payload: excerpt(event.payload.as_deref().unwrap_or_default(), BODY_BYTES),
        steps: detail.steps.iter().map(StepView::of).collect(),
        replayable: matches!(
            event.status,
            Status::Failed | Status::Done | Status::Skipped
        ),
        runs_now: versions_now(&shared, &event.flow),
        ran_last,
    };
    Ok(render(&page))
}

/// Puts one finished event back to pending, then shows it.
pub(super) async fn replay(
    State(shared): State<Arc<Shared>>,
    op: Operator,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Failure> {
    op.check(&form.csrf)?;
    let (actor, now) = (op.actor(), shared.now());
    shared
        .inbox
        .run(move |inbox| inbox.replay(id, &actor, now))
        .await
        .map_err(|error| Failure::ops(&op.base, error))?;
    shared.work.notify_one();
    Ok(Redirect::to(&format!("{}/ui/events/{id}", op.base)).into_response())
}
