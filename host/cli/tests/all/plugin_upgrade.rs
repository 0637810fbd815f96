//! Upgrading the `intacct` connector while the Shopify → Intacct flow serves a steady stream of
//! webhooks, and rolling it back, with no restart: the vendor's next version (the same crate built
//! as 0.1.1, see `support::variant`) goes in through the admin API, the rollback through
//! `mlc plugin rollback` in another process (the running service picks it up from the store).
//! Every webhook is accepted and every event done, each order is invoiced exactly once, the events
//! that arrive after each change run on the version it made active, and an apply that began
//! before the upgrade finished on the version it began with. An event whose first attempts failed
//! before the upgrade is retried on the version it was pinned to at its first claim, and a person's
//! replay runs it on the active one.
//!
//! The CLI's install, list and rollback, and their refusals, are tested on their own below.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use mlc_host::config::Config;
use mlc_host::flow::{self, EventRow, Service, Status, Step};
use serde_json::Value;
use simulators::shopify::BucketConfig;
use simulators::shopify_intacct::{Setup, ShopifyIntacct, demo_configs};
use support::flows::{ADMIN_TOKEN, scratch, store_section, wait_settled};
use support::variant::build_variant;

/// Orders per phase (before the upgrade, on the new version, after the rollback).
const PER_PHASE: usize = 12;
/// The stream's pace: one order every this long.
const PACE: Duration = Duration::from_millis(120);
/// The sink answers this slowly, so applies are in flight when versions change.
const INTACCT_LATENCY: Duration = Duration::from_millis(60);

const ADMIN: &str = "\n[admin]\ntoken = { file = \"admin-token\" }\n";

/// Orders whose first attempts fail (Intacct answers 503) while 0.1.0 serves, and orders after the
/// upgrade.
const PINNED_ORDERS: usize = 3;

/// A cost bucket the shop never runs short of: the stream is paced by the test, not by Shopify.
const NO_BUCKET: BucketConfig = BucketConfig {
    maximum: 100_000_000,
    restore_rate: 100_000_000,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn intacct_is_upgraded_and_rolled_back_under_a_steady_stream() {
    let (next, sims) = next_intacct_and_simulators().await;
    sims.intacct.faults().set_latency(INTACCT_LATENCY);
    let dir = scratch("upgrade");
    let path = sims
        .write_config(
            &dir,
            &Setup::new(support::plugin_dir()),
            &format!("{ADMIN}{}", store_section(&dir)),
        )
        .unwrap();
    let config = Config::load(&path).unwrap_or_else(|error| panic!("{error}"));
    let host = flow::open_host(&config).await.unwrap();
    let old_hash = serving_hash(&host, "intacct");
    let service = Service::start(host, config).await.unwrap();
    let base = format!("http://{}", service.local_addr());
    sims.subscribe(&base);

    let mut orders = Vec::new();
    stream(&sims, &mut orders, PER_PHASE).await;

    let refused = install_over_api(&base, Vec::new()).await;
    assert_eq!(refused.0, 400, "an empty body is refused: {}", refused.1);
    let install_started = Utc::now();
    let (status, installed) = install_over_api(&base, std::fs::read(&next).unwrap()).await;
    let install_done = Utc::now();
    assert_eq!(status, 200, "the install is accepted: {installed}");
    assert_eq!(installed["active"]["version"], "0.1.1");
    assert_eq!(installed["replaced"]["version"], "0.1.0");
    assert_eq!(installed["new_to_store"], true);
    let new_hash = installed["active"]["hash"].as_str().unwrap().to_owned();
    assert_ne!(new_hash, old_hash);

    stream(&sims, &mut orders, PER_PHASE).await;

    let rollback_started = Utc::now();
    let rolled = mlc(&path, &["plugin", "rollback", "intacct"]);
    assert!(
        rolled.contains("intacct 0.1.0") && rolled.contains("active again"),
        "{rolled}"
    );
    wait_serving(&base, "intacct", &old_hash).await;
    let rollback_done = Utc::now();

    stream(&sims, &mut orders, PER_PHASE).await;

    // Nothing lost: the shop's every delivery was accepted, and every event it made is done.
    sims.shopify.wait_idle().await;
    let deliveries = sims.shopify.deliveries();
    assert!(
        deliveries
            .iter()
            .all(|delivery| delivery.status == Some(200)),
        "every webhook is accepted while versions change: {:?}",
        deliveries
            .iter()
            .filter(|delivery| delivery.status != Some(200))
            .map(|delivery| (&delivery.topic, delivery.status))
            .collect::<Vec<_>>()
    );
    let expected: std::collections::BTreeSet<&str> = deliveries
        .iter()
        .map(|delivery| delivery.event_id.as_str())
        .collect();
    let rows = wait_settled(
        service.inbox(),
        expected.len(),
        &[Status::Done, Status::Failed, Status::Review],
        Duration::from_secs(90),
    )
    .await;
    assert_eq!(rows.len(), expected.len());
    assert!(
        rows.iter().all(|row| row.status == Status::Done),
        "every event is done: {:?}",
        rows.iter()
            .filter(|row| row.status != Status::Done)
            .map(EventRow::summary)
            .collect::<Vec<_>>()
    );

    // None twice: one invoice per order, under its number.
    let ledger = sims.ledger();
    assert_eq!(ledger.invoices.len(), orders.len());
    for number in &orders {
        let invoices = ledger
            .invoices
            .iter()
            .filter(|invoice| invoice.document.number.as_deref() == Some(number.as_str()))
            .count();
        assert_eq!(invoices, 1, "order {number} is invoiced exactly once");
    }

    // Which version ran each apply.
    let mut phases: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        let steps = service.inbox().show(row.id).unwrap().steps;
        for apply in intacct_applies(&steps) {
            let hash = apply.plugin_hash.as_deref().unwrap();
            if apply.started_at < install_started {
                assert_eq!(hash, old_hash, "an apply begun before the upgrade: {row:?}");
                *phases.entry("before").or_default() += 1;
            }
            if row.received_at > install_done && row.received_at < rollback_started {
                assert_eq!(hash, new_hash, "an event received on 0.1.1: {row:?}");
                assert_eq!(apply.plugin_version.as_deref(), Some("0.1.1"));
                *phases.entry("upgraded").or_default() += 1;
            }
            if row.received_at > rollback_done {
                assert_eq!(
                    hash, old_hash,
                    "an event received after the rollback: {row:?}"
                );
                assert_eq!(apply.plugin_version.as_deref(), Some("0.1.0"));
                *phases.entry("rolled back").or_default() += 1;
            }
        }
    }
    for phase in ["before", "upgraded", "rolled back"] {
        assert!(
            phases.get(phase).copied().unwrap_or(0) >= PER_PHASE / 2,
            "too few applies {phase}: {phases:?}"
        );
    }

    // The store keeps both; the list shows which one serves.
    let listed: Value = serde_json::from_str(&mlc(&path, &["plugin", "list", "--json"])).unwrap();
    let intacct = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|plugin| plugin["name"] == "intacct")
        .unwrap();
    assert_eq!(intacct["active"]["hash"], old_hash.as_str());
    assert_eq!(intacct["activated_by"], "rollback");
    assert_eq!(intacct["inactive"][0]["hash"], new_hash.as_str());
    assert_eq!(intacct["inactive"][0]["origin"], "admin api");

    service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_retried_after_an_upgrade_runs_the_version_of_its_first_claim_until_replayed() {
    let (next, sims) = next_intacct_and_simulators().await;
    let mut setup = Setup::new(support::plugin_dir());
    setup.admin_token = Some(ADMIN_TOKEN.to_owned());
    (setup.max_attempts, setup.backoff_base, setup.backoff_max) =
        (100, "200ms".into(), "400ms".into());
    let dir = scratch("pinned");
    let path = sims
        .write_config(&dir, &setup, &store_section(&dir))
        .unwrap();
    let config = Config::load(&path).unwrap_or_else(|error| panic!("{error}"));
    let host = flow::open_host(&config).await.unwrap();
    let old_hash = serving_hash(&host, "intacct");
    let service = Service::start(host, config).await.unwrap();
    let (base, inbox) = (format!("http://{}", service.local_addr()), service.inbox());
    sims.subscribe(&base);

    // Intacct answers 503: the first orders' events are claimed on 0.1.0 and wait to retry.
    sims.intacct.faults().set_server_error_share(1000);
    let mut orders = Vec::new();
    stream(&sims, &mut orders, PINNED_ORDERS).await;
    sims.shopify.wait_idle().await;
    let early = wait_settled(
        inbox,
        sims.shopify.deliveries().len(),
        &[Status::Retry, Status::Done],
        Duration::from_secs(60),
    )
    .await;
    let retrying: Vec<i64> = early
        .iter()
        .filter(|row| row.status == Status::Retry)
        .map(|row| row.id)
        .collect();
    assert!(
        !retrying.is_empty(),
        "Intacct refused the first orders: {early:?}"
    );

    // 0.1.1 goes in and Intacct comes back: the retries run 0.1.0, later orders 0.1.1.
    let (status, installed) = install_over_api(&base, std::fs::read(&next).unwrap()).await;
    assert_eq!(status, 200, "the install is accepted: {installed}");
    let new_hash = installed["active"]["hash"].as_str().unwrap().to_owned();
    sims.intacct.faults().clear();
    stream(&sims, &mut orders, PINNED_ORDERS).await;
    sims.shopify.wait_idle().await;
    let rows = wait_settled(
        inbox,
        sims.shopify.deliveries().len(),
        &[Status::Done, Status::Failed, Status::Review],
        Duration::from_secs(90),
    )
    .await;
    assert!(
        rows.iter().all(|row| row.status == Status::Done),
        "every event is done: {:?}",
        rows.iter().map(EventRow::summary).collect::<Vec<_>>()
    );
    let mut applies = BTreeMap::<&str, usize>::new();
    for row in &rows {
        let steps = inbox.show(row.id).unwrap().steps;
        let hashes: Vec<&str> = intacct_applies(&steps)
            .map(|apply| apply.plugin_hash.as_deref().unwrap())
            .collect();
        let (pinned, phase) = match retrying.contains(&row.id) {
            true => (&old_hash, "retried"),
            false if early.iter().any(|first| first.id == row.id) => continue,
            false => (&new_hash, "after the upgrade"),
        };
        assert!(
            hashes.iter().all(|hash| hash == pinned),
            "event {} ({phase}) ran {hashes:?}, pinned to {pinned}",
            row.id
        );
        assert_eq!(row.pins.as_ref().unwrap()["intacct"], *pinned, "{row:?}");
        *applies.entry(phase).or_default() += hashes.len();
    }
    assert!(
        applies["retried"] > retrying.len() && applies["after the upgrade"] > 0,
        "failed applies and their retries on 0.1.0, later events on 0.1.1: {applies:?}"
    );
    assert_eq!(
        sims.ledger().invoices.len(),
        orders.len(),
        "each order once"
    );

    // A person's replay unpins the event: it runs on the active version, and posts nothing twice.
    let replayed = retrying[0];
    let path = format!("/admin/events/{replayed}/replay");
    let (status, body) = support::flows::admin(&base, "POST", &path, Some(ADMIN_TOKEN), None).await;
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let row = loop {
        let row = inbox.get(replayed).unwrap().unwrap();
        if row.status == Status::Done && row.pins.is_some() {
            break row;
        }
        assert!(Instant::now() < deadline, "the replay did not end: {row:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(row.pins.unwrap()["intacct"], new_hash);
    let steps = inbox.show(replayed).unwrap().steps;
    let last = intacct_applies(&steps).last().unwrap();
    assert_eq!(last.plugin_hash.as_deref(), Some(new_hash.as_str()));
    assert_eq!(
        sims.ledger().invoices.len(),
        orders.len(),
        "each order once"
    );
    service.shutdown().await.unwrap();
}

/// `mlc plugin install` with no server running: a file that is no component is refused and
/// nothing changes; a new version is stored and made active; the same file again only re-activates
/// it; rollback walks back one version and refuses to go past the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_installs_lists_and_rolls_back() {
    let next = tokio::task::spawn_blocking(|| build_variant("intacct", "0.1.1"))
        .await
        .unwrap();
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let dir = scratch("install-cli");
    let path = sims
        .write_config(
            &dir,
            &Setup::new(support::plugin_dir()),
            &store_section(&dir),
        )
        .unwrap();

    let garbage = dir.join("not-a-component.wasm");
    std::fs::write(&garbage, b"\0asm but not really").unwrap();
    let refused = mlc_fails(&path, &["plugin", "install", garbage.to_str().unwrap()]);
    assert!(
        refused.contains("not installed: the component does not load"),
        "{refused}"
    );
    let before = active(&path, "intacct");
    assert_eq!(before["active"]["version"], "0.1.0");
    assert_eq!(before["activated_by"], "plugin dir");
    assert_eq!(before["inactive"], Value::Array(Vec::new()));

    let next = next.to_str().unwrap();
    let installed = mlc(&path, &["plugin", "install", next]);
    assert!(
        installed.contains("intacct 0.1.1 (connector") && installed.contains("active for new"),
        "{installed}"
    );
    assert!(installed.contains("it replaces 0.1.0"), "{installed}");
    assert_eq!(active(&path, "intacct")["active"]["version"], "0.1.1");
    let again = mlc(&path, &["plugin", "install", next]);
    assert!(again.contains("made active again"), "{again}");

    let table = mlc(&path, &["plugin", "list"]);
    assert!(
        table.contains("* intacct") && table.contains("0.1.1") && table.contains("0.1.0"),
        "{table}"
    );

    mlc(&path, &["plugin", "rollback", "intacct"]);
    let after = active(&path, "intacct");
    assert_eq!(after["active"]["version"], "0.1.0");
    assert_eq!(after["inactive"][0]["version"], "0.1.1");
    let first = mlc_fails(&path, &["plugin", "rollback", "intacct"]);
    assert!(first.contains("nothing to roll back to"), "{first}");
    let unknown = mlc_fails(&path, &["plugin", "rollback", "quickbooks"]);
    assert!(
        unknown.contains("no plugin named `quickbooks` is installed"),
        "{unknown}"
    );
    assert_eq!(active(&path, "intacct")["active"]["version"], "0.1.0");

    // A restart serves what the store says is active, not the plugin directory's copy.
    let config = Config::load(&path).unwrap();
    mlc(&path, &["plugin", "install", next]);
    let host = flow::open_host(&config).await.unwrap();
    let serving = host
        .plugins()
        .into_iter()
        .find(|plugin| plugin.name == "intacct")
        .unwrap();
    assert_eq!(serving.version, "0.1.1");
}

/// An install is checked against the config with the new version in place: a mapping that refuses
/// a flow's `mapping_config` is not made active, and the store is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_that_breaks_a_flow_is_refused() {
    let (shopify, intacct) = demo_configs();
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let dir = scratch("install-refused");
    let second_flow = "\n[flows.refunds-only]\nsource = \"shopify\"\nevents = [\"refunds/create\"]\n\
        mapping = \"shopify-intacct\"\nsink = \"intacct\"\nmapping_config = { currency = 7 }\n";
    let path = sims
        .write_config(
            &dir,
            &Setup::new(support::plugin_dir()),
            &format!("{second_flow}{}", store_section(&dir)),
        )
        .unwrap();
    let before = active(&path, "shopify-intacct");

    let component = support::plugin_dir().join("shopify-intacct.wasm");
    let refused = mlc_fails(&path, &["plugin", "install", component.to_str().unwrap()]);
    assert!(
        refused.contains("was not made active")
            && refused.contains("flows.refunds-only.mapping_config")
            && refused.contains("mapping `shopify-intacct` refuses it"),
        "{refused}"
    );
    assert_eq!(active(&path, "shopify-intacct"), before);
}

/// Creates `count` orders at the stream's pace; keeps their invoice numbers.
/// The `intacct` connector's next version (0.1.1), and the simulators with a cost bucket the shop
/// never runs short of.
async fn next_intacct_and_simulators() -> (std::path::PathBuf, ShopifyIntacct) {
    let next = tokio::task::spawn_blocking(|| build_variant("intacct", "0.1.1"))
        .await
        .unwrap();
    let (mut shopify, intacct) = demo_configs();
    shopify.bucket = NO_BUCKET;
    (next, ShopifyIntacct::start(shopify, intacct).await.unwrap())
}

async fn stream(sims: &ShopifyIntacct, numbers: &mut Vec<String>, count: usize) {
    for _ in 0..count {
        let spec = sims.shopify.sample_order_spec(2);
        let order = sims.shopify.create_order(spec).unwrap();
        numbers.push(format!("SH{}", order.order_number));
        tokio::time::sleep(PACE).await;
    }
}

async fn install_over_api(base: &str, component: Vec<u8>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/admin/plugins"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/wasm")
        .body(component)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Waits until the service serves `hash` for plugin `name` (the store watcher's pick-up).
async fn wait_serving(base: &str, name: &str, hash: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, plugins) =
            support::flows::admin(base, "GET", "/admin/plugins", Some(ADMIN_TOKEN), None).await;
        assert_eq!(status, 200, "{plugins}");
        let serving = plugins["serving"]
            .as_array()
            .unwrap()
            .iter()
            .find(|plugin| plugin["name"] == name)
            .map(|plugin| plugin["hash"].clone());
        if serving == Some(Value::from(hash)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the service did not pick up {name} {hash}: {plugins}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn serving_hash(host: &mlc_host::Host, name: &str) -> String {
    host.plugins()
        .into_iter()
        .find(|plugin| plugin.name == name)
        .unwrap()
        .hash
}

fn intacct_applies(steps: &[Step]) -> impl Iterator<Item = &Step> {
    steps
        .iter()
        .filter(|step| step.name == "apply" && step.plugin.as_deref() == Some("intacct"))
}

/// The `mlc plugin list --json` entry of `name`.
fn active(config: &std::path::Path, name: &str) -> Value {
    let listed: Value = serde_json::from_str(&mlc(config, &["plugin", "list", "--json"])).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .find(|plugin| plugin["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("{name} is not listed: {listed}"))
}

/// Runs `mlc --config <config> <args>`, which must succeed; returns its stdout.
fn mlc(config: &std::path::Path, args: &[&str]) -> String {
    let output = run_mlc(config, args);
    assert!(
        output.status.success(),
        "mlc {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `mlc --config <config> <args>`, which must fail; returns its stderr.
fn mlc_fails(config: &std::path::Path, args: &[&str]) -> String {
    let output = run_mlc(config, args);
    assert!(!output.status.success(), "mlc {args:?} succeeded");
    String::from_utf8(output.stderr).unwrap()
}

fn run_mlc(config: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mlc"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("running mlc")
}
