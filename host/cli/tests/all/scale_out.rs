//! Three `mlc run` processes on one `[store]` database (`support::postgres`: the server of
//! `MLC_TEST_POSTGRES_URL`, else a throwaway cluster): a plugin installed through one host (the
//! CLI in a fourth process) serves on all three within about a second, a rollback through
//! another host's admin API too, and every event's steps carry one version of each plugin: the
//! one active when it started. Three hosts sharing one inbox, a thousand events with every webhook
//! delivered to two of them, one host SIGKILLed mid-burst and restarted: every event done once,
//! the killed host's attempts returned once its lease ran out, and the Intacct company never sees
//! two requests at once. A
//! host SIGSTOPped past its lease, then SIGCONT: the other host ran its events, its late
//! outcomes are refused, and each order is invoiced once. A store that cannot be reached stops
//! `mlc run` with its cause, never its password.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use mlc_host::config::Config;
use mlc_host::flow::{self, EventFilter, EventRow, Inbox, Status};
use serde_json::Value;
use simulators::intacct::DEMO_COMPANY_ID;
use simulators::shopify::BucketConfig;
use simulators::shopify_intacct::{Setup, ShopifyIntacct, demo_configs};
use support::flows::{ADMIN_TOKEN, admin, scratch, wait_settled};
use support::postgres::Database;
use support::variant::build_variant;

use crate::process::{MlcRun, mlc, text};

/// Orders before the install, and after it.
const ORDERS: usize = 4;
/// Orders the shop takes while three hosts post to one company: a thousand events, each
/// delivered twice.
const LANE_ORDERS: usize = 500;
/// Orders the shop takes while one of two hosts is stopped.
const STOPPED_ORDERS: usize = 12;
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
async fn scale_out_three_hosts_share_one_inbox_survive_a_sigkill_and_never_call_one_company_twice_at_once()
 {
    let (mut shopify, intacct) = demo_configs();
    // A thousand events at once: Shopify's cost bucket is left out of it (the demo's allows
    // about one order a second).
    shopify.bucket = BucketConfig {
        maximum: 100_000_000,
        restore_rate: 100_000_000,
    };
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let database = support::postgres::database("scale_out_lanes").await;
    let faults = sims.intacct.faults();

    // The gauge sees requests that overlap: three at once, each answered a second late, before
    // any host runs.
    faults.set_latency(Duration::from_secs(1));
    let client = reqwest::Client::new();
    let send = || {
        client
            .post(sims.intacct.base_url())
            .body("<request/>")
            .send()
    };
    let (a, b, c) = tokio::join!(send(), send(), send());
    for answer in [a, b, c] {
        answer.unwrap();
    }
    assert_eq!(faults.most_in_flight(), 3);
    faults.reset_most_in_flight();
    faults.set_latency(INTACCT_LATENCY);

    // Three hosts of one config; the shop delivers every webhook to the second and the third
    // (twice each event: the shared inbox keeps it once), and all three run events.
    let setup = Setup::new(support::plugin_dir());
    let dir = scratch("scale-out-lanes");
    let path = sims
        .write_config(&dir, &setup, &short_lease_store(&database, &dir))
        .unwrap();
    let mut hosts: Vec<MlcRun> = (0..3).map(|_| MlcRun::start(&path)).collect();
    sims.subscribe(&hosts[1].base);
    sims.subscribe(&hosts[2].base);
    let inbox = flow::open_inbox(&Config::load(&path).unwrap()).unwrap();

    for _ in 0..LANE_ORDERS {
        let spec = sims.shopify.sample_order_spec(2);
        sims.shopify.create_order(spec).unwrap();
    }
    // The first host dies mid-burst, holding attempts.
    wait_done(&inbox, 4).await;
    hosts[0].child.kill().unwrap();
    hosts[0].child.wait().unwrap();
    let killed_at = Instant::now();
    // It comes back while the others go on.
    hosts[0] = MlcRun::start(&path);
    let (rows, sent, interrupted) = settle_all(&sims, &inbox).await;
    let invoices = sims.intacct.invoice_numbers(DEMO_COMPANY_ID, 0);
    println!(
        "scale-out: 3 hosts on one inbox ran {} events ({} of them cut short by the SIGKILL and \
         returned) into {} invoices, all settled {} s after the kill; at most {} request(s) at \
         once",
        rows.len(),
        interrupted,
        invoices.len(),
        killed_at.elapsed().as_secs(),
        faults.most_in_flight()
    );
    assert_eq!(rows.len(), sent, "every event the shop sent is done, once");
    assert!(
        interrupted > 0,
        "the killed host held attempts, and they were returned"
    );
    assert_eq!(invoices.len(), LANE_ORDERS, "each order invoiced once");
    assert_eq!(
        faults.most_in_flight(),
        1,
        "the company never saw two requests at once"
    );
    let (status, ready) = admin(&hosts[0].base, "GET", "/readyz", None, None).await;
    assert_eq!(status, 200, "the restarted host serves: {ready}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scale_out_a_host_stopped_past_its_lease_cannot_finish_its_attempts_and_nothing_is_posted_twice()
 {
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let database = support::postgres::database("scale_out_stopped").await;
    let faults = sims.intacct.faults();
    // Intacct answers slowly: events queue for the company's lane, claimed by both hosts.
    faults.set_latency(Duration::from_millis(300));
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
    wait_done(&inbox, 1).await;
    // The first host stops mid-burst, holding claims (and maybe the lane), for three leases.
    stopped.pause();
    tokio::time::sleep(Duration::from_secs(9)).await;
    stopped.resume();

    let (rows, sent, interrupted) = settle_all(&sims, &inbox).await;
    let refused = stopped
        .stderr()
        .matches("the outcome was not recorded")
        .count();
    let invoices = sims.intacct.invoice_numbers(DEMO_COMPANY_ID, 0);
    println!(
        "scale-out: a host stopped for 9 s (lease {SHORT_LEASE}) held {interrupted} event(s) \
         that the other host took over; {refused} late outcome(s) refused; {} events, {} \
         invoices; at most {} request(s) at once",
        rows.len(),
        invoices.len(),
        faults.most_in_flight()
    );
    assert!(
        interrupted > 0,
        "the stopped host's claims were returned and run by the other"
    );
    assert!(refused > 0, "the stopped host's late outcomes were refused");
    assert_eq!(rows.len(), sent, "every event the shop sent is done, once");
    assert_eq!(invoices.len(), STOPPED_ORDERS, "each order invoiced once");
    assert_eq!(
        faults.most_in_flight(),
        1,
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
    sims.shopify.wait_idle().await;
    let deliveries = sims.shopify.deliveries();
    assert!(
        deliveries
            .iter()
            .all(|delivery| delivery.status == Some(200)),
        "every webhook is accepted"
    );
    let sent: std::collections::BTreeSet<&str> = deliveries
        .iter()
        .map(|delivery| delivery.event_id.as_str())
        .collect();
    wait_settled(inbox, sent.len(), &[Status::Done], Duration::from_secs(60)).await
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

/// Waits until the shop has sent every webhook and each event it sent is done; returns the
/// events, how many the shop sent, and how many of them had an attempt cut short.
async fn settle_all(sims: &ShopifyIntacct, inbox: &Inbox) -> (Vec<EventRow>, usize, usize) {
    sims.shopify.wait_idle().await;
    let sent: std::collections::BTreeSet<String> = sims
        .shopify
        .deliveries()
        .into_iter()
        .map(|delivery| delivery.event_id)
        .collect();
    let rows = wait_settled(inbox, sent.len(), &[Status::Done], Duration::from_secs(180)).await;
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
    (rows, sent.len(), interrupted)
}

/// Waits until at least `count` events are done.
async fn wait_done(inbox: &Inbox, count: u64) {
    let done = EventFilter {
        status: Some(Status::Done),
        ..EventFilter::default()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while inbox.count(&done).unwrap() < count {
        assert!(Instant::now() < deadline, "fewer than {count} events done");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
