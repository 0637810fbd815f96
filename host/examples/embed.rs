//! Embedding the host in another tokio application: an app with routes of its own (`GET /health`,
//! and `GET /orders/{id}`, which answers from the embedded inbox whether a Shopify order reached
//! Sage Intacct and as which invoice) mounts the host's webhook routes in its own axum server.
//! Run it with `cargo run -p ml-connector-host --example embed`: it builds the plugins (cargo
//! rebuilds only what changed), starts the Shopify and Intacct simulators, runs the
//! Shopify → Intacct flow for one order, asks its own route about the order, and shuts down.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use axum::Json;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use ml_connector_builder::{BuildOptions, build_plugins};
use mlc_host::config::Config;
use mlc_host::flow::{self, EventFilter, EventRow, Inbox, Service, Status};
use serde_json::{Value, json};
use simulators::shopify_intacct::{FLOW, SHOPIFY_CONNECTION, Setup, ShopifyIntacct, demo_configs};

/// How long the order may take to reach Intacct.
const WITHIN: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let step = |what: &str| println!("[{:>5.1}s] {what}", started.elapsed().as_secs_f64());

    step("building the plugins into target/plugins (cargo rebuilds only what changed)");
    let plugin_dir = build()?;

    step("starting the Shopify and Sage Intacct simulators");
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await?;

    let dir = scratch_dir()?;
    step(&format!("writing the config to {}", dir.display()));
    let path = sims.write_config(&dir, &Setup::new(&plugin_dir), "")?;
    let config = Config::load(&path)?;

    step("opening the host: plugins loaded, the config checked against them");
    let host = flow::open_host(&config).await?;
    let (service, webhooks) = Service::start_embedded(host, config).await?;

    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/orders/{id}", get(order_status))
        .with_state(service.inbox().clone())
        .merge(webhooks);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_app, app_stopping) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = app_stopping.await;
            })
            .into_future(),
    );
    sims.subscribe(&base);
    step(&format!(
        "serving the app and the webhooks at {base}; the shop sends its webhooks to {base}/webhooks/{SHOPIFY_CONNECTION}"
    ));

    let spec = sims.shopify.sample_order_spec(1);
    let order = sims.shopify.create_order(spec)?;
    step(&format!(
        "order #{} ({}) placed in the shop",
        order.order_number, order.id
    ));

    let client = reqwest::Client::new();
    let answer = wait_for_intacct(&client, &format!("{base}/orders/{}", order.id)).await?;
    step(&format!("GET /orders/{} answers {answer}", order.id));

    sims.shopify.wait_idle().await;
    let stopped = service.shutdown().await?;
    let refused = client
        .post(format!("{base}/webhooks/{SHOPIFY_CONNECTION}"))
        .body("{}")
        .send()
        .await?
        .status();
    step(&format!(
        "host stopped ({} events handed back); the app still serves, its webhook route answers {refused}",
        stopped.released
    ));
    if refused != StatusCode::SERVICE_UNAVAILABLE {
        bail!("a stopped host must refuse webhooks with 503, not {refused}");
    }

    let _ = stop_app.send(());
    server.await??;
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    step("app stopped, scratch directory removed");
    Ok(())
}

/// Builds every plugin crate of the workspace into `target/plugins`; cargo's lines go to stderr.
fn build() -> anyhow::Result<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the host crate sits in the workspace")?;
    let options = BuildOptions::workspace(workspace);
    build_plugins(&options, &mut |line| eprintln!("        {line}"))?;
    Ok(options.out_dir)
}

/// A new directory for the config, the inbox and plugin storage.
fn scratch_dir() -> anyhow::Result<PathBuf> {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    let dir = std::env::temp_dir().join(format!("mlc-embed-{stamp}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Asks the app's own route until the order reached Intacct, or gives up after [`WITHIN`].
async fn wait_for_intacct(client: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + WITHIN;
    loop {
        let answer: Value = client.get(url).send().await?.json().await?;
        if answer["reached_intacct"] == true {
            return Ok(answer);
        }
        if Instant::now() > deadline {
            bail!("the order did not reach Intacct within {WITHIN:?}: {answer}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `GET /orders/{id}`: the flow's events about Shopify order `id`, whether one of them created
/// its invoice in Intacct, and the invoice's record number from that event's external ids.
async fn order_status(
    State(inbox): State<Inbox>,
    UrlPath(id): UrlPath<String>,
) -> (StatusCode, Json<Value>) {
    let filter = EventFilter {
        flow: Some(FLOW.to_owned()),
        limit: 10_000,
        ..EventFilter::default()
    };
    let rows = match inbox.run(move |inbox| inbox.list(&filter)).await {
        Ok(rows) => rows,
        Err(error) => {
            let answer = json!({ "error": error.to_string() });
            return (StatusCode::SERVICE_UNAVAILABLE, Json(answer));
        }
    };
    let events: Vec<&EventRow> = rows
        .iter()
        .filter(|row| row.reference == id && row.topic.starts_with("orders/"))
        .collect();
    let invoice = events
        .iter()
        .filter(|row| row.status == Status::Done)
        .flat_map(|row| &row.external_ids)
        .find(|(kind, _)| kind == "invoice")
        .map(|(_, invoice)| invoice.clone());
    let answer = json!({
        "order": id,
        "reached_intacct": invoice.is_some(),
        "invoice": invoice,
        "events": events
            .iter()
            .map(|row| json!({ "id": row.id, "topic": row.topic, "status": row.status.to_string() }))
            .collect::<Vec<_>>(),
    });
    let status = match events.is_empty() {
        true => StatusCode::NOT_FOUND,
        false => StatusCode::OK,
    };
    (status, Json(answer))
}
