//! Runs one simulator's axum router on a free port of 127.0.0.1, with its faults applied around every
//! request. The server lives until its `SimServer` is dropped or `shutdown` is called.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::faults::{Decision, Faults};

/// A running simulator server.
#[derive(Debug)]
pub struct SimServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl SimServer {
    /// Binds `bind` (use port 0 for a free port) and serves `router` with `faults` applied.
    pub async fn start(
        router: Router,
        faults: Arc<Faults>,
        bind: SocketAddr,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(accept_loop(listener, router, faults, stopped));
        Ok(Self { addr, stop })
    }

    /// Binds a free port on 127.0.0.1.
    pub async fn start_local(router: Router, faults: Arc<Faults>) -> std::io::Result<Self> {
        Self::start(router, faults, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    faults: Arc<Faults>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            _ = stopped.changed() => return,
        };
        let router = router.clone();
        let faults = faults.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    serve_one(router.clone(), faults.clone(), request.map(Body::new))
                });
            // A dropped answer surfaces here as the service's error: hyper closes the connection.
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The error that makes hyper close the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("answer dropped after commit (simulated fault)")]
struct DroppedAnswer;

async fn serve_one(
    router: Router,
    faults: Arc<Faults>,
    request: Request<Body>,
) -> Result<Response<Body>, DroppedAnswer> {
    let _in_flight = faults.arrived();
    let latency = faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let decision = faults.decide();
    if decision == Decision::ServerError {
        return Ok(Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header("content-type", "text/html")
            .body(Body::from(
                "<html><body><h1>503 Service Unavailable</h1></body></html>",
            ))
            .expect("static response"));
    }
    let response = router
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {});
    match decision {
        Decision::DropAfterCommit => Err(DroppedAnswer),
        Decision::MalformedBody => {
            let (parts, body) = response.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let mut cut = bytes[..bytes.len() / 2].to_vec();
            cut.extend_from_slice(b"\x00<<garbled");
            let mut parts = parts;
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            Ok(Response::from_parts(parts, Body::from(cut)))
        }
        Decision::Serve | Decision::ServerError => Ok(response),
    }
}
