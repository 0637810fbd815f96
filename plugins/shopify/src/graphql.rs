//! Queries to the GraphQL Admin API with the access token in `X-Shopify-Access-Token`:
//!
//! | answer | what happens |
//! | --- | --- |
//! | 401 | the token is renewed ([`crate::token`]) and the query sent again, once; a second 401 is `Auth` |
//! | `THROTTLED` (HTTP 200 or 429) | waits for the bucket ([`crate::throttle`]) and sends it again |
//! | `errors` with code `ACCESS_DENIED` | `Auth` (a scope is missing: a person must grant it) |
//! | `errors` with code `INTERNAL_SERVER_ERROR` | `Transient` |
//! | other `errors` | `Rejected` with the first error's code and every message |
//! | other HTTP errors | as the SDK's checked helper types them |

use std::time::Duration;

use ml_connector_sdk::http::{self, Request};
use ml_connector_sdk::{PluginError, clock, log};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::{Value, json};

use crate::settings::Settings;
use crate::throttle::{Cost, Waits};
use crate::token;

/// GraphQL requests answer fast; a page of 50 line items or 250 transactions may take a few
/// seconds.
const TIMEOUT_MS: u32 = 30_000;

/// Sends queries for one plugin call, sharing its throttle allowance.
pub struct Client {
    settings: Settings,
    waits: Waits,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct Answer<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<QueryError>,
    #[serde(default)]
    extensions: Extensions,
}

#[derive(Default, Deserialize)]
struct Extensions {
    #[serde(default)]
    cost: Cost,
}

#[derive(Debug, Deserialize)]
struct QueryError {
    message: String,
    #[serde(default)]
    extensions: ErrorExtensions,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorExtensions {
    code: Option<String>,
}

impl QueryError {
    fn code(&self) -> Option<&str> {
        self.extensions.code.as_deref()
    }
}

impl Client {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            waits: Waits::default(),
        }
    }

    /// Runs `query` with `variables` and returns its `data`.
    pub fn query<T: DeserializeOwned>(
        &mut self,
        query: &str,
        variables: Value,
    ) -> Result<T, PluginError> {
        let body = json!({ "query": query, "variables": variables });
        let mut refused = false;
        loop {
            let token = token::current(&self.settings)?;
            let request = Request::post(self.settings.graphql_url())
                .header("X-Shopify-Access-Token", &token.access_token)
                .header("accept", "application/json")
                .timeout_ms(TIMEOUT_MS)
                .json(&body)?;
            let response = http::send(&request)?;
            match response.status {
                401 if refused => {
                    return Err(PluginError::auth(format!(
                        "Shopify refused a renewed access token too: {}",
                        response.text()
                    )));
                }
                401 => {
                    refused = true;
                    token::after_refusal(&self.settings, &token)?;
                    continue;
                }
                429 => {
                    let cost = response
                        .json::<Answer<IgnoredAny>>()
                        .map(|answer| answer.extensions.cost)
                        .unwrap_or_default();
                    let wait = cost
                        .wait()?
                        .or_else(|| response.retry_after_ms().map(Duration::from_millis));
                    self.pause(wait)?;
                    continue;
                }
                _ => {}
            }
            let answer: Answer<T> = response.error_for_status()?.json()?;
            if answer
                .errors
                .iter()
                .any(|error| error.code() == Some("THROTTLED"))
            {
                self.pause(answer.extensions.cost.wait()?)?;
                continue;
            }
            if !answer.errors.is_empty() {
                return Err(query_error(&answer.errors));
            }
            return answer.data.ok_or_else(|| {
                PluginError::transient("Shopify answered the query without data or errors")
            });
        }
    }

    fn pause(&mut self, wait: Option<Duration>) -> Result<(), PluginError> {
        let wait = self.waits.next(wait)?;
        log::info(
            "Shopify throttled the query; waiting for the bucket",
            &[("wait_ms", &wait.as_millis().to_string())],
        );
        clock::sleep(wait);
        Ok(())
    }
}

fn query_error(errors: &[QueryError]) -> PluginError {
    let messages: Vec<&str> = errors.iter().map(|error| error.message.as_str()).collect();
    let message = format!("Shopify refused the query: {}", messages.join("; "));
    match errors.iter().find_map(QueryError::code) {
        Some("ACCESS_DENIED") => PluginError::auth(message),
        Some("INTERNAL_SERVER_ERROR") => PluginError::transient(message),
        Some(code) => PluginError::rejected_with_code(code, message),
        None => PluginError::rejected(message),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use ml_connector_sdk::chrono::{DateTime, Utc};
    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;

    use super::*;

    const START: &str = "2025-11-03T15:00:00Z";

    fn throttled(available: u64) -> (u16, Value) {
        let cost = json!({"requestedQueryCost": 803, "actualQueryCost": null,
            "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": available, "restoreRate": 50}});
        (
            200,
            json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                   "extensions": {"cost": cost}}),
        )
    }

    fn shop() -> (u16, Value) {
        (200, json!({"data": {"shop": {"name": "Demo Shop"}}}))
    }

    /// (url, access token, host time) of one request.
    type Seen = Rc<RefCell<Vec<(String, String, DateTime<Utc>)>>>;

    /// Answers with `answers` in turn; records each request.
    fn serve(answers: Vec<(u16, Value)>) -> Seen {
        testing::reset();
        testing::set_now(START.parse().unwrap());
        testing::set_config([("base_url", "http://shop"), ("client_id", "app")]);
        testing::set_secrets([
            ("client_secret", "s"),
            ("access_token", "a1"),
            ("refresh_token", "r1"),
        ]);
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        let mut answers = VecDeque::from(answers);
        testing::set_http_handler(move |request| {
            let token = request
                .find_header("X-Shopify-Access-Token")
                .unwrap_or("-")
                .to_owned();
            log.borrow_mut()
                .push((request.url.clone(), token, ml_connector_sdk::clock::now()));
            let (status, body) = answers.pop_front().expect("an answer left");
            Ok(Response {
                status,
                headers: Vec::new(),
                body: body.to_string().into_bytes(),
            })
        });
        seen
    }

    fn client() -> Client {
        Client::new(Settings::load().unwrap())
    }

    #[derive(Debug, Deserialize)]
    struct ShopData {
        shop: Value,
    }

    #[test]
    fn a_throttled_query_waits_on_the_host_clock_then_runs() {
        let requests = serve(vec![throttled(197), shop()]);
        let data: ShopData = client().query("{ shop { name } }", json!({})).unwrap();
        assert_eq!(data.shop["name"], "Demo Shop");
        let requests = requests.borrow();
        assert_eq!(requests.len(), 2);
        assert_eq!(
            (requests[1].2 - requests[0].2).num_milliseconds(),
            12_120,
            "(803 - 197) / 50 per second"
        );
    }

    #[test]
    fn a_429_waits_too() {
        let (_, body) = throttled(0);
        let requests = serve(vec![(429, body), shop()]);
        client()
            .query::<ShopData>("{ shop { name } }", json!({}))
            .unwrap();
        let requests = requests.borrow();
        assert_eq!((requests[1].2 - requests[0].2).num_milliseconds(), 16_060);
    }

    #[test]
    fn a_refused_token_is_renewed_once() {
        let refused = json!({"errors": "[API] Invalid API key or access token"});
        let issued = json!({"access_token": "a2", "expires_in": 3600, "refresh_token": "r2"});
        let requests = serve(vec![(401, refused.clone()), (200, issued), shop()]);
        client()
            .query::<ShopData>("{ shop { name } }", json!({}))
            .unwrap();
        let tokens: Vec<String> = requests.borrow().iter().map(|r| r.1.clone()).collect();
        assert_eq!(tokens, ["a1", "-", "a2"]);

        let issued = json!({"access_token": "a2", "expires_in": 3600, "refresh_token": "r2"});
        serve(vec![(401, refused.clone()), (200, issued), (401, refused)]);
        assert!(matches!(
            client().query::<ShopData>("{ shop { name } }", json!({})),
            Err(PluginError::Auth(_))
        ));
    }

    #[test]
    fn query_errors_are_typed() {
        let error = |code: &str| {
            (
                200,
                json!({"errors": [{"message": "no", "extensions": {"code": code}}]}),
            )
        };
        serve(vec![
            error("ACCESS_DENIED"),
            error("INTERNAL_SERVER_ERROR"),
            error("undefinedField"),
        ]);
        let mut client = client();
        let mut run = || client.query::<ShopData>("{ shop { name } }", json!({}));
        assert!(matches!(run(), Err(PluginError::Auth(_))));
        assert!(matches!(run(), Err(PluginError::Transient(_))));
        assert_eq!(
            run().unwrap_err(),
            PluginError::rejected_with_code("undefinedField", "Shopify refused the query: no")
        );
    }
}
