//! `testkit.post`: every post command of one `apply` goes to the ledger in ONE request,
//! `POST {base_url}/entries` with `{"entries": [{"key", "body"}, ...]}`. The ledger answers
//! `{"results": [{"key", "id", "replayed"} | {"key", "error": {"code", "message"}}, ...]}`, one per
//! entry in order, and each becomes that command's `Applied` (external id `("entry", id)`,
//! `already_done` = `replayed`) or `Rejected`.
//!
//! A request that fails as a whole (transport error, non-2xx status, an answer that is not the
//! expected JSON) is the outer error of `apply`: nothing of the batch was applied. Statuses map as
//! the SDK's checked helpers say (429 → `RateLimited`, 5xx → `Transient`, 401/403 → `Auth`, other
//! 4xx → `Rejected`).

use ml_connector_sdk::http::{self, Request};
use ml_connector_sdk::{Applied, Command, PluginError, config};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The command kind this module applies.
pub const KIND: &str = "testkit.post";

/// The connection setting holding the ledger's URL.
const BASE_URL: &str = "base_url";

/// The external id name of a ledger entry.
const ENTRY_ID: &str = "entry";

#[derive(Serialize)]
struct Batch<'a> {
    entries: &'a [&'a Entry<'a>],
}

#[derive(Serialize)]
struct Entry<'a> {
    key: &'a str,
    body: Value,
}

#[derive(Deserialize)]
struct Answer {
    results: Vec<EntryResult>,
}

/// The ledger's answer for one entry.
#[derive(Deserialize)]
#[serde(untagged)]
enum EntryResult {
    Failed {
        key: String,
        error: EntryError,
    },
    Stored {
        key: String,
        id: String,
        #[serde(default)]
        replayed: bool,
    },
}

#[derive(Deserialize)]
struct EntryError {
    code: Option<String>,
    message: String,
}

impl EntryResult {
    fn key(&self) -> &str {
        match self {
            Self::Failed { key, .. } | Self::Stored { key, .. } => key,
        }
    }

    fn into_applied(self) -> Result<Applied, PluginError> {
        match self {
            Self::Stored { key, id, replayed } => Ok(Applied {
                already_done: replayed,
                ..Applied::new(key).with_external_id(ENTRY_ID, id)
            }),
            Self::Failed { error, .. } => Err(PluginError::Rejected {
                code: error.code,
                message: error.message,
            }),
        }
    }
}

/// Applies `commands` (all of kind [`KIND`]) in one request: one result per command, in order.
/// Without the `base_url` setting every command is `Rejected`; a command whose body is not JSON is
/// `Rejected` and left out of the request. No request goes out when no entry is left.
pub fn apply(commands: &[&Command]) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
    let Some(base_url) = config::get(BASE_URL) else {
        let missing = PluginError::rejected(format!(
            "`{KIND}` needs the connection setting `{BASE_URL}` (the ledger's URL), which is not set"
        ));
        return Ok(commands.iter().map(|_| Err(missing.clone())).collect());
    };
    let entries: Vec<Result<Entry, PluginError>> = commands
        .iter()
        .map(|command| {
            command.body_json().map(|body| Entry {
                key: &command.key,
                body,
            })
        })
        .collect();
    let sendable: Vec<&Entry> = entries
        .iter()
        .filter_map(|entry| entry.as_ref().ok())
        .collect();
    let mut answers = match sendable.is_empty() {
        true => Vec::new(),
        false => send(&base_url, &sendable)?,
    }
    .into_iter();
    Ok(entries
        .into_iter()
        .map(|entry| match entry {
            Ok(_) => answers
                .next()
                .expect("`send` checked there is one answer per entry")
                .into_applied(),
            Err(error) => Err(error),
        })
        .collect())
}

/// Posts `entries` in one request; the answers, checked to be one per entry with the same keys in
/// the same order.
fn send(base_url: &str, entries: &[&Entry]) -> Result<Vec<EntryResult>, PluginError> {
    let url = format!("{}/entries", base_url.trim_end_matches('/'));
    let answer: Answer = http::send_json(Request::post(url).json(&Batch { entries })?)?;
    if answer.results.len() != entries.len() {
        return Err(PluginError::transient(format!(
            "the ledger answered {} results for {} entries",
            answer.results.len(),
            entries.len()
        )));
    }
    if let Some((result, entry)) = answer
        .results
        .iter()
        .zip(entries)
        .find(|(result, entry)| result.key() != entry.key)
    {
        return Err(PluginError::transient(format!(
            "the ledger answered for key `{}` where `{}` was expected",
            result.key(),
            entry.key
        )));
    }
    Ok(answer.results)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use ml_connector_sdk::http::{HttpError, Response};
    use ml_connector_sdk::testing;
    use serde_json::json;

    use super::*;

    fn post(key: &str, body: Value) -> Command {
        Command {
            kind: KIND.into(),
            key: key.into(),
            body: body.to_string(),
        }
    }

    /// Answers with `status` and `body`, and records every request's URL and JSON body.
    fn ledger(status: u16, body: Value) -> Rc<RefCell<Vec<(String, Value)>>> {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let record = seen.clone();
        testing::set_http_handler(move |request| {
            assert_eq!(
                request.find_header("content-type"),
                Some("application/json")
            );
            let sent = serde_json::from_slice(&request.body).unwrap();
            record.borrow_mut().push((request.url.clone(), sent));
            Ok(Response {
                status,
                headers: vec![],
                body: body.to_string().into_bytes(),
            })
        });
        seen
    }

    #[test]
    fn one_request_for_the_batch_and_one_result_per_command() {
        testing::reset();
        testing::set_config([("base_url", "http://ledger.test/")]);
        let seen = ledger(
            200,
            json!({"results": [
                {"key": "k1", "id": "E-1", "replayed": false},
                {"key": "k2", "error": {"code": "BAD", "message": "no"}},
                {"key": "k3", "id": "E-0", "replayed": true},
            ]}),
        );
        let commands = [
            post("k1", json!({"n": 1})),
            post("k2", json!({"n": 2})),
            post("k3", json!({"n": 3})),
        ];

        let results = apply(&commands.iter().collect::<Vec<_>>()).unwrap();

        let seen = seen.borrow();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0, "http://ledger.test/entries");
        assert_eq!(
            seen[0].1["entries"][1],
            json!({"key": "k2", "body": {"n": 2}})
        );
        assert_eq!(
            results[0],
            Ok(Applied::new("k1").with_external_id("entry", "E-1"))
        );
        assert_eq!(
            results[1],
            Err(PluginError::rejected_with_code("BAD", "no"))
        );
        assert!(results[2].as_ref().unwrap().already_done);
    }

    #[test]
    fn a_body_that_is_not_json_is_rejected_and_left_out() {
        testing::reset();
        testing::set_config([("base_url", "http://ledger.test")]);
        let seen = ledger(
            200,
            json!({"results": [{"key": "good", "id": "E-1", "replayed": false}]}),
        );
        let bad = Command {
            body: "not json".into(),
            ..post("bad", Value::Null)
        };
        let good = post("good", json!({}));

        let results = apply(&[&bad, &good]).unwrap();

        assert_eq!(seen.borrow()[0].1["entries"].as_array().unwrap().len(), 1);
        assert!(matches!(results[0], Err(PluginError::Rejected { .. })));
        assert!(results[1].is_ok());
    }

    #[test]
    fn without_base_url_each_command_is_rejected_and_nothing_is_sent() {
        testing::reset();
        let seen = ledger(500, Value::Null);

        let results = apply(&[&post("k1", json!({}))]).unwrap();

        assert!(seen.borrow().is_empty());
        assert!(matches!(
            &results[0],
            Err(PluginError::Rejected { message, .. }) if message.contains("base_url")
        ));
    }

    #[test]
    fn a_failed_request_fails_the_whole_batch() {
        testing::reset();
        testing::set_config([("base_url", "http://ledger.test")]);
        ledger(503, json!({"message": "down"}));
        let command = post("k1", json!({}));
        assert!(matches!(apply(&[&command]), Err(PluginError::Transient(_))));

        testing::set_http_handler(|_| Err(HttpError::Connection("refused".into())));
        assert!(matches!(apply(&[&command]), Err(PluginError::Transient(_))));

        ledger(200, json!({"results": []}));
        assert!(matches!(
            apply(&[&command]),
            Err(PluginError::Transient(message)) if message.contains("0 results for 1")
        ));
    }
}
