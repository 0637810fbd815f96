//! The service's own HTTP/1.1 server, hardened against slow and idle clients: at most
//! `server.max_connections` connections at once (the next wait in the kernel's backlog), the
//! request head within `server.header_timeout` (which also closes a keep-alive connection that
//! sends no new request within it), the body within `server.body_timeout` (a layer on the routes).
//! On shutdown it stops accepting at once, asks every connection to close after its current
//! request, and drops those still open when `shutdown_grace` is over, so a client can never hold
//! the process.
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::ServerConfig;

/// Serves `routes` on `listener` until `stopping` turns true, then closes within the grace.
pub(crate) async fn serve(
    listener: TcpListener,
    routes: Router,
    server: ServerConfig,
    mut stopping: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(server.max_connections));
    let mut connections = JoinSet::new();
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = stopped(&mut stopping) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stopping) => break,
        };
        // Reap finished connections so the set holds only open ones.
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(
            stream,
            peer,
            routes.clone(),
            server.header_timeout,
            stopping.clone(),
            slot,
        ));
    }
    drop(listener);
    let closed = tokio::time::timeout(server.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if closed.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open when the shutdown grace ended; closing them"
        );
        connections.shutdown().await;
    }
}

/// One client connection, holding its `slot` until it closes.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    routes: Router,
    header_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
    slot: tokio::sync::OwnedSemaphorePermit,
) {
    let service = TowerToHyperService::new(routes);
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stopped(&mut stopping) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection closed with an error");
    }
    drop(slot);
}

/// Waits until the service stops (the guard `wait_for` returns is not kept across an await).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}
