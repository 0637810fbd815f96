//! A running integration: the inbox recovered, the HTTP server (webhooks, and the admin API when a
//! token is configured), the worker pool and one poller per polled flow, all stopped together by
//! [`Service::shutdown`]: webhooks are refused from its first moment, running attempts get the
//! grace period, and whatever is left goes back to the inbox for the next start.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use axum::Router;
use axum::routing::post;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::flow::inbox::Inbox;
use crate::flow::shared::Shared;
use crate::flow::{admin, dispatch, ingress, open_inbox, poller};
use crate::host::Host;

/// The flow engine, serving.
pub struct Service {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    recovered: usize,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    dispatcher: JoinHandle<usize>,
    pollers: Vec<JoinHandle<()>>,
}

/// What [`Service::shutdown`] left for the next start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Events still running when the grace period ended, handed back as pending.
    pub released: usize,
}

impl Service {
    /// Opens the inbox (events a crashed run left running become pending again), binds
    /// `server.listen` and starts serving. `host` must have the config's plugins loaded
    /// ([`crate::flow::open_host`] does that).
    pub async fn start(host: Host, config: Config) -> anyhow::Result<Self> {
        let inbox = open_inbox(&config)?;
        let now = host.clock().now();
        let recovered = inbox.run(move |inbox| inbox.recover(now)).await?;
        if recovered > 0 {
            tracing::warn!(recovered, "resuming events a previous run left unfinished");
        }
        let listen = config.server.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {listen} (server.listen in {})",
                    config.path.display()
                )
            })?;
        let local_addr = listener.local_addr()?;
        let admin_token = config.admin_token.clone();
        let shared = Arc::new(Shared::new(host, inbox, config)?);

        let mut router = Router::new()
            .route("/webhooks/{connection}", post(ingress::webhook))
            .route("/webhooks/{connection}/{*rest}", post(ingress::webhook));
        match admin_token {
            Some(token) => router = router.merge(admin::routes(token)),
            None => tracing::info!("no [admin] token configured: the admin API is off"),
        }
        let (stop, stopping) = watch::channel(false);
        let mut server_stop = stopping.clone();
        let server = tokio::spawn(
            axum::serve(listener, router.with_state(shared.clone()))
                .with_graceful_shutdown(async move {
                    let _ = server_stop.wait_for(|stop| *stop).await;
                })
                .into_future(),
        );
        let dispatcher = tokio::spawn(dispatch::run(shared.clone(), stopping.clone()));
        let pollers = shared
            .config
            .flows
            .values()
            .filter_map(|flow| Some((flow.name.clone(), flow.poll_interval?)))
            .map(|(flow, interval)| {
                tokio::spawn(poller::run(
                    shared.clone(),
                    flow,
                    interval,
                    stopping.clone(),
                ))
            })
            .collect();
        tracing::info!(%local_addr, "serving webhooks");
        Ok(Self {
            shared,
            local_addr,
            recovered,
            stop,
            server,
            dispatcher,
            pollers,
        })
    }

    /// Where the server listens (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Events found running at start (a previous run crashed) and resumed.
    pub fn recovered(&self) -> usize {
        self.recovered
    }

    pub fn inbox(&self) -> &Inbox {
        &self.shared.inbox
    }

    pub fn host(&self) -> &Host {
        &self.shared.host
    }

    /// Stops serving: refuses webhooks at once, waits for running attempts up to
    /// `server.shutdown_grace`, and hands back the rest.
    pub async fn shutdown(self) -> anyhow::Result<Stopped> {
        self.shared.accepting.store(false, Ordering::SeqCst);
        let _ = self.stop.send(true);
        let released = self.dispatcher.await.context("the worker pool failed")?;
        for poller in self.pollers {
            poller.await.context("a poller failed")?;
        }
        self.server
            .await
            .context("the HTTP server failed")?
            .context("the HTTP server failed")?;
        Ok(Stopped { released })
    }
}
