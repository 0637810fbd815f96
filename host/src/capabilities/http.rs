//! `http`: the only way out of the sandbox. Before a request leaves, its origin must be on the
//! connection's allowlist and its time is capped (the plugin's wish, the host's HTTP limit, what is
//! left of the call); then it goes through the host's [`OutboundHttp`], which never follows
//! redirects and reads the response only up to the size cap. Every request is written to the
//! call's trace and the host log with the connection's secrets redacted, and, when the call is
//! taped, whole to its tape.

use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;
use wasmtime::component::{HasData, Linker};

use crate::bindings::http::{self, Error, Host, Method, Request, Response};
use crate::capabilities::scope::CallScope;
use crate::connection::Origin;
use crate::error::to_anyhow;
use crate::outbound::{OutboundError, OutboundHttp, OutboundRequest};
use crate::tape::{Received, TapedExchange};
use crate::trace::HttpExchange;

/// The transport a call's requests go through.
pub(crate) struct HttpState {
    pub outbound: Arc<dyn OutboundHttp>,
}

/// `http` as one call sees it: the transport, under the call's connection and limits.
pub(crate) struct HttpView<'a> {
    pub state: &'a HttpState,
    pub scope: &'a mut CallScope,
}

struct HasHttp;

impl HasData for HasHttp {
    type Data<'a> = HttpView<'a>;
}

pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> HttpView<'_>,
) -> anyhow::Result<()> {
    http::add_to_linker::<T, HasHttp>(linker, view).map_err(to_anyhow)
}

impl Host for HttpView<'_> {
    async fn send(&mut self, request: Request) -> wasmtime::Result<Result<Response, Error>> {
        let started = Instant::now();
        let scope = &mut *self.scope;
        let method = method_name(request.method);
        let url = scope.redactor.redact(&request.url);
        let request_bytes = request.body.len() as u64;
        let body_cap = scope.limits.trace_body_bytes;
        let request_body = scope.redactor.excerpt(&request.body, body_cap);
        let taped_request = scope
            .trace
            .taping()
            .then(|| scope.redactor.whole(&request.body));
        let outcome = match allowed(scope, request) {
            Ok(outbound) => self
                .state
                .outbound
                .send(outbound)
                .await
                .map(|response| Response {
                    status: response.status,
                    headers: response.headers,
                    body: response.body,
                })
                .map_err(wit_error),
            Err(refused) => Err(refused),
        };
        let scope = &mut *self.scope;
        let waited = started.elapsed();
        scope.cpu.exclude(waited);

        let (status, error, response_bytes, response_body) = match &outcome {
            Ok(response) => (
                Some(response.status),
                None,
                response.body.len() as u64,
                scope.redactor.excerpt(&response.body, body_cap),
            ),
            Err(error) => (
                None,
                Some(scope.redactor.redact(&describe(error))),
                0,
                String::new(),
            ),
        };
        tracing::debug!(
            plugin = %scope.plugin,
            connection = scope.connection_name(),
            method, %url, ?status, error = error.as_deref().unwrap_or(""),
            duration_ms = waited.as_millis() as u64,
            "outbound request"
        );
        if let Some(request_body) = taped_request {
            scope.trace.tape(Received::Http(taped(
                scope,
                method,
                &url,
                request_body,
                &outcome,
                error.clone(),
            )));
        }
        scope.trace.http(HttpExchange {
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

/// The whole exchange, redacted, for the call's tape.
fn taped(
    scope: &CallScope,
    method: &str,
    url: &str,
    request_body: String,
    outcome: &Result<Response, Error>,
    error: Option<String>,
) -> TapedExchange {
    let redactor = &scope.redactor;
    let (status, headers, body) = match outcome {
        Ok(response) => (
            Some(response.status),
            response
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), redactor.whole(value.as_bytes())))
                .collect(),
            redactor.whole(&response.body),
        ),
        Err(_) => (None, Vec::new(), String::new()),
    };
    TapedExchange {
        method: method.to_owned(),
        url: url.to_owned(),
        request_body,
        status,
        headers,
        body,
        error,
    }
}

/// Checks the request against the URL rules and the allowlist and caps its time; nothing is sent.
fn allowed(scope: &CallScope, request: Request) -> Result<OutboundRequest, Error> {
    let url = Url::parse(&request.url)
        .map_err(|error| Error::InvalidRequest(format!("bad URL: {error}")))?;
    let origin = Origin::of(&url)
        .ok_or_else(|| Error::InvalidRequest("only http and https URLs can be requested".into()))?;
    let connection = scope
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
    Ok(OutboundRequest {
        method: request.method,
        url,
        headers: request.headers,
        body: request.body,
        timeout: timeout(scope, request.timeout_ms),
        max_response_bytes: scope.limits.http_response_bytes,
    })
}

/// The plugin's timeout, capped by the host's HTTP limit and by what is left of the call.
fn timeout(scope: &CallScope, requested_ms: Option<u32>) -> Duration {
    let cap = scope.limits.http_timeout.min(scope.wall_time_left());
    requested_ms.map_or(cap, |ms| Duration::from_millis(ms.into()).min(cap))
}

fn wit_error(error: OutboundError) -> Error {
    match error {
        OutboundError::Timeout(message) => Error::Timeout(message),
        OutboundError::Connection(message) => Error::Connection(message),
        OutboundError::InvalidRequest(message) => Error::InvalidRequest(message),
        OutboundError::ResponseTooLarge(cap) => Error::ResponseTooLarge(cap),
    }
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

pub(crate) fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}
