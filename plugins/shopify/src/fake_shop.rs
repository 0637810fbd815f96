//! For the unit tests: a shop that answers each GraphQL query with the next of a list of `data`
//! values, on a fixed host clock, and records each query's operation name and variables; and
//! serves a bulk operation's file at any `….jsonl` URL, by `Range` (recorded as `GET` and the
//! range).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use ml_connector_sdk::http::Response;
use ml_connector_sdk::testing;
use serde_json::{Value, json};

/// (operation name, variables) of each query sent.
pub type Sent = Rc<RefCell<Vec<(String, Value)>>>;

/// Answers each query with the next of `answers` (their `data`), the host clock at `now`.
pub fn serve(now: &str, answers: Vec<Value>) -> Sent {
    serve_with_file(now, answers, Vec::new())
}

/// [`serve`], and `file` at any `….jsonl` URL.
pub fn serve_with_file(now: &str, answers: Vec<Value>, file: Vec<u8>) -> Sent {
    testing::reset();
    testing::set_now(now.parse().unwrap());
    testing::set_config([("base_url", "http://shop")]);
    testing::set_secrets([("access_token", "a1")]);
    let sent = Rc::new(RefCell::new(Vec::new()));
    let log = sent.clone();
    let mut answers = VecDeque::from(answers);
    testing::set_http_handler(move |request| {
        if request.url.contains(".jsonl") {
            let range = request.find_header("Range").unwrap_or_default().to_owned();
            log.borrow_mut().push(("GET".into(), json!(range)));
            let (first, last) = range
                .strip_prefix("bytes=")
                .and_then(|range| range.split_once('-'))
                .expect("a range");
            let (first, last): (usize, usize) = (first.parse().unwrap(), last.parse().unwrap());
            return Ok(Response {
                status: 206,
                headers: Vec::new(),
                body: file[first..=last.min(file.len() - 1)].to_vec(),
            });
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let operation = body["query"].as_str().unwrap().split([' ', '(']).nth(1);
        log.borrow_mut()
            .push((operation.unwrap().to_owned(), body["variables"].clone()));
        let data = answers.pop_front().expect("an answer left");
        Ok(Response {
            status: 200,
            headers: Vec::new(),
            body: json!({ "data": data }).to_string().into_bytes(),
        })
    });
    sent
}
