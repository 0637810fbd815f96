//! Runs one simulator's axum router on a free port of 127.0.0.1, with its faults applied around every
//! request, each request counted in flight (for its account too, when the simulator says whose a
//! request is). The server lives until its `SimServer` is dropped or `shutdown` is called.

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

use crate::faults::{Decision, Faults, InFlight};

/// Says whose a request is from its body (the Intacct company it signs in to, say), for
/// [`Faults::arrived_for`]; none when the body does not tell.
pub type AccountOf = Arc<dyn Fn(&[u8]) -> Option<String> + Send + Sync>;

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
        Self::serve(router, faults, None, bind).await
    }

    /// Binds a free port on 127.0.0.1.
    pub async fn start_local(router: Router, faults: Arc<Faults>) -> std::io::Result<Self> {
        Self::serve(router, faults, None, LOCAL).await
    }

    /// [`SimServer::start_local`], each request also counted in flight for the account
    /// `account_of` reads from its body.
    pub async fn start_local_per_account(
        router: Router,
        faults: Arc<Faults>,
        account_of: AccountOf,
    ) -> std::io::Result<Self> {
        Self::serve(router, faults, Some(account_of), LOCAL).await
    }

    async fn serve(
        router: Router,
        faults: Arc<Faults>,
        account_of: Option<AccountOf>,
        bind: SocketAddr,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let per_request = PerRequest { faults, account_of };
        tokio::spawn(accept_loop(listener, router, per_request, stopped));
        Ok(Self { addr, stop })
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

/// A free port on 127.0.0.1.
const LOCAL: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// What the server applies to every request: the faults, and whose the request is.
#[derive(Clone)]
struct PerRequest {
    faults: Arc<Faults>,
    account_of: Option<AccountOf>,
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    per_request: PerRequest,
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
        let per_request = per_request.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    serve_one(router.clone(), per_request.clone(), request.map(Body::new))
                });
            // A dropped answer surfaces here as the service's error: hyper closes the connection.
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Counts `request` in flight for the account its body names, if it names one; returns the
/// request (its body read into memory) and the guard, or a 400 when the body cannot be read.
async fn arrived_for_account(
    faults: &Faults,
    account_of: &AccountOf,
    request: Request<Body>,
) -> Result<(Request<Body>, Option<InFlight>), Response<Body>> {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Err(Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .body(Body::from("the request body could not be read"))
            .expect("static response"));
    };
    let in_flight = account_of(&bytes).map(|account| faults.arrived_for(&account));
    Ok((Request::from_parts(parts, Body::from(bytes)), in_flight))
}

/// The error that makes hyper close the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("answer dropped after commit (simulated fault)")]
struct DroppedAnswer;

async fn serve_one(
    router: Router,
    per_request: PerRequest,
    request: Request<Body>,
) -> Result<Response<Body>, DroppedAnswer> {
    let faults = &per_request.faults;
    let _in_flight = faults.arrived();
    let (request, _account_in_flight) = match &per_request.account_of {
        None => (request, None),
        Some(account_of) => match arrived_for_account(faults, account_of, request).await {
            Ok(counted) => counted,
            Err(unreadable) => return Ok(unreadable),
        },
    };
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
