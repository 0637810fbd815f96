//! The host's way out: every HTTP request a connector makes, once the `http` capability has checked
//! it against the connection's allowlist and capped its time, goes through an [`OutboundHttp`].
//! The host uses [`ReqwestHttp`] unless an embedder sets another with
//! [`HostBuilder::outbound_http`](crate::HostBuilder::outbound_http): a recorder, a replayer of
//! recorded answers, a test double, a proxy. The trait sees only what the sandbox already
//! allowed, and its answers go back to the plugin through the same tracing and redaction.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context;
use url::Url;

use crate::bindings::http::Method;

/// A request the sandbox allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// [`crate::types::HttpMethod`].
    pub method: Method,
    /// An http or https URL on the connection's allowlist.
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The longest the request may take: the plugin's wish capped by the host's limits.
    pub timeout: Duration,
    /// The largest response body to accept; a larger one is [`OutboundError::ResponseTooLarge`].
    pub max_response_bytes: u64,
}

/// A response, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("timeout: {0}")]
    Timeout(String),
    #[error("connection: {0}")]
    Connection(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("response larger than {0} bytes")]
    ResponseTooLarge(u64),
}

/// The future of one request.
pub type OutboundFuture<'a> =
    Pin<Box<dyn Future<Output = Result<OutboundResponse, OutboundError>> + Send + 'a>>;

/// Sends the requests plugins make. It must not follow redirects (a redirect could lead off the
/// allowlist: the connector sees the 3xx and decides) and must honour the request's timeout and
/// response cap.
pub trait OutboundHttp: Send + Sync + 'static {
    fn send(&self, request: OutboundRequest) -> OutboundFuture<'_>;
}

/// The default transport: reqwest with rustls, no redirects, the response read only up to its cap.
pub struct ReqwestHttp {
    client: reqwest::Client,
}

impl ReqwestHttp {
    pub fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ml-connector/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(Self { client })
    }
}

impl OutboundHttp for ReqwestHttp {
    fn send(&self, request: OutboundRequest) -> OutboundFuture<'_> {
        Box::pin(async move {
            let timeout = request.timeout;
            let mut builder = self
                .client
                .request(reqwest_method(request.method), request.url)
                .timeout(timeout)
                .body(request.body);
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            let mut response = builder
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
            let cap = request.max_response_bytes;
            if response.content_length().is_some_and(|length| length > cap) {
                return Err(OutboundError::ResponseTooLarge(cap));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| transport_error(&error, timeout))?
            {
                if body.len() as u64 + chunk.len() as u64 > cap {
                    return Err(OutboundError::ResponseTooLarge(cap));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(OutboundResponse {
                status,
                headers,
                body,
            })
        })
    }
}

fn transport_error(error: &reqwest::Error, timeout: Duration) -> OutboundError {
    let message = error_chain(error);
    if error.is_timeout() {
        OutboundError::Timeout(format!("no response within {timeout:?}: {message}"))
    } else if error.is_builder() {
        OutboundError::InvalidRequest(message)
    } else {
        OutboundError::Connection(message)
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
