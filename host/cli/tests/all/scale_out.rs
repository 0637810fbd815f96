//! Three `mlc run` processes on one `[store]` database (`support::postgres`: the server of
//! `MLC_TEST_POSTGRES_URL`, else a throwaway cluster): a plugin installed through one host (the
//! CLI in a fourth process) serves on all three within about a second, a rollback through
//! another host's admin API too, and every event's steps carry one version of each plugin: the
//! one active when it started. Three hosts sharing one inbox run both flows at once, each into
//! its own Intacct company: a thousand order events with every webhook delivered to two of them,
//! and a thousand labels the ShipStation poll lists. The host that leads the poll is SIGKILLed
//! mid-burst and restarted: every event done once, the killed host's attempts returned once its
//! lease ran out, each order invoiced and each label posted once, and neither company ever sees
//! two requests at once (the Intacct simulator counts requests in flight per company). A host
//! SIGSTOPped past its lease, then SIGCONT: the other host ran its events, its late outcomes
//! are refused, and each order is invoiced once. A store that cannot be reached stops `mlc run`
//! with its cause, never its password.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use mlc_host::config::Config;
use mlc_host::flow::{self, EventFilter, EventRow, Inbox, Status};
use rust_decimal::Decimal;
use serde_json::Value;
use simulators::intacct::{CompanyConfig, DEMO_COMPANY_ID};
use simulators::shipstation::{ShipStationConfig, ShipStationSim, Shipment, ShipmentSpec};
use simulators::shipstation_intacct;
use simulators::shopify::BucketConfig;
use simulators::shopify_intacct::{self, Setup, ShopifyIntacct, demo_configs};
use support::flows::{ADMIN_TOKEN, admin, scratch, wait_settled};
use support::postgres::Database;
use support::variant::build_variant;

use crate::process::{MlcRun, mlc, text};
use crate::shipstation_intacct_flow::only_batch;

/// Orders before the install, and after it.
const ORDERS: usize = 4;
/// Orders the shop takes while three hosts run both flows: a thousand events, each delivered
/// twice.
const LANE_ORDERS: usize = 500;
/// Labels ShipStation makes meanwhile, each an event the poll lists and the freight flow posts
/// to [`FREIGHT_COMPANY_ID`].
const LANE_LABELS: usize = 1000;
/// The Intacct company the labels post to, beside the demo company the orders post to.
const FREIGHT_COMPANY_ID: &str = "ml-freight";
/// The connection to [`FREIGHT_COMPANY_ID`].
const FREIGHT_CONNECTION: &str = "intacct-freight";
/// The freight company's account the labels' cost is credited to (`shipstation_intacct`'s
/// mapping config).
const ACCRUED_FREIGHT: &str = "2100";
/// How often the freight flow polls ShipStation.
const LABEL_POLL: &str = "1s";
/// Orders the shop takes while one of two hosts is stopped.
const STOPPED_ORDERS: usize = 12;
/// How long the events of a burst may take to settle.
const SETTLE: Duration = Duration::from_secs(120);
/// How long a host may take to serve a change made through another (it compiles the component;
/// about a second when the machine is not busy).
const CHANGE_SEEN: Duration = Duration::from_secs(60);
/// Intacct answers this slowly, so that requests from different hosts would overlap.
const INTACCT_LATENCY: Duration = Duration::from_millis(40);

/// How long a host's claims hold without news from it, in the tests that stop or kill a host.
const SHORT_LEASE: &str = "3s";

/// `[store]` on `database` for a config in `dir`, with [`SHORT_LEASE`].
fn short_lease_store(database: &Database, dir: &std::path::Path) -> String {
    format!("{}lease = \"{SHORT_LEASE}\"\n", database.store_section(dir))
}

/// A host's config on the simulators with `[store]` on `database`.
fn host_config(sims: &ShopifyIntacct, name: &str, database: &Database) -> PathBuf {
    let dir = scratch(name);
    let mut setup = Setup::new(support::plugin_dir());
    setup.admin_token = Some(ADMIN_TOKEN.to_owned());
    sims.write_config(&dir, &setup, &database.store_section(&dir))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_three_hosts_serve_what_one_installs_and_pin_each_event_to_one_version() {
    let next = tokio::task::spawn_blocking(|| build_variant("intacct", "0.1.1"))
        .await
        .unwrap();
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let database = support::postgres::database("scale_out_hosts").await;
    let configs: Vec<PathBuf> = (0..3)
        .map(|n| host_config(&sims, &format!("scale-out-{n}"), &database))
        .collect();
    let hosts: Vec<MlcRun> = configs.iter().map(|path| MlcRun::start(path)).collect();
    let original = serving(&hosts[0].base, "intacct").await;
    for host in &hosts {
        assert_eq!(serving(&host.base, "intacct").await, original);
    }

    sims.subscribe(&hosts[2].base);
    let inbox = flow::open_inbox(&Config::load(&configs[2]).unwrap()).unwrap();
    let before = create_orders(&sims, &inbox, ORDERS).await;

    // The CLI installs through the first host's config; all three serve it.
    let installed = mlc(&configs[0], &["plugin", "install", next.to_str().unwrap()]);
    assert!(installed.status.success(), "{}", text(&installed.stderr));
    let installed_at = Instant::now();
    let mut new_hash = String::new();
    for host in &hosts {
        new_hash = wait_serving_other_than(&host.base, "intacct", &original).await;
    }
    println!(
        "scale-out: an install through one host served on all 3 after {} ms",
        installed_at.elapsed().as_millis()
    );
    let listed = serving_version(&hosts[1].base, "intacct").await;
    assert_eq!(listed, "0.1.1");

    let all = create_orders(&sims, &inbox, ORDERS).await;
    assert!(all.len() > before.len());
    let mut versions = std::collections::BTreeMap::<String, usize>::new();
    for row in &all {
        let steps = inbox.show(row.id).unwrap().steps;
        let intacct: std::collections::BTreeSet<(String, String)> = steps
            .iter()
            .filter(|step| step.plugin.as_deref() == Some("intacct"))
            .map(|step| {
                (
                    step.plugin_version.clone().unwrap(),
                    step.plugin_hash.clone().unwrap(),
                )
            })
            .collect();
        assert!(
            intacct.len() <= 1,
            "event {} ran on one intacct version: {intacct:?}",
            row.id
        );
        if let Some((version, hash)) = intacct.into_iter().next() {
            let expected = if before.iter().any(|early| early.id == row.id) {
                &original
            } else {
                &new_hash
            };
            assert_eq!(&hash, expected, "event {} ran on {version}", row.id);
            *versions.entry(version).or_default() += 1;
        }
    }
    assert!(
        versions.get("0.1.0").is_some_and(|count| *count > 0)
            && versions.get("0.1.1").is_some_and(|count| *count > 0),
        "applies on each version: {versions:?}"
    );

    // A rollback through the second host's admin API: all three serve the original again.
    let (status, body) = admin(
        &hosts[1].base,
        "POST",
        "/admin/plugins/intacct/rollback",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for host in &hosts {
        wait_serving_other_than(&host.base, "intacct", &new_hash).await;
        assert_eq!(serving(&host.base, "intacct").await, original);
    }
    let rows = inbox.list(&EventFilter::default()).unwrap();
    assert!(rows.iter().all(|row| row.status == Status::Done));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_three_hosts_run_both_flows_through_a_sigkill_and_never_call_one_company_twice_at_once()
 {
    let (mut shopify, mut intacct) = demo_configs();
    // A thousand events at once: Shopify's cost bucket is left out of it (the demo's allows
    // about one order a second), and so are ShipStation's rate limits (40 and 200 a minute).
    shopify.bucket = BucketConfig {
        maximum: 100_000_000,
        restore_rate: 100_000_000,
    };
    intacct
        .companies
        .push(CompanyConfig::demo(FREIGHT_COMPANY_ID));
    let ship = ShipStationSim::start(ShipStationConfig {
        v1_rate_limit: 1_000_000,
        v2_rate_limit: 1_000_000,
        ..ShipStationConfig::new(intacct.clock.clone())
    })
    .await
    .unwrap();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let database = support::postgres::database("scale_out_lanes").await;
    sims.intacct.faults().set_latency(INTACCT_LATENCY);

    // Three hosts of one config: the shop's orders to the demo company, the labels ShipStation
    // lists to the freight company. The first host starts alone, so it leads the polling when it
    // is killed.
    let setup = Setup::new(support::plugin_dir());
    let dir = scratch("scale-out-lanes");
    let extra = short_lease_store(&database, &dir)
        + &shipstation_intacct::connection_section(&ship, &dir).unwrap()
        + &sims.intacct_connection_section(FREIGHT_CONNECTION, FREIGHT_COMPANY_ID, &setup)
        + &shipstation_intacct::flow_section_into(FREIGHT_CONNECTION, LABEL_POLL);
    let path = sims.write_config(&dir, &setup, &extra).unwrap();
    let inbox = flow::open_inbox(&Config::load(&path).unwrap()).unwrap();
    let mut hosts = vec![MlcRun::start(&path)];
    wait_polled(&inbox, shipstation_intacct::FLOW).await;
    hosts.extend((0..2).map(|_| MlcRun::start(&path)));
    // The shop delivers every webhook to the second and the third host (twice each event: the
    // shared inbox keeps it once); ShipStation fires none, the poll lists the labels.
    sims.subscribe(&hosts[1].base);
    sims.subscribe(&hosts[2].base);

    // The labels first: the freight flow is under way when the shop takes the orders.
    let labels: Vec<Shipment> = (0..LANE_LABELS)
        .map(|n| {
            ship.add_shipment(ShipmentSpec {
                order_number: "SO-1002".into(),
                tracking_number: format!("9400{n:018}"),
                ..ShipmentSpec::default()
            })
        })
        .collect();
    wait_done(&inbox, shipstation_intacct::FLOW, 4).await;
    for _ in 0..LANE_ORDERS {
        let spec = sims.shopify.sample_order_spec(2);
        sims.shopify.create_order(spec).unwrap();
    }
    // The first host dies mid-burst, holding attempts and the poll's lease.
    wait_done(&inbox, shopify_intacct::FLOW, 4).await;
    hosts[0].child.kill().unwrap();
    hosts[0].child.wait().unwrap();
    let killed_at = Instant::now();
    let done_at_kill =
        [shopify_intacct::FLOW, shipstation_intacct::FLOW].map(|flow| done_in(&inbox, flow));
    // It comes back while the others go on.
    hosts[0] = MlcRun::start(&path);
    let orders_sent = events_the_shop_sent(&sims).await;
    let [orders, freight] = settle(
        &inbox,
        [
            (shopify_intacct::FLOW, orders_sent),
            (shipstation_intacct::FLOW, labels.len()),
        ],
    )
    .await;
    let settled_after = killed_at.elapsed();

    let invoices = sims.intacct.invoice_numbers(DEMO_COMPANY_ID, 0);
    let distinct_invoices: BTreeSet<&Option<String>> = invoices.iter().collect();
    let freight_books = sims.intacct.ledger(FREIGHT_COMPANY_ID);
    let most_in_flight = |company| sims.intacct.most_in_flight(company);
    println!(
        "scale-out: 3 hosts on one inbox ran {} order events and {} label events ({} and {} \
         done at the SIGKILL, {} and {} cut short by it and returned) into {} invoices and {} \
         GL batches, all settled {:.1} s after the kill; at most {} request(s) at once to \
         {DEMO_COMPANY_ID}, {} to {FREIGHT_COMPANY_ID}",
        orders.done,
        freight.done,
        done_at_kill[0],
        done_at_kill[1],
        orders.interrupted,
        freight.interrupted,
        invoices.len(),
        freight_books.gl_batches.len(),
        settled_after.as_secs_f64(),
        most_in_flight(DEMO_COMPANY_ID),
        most_in_flight(FREIGHT_COMPANY_ID),
    );
    assert_eq!(
        orders.done, orders_sent,
        "every order event the shop sent is done, once"
    );
    assert_eq!(freight.done, labels.len(), "every label is one event, done");
    assert!(
        orders.interrupted + freight.interrupted > 0,
        "the killed host held attempts, and they were returned"
    );
    assert_eq!(invoices.len(), LANE_ORDERS, "each order invoiced once");
    assert_eq!(
        distinct_invoices.len(),
        LANE_ORDERS,
        "no invoice number twice: {invoices:?}"
    );
    for label in &labels {
        only_batch(&freight_books, label.id, false);
    }
    assert_eq!(
        freight_books.gl_batches.len(),
        labels.len(),
        "each label posted once"
    );
    let freight_cost: Decimal = labels.iter().map(|label| label.spec.shipment_cost).sum();
    assert_eq!(
        freight_books.account_balance(ACCRUED_FREIGHT),
        -freight_cost,
        "the labels' cost, accrued once"
    );
    assert!(
        sims.ledger().gl_batches.is_empty(),
        "no label posted to the demo company"
    );
    for company in [DEMO_COMPANY_ID, FREIGHT_COMPANY_ID] {
        assert_eq!(
            most_in_flight(company),
            1,
            "{company} never saw two requests at once"
        );
    }
    let (status, ready) = admin(&hosts[0].base, "GET", "/readyz", None, None).await;
    assert_eq!(status, 200, "the restarted host serves: {ready}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_a_host_stopped_past_its_lease_cannot_finish_its_attempts_and_nothing_is_posted_twice()
 {
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let database = support::postgres::database("scale_out_stopped").await;
    // Intacct answers slowly: events queue for the company's lane, claimed by both hosts.
    sims.intacct
        .faults()
        .set_latency(Duration::from_millis(300));
    let mut setup = Setup::new(support::plugin_dir());
    setup.batch = 1;
    let dir = scratch("scale-out-stopped");
    let path = sims
        .write_config(&dir, &setup, &short_lease_store(&database, &dir))
        .unwrap();
    let stopped = MlcRun::start(&path);
    let other = MlcRun::start(&path);
    sims.subscribe(&other.base);
    let inbox = flow::open_inbox(&Config::load(&path).unwrap()).unwrap();

    for _ in 0..STOPPED_ORDERS {
        let spec = sims.shopify.sample_order_spec(2);
        sims.shopify.create_order(spec).unwrap();
    }
    wait_done(&inbox, shopify_intacct::FLOW, 1).await;
    // The first host stops mid-burst, holding claims (and maybe the lane), for three leases.
    stopped.pause();
    tokio::time::sleep(Duration::from_secs(9)).await;
    stopped.resume();

    let sent = events_the_shop_sent(&sims).await;
    let [orders] = settle(&inbox, [(shopify_intacct::FLOW, sent)]).await;
    let refused = stopped
        .stderr()
        .matches("the outcome was not recorded")
        .count();
    let invoices = sims.intacct.invoice_numbers(DEMO_COMPANY_ID, 0);
    let most_in_flight = sims.intacct.most_in_flight(DEMO_COMPANY_ID);
    println!(
        "scale-out: a host stopped for 9 s (lease {SHORT_LEASE}) held {} event(s) that the \
         other host took over; {refused} late outcome(s) refused; {} events, {} invoices; at \
         most {most_in_flight} request(s) at once",
        orders.interrupted,
        orders.done,
        invoices.len(),
    );
    assert!(
        orders.interrupted > 0,
        "the stopped host's claims were returned and run by the other"
    );
    assert!(refused > 0, "the stopped host's late outcomes were refused");
    assert_eq!(orders.done, sent, "every event the shop sent is done, once");
    assert_eq!(invoices.len(), STOPPED_ORDERS, "each order invoiced once");
    assert_eq!(
        most_in_flight, 1,
        "the company never saw two requests at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_a_store_that_cannot_be_reached_stops_mlc_run_with_its_cause() {
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let dir = scratch("scale-out-unreachable");
    std::fs::write(dir.join("store-password"), "hunter2-secret").unwrap();
    let store = "\n[store]\nurl = \"postgresql://mlc@127.0.0.1:1/books\"\n\
                 password = { file = \"store-password\" }\n";
    let path = sims
        .write_config(&dir, &Setup::new(support::plugin_dir()), store)
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mlc"))
        .args(["--config", path.to_str().unwrap(), "run"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("[store] url in {}", path.display()))
            && stderr.contains(
                "PostgreSQL at mlc@127.0.0.1:1/books cannot be reached: error connecting to \
                 server"
            ),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!text(&output.stdout).contains("hunter2"));
}

/// Creates `count` orders in the shop; returns the inbox's events once every event the shop
/// sent so far is done.
async fn create_orders(sims: &ShopifyIntacct, inbox: &Inbox, count: usize) -> Vec<EventRow> {
    for _ in 0..count {
        let spec = sims.shopify.sample_order_spec(2);
        sims.shopify.create_order(spec).unwrap();
    }
    let sent = events_the_shop_sent(sims).await;
    wait_settled(inbox, sent, &[Status::Done], Duration::from_secs(60)).await
}

/// Waits until the shop has sent every webhook, each accepted; returns how many events they
/// carried (a webhook delivered to two hosts is one event).
async fn events_the_shop_sent(sims: &ShopifyIntacct) -> usize {
    sims.shopify.wait_idle().await;
    let deliveries = sims.shopify.deliveries();
    assert!(
        deliveries
            .iter()
            .all(|delivery| delivery.status == Some(200)),
        "every webhook is accepted"
    );
    let sent: BTreeSet<&str> = deliveries
        .iter()
        .map(|delivery| delivery.event_id.as_str())
        .collect();
    sent.len()
}

/// The plugin `name` a host serves: its `serving` entry of `GET /admin/plugins`.
async fn serving_entry(base: &str, name: &str) -> Value {
    let (status, plugins) = admin(base, "GET", "/admin/plugins", Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 200, "{plugins}");
    plugins["serving"]
        .as_array()
        .unwrap()
        .iter()
        .find(|plugin| plugin["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{base} does not serve {name}: {plugins}"))
}

async fn serving(base: &str, name: &str) -> String {
    serving_entry(base, name).await["hash"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn serving_version(base: &str, name: &str) -> String {
    serving_entry(base, name).await["version"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits until the host serves a version of `name` other than `hash`; returns its hash.
async fn wait_serving_other_than(base: &str, name: &str, hash: &str) -> String {
    let deadline = Instant::now() + CHANGE_SEEN;
    loop {
        let now = serving(base, name).await;
        if now != hash {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{base} still serves {name} {hash} {CHANGE_SEEN:?} after the change"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What one flow's events came to.
struct Settled {
    /// Its events, all done.
    done: usize,
    /// How many of them had an attempt cut short.
    interrupted: usize,
}

/// Waits until each of `flows` (name, events expected) has at least its events done and every
/// event in the inbox is done; returns what each flow's events came to.
async fn settle<const N: usize>(inbox: &Inbox, flows: [(&str, usize); N]) -> [Settled; N] {
    let deadline = Instant::now() + SETTLE;
    loop {
        let done: Vec<usize> = flows.iter().map(|(flow, _)| done_in(inbox, flow)).collect();
        let all = inbox.count(&EventFilter::default()).unwrap() as usize;
        let enough = flows
            .iter()
            .zip(&done)
            .all(|((_, expected), done)| done >= expected);
        if enough && all == done.iter().sum::<usize>() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the events did not settle within {SETTLE:?}: done {done:?} of {flows:?}, {all} in \
             the inbox: {:?}",
            inbox.counts().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    flows.map(|(flow, _)| {
        let rows = inbox
            .list(&EventFilter {
                flow: Some(flow.to_owned()),
                limit: 100_000,
                ..EventFilter::default()
            })
            .unwrap();
        let interrupted = rows
            .iter()
            .filter(|row| {
                inbox
                    .show(row.id)
                    .unwrap()
                    .steps
                    .iter()
                    .any(|step| step.name == "interrupted")
            })
            .count();
        Settled {
            done: rows.len(),
            interrupted,
        }
    })
}

/// How many events of `flow` are done.
fn done_in(inbox: &Inbox, flow: &str) -> usize {
    let done = EventFilter {
        status: Some(Status::Done),
        flow: Some(flow.to_owned()),
        ..EventFilter::default()
    };
    inbox.count(&done).unwrap() as usize
}

/// Waits until at least `count` events of `flow` are done.
async fn wait_done(inbox: &Inbox, flow: &str, count: usize) {
    let deadline = Instant::now() + SETTLE;
    while done_in(inbox, flow) < count {
        assert!(
            Instant::now() < deadline,
            "fewer than {count} events of {flow} done within {SETTLE:?}: {:?}",
            inbox.counts().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `flow` has polled once.
async fn wait_polled(inbox: &Inbox, flow: &str) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let state = inbox.poll_state(flow).unwrap();
        if state.polled_at.is_some() {
            assert_eq!(state.last_error, None, "{flow}'s poll failed");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{flow} did not poll within {SETTLE:?}: {state:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
