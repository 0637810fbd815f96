//! Three `mlc run` processes on one `[store]` database (`support::postgres`: the server of
//! `MLC_TEST_POSTGRES_URL`, else a throwaway cluster): a plugin installed through one host (the
//! CLI in a fourth process) serves on all three within about a second, a rollback through
//! another host's admin API too, and every event's steps carry one version of each plugin: the
//! one active when it started. Three shops, one host each, posting to one Intacct company: the
//! company never sees two requests at once. A store that cannot be reached stops `mlc run` with
//! its cause, never its password.
//!
//! Each host keeps its own inbox for now: a shop sends its webhooks to one of them.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use mlc_host::config::Config;
use mlc_host::flow::{self, EventFilter, EventRow, Inbox, Status};
use serde_json::Value;
use simulators::intacct::DEMO_COMPANY_ID;
use simulators::shopify::{ShopifyConfig, ShopifySim};
use simulators::shopify_intacct::{
    SHOPIFY_CONNECTION, Setup, ShopifyIntacct, TOPICS, demo_configs,
};
use support::flows::{ADMIN_TOKEN, admin, scratch, wait_settled};
use support::postgres::Database;
use support::variant::build_variant;

use crate::process::{MlcRun, mlc, text};

/// Orders before the install, and after it.
const ORDERS: usize = 4;
/// Orders each shop takes while three hosts post to one company.
const LANE_ORDERS: usize = 8;
/// How long a host may take to serve a change made through another (it compiles the component;
/// about a second when the machine is not busy).
const CHANGE_SEEN: Duration = Duration::from_secs(60);
/// Intacct answers this slowly, so that requests from different hosts would overlap.
const INTACCT_LATENCY: Duration = Duration::from_millis(40);

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
async fn scale_out_three_hosts_never_call_one_intacct_company_twice_at_once() {
    let (shop_config, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shop_config.clone(), intacct)
        .await
        .unwrap();
    let mut shops = vec![&sims.shopify];
    // Two more shops whose order numbers and ids start elsewhere (#2001, #3001).
    let mut others = Vec::new();
    for number in 2..=3u64 {
        let config = ShopifyConfig {
            first_order_number: number * 1000 + 1,
            first_id: shop_config.first_id + number * 1_000_000,
            ..shop_config.clone()
        };
        others.push(ShopifySim::start(config).await.unwrap());
    }
    shops.extend(&others);
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

    let mut hosts = Vec::new();
    for (number, shop) in shops.iter().enumerate() {
        let dir = scratch(&format!("scale-out-lanes-{number}"));
        let mut setup = Setup::new(support::plugin_dir());
        setup.batch = 1;
        let path = sims
            .write_config(&dir, &setup, &database.store_section(&dir))
            .unwrap();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace(&sims.shopify.base_url(), &shop.base_url());
        std::fs::write(&path, text).unwrap();
        let host = MlcRun::start(&path);
        let target = format!("{}/webhooks/{SHOPIFY_CONNECTION}", host.base);
        for topic in TOPICS {
            shop.subscribe(topic, &target);
        }
        hosts.push((path, host));
    }

    for _ in 0..LANE_ORDERS {
        for shop in &shops {
            let spec = shop.sample_order_spec(2);
            shop.create_order(spec).unwrap();
        }
    }
    let mut events = 0;
    for ((path, _), shop) in hosts.iter().zip(&shops) {
        shop.wait_idle().await;
        let sent: std::collections::BTreeSet<String> = shop
            .deliveries()
            .into_iter()
            .map(|delivery| delivery.event_id)
            .collect();
        let inbox = flow::open_inbox(&Config::load(path).unwrap()).unwrap();
        let rows = wait_settled(
            &inbox,
            sent.len(),
            &[Status::Done],
            Duration::from_secs(120),
        )
        .await;
        events += rows.len();
    }
    let invoices = sims.intacct.invoice_numbers(DEMO_COMPANY_ID, 0);
    println!(
        "scale-out: 3 hosts posted {events} events, {} invoices, to one company; at most {} \
         request(s) at once",
        invoices.len(),
        faults.most_in_flight()
    );
    assert_eq!(invoices.len(), 3 * LANE_ORDERS, "each order invoiced once");
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
