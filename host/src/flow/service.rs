//! A running integration: the inbox recovered, the webhook routes (and the admin API when a token
//! is configured), the worker pool, one poller per polled flow and the plugin store's watcher, all
//! stopped together by `shutdown`: webhooks are refused from its first moment, running attempts
//! get the grace period, and whatever is left goes back to the inbox for the next start.
//!
//! The routes are served either by the service's own HTTP server on `server.listen` (and the
//! admin API on `[admin] listen` when set; [`Service::start`], what `mlc run` does, see
//! [`crate::flow::server`]) or by the application that embeds the host
//! ([`Service::start_embedded`] hands it the [`Router`] to mount). Both start the same way
//! ([`Running::start`]); they differ only in who serves the router. Either way every request body
//! must arrive within `server.body_timeout`, and every error answer is `{"error": …}`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use axum::Router;
use axum::routing::post;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::config::Config;
use crate::flow::inbox::Inbox;
use crate::flow::plugins::Installed;
use crate::flow::shared::Shared;
use crate::flow::{
    admin, console, dispatch, ingress, plugin_watch, poller, probes, retention, server,
    stores::{self, open_inbox},
};
use crate::host::Host;
use crate::plugin_store::PluginVersions;

/// The flow engine, serving. `S` says who serves its HTTP routes: [`Listening`], its own server
/// ([`Service::start`]), or [`Embedded`], the application's ([`Service::start_embedded`]).
pub struct Service<S = Listening> {
    running: Running,
    server: S,
}

/// The service's own HTTP server on `server.listen`, and the admin API's on `[admin] listen`.
pub struct Listening {
    local_addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    servers: Vec<JoinHandle<()>>,
}

/// No HTTP server of the service's own: the application serves the routes
/// [`Service::start_embedded`] returned.
pub struct Embedded;

/// What [`Service::shutdown`] left for the next start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Events still running when the grace period ended, handed back as pending.
    pub released: usize,
}

/// What every service runs, whoever serves its routes.
struct Running {
    shared: Arc<Shared>,
    recovered: usize,
    stop: watch::Sender<bool>,
    dispatcher: JoinHandle<usize>,
    pollers: Vec<JoinHandle<()>>,
    plugin_watch: JoinHandle<()>,
    retention: JoinHandle<()>,
}

impl Service {
    /// Opens the inbox (events a crashed run left running become pending again), binds
    /// `server.listen` and starts serving. `host` must have the config's plugins loaded
    /// ([`crate::flow::open_host`] does that).
    pub async fn start(host: Host, config: Config) -> anyhow::Result<Self> {
        let listener = bind(config.server.listen, "server.listen", &config).await?;
        let admin_listener = match config.admin_listen {
            Some(listen) => Some(bind(listen, "[admin] listen", &config).await?),
            None => None,
        };
        let local_addr = listener.local_addr()?;
        let admin_addr = match &admin_listener {
            Some(listener) => Some(listener.local_addr()?),
            None => None,
        };
        let server = config.server.clone();
        let (running, routes) = Running::start(host, config).await?;
        let stopping = running.stop.subscribe();
        let mut servers = Vec::new();
        let webhooks = match (admin_listener, routes.admin) {
            (Some(admin_listener), Some(admin)) => {
                servers.push(tokio::spawn(server::serve(
                    admin_listener,
                    admin,
                    server.clone(),
                    stopping.clone(),
                )));
                routes.webhooks
            }
            (None, Some(admin)) => routes.webhooks.merge(admin),
            (_, None) => routes.webhooks,
        };
        servers.push(tokio::spawn(server::serve(
            listener, webhooks, server, stopping,
        )));
        tracing::info!(%local_addr, admin = ?admin_addr, "serving webhooks");
        Ok(Self {
            running,
            server: Listening {
                local_addr,
                admin_addr,
                servers,
            },
        })
    }

    /// Where the server listens (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr
    }

    /// Where the admin API listens when `[admin] listen` is set (else it is on
    /// [`Service::local_addr`]).
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.server.admin_addr
    }

    /// Stops serving: refuses webhooks at once, waits for running attempts up to
    /// `server.shutdown_grace`, hands back the rest, and closes the servers, whose connections
    /// get the same grace whatever their clients do.
    pub async fn shutdown(self) -> anyhow::Result<Stopped> {
        let stopped = self.running.stop().await?;
        for server in self.server.servers {
            server.await.context("the HTTP server failed")?;
        }
        Ok(stopped)
    }
}

/// Binds `listen`, naming the setting it came from when it cannot.
async fn bind(listen: SocketAddr, setting: &str, config: &Config) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen).await.with_context(|| {
        format!(
            "cannot listen on {listen} ({setting} in {})",
            config.path.display()
        )
    })
}

impl Service<Embedded> {
    /// Starts the service like [`Service::start`], but binds nothing (`server.listen` is not
    /// used): the application serves the returned routes in its own server, at its root or
    /// nested under a prefix (`POST /webhooks/{connection}[/{rest}]`, and `/admin/...` when the
    /// config has an `[admin] token`). The router has its state; merge it with
    /// [`Router::merge`] into a `Router<()>` (an application router with state of its own gets
    /// it with `with_state` first).
    pub async fn start_embedded(host: Host, config: Config) -> anyhow::Result<(Self, Router)> {
        let (running, routes) = Running::start(host, config).await?;
        let routes = match routes.admin {
            Some(admin) => routes.webhooks.merge(admin),
            None => routes.webhooks,
        };
        tracing::info!("webhook routes handed to the embedding application");
        Ok((
            Self {
                running,
                server: Embedded,
            },
            routes,
        ))
    }

    /// Stops the engine: from its first moment the routes answer webhooks with 503 (they stay
    /// mounted in the application's server), running attempts get `server.shutdown_grace`, and
    /// the rest is handed back.
    pub async fn shutdown(self) -> anyhow::Result<Stopped> {
        self.running.stop().await
    }
}

impl<S> Service<S> {
    /// Events found running at start (a previous run crashed) and resumed.
    pub fn recovered(&self) -> usize {
        self.running.recovered
    }

    /// The inbox: events, their status and audit trail ([`Inbox::list`], [`Inbox::show`]),
    /// replay and review. Its methods block; from async code call them in [`Inbox::run`].
    pub fn inbox(&self) -> &Inbox {
        &self.running.shared.inbox
    }

    /// The host running the flows' plugins; direct calls through it share their storage.
    pub fn host(&self) -> &Host {
        &self.running.shared.host
    }

    /// Validates `component`, checks the config still works with it, keeps it by content hash in
    /// the data directory's plugin store and makes it serve the events that start from now on;
    /// attempts already running finish on the version they started with. `origin` is recorded
    /// with it (a file name, `admin api`).
    pub async fn install_plugin(
        &self,
        component: &[u8],
        origin: &str,
    ) -> anyhow::Result<Installed> {
        self.running.shared.install_plugin(component, origin).await
    }

    /// Makes the version of `name` installed before its active one serve new events again.
    pub async fn rollback_plugin(&self, name: &str) -> anyhow::Result<Installed> {
        self.running.shared.rollback_plugin(name).await
    }

    /// Every installed plugin: the active version and the earlier ones.
    pub async fn plugin_versions(&self) -> anyhow::Result<Vec<PluginVersions>> {
        self.running.shared.store.versions().await
    }
}

/// The routes of a service, their state given.
struct Routes {
    webhooks: Router,
    /// The admin API and the console, when a token is configured.
    admin: Option<Router>,
}

impl Running {
    /// Recovers the inbox, opens the plugin store, starts the worker pool, the pollers and the
    /// store's watcher, and returns the routes.
    async fn start(host: Host, config: Config) -> anyhow::Result<(Self, Routes)> {
        let inbox = open_inbox(&config)?;
        let now = host.clock().now();
        let recovered = inbox.recover(now).await?;
        if recovered > 0 {
            tracing::warn!(recovered, "resuming events a previous run left unfinished");
        }
        let admin_token = config.admin_token.clone();
        let store = stores::open_plugin_store(&config).await?;
        let shared = Arc::new(Shared::new(host, inbox, store, config)?);

        let webhooks = Router::new()
            .route("/webhooks/{connection}", post(ingress::webhook))
            .route("/webhooks/{connection}/{*rest}", post(ingress::webhook))
            .merge(probes::routes());
        if admin_token.is_none() {
            tracing::info!("no [admin] token configured: the admin API and the console are off");
        }
        let (stop, stopping) = watch::channel(false);
        let dispatcher = tokio::spawn(dispatch::run(shared.clone(), stopping.clone()));
        let plugin_watch = tokio::spawn(plugin_watch::run(shared.clone(), stopping.clone()));
        let retention = tokio::spawn(retention::run(shared.clone(), stopping.clone()));
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
        let body_timeout = shared.config.server.body_timeout;
        let finish = |routes: Router<Arc<Shared>>| {
            routes
                .layer(RequestBodyTimeoutLayer::new(body_timeout))
                .layer(axum::middleware::map_response(admin::json_errors))
                .with_state(shared.clone())
        };
        // The console answers with its own HTML pages, errors included.
        let admin = admin_token.map(|token| {
            finish(admin::routes(token.clone())).merge(
                console::routes(token)
                    .layer(RequestBodyTimeoutLayer::new(body_timeout))
                    .with_state(shared.clone()),
            )
        });
        let routes = Routes {
            webhooks: finish(webhooks),
            admin,
        };
        let running = Self {
            shared,
            recovered,
            stop,
            dispatcher,
            pollers,
            plugin_watch,
            retention,
        };
        Ok((running, routes))
    }

    /// Refuses webhooks, signals every task to stop and waits for them: the worker pool gives
    /// running attempts the grace period and returns how many it handed back.
    async fn stop(self) -> anyhow::Result<Stopped> {
        self.shared.accepting.store(false, Ordering::SeqCst);
        let _ = self.stop.send(true);
        let released = self.dispatcher.await.context("the worker pool failed")?;
        for poller in self.pollers {
            poller.await.context("a poller failed")?;
        }
        self.plugin_watch
            .await
            .context("the plugin store watcher failed")?;
        self.retention
            .await
            .context("the recordings' pruner failed")?;
        Ok(Stopped { released })
    }
}
