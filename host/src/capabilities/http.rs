//! `http`: the only way out of the sandbox. Before a request leaves, its origin must be on the
//! connection's allowlist; it runs with the call's timeout, never follows redirects (a redirect
//! could lead off the allowlist: the connector sees the 3xx and decides), and its response body is
//! read only up to the size cap. Every request is written to the call's trace and the host log with
//! the connection's secrets redacted.

use std::time::{Duration, Instant};

use url::Url;

use crate::bindings::http::{Error, Host, Method, Request, Response};
use crate::connection::Origin;
use crate::sandbox::CallState;
use crate::trace::HttpExchange;

impl Host for CallState {
    async fn send(&mut self, request: Request) -> wasmtime::Result<Result<Response, Error>> {
        let started = Instant::now();
        let method = method_name(request.method);
        let url = self.redactor.redact(&request.url);
        let request_bytes = request.body.len() as u64;
        let body_cap = self.limits.trace_body_bytes;
        let request_body = self.redactor.excerpt(&request.body, body_cap);
        let outcome = match self.prepare(request) {
            Ok(outbound) => outbound.send().await,
            Err(refused) => Err(refused),
        };
        let waited = started.elapsed();
        self.cpu.exclude(waited);

        let (status, error, response_bytes, response_body) = match &outcome {
            Ok(response) => (
                Some(response.status),
                None,
                response.body.len() as u64,
                self.redactor.excerpt(&response.body, body_cap),
            ),
            Err(error) => (
                None,
                Some(self.redactor.redact(&describe(error))),
                0,
                String::new(),
            ),
        };
        tracing::debug!(
            plugin = %self.plugin,
            connection = self.connection().map_or("", |c| c.name()),
            method, %url, ?status, error = error.as_deref().unwrap_or(""),
            duration_ms = waited.as_millis() as u64,
            "outbound request"
        );
        self.trace.http(HttpExchange {
            method: method.to_owned(),
            url,
            status,
            error,
            duration: waited,
            request_bytes,
            response_bytes,
            request_body,
            response_body,
        });
        Ok(outcome)
    }
}

impl CallState {
    /// Checks the request against the URL rules and the allowlist and builds it; nothing is sent.
    fn prepare(&self, request: Request) -> Result<Outbound, Error> {
        let url = Url::parse(&request.url)
            .map_err(|error| Error::InvalidRequest(format!("bad URL: {error}")))?;
        let origin = Origin::of(&url).ok_or_else(|| {
            Error::InvalidRequest("only http and https URLs can be requested".into())
        })?;
        let connection = self
            .connection()
            .ok_or_else(|| Error::Denied("this plugin has no connection".into()))?;
        if !connection.allows(&origin) {
            let allowed: Vec<String> = connection
                .allowlist()
                .iter()
                .map(Origin::to_string)
                .collect();
            return Err(Error::Denied(format!(
                "{origin} is not on the allowlist of connection `{}` (allowed: {})",
                connection.name(),
                match allowed.is_empty() {
                    true => "none".to_owned(),
                    false => allowed.join(", "),
                }
            )));
        }
        let timeout = self.timeout(request.timeout_ms);
        let mut builder = self
            .services
            .http
            .request(reqwest_method(request.method), url)
            .timeout(timeout)
            .body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        Ok(Outbound {
            builder,
            timeout,
            body_cap: self.limits.http_response_bytes,
        })
    }

    /// The plugin's timeout, capped by the host's HTTP limit and by what is left of the call.
    fn timeout(&self, requested_ms: Option<u32>) -> Duration {
        let cap = self.limits.http_timeout.min(self.wall_time_left());
        requested_ms.map_or(cap, |ms| Duration::from_millis(ms.into()).min(cap))
    }
}

/// A request that passed the checks, ready to go.
struct Outbound {
    builder: reqwest::RequestBuilder,
    timeout: Duration,
    body_cap: u64,
}

impl Outbound {
    async fn send(self) -> Result<Response, Error> {
        let timeout = self.timeout;
        let mut response = self
            .builder
            .send()
            .await
            .map_err(|error| transport_error(&error, timeout))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        if response
            .content_length()
            .is_some_and(|length| length > self.body_cap)
        {
            return Err(Error::ResponseTooLarge(self.body_cap));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| transport_error(&error, timeout))?
        {
            if body.len() as u64 + chunk.len() as u64 > self.body_cap {
                return Err(Error::ResponseTooLarge(self.body_cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn transport_error(error: &reqwest::Error, timeout: Duration) -> Error {
    let message = error_chain(error);
    if error.is_timeout() {
        Error::Timeout(format!("no response within {timeout:?}: {message}"))
    } else if error.is_builder() {
        Error::InvalidRequest(message)
    } else {
        Error::Connection(message)
    }
}

/// reqwest's top-level message hides the cause ("error sending request"); keep the chain.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn describe(error: &Error) -> String {
    match error {
        Error::Denied(message) => format!("denied: {message}"),
        Error::InvalidRequest(message) => format!("invalid request: {message}"),
        Error::Timeout(message) => format!("timeout: {message}"),
        Error::Connection(message) => format!("connection: {message}"),
        Error::ResponseTooLarge(cap) => format!("response larger than {cap} bytes"),
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}

fn reqwest_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
        Method::Head => reqwest::Method::HEAD,
    }
}
