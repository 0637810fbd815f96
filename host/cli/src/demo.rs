//! `mlc demo`: the Shopify → Sage Intacct and ShipStation → Sage Intacct flows, for real, against
//! the built-in simulators. Builds the plugins, starts a simulated shop, a simulated ShipStation
//! account and a simulated Intacct company, writes an `mlc.toml` for them into a fresh temporary
//! directory, serves it in process (the same engine `mlc run` serves), and subscribes the shop's
//! and ShipStation's webhooks to it. Then a business day happens in the shop ([`day`],
//! [`actions`]) and a shipping day in ShipStation ([`ship_day`], [`shipping`]), and the demo prints
//! the events the flows took in ([`event_report`]), the books they left in Intacct
//! ([`ledger_report`]) and the freight by carrier and warehouse ([`freight_report`]), and ends with
//! the sandbox refusing a request off the allowlist and stopping an endless loop ([`sandbox`]),
//! and what the recordings of the day's attempts give: a replay with no network and a dry-run
//! ([`recordings`]).
//! It ends by naming the console and `/metrics` of the host that ran it; with `--serve` the host
//! and the simulators stay up until Ctrl-C, so the demo's events can be clicked through.

mod actions;
mod day;
mod event_report;
mod freight_report;
mod ledger_report;
mod recordings;
mod sandbox;
mod settle;
mod ship_day;
mod shipping;
mod table;

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use ml_connector_builder::PluginTarget;
use mlc_host::Secret;
use mlc_host::config::Config;
use mlc_host::flow::{self, EventFilter, Service};
use simulators::shipstation::{ShipStationConfig, ShipStationSim};
use simulators::shipstation_intacct;
use simulators::shopify_intacct::{FLOW, Setup, ShopifyIntacct, demo_configs};

use crate::plugins;
use crate::run::{console_url, record_metrics, stop_signal};

/// How often the demo's freight flow polls ShipStation (a real account: `"4h"`), so that a lost
/// webhook and a void (which fires none) are found within the demo.
const SHIPSTATION_POLL: &str = "3s";

pub async fn run(workspace: &Path, plugin_dir: &Path, serve: bool) -> anyhow::Result<()> {
    record_metrics()?;
    println!("== building plugins");
    plugins::build(workspace, plugin_dir, PluginTarget::Any).await?;
    let plugin_dir = std::path::absolute(plugin_dir)?;

    println!("\n== Shopify → Sage Intacct, on the simulators");
    let (shopify, intacct) = demo_configs();
    let company = intacct
        .companies
        .first()
        .context("the demo Intacct config has no company")?;
    let (company_id, chart) = (company.company_id.clone(), company.accounts.clone());
    let clock = intacct.clock.clone();
    let sims = ShopifyIntacct::start(shopify, intacct).await?;
    let ship = ShipStationSim::start(ShipStationConfig::new(clock)).await?;
    let dir = fresh_dir()?;
    let extra = shipstation_intacct::config_section(&ship, &dir, SHIPSTATION_POLL)?;
    let setup = Setup {
        admin_token: Some(Secret::generate().expose().to_owned()),
        ..Setup::new(&plugin_dir)
    };
    let path = sims.write_config(&dir, &setup, &extra)?;
    let config = Config::load(&path)?;
    let starting = Instant::now();
    let host = flow::open_host(&config).await?;
    let service = Service::start(host, config).await?;
    let startup = starting.elapsed();
    let base_url = format!("http://{}", service.local_addr());
    sims.subscribe(&base_url);
    shipstation_intacct::subscribe(&ship, &base_url);
    println!(
        "  shop      {}  (Shopify simulator)",
        sims.shopify.base_url()
    );
    println!(
        "  Intacct   {}  (Intacct simulator, company {company_id})",
        sims.intacct.base_url()
    );
    println!("  ShipStation {}  (ShipStation simulator)", ship.base_url());
    println!("  mlc       {base_url}  serving flow {FLOW}: shopify → shopify-intacct → intacct");
    println!(
        "            and flow {}: shipstation → shipstation-intacct → intacct (polling every {SHIPSTATION_POLL})",
        shipstation_intacct::FLOW
    );
    println!("  config    {}", path.display());
    println!(
        "  (the host compiled the plugins for this data directory and started in {startup:.1?})"
    );

    println!("\n== a day in the shop (each line: what happened → the flow's events, settled)");
    let requests_before = sims.intacct.request_count();
    let started = Instant::now();
    let mut shop = actions::Shop::new(&sims.shopify, service.inbox());
    day::run(&mut shop).await?;
    let mut labels = shop.into_labels();
    let took = started.elapsed();
    let requests = sims.intacct.request_count() - requests_before;

    println!(
        "\n== a shipping day in ShipStation (each line: what happened → the flow's events, settled)"
    );
    println!(
        "  every label comes twice, by its SHIP_NOTIFY webhook and by the poll; both map to the one GL\n  \
         batch keyed by the shipment id, so it posts once. A void fires no webhook: only the poll sees it."
    );
    let shipping_started = Instant::now();
    let mut warehouse = shipping::Warehouse::new(&ship, service.inbox());
    ship_day::run(&mut warehouse).await?;
    labels.extend(warehouse.into_labels());
    let shipping_took = shipping_started.elapsed();

    let mut events = service
        .inbox()
        .list(&EventFilter {
            limit: 100_000,
            ..EventFilter::default()
        })
        .context("listing the events")?;
    events.reverse();
    println!("\n== the events");
    print!("{}", event_report::render(&events, &labels));
    let done = events
        .iter()
        .filter(|event| event.status == flow::Status::Done)
        .count();
    println!(
        "  {} events, {done} done, {} not; {requests} requests to Intacct in the shop's day, which took \
         {:.1?}; the shipping day took {shipping_took:.1?} (mostly waiting for the poll)",
        events.len(),
        events.len() - done,
        took
    );
    let details = events
        .iter()
        .map(|event| service.inbox().show(event.id))
        .collect::<Result<Vec<_>, _>>()
        .context("reading the audit trail")?;
    println!("  {}", event_report::time_spent(&details));

    println!("\n== the books in Intacct (company {company_id})");
    let ledger = sims.ledger();
    print!("{}", ledger_report::render(&ledger, &chart));

    println!("\n== freight in Intacct (the ShipStation flow's GL batches)");
    print!("{}", freight_report::render(&ledger, &chart));

    println!("\n== the sandbox");
    sandbox::show(service.host()).await?;

    println!("\n== the recordings (dry-runs and deterministic replay)");
    let mapping = plugin_dir.join("shopify-intacct.wasm");
    recordings::show(&Config::load(&path)?, service.inbox(), &events, &mapping).await?;

    let config = path.display();
    println!("\n== what to try next");
    println!("  the inbox and its audit trail stay in {}:", dir.display());
    println!("  cargo mlc -- events list --config {config}");
    let failed = events
        .iter()
        .find(|event| event.status == flow::Status::Failed);
    if let Some(failed) = failed {
        println!(
            "  cargo mlc -- events show {} --config {config}    (why event {} failed, step by step)",
            failed.id, failed.id
        );
    }
    let paid = events
        .iter()
        .find(|event| event.external_ids.iter().any(|(kind, _)| kind == "payment"));
    if let Some(paid) = paid.or(events.first()) {
        println!(
            "  cargo mlc -- events show {} --config {config}    (fetch, map, apply: every request, secrets redacted)",
            paid.id
        );
        println!(
            "  cargo mlc -- replay {} --deterministic --config {config}    (its fetch and map again, on its recording)",
            paid.id
        );
    }
    println!(
        "  cargo mlc -- dry-run --flow {FLOW} --mapping {} --config {config}    (a candidate mapping over the day)",
        mapping.display()
    );

    println!("\n== the console");
    let token_file = dir.join("secrets/admin-token");
    let console = console_url(&service);
    if serve {
        println!("  console   {console}");
        println!(
            "            sign in with any name and the token in {}",
            token_file.display()
        );
        println!("  metrics   {base_url}/metrics");
        println!("  serving the flows and the simulators until Ctrl-C");
        stop_signal().await?;
        println!("  stopping");
    } else {
        println!(
            "  the host served the console at {console} and its metrics at {base_url}/metrics while the\n  \
             demo ran; `cargo demo --serve` keeps them and the simulators up until Ctrl-C"
        );
    }
    service.shutdown().await?;
    Ok(())
}

/// A new directory under the system's temporary directory, kept after the demo so its config,
/// inbox and audit trail can be looked at.
fn fresh_dir() -> anyhow::Result<PathBuf> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let dir = std::env::temp_dir().join(format!("mlc-demo-{stamp}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
