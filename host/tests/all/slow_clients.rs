//! The server against slow and idle clients: a half-sent request is closed after the header
//! timeout, a body that stops coming after the body timeout, connections beyond the limit wait
//! their turn, a shutdown ends within its grace whatever clients hold open, and the admin API can
//! live on a listener of its own.

use std::time::Duration;

use mlc_host::flow::{self, Service};
use support::flows::*;
use support::ledger::Ledger;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Long enough for any of these to happen on a loaded machine; they never take it unless broken.
const BOUND: Duration = Duration::from_secs(20);

/// A service on the test config with `server` settings added to `[server]` and `admin` ones to
/// `[admin]`.
async fn serve(name: &str, server: &str, admin: &str) -> (Ledger, Service) {
    let ledger = Ledger::start().await;
    let dir = scratch(name);
    let text = config_text(&dir, &ledger, "")
        .replace("[server]\n", &format!("[server]\n{server}\n"))
        .replace("[admin]\n", &format!("[admin]\n{admin}\n"));
    let config = write_config(&dir, &text);
    let service = Service::start(flow::open_host(&config).await.unwrap(), config)
        .await
        .unwrap();
    (ledger, service)
}

const HALF_A_REQUEST: &[u8] = b"POST /webhooks/shop HTTP/1.1\r\nHost: x\r\n";

/// Reads until the server closes the connection; what it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(BOUND, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    let (_ledger, service) = serve("half-head", "header_timeout = \"1s\"", "").await;
    let mut stream = TcpStream::connect(service.local_addr()).await.unwrap();
    stream.write_all(HALF_A_REQUEST).await.unwrap();
    let answer = until_closed(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_body_that_stops_coming_is_refused_after_the_body_timeout() {
    let (ledger, service) = serve("half-body", "body_timeout = \"1s\"", "").await;
    let mut stream = TcpStream::connect(service.local_addr()).await.unwrap();
    stream
        .write_all(
            b"POST /webhooks/shop HTTP/1.1\r\nHost: x\r\nx-testkit-token: whk-test-token-0042\r\n\
              content-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"events\":",
        )
        .await
        .unwrap();
    let answer = until_closed(&mut stream).await;
    let status = answer.lines().next().unwrap_or_default();
    assert!(
        status.starts_with("HTTP/1.1 4"),
        "a 4xx answer, not a hang: {answer}"
    );
    assert!(answer.contains("{\"error\":"), "{answer}");
    assert_eq!(service.inbox().list(&Default::default()).unwrap().len(), 0);
    assert_eq!(ledger.requests(), 0);
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let (_ledger, service) =
        serve("limit", "max_connections = 2\nheader_timeout = \"2s\"", "").await;
    let addr = service.local_addr();
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(HALF_A_REQUEST).await.unwrap();
        holders.push(stream);
    }
    // The kernel accepts the third; the server reads it only once a slot is free.
    let third = tokio::spawn(async move {
        let answered = admin(
            &format!("http://{addr}"),
            "GET",
            "/admin/status",
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
        (answered, std::time::Instant::now())
    });
    let mut closed_at = Vec::new();
    for holder in &mut holders {
        until_closed(holder).await;
        closed_at.push(std::time::Instant::now());
    }
    let ((status, _), answered_at) = tokio::time::timeout(BOUND, third).await.unwrap().unwrap();
    assert_eq!(status, 200);
    let first_closed = closed_at.iter().min().unwrap();
    assert!(
        answered_at >= *first_closed,
        "the third connection was served only after a slot was freed"
    );
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_shutdown_ends_within_its_grace_whatever_clients_hold_open() {
    let (_ledger, service) = serve("shutdown", "header_timeout = \"60s\"", "").await;
    let mut holders = Vec::new();
    for _ in 0..5 {
        let mut stream = TcpStream::connect(service.local_addr()).await.unwrap();
        stream.write_all(HALF_A_REQUEST).await.unwrap();
        holders.push(stream);
    }
    // The test config's grace is 10 s; a client holding its connection must not stretch it.
    tokio::time::timeout(Duration::from_secs(10) + BOUND, service.shutdown())
        .await
        .expect("the shutdown ends")
        .unwrap();
    for holder in &mut holders {
        until_closed(holder).await;
    }
}

#[tokio::test]
async fn the_admin_api_on_its_own_listener_is_not_on_the_webhook_one() {
    let (_ledger, service) = serve("admin-listen", "", "listen = \"127.0.0.1:0\"").await;
    let admin_addr = service
        .admin_addr()
        .expect("the admin API has its own listener");
    assert_ne!(admin_addr, service.local_addr());
    let webhooks = format!("http://{}", service.local_addr());
    let internal = format!("http://{admin_addr}");

    let (status, _) = admin(&internal, "GET", "/admin/status", Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 200);
    let (status, _) = admin(&webhooks, "GET", "/admin/status", Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 404, "not served beside the webhooks");
    service.shutdown().await.unwrap();
}
