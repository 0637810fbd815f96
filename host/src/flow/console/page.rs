//! What every console page shares: rendering a template into an answer, the error page, where
//! the console is mounted, the vendored static files, and the small formatting helpers the
//! templates call.

use std::time::Duration;

use askama::Template;
use axum::RequestPartsExt;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::flow::inbox::OpsError;
use crate::redact::clip;

/// htmx 2.0.11 (npm `htmx.org`, Zero-Clause BSD), unmodified.
const HTMX: &str = include_str!("static/htmx-2.0.11.min.js");
const STYLESHEET: &str = include_str!("static/console.css");

/// Where the console's routes are mounted: empty at the root, `/ops` when an application nests
/// them there.
#[derive(Debug, Clone)]
pub(super) struct Base(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let OriginalUri(original) = parts.extract::<OriginalUri>().await?;
        let prefix = original
            .path()
            .strip_suffix(parts.uri.path())
            .unwrap_or_default();
        Ok(Base(prefix.to_owned()))
    }
}

/// `template` as an HTML answer; a template that cannot render is a 500 that says so.
pub(super) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "console: a page did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the console could not render this page; the log says why",
            )
                .into_response()
        }
    }
}

/// A refusal or a failure, shown as a page with its status.
#[derive(Debug, Template)]
#[template(path = "failure.html")]
pub(super) struct Failure {
    base: String,
    status: StatusCode,
    message: String,
}

impl Failure {
    pub fn new(base: &str, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            base: base.to_owned(),
            status,
            message: message.into(),
        }
    }

    /// An inbox operation's refusal: no such event (404), the wrong state (409), or the
    /// database (503).
    pub fn ops(base: &str, error: OpsError) -> Self {
        let status = match &error {
            OpsError::NotFound(_) => StatusCode::NOT_FOUND,
            OpsError::WrongState { .. } => StatusCode::CONFLICT,
            OpsError::Inbox(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(base, status, error.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.status, render(&self)).into_response()
    }
}

pub(super) async fn htmx() -> Response {
    static_file(HTMX, "text/javascript; charset=utf-8")
}

pub(super) async fn stylesheet() -> Response {
    static_file(STYLESHEET, "text/css; charset=utf-8")
}

fn static_file(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// At most `max` bytes of `text`, cut as the audit trail cuts bodies ([`clip`]: on a character
/// boundary, with the whole size noted).
pub(super) fn excerpt(text: &str, max: usize) -> String {
    clip(text.to_owned(), max, text.len())
}

/// A time as the console shows it: UTC, to the second.
pub(super) fn when(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A duration as people read it: `850 µs`, `12.3 ms`, `4.2 s`.
pub(super) fn took(duration: Duration) -> String {
    let micros = duration.as_micros();
    match micros {
        0..1_000 => format!("{micros} µs"),
        1_000..1_000_000 => format!("{:.1} ms", micros as f64 / 1e3),
        _ => format!("{:.1} s", micros as f64 / 1e6),
    }
}
