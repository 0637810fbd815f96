//! `ping` with a diagnosis: runs the connector's own connection test and, when it fails, says in
//! plain words what is wrong and what to change, from the typed error and the requests it made.

use serde::Serialize;

use crate::bindings::types::PluginError;
use crate::call::ConnectorCall;
use crate::error::{CallError, HostErrorKind};
use crate::trace::HttpExchange;

/// The result of a connection test.
#[derive(Debug, Clone, Serialize)]
pub struct PingReport {
    pub connection: String,
    pub plugin: String,
    pub version: String,
    pub ok: bool,
    /// The connector's answer (company, user, shop, ...) when it worked; the error otherwise.
    pub message: String,
    /// What to do about a failure.
    pub advice: Option<String>,
    /// Each request, one line: `GET https://… → 200 (35 ms)`.
    pub requests: Vec<String>,
}

/// Tests `connector`'s connection end to end.
pub async fn ping(connector: &ConnectorCall) -> PingReport {
    let report = connector.ping().await;
    let name = connector.connection().name().to_owned();
    let (ok, message, advice) = match &report.result {
        Ok(answer) => (true, answer.clone(), None),
        Err(error) => (
            false,
            error.to_string(),
            Some(advise(&name, error, &report.http)),
        ),
    };
    PingReport {
        connection: name,
        plugin: connector.plugin().name.clone(),
        version: connector.plugin().version.clone(),
        ok,
        message,
        advice,
        requests: report.http.iter().map(request_line).collect(),
    }
}

fn advise(connection: &str, error: &CallError, requests: &[HttpExchange]) -> String {
    let settings = format!("[connections.{connection}]");
    if let Some(refused) = requests
        .iter()
        .filter_map(|request| request.error.as_deref())
        .find(|error| error.contains("allowlist"))
    {
        return format!(
            "the connector needs an address this connection does not allow ({refused}); \
             fix `base_url` or add the origin to `allow` in {settings}"
        );
    }
    if let Some(unreachable) = requests
        .iter()
        .rev()
        .find(|request| request.status.is_none())
    {
        return format!(
            "{} could not be reached ({}); check `base_url` in {settings} and that the service is up",
            unreachable.url,
            unreachable.error.as_deref().unwrap_or("no response")
        );
    }
    match error {
        CallError::Plugin { error, .. } => match error {
            PluginError::Auth(_) => format!(
                "the credentials were refused; check the secrets of {settings} (the environment \
                 variables or files they name) and that the account is active"
            ),
            PluginError::RateLimited(limit) => format!(
                "the service asks to slow down; try again in {} s",
                limit.retry_after_ms.div_ceil(1000)
            ),
            PluginError::Transient(_) => {
                "the service is having trouble (a 5xx or a timeout); try again in a few minutes".into()
            }
            PluginError::Rejected(_) => format!(
                "the service refused the request; check the settings of {settings} against the \
                 message above"
            ),
            PluginError::NeedsReview(_) => "the connector needs a decision; see the message above".into(),
        },
        CallError::Sandbox { .. } => {
            "the connector plugin itself failed; upgrade it or report the message above".into()
        }
        CallError::Host(host) => match host.kind() {
            HostErrorKind::Config => {
                "the host could not run the connector; fix the configuration as the message says".into()
            }
            HostErrorKind::Capacity => "the host is busy or stopping; try again in a moment".into(),
            HostErrorKind::PluginFault => {
                "the connector plugin broke the contract; upgrade or roll it back".into()
            }
        },
        CallError::Verify { .. } => {
            "the connector refused a request it should not have been asked to verify; report the message above".into()
        }
    }
}

fn request_line(request: &HttpExchange) -> String {
    let outcome = match (request.status, &request.error) {
        (Some(status), _) => status.to_string(),
        (None, Some(error)) => error.clone(),
        (None, None) => "no response".into(),
    };
    format!(
        "{} {} → {outcome} ({} ms)",
        request.method,
        request.url,
        request.duration.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn exchange(status: Option<u16>, error: Option<&str>) -> HttpExchange {
        HttpExchange {
            method: "GET".into(),
            url: "http://127.0.0.1:9/api".into(),
            status,
            error: error.map(str::to_owned),
            duration: Duration::from_millis(3),
            request_bytes: 0,
            response_bytes: 0,
            request_body: String::new(),
            response_body: String::new(),
        }
    }

    fn plugin(error: PluginError) -> CallError {
        CallError::Plugin {
            plugin: "intacct".into(),
            error,
        }
    }

    #[test]
    fn advice_names_the_setting_to_change() {
        let transient = plugin(PluginError::Transient("connection refused".into()));
        assert_eq!(
            advise(
                "books",
                &transient,
                &[exchange(None, Some("connection refused"))]
            ),
            "http://127.0.0.1:9/api could not be reached (connection refused); check `base_url` in \
             [connections.books] and that the service is up"
        );
        let denied = "http://10.0.0.1:80 is not on the allowlist of connection `books`";
        assert!(
            advise("books", &transient, &[exchange(None, Some(denied))])
                .contains("add the origin to `allow` in [connections.books]")
        );
        let refused = plugin(PluginError::Auth("invalid login".into()));
        assert!(
            advise("books", &refused, &[exchange(Some(401), None)]).starts_with(
                "the credentials were refused; check the secrets of [connections.books]"
            )
        );
        assert_eq!(
            request_line(&exchange(Some(200), None)),
            "GET http://127.0.0.1:9/api → 200 (3 ms)"
        );
    }
}
