//! The native test support: every host helper runs against the thread-local state `testing` sets.

use std::time::Duration;

use ml_connector_sdk::http::{self, HttpError, Request, Response};
use ml_connector_sdk::{PluginError, clock, config, log, secrets, storage, testing};
use serde_json::{Value, json};

#[test]
fn storage_bytes_json_and_compare_and_swap() {
    testing::reset();
    storage::set_json("token", &json!({"v": 1})).unwrap();
    assert!(
        !storage::compare_and_swap_json("token", Some(&json!({"v": 0})), Some(&json!({"v": 2})))
            .unwrap()
    );
    assert!(
        storage::compare_and_swap_json("token", Some(&json!({"v": 1})), Some(&json!({"v": 2})))
            .unwrap()
    );
    assert_eq!(
        storage::get_json::<Value>("token").unwrap(),
        Some(json!({"v": 2}))
    );
    assert!(storage::compare_and_swap("fresh", None, Some(b"x")).unwrap());
    assert_eq!(storage::list("").unwrap(), vec!["fresh", "token"]);
    assert!(storage::delete("fresh").unwrap());
    assert!(!storage::delete("fresh").unwrap());
    assert!(storage::set("", b"x").is_err());
    assert_eq!(testing::storage().len(), 1);
}

#[test]
fn clock_is_set_and_advanced_by_sleep() {
    testing::reset();
    testing::set_now("2024-05-01T12:00:00Z".parse().unwrap());
    clock::sleep(Duration::from_secs(90));
    assert_eq!(clock::now().to_rfc3339(), "2024-05-01T12:01:30+00:00");
}

#[test]
fn config_and_secrets_come_from_the_test() {
    testing::reset();
    testing::set_config([("company", "acme"), ("limits", "{\"max\": 3}")]);
    testing::set_secrets([("api-key", "k")]);
    assert_eq!(config::get("company").as_deref(), Some("acme"));
    assert_eq!(
        config::get_json::<Value>("limits").unwrap(),
        Some(json!({"max": 3}))
    );
    assert!(matches!(
        config::require("missing"),
        Err(PluginError::Rejected { .. })
    ));
    assert_eq!(config::entries().len(), 2);
    assert_eq!(secrets::require("api-key").unwrap(), "k");
    assert!(matches!(
        secrets::require("other"),
        Err(PluginError::Auth(_))
    ));
}

#[test]
fn http_answers_through_the_test_handler_or_says_there_is_no_host() {
    testing::reset();
    assert!(matches!(
        http::send(&Request::get("https://x.test/")),
        Err(HttpError::Denied(_))
    ));

    testing::set_http_handler(|request| {
        log::debug("handler", &[("url", &request.url)]);
        Ok(Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: format!(
                "{{\"accept\": {:?}}}",
                request.find_header("accept").unwrap_or("")
            )
            .into_bytes(),
        })
    });
    let answer: Value = http::send_json(Request::get("https://x.test/")).unwrap();
    assert_eq!(answer, json!({"accept": "application/json"}));
    let logs = testing::take_logs();
    assert_eq!(logs[0].field("url"), Some("https://x.test/"));
}
