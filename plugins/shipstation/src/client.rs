//! GET requests to ShipStation, each through the rate limiter ([`crate::ratelimit`]): V1 with Basic
//! auth (`api_key:api_secret`), V2 with the `API-Key` header.
//!
//! | answer | what happens |
//! | --- | --- |
//! | 2xx | its JSON body (a body that is not JSON is `Transient`) |
//! | 401, 403 | `Auth`: the key was refused (V1 answers 401 in plain text) |
//! | 429 | the window is marked spent, and the request sent again after the wait ([`crate::ratelimit`]) |
//! | anything else | as the SDK's checked helper types it (5xx `Transient`, 4xx `Rejected` with the status) |

use ml_connector_sdk::http::{self, Request, Response};
use ml_connector_sdk::{PluginError, log};
use serde::de::DeserializeOwned;

use crate::ratelimit::{self, Api, MAX_THROTTLED, Waits};
use crate::settings::Settings;

/// A page of 500 shipments may take a while to render.
const TIMEOUT_MS: u32 = 30_000;

/// Sends the requests of one plugin call, sharing its wait allowance.
pub struct Client {
    pub settings: Settings,
    waits: Waits,
}

impl Client {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings,
            waits: Waits::default(),
        }
    }

    /// `GET {base_url}{path_and_query}` on V1.
    pub fn v1<T: DeserializeOwned>(&mut self, path_and_query: &str) -> Result<T, PluginError> {
        let request = Request::get(format!("{}{path_and_query}", self.settings.base_url))
            .header("authorization", &self.settings.authorization);
        self.send(Api::V1, request)?.json()
    }

    /// `GET {v2_base_url}{path_and_query}` on V2; `Rejected` without a V2 key.
    pub fn v2<T: DeserializeOwned>(&mut self, path_and_query: &str) -> Result<T, PluginError> {
        let v2 = self.settings.v2.as_ref().ok_or_else(|| {
            PluginError::rejected("no V2 key (secret `v2_api_key`) is configured")
        })?;
        let request =
            Request::get(format!("{}{path_and_query}", v2.base_url)).header("api-key", &v2.api_key);
        self.send(Api::V2, request)?.json()
    }

    fn send(&mut self, api: Api, request: Request) -> Result<Response, PluginError> {
        let request = request
            .header("accept", "application/json")
            .timeout_ms(TIMEOUT_MS);
        let mut throttled = 0;
        loop {
            ratelimit::before_request(api, &mut self.waits)?;
            let response = http::send(&request)?;
            match response.status {
                429 => {
                    let wait =
                        ratelimit::after_throttled(api, &response.headers, retry_after(&response))?;
                    throttled += 1;
                    log::warn(
                        "ShipStation answered 429 Too Many Requests",
                        &[
                            ("api", api.name()),
                            ("wait_ms", &wait.as_millis().to_string()),
                        ],
                    );
                    if throttled > MAX_THROTTLED {
                        return Err(PluginError::RateLimited {
                            retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                            message: format!(
                                "ShipStation's {} API answered 429 {throttled} times in a row",
                                api.name()
                            ),
                        });
                    }
                }
                401 | 403 => {
                    return Err(PluginError::auth(format!(
                        "ShipStation refused the {} credentials (HTTP {}: {}); check the secrets {}",
                        api.name(),
                        response.status,
                        excerpt(&response),
                        match api {
                            Api::V1 => "`api_key` and `api_secret`",
                            Api::V2 => "`v2_api_key`",
                        }
                    )));
                }
                _ => {
                    ratelimit::after_response(api, &response.headers)?;
                    return response.error_for_status();
                }
            }
        }
    }
}

/// `Retry-After` of a 429, if it has a usable one.
fn retry_after(response: &Response) -> Option<std::time::Duration> {
    response
        .retry_after_ms()
        .map(std::time::Duration::from_millis)
}

fn excerpt(response: &Response) -> String {
    response.text().chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use ml_connector_sdk::chrono::{DateTime, TimeDelta, Utc};
    use ml_connector_sdk::{clock, testing};
    use serde_json::Value;

    use super::*;

    const START: &str = "2024-11-20T18:00:00Z";

    /// A fixed 40-a-minute window like the simulator's, on the test clock; counts 200s and 429s.
    #[derive(Default)]
    struct Server {
        window: Option<(DateTime<Utc>, u32)>,
        ok: u32,
        throttled: u32,
    }

    fn answer(server: &Rc<RefCell<Server>>, limit: u32) -> Response {
        let now = clock::now();
        let mut server = server.borrow_mut();
        let (start, used) = match server.window {
            Some((start, used)) if now < start + TimeDelta::minutes(1) => (start, used),
            _ => (now, 0),
        };
        let allowed = used < limit;
        let used = used + u32::from(allowed);
        server.window = Some((start, used));
        let left_ms = (start + TimeDelta::minutes(1) - now).num_milliseconds();
        let headers = vec![
            ("X-Rate-Limit-Limit".to_owned(), limit.to_string()),
            (
                "X-Rate-Limit-Remaining".to_owned(),
                (limit - used).to_string(),
            ),
            (
                "X-Rate-Limit-Reset".to_owned(),
                ((left_ms + 999) / 1000).max(1).to_string(),
            ),
        ];
        if allowed {
            server.ok += 1;
            Response {
                status: 200,
                headers,
                body: br#"{"shipments":[],"total":0,"page":1,"pages":0}"#.to_vec(),
            }
        } else {
            server.throttled += 1;
            Response {
                status: 429,
                headers,
                body: br#"{"message":"Too Many Requests"}"#.to_vec(),
            }
        }
    }

    fn setup() -> Rc<RefCell<Server>> {
        testing::reset();
        testing::set_now(START.parse().unwrap());
        testing::set_secrets([("api_key", "k"), ("api_secret", "s")]);
        testing::set_config([("base_url", "http://ss")]);
        let server = Rc::new(RefCell::new(Server::default()));
        let shared = server.clone();
        testing::set_http_handler(move |request| {
            assert_eq!(request.find_header("authorization"), Some("Basic azpz"));
            Ok(answer(&shared, 40))
        });
        server
    }

    #[test]
    fn a_burst_of_120_requests_over_many_calls_never_sees_a_429() {
        let server = setup();
        for _ in 0..120 {
            // One call each, as the host makes them: only storage carries the window over.
            let mut client = Client::new(Settings::load().unwrap());
            let _: Value = client.v1("/shipments?batchId=1").unwrap();
            assert!(client.waits.waited() < std::time::Duration::from_secs(10));
        }
        let server = server.borrow();
        assert_eq!((server.ok, server.throttled), (120, 0));
        let took = clock::now() - START.parse::<DateTime<Utc>>().unwrap();
        assert!(
            took > TimeDelta::minutes(2) && took < TimeDelta::minutes(3) + TimeDelta::seconds(10),
            "40 a minute: {took}"
        );
    }

    #[test]
    fn a_429_from_someone_else_is_waited_out_and_sent_again() {
        let server = setup();
        for _ in 0..40 {
            answer(&server, 40); // another application spends the key's window
        }
        clock::sleep(std::time::Duration::from_secs(30));
        let mut client = Client::new(Settings::load().unwrap());
        let _: Value = client.v1("/shipments?batchId=1").unwrap();
        assert_eq!(server.borrow().throttled, 1);
        assert_eq!(client.waits.waited(), std::time::Duration::from_secs(30));
        let logs = testing::take_logs();
        assert!(logs.iter().any(|record| record.message.contains("429")));
    }

    #[test]
    fn a_spent_window_beyond_the_allowance_is_rate_limited() {
        let server = setup();
        for _ in 0..40 {
            answer(&server, 40);
        }
        let mut client = Client::new(Settings::load().unwrap());
        match client.v1::<Value>("/shipments") {
            Err(PluginError::RateLimited { retry_after_ms, .. }) => {
                assert_eq!(retry_after_ms, 60_000)
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert_eq!(
            server.borrow().throttled,
            1,
            "one 429, then no more requests"
        );
    }

    #[test]
    fn refused_credentials_are_auth_and_other_errors_typed() {
        testing::reset();
        testing::set_secrets([("api_key", "k"), ("api_secret", "wrong")]);
        let statuses = Rc::new(RefCell::new(vec![401u16, 500, 404]));
        let next = statuses.clone();
        testing::set_http_handler(move |_| {
            let status = next.borrow_mut().remove(0);
            Ok(Response {
                status,
                headers: Vec::new(),
                body: b"401 Unauthorized".to_vec(),
            })
        });
        let mut client = Client::new(Settings::load().unwrap());
        match client.v1::<Value>("/shipments") {
            Err(PluginError::Auth(message)) => assert!(
                message.contains("V1") && message.contains("`api_key` and `api_secret`"),
                "{message}"
            ),
            other => panic!("expected Auth, got {other:?}"),
        }
        assert!(matches!(
            client.v1::<Value>("/shipments"),
            Err(PluginError::Transient(_))
        ));
        assert!(matches!(
            client.v1::<Value>("/shipments"),
            Err(PluginError::Rejected { .. })
        ));
        assert!(matches!(
            client.v2::<Value>("/labels"),
            Err(PluginError::Rejected { .. })
        ));
    }

    #[test]
    fn v2_uses_its_key_and_base() {
        testing::reset();
        testing::set_secrets([("api_key", "k"), ("api_secret", "s"), ("v2_api_key", "v2")]);
        testing::set_config([("v2_base_url", "http://ss/v2")]);
        testing::set_http_handler(|request| {
            assert_eq!(request.url, "http://ss/v2/labels?tracking_number=1");
            assert_eq!(request.find_header("api-key"), Some("v2"));
            assert_eq!(request.find_header("authorization"), None);
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: br#"{"labels":[]}"#.to_vec(),
            })
        });
        let mut client = Client::new(Settings::load().unwrap());
        let answer: Value = client.v2("/labels?tracking_number=1").unwrap();
        assert_eq!(answer["labels"], serde_json::json!([]));
    }
}
