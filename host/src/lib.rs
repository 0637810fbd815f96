//! The embeddable ml-connector host: it loads WebAssembly plugins (connectors and mappings built
//! against the WIT contract in `wit/`) and runs each call in a fresh, sandboxed instance.
//!
//! ```text
//! Host::builder() ── engine (component model, epoch interruption, pooling where the machine allows)
//!       │            compiled-component cache by content hash, one linker per plugin world
//!       ├─ load_plugin(bytes) / load_plugin_dir(dir) ── describe() once, then an InstancePre per plugin
//!       ├─ connector(name, connection) ── ping / verify / fetch / poll / apply, each in a fresh Store
//!       └─ mapping(name, settings)     ── describe / map, with log and config only
//! ```
//!
//! Every call is bounded by [`Limits`]: a memory cap, a CPU deadline (time spent executing wasm,
//! measured with epochs), a wall-clock timeout, and for connectors an outbound allowlist
//! (`scheme://host:port`), an HTTP timeout and a response-size cap. A trap, a panic, an endless loop
//! or memory exhaustion fails that call with a [`CallError`]; the host goes on serving. When the
//! host itself cannot run a call, the error is a typed [`HostError`] whose [`HostErrorKind`] says
//! what to do: fix the configuration, try again in a moment, or replace the plugin. Each call
//! returns a [`CallReport`]: its result, the plugin's log records and every outbound request it made,
//! with the connection's secrets redacted.
//!
//! Nothing here is global: two [`Host`]s in one process have separate engines, plugins and storage,
//! and two [`flow::Service`]s separate inboxes, plugin stores and servers
//! (`host/tests/all/two_hosts.rs`).
//!
//! # Embedding
//!
//! `mlc` (the `ml-connector-cli` crate, `host/cli`) is a thin command line over this library; an
//! application embeds it the same way. By task:
//!
//! - **Build a host.** [`Host::builder`] sets the [`Limits`] of every call, plugin storage (any
//!   [`storage::KvStore`]; [`storage::SqliteStore`] keeps it in a file), the [`clock::Clock`]
//!   plugins see and a directory for compiled components. For flows, [`flow::open_host`] builds
//!   the host an `mlc.toml` describes: compiled components in its `data_dir`, and the inbox,
//!   plugin storage and the plugin store where its `[store]` says ([`flow::stores`]: files in
//!   `data_dir`, or, with the `postgres` feature, a PostgreSQL database several hosts share).
//! - **Route connectors' HTTP.** Every request a connector makes, once the sandbox allowed it,
//!   goes through an [`outbound::OutboundHttp`] ([`outbound::ReqwestHttp`] unless
//!   [`HostBuilder::outbound_http`] sets another: a recorder, a replayer, a test double).
//! - **Load plugins.** [`Host::load_plugin`] and [`Host::load_plugin_dir`] load components
//!   (validated against the contract, compiled, asked to describe themselves); [`Host::plugins`]
//!   lists what is loaded. [`Host::prepare_plugin`] then [`Host::activate`] split the two steps,
//!   to check a plugin before it serves.
//! - **Call plugins directly.** [`Host::connector`] on a [`Connection`] (its allowlist, settings
//!   and secrets) gives a [`ConnectorCall`] (`ping`, `verify`, `fetch`, `poll`, `apply`);
//!   [`Host::mapping`] a [`MappingCall`] (`map`). Each call returns a [`CallReport`].
//! - **Configure and start flows.** [`config::Config::load`] reads and checks an `mlc.toml` (see
//!   [`config`]); [`flow::open_host`] loads its plugin directory and installed plugins and checks
//!   the config against them; [`flow::Service::start`] serves the flows: webhooks on
//!   `server.listen`, workers, pollers, the admin API.
//! - **Handle webhooks in your own server.** [`flow::Service::start_embedded`] starts the same
//!   engine without a listener and returns an axum [`Router`](axum::Router) with
//!   `POST /webhooks/{connection}` (and the admin API when configured) to merge into your own.
//! - **Read events and the audit trail.** [`flow::Service::inbox`] is the durable
//!   [`flow::Inbox`]: [`flow::Inbox::list`] with an [`flow::EventFilter`] gives
//!   [`flow::EventRow`]s (status, attempts, the ids the sink created), [`flow::Inbox::show`] an
//!   event's every [`flow::Step`] (plugin, version and hash, requests with secrets redacted, log
//!   records, commands); [`flow::Inbox::replay`] and [`flow::Inbox::resolve`] act on them. Its
//!   methods block: call them inside [`flow::Inbox::run`]. [`flow::open_inbox`] opens a config's
//!   inbox (its SQLite file, or with `[store]` the PostgreSQL inbox its hosts share) whether or
//!   not a service runs on it.
//! - **Install and roll back plugins while serving.** [`flow::Service::install_plugin`] checks a
//!   component against the config, keeps it by content hash and makes it serve the events that
//!   start from then on; [`flow::Service::rollback_plugin`] returns to the version before;
//!   [`flow::Service::plugin_versions`] lists them. Without a service: [`flow::plugins`].
//! - **Shut down.** [`flow::Service::shutdown`] refuses webhooks (503) from its first moment,
//!   gives running attempts `server.shutdown_grace` and hands the rest back to the inbox for the
//!   next start ([`flow::Stopped`]).
//!
//! Flows served from your own axum server (`host/examples/embed.rs` runs this against the
//! simulators: `cargo run -p ml-connector-host --example embed`):
//!
//! ```no_run
//! use axum::Router;
//! use axum::routing::get;
//! use mlc_host::config::Config;
//! use mlc_host::flow::{self, EventFilter, Service, Status};
//!
//! # async fn embed() -> anyhow::Result<()> {
//! let config = Config::load("mlc.toml".as_ref())?;
//! let host = flow::open_host(&config).await?;
//! let (service, webhooks) = Service::start_embedded(host, config).await?;
//!
//! let app = Router::new()
//!     .route("/health", get(|| async { "ok" }))
//!     .merge(webhooks);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! let server = tokio::spawn(axum::serve(listener, app).into_future());
//!
//! // The failed events, and the steps of each.
//! let failed = EventFilter {
//!     status: Some(Status::Failed),
//!     limit: 50,
//!     ..EventFilter::default()
//! };
//! let trails = service
//!     .inbox()
//!     .run(move |inbox| {
//!         let events = inbox.list(&failed)?;
//!         events.iter().map(|event| inbox.show(event.id)).collect::<Result<Vec<_>, _>>()
//!     })
//!     .await?;
//! for trail in &trails {
//!     println!("{}: {} steps", trail.event.summary(), trail.steps.len());
//! }
//!
//! // A new build of a connector for the events from now on; then back to the one before.
//! let component = std::fs::read("target/plugins/intacct.wasm")?;
//! let installed = service.install_plugin(&component, "intacct.wasm").await?;
//! println!("{} {} serves", installed.active.name, installed.active.version);
//! service.rollback_plugin("intacct").await?;
//!
//! let stopped = service.shutdown().await?; // webhooks get 503 from here on
//! println!("{} events handed back for the next start", stopped.released);
//! server.abort();
//! # Ok(())
//! # }
//! ```
//!
//! A host on its own, calling a connector:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use mlc_host::{Connection, Host, Limits, Secret};
//!
//! # async fn call() -> anyhow::Result<()> {
//! let host = Host::builder()
//!     .limits(Limits::default())
//!     .cache_dir("target/plugins/.compiled")
//!     .build()?;
//! host.load_plugin_dir("target/plugins".as_ref()).await?;
//! let shop = Arc::new(
//!     Connection::new("shop")?
//!         .allow("https://demo-shop.myshopify.com")?
//!         .setting("shop_domain", "demo-shop.myshopify.com")
//!         .secret("access_token", Secret::new(std::env::var("SHOP_TOKEN")?)),
//! );
//! let report = host.connector("shopify", shop)?.ping().await;
//! println!("{:?} in {:?}", report.result, report.total_time);
//! # Ok(())
//! # }
//! ```

mod call;
mod capabilities;
pub mod clock;
pub mod config;
mod connection;
mod engine;
mod error;
pub mod flow;
mod host;
mod limits;
pub mod metrics;
pub mod outbound;
mod plugin;
pub mod plugin_store;
#[cfg(feature = "postgres")]
mod postgres;
mod redact;
mod sandbox;
mod sqlite;
pub mod storage;
pub mod tape;
mod trace;
mod wit;
mod world;

/// The current contract version's worlds, interfaces and types, which the host implements and
/// speaks; older versions are known only to [`wit`].
use wit::latest as bindings;

pub use call::{ConnectorCall, MappingCall};
pub use connection::{Connection, ConnectionError, Origin, Secret};
pub use engine::Pooling;
pub use error::{CallError, HostError, HostErrorKind, SandboxStop};
pub use host::{Host, HostBuilder, PreparedPlugin, component_files};
pub use limits::Limits;
pub use plugin::cache::content_hash;
pub use plugin::{PluginSummary, World};
pub use trace::{CallReport, HttpExchange, LogRecord};

/// The WIT types that cross the plugin boundary, as the host sees them.
pub mod types {
    pub use crate::bindings::http::Method as HttpMethod;
    pub use crate::bindings::log::Level;
    pub use crate::bindings::types::{
        Applied, Command, Entity, Event, InboundRequest, PluginError, PluginInfo, PollResult,
        RateLimit, Rejection, VerifyError,
    };
}
