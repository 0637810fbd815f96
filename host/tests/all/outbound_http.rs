//! Outbound HTTP through an embedder's own transport ([`HostBuilder::outbound_http`]): a request
//! the sandbox allows reaches it with its time and response size capped, its answer reaches the
//! connector and the call's trace, and a request the sandbox refuses never reaches it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mlc_host::outbound::{OutboundFuture, OutboundHttp, OutboundRequest, OutboundResponse};
use mlc_host::types::HttpMethod;
use mlc_host::{Connection, Host, Limits};
use serde_json::json;
use support::{apply_one, data, host_with};

/// Answers every request from a recording, and keeps what it was asked.
#[derive(Default)]
struct Recorded {
    asked: Mutex<Vec<OutboundRequest>>,
}

impl OutboundHttp for Recorded {
    fn send(&self, request: OutboundRequest) -> OutboundFuture<'_> {
        self.asked.lock().unwrap().push(request);
        Box::pin(async {
            Ok(OutboundResponse {
                status: 201,
                headers: vec![("x-recorded".into(), "yes".into())],
                body: b"from the recording".to_vec(),
            })
        })
    }
}

#[tokio::test]
async fn an_embedders_transport_answers_what_the_sandbox_allows_and_sees_nothing_else() {
    let recorded = Arc::new(Recorded::default());
    let host = host_with(Host::builder().outbound_http(recorded.clone())).await;
    let books = Connection::new("books")
        .unwrap()
        .allow("https://books.example.test")
        .unwrap();
    let connector = host.connector("testkit", Arc::new(books)).unwrap();

    let allowed = apply_one(
        &connector,
        "testkit.http",
        json!({ "method": "POST", "url": "https://books.example.test/api?page=2",
                "body": "hello", "timeout_ms": 1500 }),
    )
    .await;
    let answer = data(&allowed);
    assert_eq!(answer["status"], 201);
    assert_eq!(answer["body"], "from the recording");
    assert_eq!(allowed.http.len(), 1);
    assert_eq!(allowed.http[0].status, Some(201));
    assert_eq!(allowed.http[0].response_body, "from the recording");

    let asked = recorded.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].method, HttpMethod::Post);
    assert_eq!(
        asked[0].url.as_str(),
        "https://books.example.test/api?page=2"
    );
    assert_eq!(asked[0].body, b"hello");
    assert_eq!(asked[0].timeout, Duration::from_millis(1500));
    assert_eq!(
        asked[0].max_response_bytes,
        Limits::default().http_response_bytes
    );

    let refused = apply_one(
        &connector,
        "testkit.http",
        json!({ "method": "GET", "url": "https://elsewhere.example.test/" }),
    )
    .await;
    assert_eq!(data(&refused)["error"], "denied");
    assert_eq!(
        recorded.asked.lock().unwrap().len(),
        1,
        "a refused request never reaches the transport"
    );
}
