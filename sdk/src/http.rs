//! Outbound HTTP through the host (connector world only): a request builder, the raw [`send`], and
//! checked helpers that turn transport errors and error statuses into [`PluginError`]s:
//!
//! | outcome | error |
//! | --- | --- |
//! | denied by the allowlist, invalid request, response too large | `Rejected` |
//! | timeout, connection failure, 5xx, 408 | `Transient` |
//! | 429, or 503 with `Retry-After` | `RateLimited` (`Retry-After` seconds or date; else 60 s) |
//! | 401, 403 | `Auth` |
//! | any other non-2xx | `Rejected` with the status as code and the start of the body |

use std::fmt;

use chrono::DateTime;
use serde::{Serialize, de::DeserializeOwned};

use crate::{PluginError, clock, sys};

/// The wait assumed when a rate-limited response has no usable `Retry-After`.
const DEFAULT_RETRY_AFTER_MS: u64 = 60_000;
/// How much of an error response's body goes into the error message.
const ERROR_BODY_EXCERPT: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
}

/// An outbound request; build it with [`Request::get`], [`Request::post`], ... and the setters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// Absolute URL; its `scheme://host:port` must be on the connection's allowlist.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Per-request timeout; the host caps it at the connection's maximum.
    pub timeout_ms: Option<u32>,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: None,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::Put, url)
    }

    pub fn patch(url: impl Into<String>) -> Self {
        Self::new(Method::Patch, url)
    }

    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// Adds a header (repeated names are kept).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Serialises `body` as the JSON body and sets `content-type: application/json`.
    pub fn json(self, body: &impl Serialize) -> Result<Self, PluginError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|error| PluginError::rejected(format!("cannot serialise JSON: {error}")))?;
        Ok(self.header("content-type", "application/json").body(bytes))
    }

    /// Sets an XML body and `content-type: application/xml`.
    pub fn xml(self, document: impl Into<String>) -> Self {
        self.header("content-type", "application/xml")
            .body(document.into().into_bytes())
    }

    pub fn timeout_ms(mut self, milliseconds: u32) -> Self {
        self.timeout_ms = Some(milliseconds);
        self
    }

    /// The first header named `name` (case-insensitive).
    pub fn find_header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; a body that does not parse is transient (often a proxy's page).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            PluginError::transient(format!(
                "HTTP {} response is not the expected JSON: {error}",
                self.status
            ))
        })
    }

    /// The response if its status is 2xx, else the error the table in the module doc gives.
    pub fn error_for_status(self) -> Result<Self, PluginError> {
        if self.is_success() {
            return Ok(self);
        }
        let message = format!("HTTP {}: {}", self.status, self.body_excerpt());
        let retry_after = self.retry_after_ms();
        Err(match (self.status, retry_after) {
            (429, wait) => PluginError::RateLimited {
                retry_after_ms: wait.unwrap_or(DEFAULT_RETRY_AFTER_MS),
                message,
            },
            (503, Some(wait)) => PluginError::RateLimited {
                retry_after_ms: wait,
                message,
            },
            (401 | 403, _) => PluginError::Auth(message),
            (408 | 500..=599, _) => PluginError::Transient(message),
            (status, _) => PluginError::rejected_with_code(status.to_string(), message),
        })
    }

    /// `Retry-After` in milliseconds: delay-seconds, or an HTTP date measured on the host clock.
    pub fn retry_after_ms(&self) -> Option<u64> {
        let value = self.header("retry-after")?.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(seconds.saturating_mul(1000));
        }
        let at = DateTime::parse_from_rfc2822(value).ok()?;
        let wait = at.timestamp_millis() - clock::now().timestamp_millis();
        Some(u64::try_from(wait).unwrap_or(0))
    }

    fn body_excerpt(&self) -> String {
        let text = self.text();
        match text.char_indices().nth(ERROR_BODY_EXCERPT) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text,
        }
    }
}

/// Why the host produced no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The target is not on the connection's allowlist. Nothing left the machine.
    Denied(String),
    /// Bad URL or header. Nothing left the machine.
    InvalidRequest(String),
    /// No response within the timeout. The request may have reached the server.
    Timeout(String),
    /// DNS, connect, TLS or reset errors. The request may have reached the server.
    Connection(String),
    /// The response exceeded the host's size cap (in bytes). The request reached the server.
    ResponseTooLarge(u64),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Denied(message) => write!(f, "request denied by the host: {message}"),
            Self::InvalidRequest(message) => write!(f, "invalid request: {message}"),
            Self::Timeout(message) => write!(f, "request timed out: {message}"),
            Self::Connection(message) => write!(f, "connection failed: {message}"),
            Self::ResponseTooLarge(cap) => {
                write!(f, "response larger than the host's cap of {cap} bytes")
            }
        }
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for PluginError {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Timeout(_) | HttpError::Connection(_) => {
                PluginError::Transient(error.to_string())
            }
            HttpError::Denied(_)
            | HttpError::InvalidRequest(_)
            | HttpError::ResponseTooLarge(_) => PluginError::rejected(error.to_string()),
        }
    }
}

/// Sends `request` as is: any status is a response.
pub fn send(request: &Request) -> Result<Response, HttpError> {
    sys::http_send(request)
}

/// Sends `request`; transport errors and non-2xx statuses become [`PluginError`]s.
pub fn send_checked(request: &Request) -> Result<Response, PluginError> {
    send(request)?.error_for_status()
}

/// Sends `request` (adding `accept: application/json` unless set) and parses the JSON answer.
pub fn send_json<T: DeserializeOwned>(request: Request) -> Result<T, PluginError> {
    send_checked(&with_accept(request, "application/json"))?.json()
}

/// Sends `request` (adding `accept: application/xml` unless set) and returns the XML text, for
/// [`crate::xml::quick_xml`] to read.
pub fn send_xml(request: Request) -> Result<String, PluginError> {
    Ok(send_checked(&with_accept(request, "application/xml"))?.text())
}

/// The first header named `name` (case-insensitive) in a header list.
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn with_accept(request: Request, media_type: &str) -> Request {
    match request.find_header("accept") {
        Some(_) => request,
        None => request.header("accept", media_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            body: b"nope".to_vec(),
        }
    }

    #[test]
    fn statuses_map_to_typed_errors() {
        assert!(response(204, &[]).error_for_status().is_ok());
        assert_eq!(
            response(429, &[("Retry-After", "7")]).error_for_status(),
            Err(PluginError::RateLimited {
                retry_after_ms: 7000,
                message: "HTTP 429: nope".into()
            })
        );
        assert!(matches!(
            response(401, &[]).error_for_status(),
            Err(PluginError::Auth(_))
        ));
        assert!(matches!(
            response(502, &[]).error_for_status(),
            Err(PluginError::Transient(_))
        ));
        assert_eq!(
            response(422, &[]).error_for_status(),
            Err(PluginError::rejected_with_code("422", "HTTP 422: nope"))
        );
    }

    #[test]
    fn retry_after_date_is_measured_on_the_host_clock() {
        crate::testing::set_now("2015-10-21T07:27:00Z".parse().unwrap());
        let limited = response(503, &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(limited.retry_after_ms(), Some(60_000));
    }

    #[test]
    fn transport_errors_say_whether_to_retry() {
        assert!(matches!(
            PluginError::from(HttpError::Timeout("slow".into())),
            PluginError::Transient(_)
        ));
        assert!(matches!(
            PluginError::from(HttpError::Denied("not allowed".into())),
            PluginError::Rejected { .. }
        ));
    }
}
