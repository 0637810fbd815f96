//! Shared by the integration tests of the host library and of the `mlc` CLI (a crate, so that both
//! packages' test binaries use one copy): the workspace's plugins, built once per test binary; a
//! host with them loaded; a local HTTP server that counts what reaches it; helpers to drive
//! `testkit`; and a connection to the Intacct simulator. What needs the `mlc` binary itself lives
//! in the CLI's tests.

pub mod calls;
pub mod flows;
pub mod ledger;
pub mod postgres;
pub mod variant;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::routing::{get, post};
use ml_connector_builder::{BuildOptions, build_plugins};
use mlc_host::types::{Applied, Command, PluginError};
use mlc_host::{CallReport, Connection, ConnectorCall, Host, HostBuilder, Secret};
use serde_json::Value;
use simulators::intacct::{DEMO_COMPANY_ID, DEMO_SENDER_ID, DEMO_USER_ID, IntacctSim};

/// The workspace's root directory (this crate is `host/tests/support` in it).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(3)
        .expect("the support crate sits at host/tests/support in the workspace")
}

/// The directory holding the built plugin components (built on first use).
pub fn plugin_dir() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let options = BuildOptions::workspace(workspace_root());
        build_plugins(&options, &mut |line| eprintln!("{line}")).expect("building the plugins");
        options.out_dir
    })
}

/// A host from `builder` with every built plugin loaded.
pub async fn host_with(builder: HostBuilder) -> Host {
    let dir = plugin_dir();
    let host = builder
        .cache_dir(dir.join(".compiled"))
        .build()
        .expect("building the host");
    host.load_plugin_dir(dir)
        .await
        .expect("loading the plugins");
    host
}

pub async fn host() -> Host {
    host_with(Host::builder()).await
}

/// Connection `name` to `sim`'s demo company, signing in with these sender and user passwords.
pub fn intacct_connection(
    sim: &IntacctSim,
    name: &str,
    sender_password: &str,
    user_password: &str,
) -> Connection {
    Connection::new(name)
        .unwrap()
        .allow(&sim.base_url())
        .unwrap()
        .setting("base_url", sim.base_url())
        .setting("company_id", DEMO_COMPANY_ID)
        .setting("user_id", DEMO_USER_ID)
        .secret("sender_id", Secret::new(DEMO_SENDER_ID))
        .secret("sender_password", Secret::new(sender_password))
        .secret("user_password", Secret::new(user_password))
}

/// A command with a key derived from its kind.
pub fn command(kind: &str, body: Value) -> Command {
    Command {
        kind: kind.into(),
        key: format!("test/{kind}"),
        body: body.to_string(),
    }
}

/// Applies one command and returns its result.
pub async fn apply_one(
    connector: &ConnectorCall,
    kind: &str,
    body: Value,
) -> CallReport<Result<Applied, PluginError>> {
    connector
        .apply(&[command(kind, body)])
        .await
        .map(|mut results| results.remove(0))
}

/// The `data` JSON of a command that must have succeeded.
pub fn data(report: &CallReport<Result<Applied, PluginError>>) -> Value {
    match &report.result {
        Ok(Ok(applied)) => {
            serde_json::from_str(applied.data.as_deref().unwrap_or("null")).expect("data is JSON")
        }
        other => panic!("the command failed: {other:?}"),
    }
}

/// A local HTTP server that counts the requests reaching it.
pub struct TestServer {
    pub base_url: String,
    hits: Arc<AtomicUsize>,
}

impl TestServer {
    /// Routes: `GET /hello` (text, header `x-served-by: test`), `POST /echo` (the body back),
    /// `GET /slow` (answers after 3 s), `GET /big` (2 MiB).
    pub async fn start() -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let router = Router::new()
            .route(
                "/hello",
                get(|| async { ([("x-served-by", "test")], "hello") }),
            )
            .route("/echo", post(|body: Bytes| async move { body }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "late"
                }),
            )
            .route("/big", get(|| async { vec![b'x'; 2 << 20] }))
            .layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    next.run(request)
                },
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a local port");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { base_url, hits }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
