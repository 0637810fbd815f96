//! What the recordings give, on a recorded Shopify day: the real `shopify`, `shopify-intacct` and
//! `intacct` components post a few orders to the Intacct simulator, and each attempt's fetch tape
//! and mapping input are recorded. Then
//! - dry-runs, through the admin API and the console, of candidate mappings built from the
//!   `shopify-intacct` sources with one change, over that history, never reaching Intacct;
//! - deterministic replays of recorded events with the simulators gone, as recorded and with a
//!   candidate connector or mapping in place of the recorded version.

use std::path::Path;
use std::time::Duration;

use mlc_host::config::Config;
use mlc_host::flow::replay::RequestOutcome;

use crate::console::{Visitor, csrf_of};
use mlc_host::flow::{self, EventRow, Service, Status};
use rust_decimal::Decimal;
use serde_json::Value;
use simulators::shopify::{Customer, CustomerSpec, LineSpec, OrderSpec, ShippingSpec};
use simulators::shopify_intacct::{FLOW, Setup, ShopifyIntacct, demo_configs};
use support::flows::{scratch, wait_settled};
use support::variant::{build_variant_patched, shipping_to_revenue};

const TOKEN: &str = "dry-run-admin-token-4c1e";
const SETTLE: Duration = Duration::from_secs(45);

/// The candidate that traps on an order shipped Express.
fn traps_on_express() -> std::path::PathBuf {
    build_variant_patched(
        "shopify-intacct",
        "0.9.1",
        "src/posting.rs",
        "let memo = format!(\"Shipping: {title}\");",
        "if title == \"Express\" { panic!(\"the candidate breaks on Express shipping\") }\n    \
         let memo = format!(\"Shipping: {title}\");",
    )
}

/// The `shopify` connector asking for one line item fewer with the order header: its GraphQL
/// request differs, the answer it needs does not.
fn shopify_asking_fewer_lines() -> std::path::PathBuf {
    build_variant_patched(
        "shopify",
        "0.9.2",
        "src/queries.rs",
        "pub const FIRST_LINES: u32 = 7;",
        "pub const FIRST_LINES: u32 = 6;",
    )
}

/// The `intacct` connector asking Intacct to keep whitespace in its answers: each request it
/// sends differs, the answers it needs do not.
fn intacct_keeping_whitespace() -> std::path::PathBuf {
    build_variant_patched(
        "intacct",
        "0.9.3",
        "src/envelope.rs",
        ".text(\"includewhitespace\", \"false\");",
        ".text(\"includewhitespace\", \"true\");",
    )
}

/// A day of the shop, posted and recorded: two customers and three orders.
struct RecordedDay {
    sims: ShopifyIntacct,
    service: Service,
    config: Config,
    events: Vec<EventRow>,
    /// The `orders/create` event of the order shipped Express.
    express: i64,
}

impl RecordedDay {
    async fn start(name: &str) -> Self {
        let (shopify, intacct) = demo_configs();
        let sims = ShopifyIntacct::start(shopify, intacct)
            .await
            .expect("the simulators start");
        let dir = scratch(&format!("dry-run-{name}"));
        let setup = Setup {
            admin_token: Some(TOKEN.to_owned()),
            ..Setup::new(support::plugin_dir())
        };
        let path = sims
            .write_config(&dir, &setup, "")
            .expect("writing the config");
        let config = Config::load(&path).unwrap_or_else(|error| panic!("{error}"));
        let host = flow::open_host(&config).await.expect("the host opens");
        let service = Service::start(host, config.clone())
            .await
            .expect("the service starts");
        sims.subscribe(&format!("http://{}", service.local_addr()));

        let ada = customer(&sims, "Ada", &[]);
        let grace = customer(&sims, "Grace", &["wholesale", "region:east"]);
        order(&sims, &ada, "Standard", "5.00");
        order(&sims, &grace, "Standard", "5.00");
        let express = order(&sims, &grace, "Express", "12.00");
        sims.shopify.wait_idle().await;
        let mut events = wait_settled(service.inbox(), 5, &[Status::Done], SETTLE).await;
        events.sort_by_key(|row| row.id);
        assert_eq!(events.len(), 5, "{events:?}");
        let express = events
            .iter()
            .find(|row| {
                row.topic == "orders/create" && row.reference.contains(&express.to_string())
            })
            .unwrap_or_else(|| panic!("no event of order {express}: {events:?}"))
            .id;
        Self {
            sims,
            service,
            config,
            events,
            express,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.service.local_addr())
    }

    fn ids(&self, topic: &str) -> Vec<i64> {
        self.events
            .iter()
            .filter(|row| row.topic == topic)
            .map(|row| row.id)
            .collect()
    }

    /// `POST /admin/flows/{flow}/dry-run?{query}` with `component` as the body.
    async fn dry_run(&self, flow: &str, query: &str, component: &Path) -> (u16, Value) {
        let bytes = std::fs::read(component).expect("reading the candidate");
        let response = reqwest::Client::new()
            .post(format!(
                "{}/admin/flows/{flow}/dry-run?{query}",
                self.base()
            ))
            .bearer_auth(TOKEN)
            .header("content-type", "application/wasm")
            .body(bytes)
            .send()
            .await
            .expect("the admin API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn customer(sims: &ShopifyIntacct, first: &str, tags: &[&str]) -> Customer {
    sims.shopify.create_customer(CustomerSpec {
        email: Some(format!("{}@example.com", first.to_lowercase())),
        first_name: Some(first.to_owned()),
        last_name: Some("Tester".to_owned()),
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
    })
}

/// 2 × 19.99 widgets at 7.25 % tax, and untaxed shipping `title` at `price`.
/// Returns the order's id.
fn order(sims: &ShopifyIntacct, customer: &Customer, title: &str, price: &str) -> u64 {
    sims.shopify
        .create_order(OrderSpec {
            customer_id: Some(customer.id),
            lines: vec![
                LineSpec::new("SKU-001", "Widget", 2, d("19.99")).tax("CA State Tax", d("0.0725")),
            ],
            shipping: vec![ShippingSpec {
                title: title.into(),
                price: d(price),
                taxes: Vec::new(),
            }],
            ..OrderSpec::default()
        })
        .expect("the shop takes the order")
        .id
}

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn amount(value: &Value) -> Decimal {
    d(value
        .as_str()
        .unwrap_or_else(|| panic!("an amount as text: {value}")))
}

fn verdicts(report: &Value) -> Vec<(i64, String)> {
    report["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| {
            (
                event["id"].as_i64().unwrap(),
                event["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn moving_shipping_to_revenue_shows_exactly_the_shipping_amounts_moving_and_posts_nothing() {
    let day = RecordedDay::start("moves").await;
    let invoices_before = day.sims.ledger().invoices.len();
    let candidate = shipping_to_revenue();
    let (status, report) = day.dry_run(FLOW, "since=1d", &candidate).await;
    assert_eq!(status, 200, "{report}");

    assert_eq!(report["candidate"]["version"], "0.9.0");
    let summary = &report["summary"];
    assert_eq!(
        (
            summary["events"].as_u64(),
            summary["unchanged"].as_u64(),
            summary["changed"].as_u64()
        ),
        (Some(5), Some(2), Some(3)),
        "{report:#}"
    );
    let orders = day.ids("orders/create");
    for event in report["events"].as_array().unwrap() {
        let id = event["id"].as_i64().unwrap();
        if !orders.contains(&id) {
            assert_eq!(event["verdict"], "unchanged", "{event:#}");
            continue;
        }
        assert_eq!(event["verdict"], "changed", "{event:#}");
        let changes = event["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{event:#}");
        assert_eq!(changes[0]["kind"], "intacct.create-invoice");
        let differences = changes[0]["differences"].as_array().unwrap();
        assert_eq!(
            differences.len(),
            1,
            "only the shipping line's account: {event:#}"
        );
        assert!(
            differences[0]["path"]
                .as_str()
                .unwrap()
                .ends_with(".gl_account_no"),
            "{event:#}"
        );
        assert_eq!(
            (&differences[0]["before"], &differences[0]["after"]),
            (&Value::from("4100"), &Value::from("4000"))
        );
    }

    // 5.00 + 5.00 + 12.00 of shipping move from 4100 to 4000; the receivable, the dimensions
    // and every invoice's total stay as they are.
    let accounts = report["effect"]["accounts"].as_array().unwrap();
    let moved: Vec<(String, Decimal, Decimal)> = accounts
        .iter()
        .map(|delta| {
            (
                delta["account"].as_str().unwrap().to_owned(),
                amount(&delta["debit"]),
                amount(&delta["credit"]),
            )
        })
        .collect();
    assert_eq!(
        moved,
        [
            ("4000".to_owned(), Decimal::ZERO, d("22.00")),
            ("4100".to_owned(), Decimal::ZERO, d("-22.00")),
        ],
        "{report:#}"
    );
    assert_eq!(
        report["effect"]["dimensions"],
        Value::Array(Vec::new()),
        "{report:#}"
    );
    assert_eq!(
        report["effect"]["documents"],
        Value::Array(Vec::new()),
        "{report:#}"
    );
    assert_eq!(report["review"], Value::Array(Vec::new()));

    // The console shows the same report to an operator who uploads the candidate.
    let mut visitor = Visitor::new(&day.base());
    assert_eq!(visitor.sign_in(TOKEN).await.0, 303);
    let (status, form, _) = visitor.get("/ui/dry-run").await;
    assert_eq!(status, 200, "{form}");
    let csrf = csrf_of(&form);
    let bytes = std::fs::read(&candidate).unwrap();
    let fields = [("csrf", csrf.as_str()), ("flow", FLOW), ("since", "1d")];
    let (status, page) = visitor
        .post_file(
            "/ui/dry-run",
            &fields,
            ("component", "candidate.wasm", &bytes),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("unchanged 2 · changed 3 · new failures 0"),
        "{page}"
    );
    assert!(
        page.contains("The candidate would post differently."),
        "{page}"
    );
    assert!(
        page.contains("<tr><td>4000</td><td>0</td><td>22.00</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains("<tr><td>4100</td><td>0</td><td>-22.00</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains("gl_account_no: &#34;4100&#34; -&#62; &#34;4000&#34;"),
        "{page}"
    );
    let (status, page) = visitor
        .post_file("/ui/dry-run", &fields, ("component", "empty.wasm", b""))
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("choose a candidate mapping"), "{page}");

    assert_eq!(
        day.sims.ledger().invoices.len(),
        invoices_before,
        "a dry-run posts nothing"
    );
    let usage = day
        .service
        .inbox()
        .recording_usage()
        .expect("the recordings' usage");
    assert_eq!(usage.recordings, 5, "{usage:?}");
    assert!(
        usage.stored_bytes < usage.raw_bytes,
        "compressed: {usage:?}"
    );
}

#[tokio::test]
async fn the_mapping_that_ran_shows_no_change_and_a_candidate_that_traps_fails_only_its_events() {
    let day = RecordedDay::start("same").await;
    let same = support::plugin_dir().join("shopify-intacct.wasm");
    let (status, report) = day.dry_run(FLOW, "", &same).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["summary"]["unchanged"], 5, "{report:#}");
    assert_eq!(report["effect"]["accounts"], Value::Array(Vec::new()));

    let (status, report) = day.dry_run(FLOW, "since=1d", &traps_on_express()).await;
    assert_eq!(status, 200, "{report}");
    let express = day.express;
    for (id, verdict) in verdicts(&report) {
        let expected = if id == express {
            "new_failure"
        } else {
            "unchanged"
        };
        assert_eq!(verdict, expected, "event {id}: {report:#}");
    }
    let failed = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["id"] == express)
        .unwrap();
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("breaks on Express shipping"),
        "{failed:#}"
    );
    // What the failing event would no longer post: its invoice, 39.98 + 2.90 tax + 12.00.
    let documents = report["effect"]["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 1, "{report:#}");
    assert_eq!(amount(&documents[0]["before"]), d("54.88"));
    assert_eq!(documents[0]["after"], Value::Null);
}

#[tokio::test]
async fn bad_candidates_and_unrecorded_events_are_refused_or_reported_clearly() {
    let day = RecordedDay::start("bad").await;
    let connector = support::plugin_dir().join("shopify.wasm");
    let (status, answer) = day.dry_run(FLOW, "", &connector).await;
    assert_eq!(status, 422, "{answer}");
    let message = answer["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("connector") && message.contains("mapping"),
        "{answer}"
    );

    let not_wasm = scratch("dry-run-not-wasm").join("candidate.wasm");
    std::fs::write(&not_wasm, b"not a component").unwrap();
    let (status, answer) = day.dry_run(FLOW, "", &not_wasm).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("does not load"),
        "{answer}"
    );

    let same = support::plugin_dir().join("shopify-intacct.wasm");
    let (status, answer) = day.dry_run("no-such-flow", "", &same).await;
    assert_eq!(status, 404, "{answer}");
    let (status, answer) = day.dry_run(FLOW, "since=yesterday", &same).await;
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = day.dry_run(FLOW, "since=1d&events=1", &same).await;
    assert_eq!(status, 400, "{answer}");

    // An event from before recordings existed: its row has none.
    let old = day.ids("customers/create")[0];
    let inbox_file = day.config.data_dir.join("inbox.db");
    let db = rusqlite::Connection::open(&inbox_file).expect("opening the inbox");
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute("DELETE FROM recordings WHERE event_id = ?1", [old])
        .unwrap();
    let order = day.ids("orders/create")[0];
    let (status, report) = day
        .dry_run(FLOW, &format!("events={old},{order},99999"), &same)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        verdicts(&report),
        [
            (old, "not_replayable".to_owned()),
            (order, "unchanged".to_owned()),
            (99999, "not_replayable".to_owned()),
        ],
        "{report:#}"
    );
    let events = report["events"].as_array().unwrap();
    assert!(
        events[0]["message"]
            .as_str()
            .unwrap()
            .contains("no recording"),
        "{report:#}"
    );
    assert!(
        events[2]["message"]
            .as_str()
            .unwrap()
            .contains("no event 99999"),
        "{report:#}"
    );
}

#[tokio::test]
async fn a_recorded_event_replays_with_the_simulators_gone_into_identical_requests_and_commands() {
    let day = RecordedDay::start("replay").await;
    let moved = tokio::task::spawn_blocking(shipping_to_revenue)
        .await
        .unwrap();
    let connector = tokio::task::spawn_blocking(shopify_asking_fewer_lines)
        .await
        .unwrap();
    let sink = tokio::task::spawn_blocking(intacct_keeping_whitespace)
        .await
        .unwrap();
    let RecordedDay {
        sims,
        service,
        config,
        events,
        ..
    } = day;
    service.shutdown().await.expect("the service stops");
    drop(sims);
    assert_no_secret_recorded(&config);

    for row in &events {
        let report = flow::replay_recorded(&config, row.id, &[])
            .await
            .unwrap_or_else(|error| panic!("event {}: {error:#}", row.id));
        assert!(
            report.identical,
            "event {} ({}): {report:#?}",
            row.id, row.topic
        );
        let apply = report.apply.as_ref().expect("every event reached Intacct");
        assert!(!apply.requests.is_empty(), "{report:#?}");
        assert!(
            !report.requests.is_empty(),
            "the fetch asked the tape: {report:#?}"
        );
    }

    let order = events
        .iter()
        .find(|row| row.topic == "orders/create")
        .unwrap();
    let mapping = std::fs::read(&moved).unwrap();
    let report = flow::replay_recorded(&config, order.id, &[("shopify-intacct".into(), mapping)])
        .await
        .unwrap();
    assert!(!report.identical);
    assert_eq!(report.mapping.replayed.version, "0.9.0");
    assert_eq!(report.mapping.recorded.version, "0.1.0");
    assert!(
        report
            .requests
            .iter()
            .all(|request| request.outcome == RequestOutcome::Same)
    );
    assert_eq!(report.command_changes.len(), 1, "{report:#?}");
    let difference = &report.command_changes[0].differences[0];
    assert!(
        difference.path.ends_with(".gl_account_no"),
        "{difference:?}"
    );
    assert_eq!(
        (difference.before.as_ref(), difference.after.as_ref()),
        (Some(&Value::from("4100")), Some(&Value::from("4000")))
    );

    let component = std::fs::read(&connector).unwrap();
    let report = flow::replay_recorded(&config, order.id, &[("shopify".into(), component)])
        .await
        .unwrap();
    assert!(!report.identical, "{report:#?}");
    assert_eq!(report.source.replayed.version, "0.9.2");
    let differing: Vec<_> = report
        .requests
        .iter()
        .filter_map(|request| match &request.outcome {
            RequestOutcome::BodyDiffers { recorded, replayed } => Some((recorded, replayed)),
            _ => None,
        })
        .collect();
    assert_eq!(
        differing.len(),
        1,
        "the order query asks for 6 lines: {report:#?}"
    );
    assert!(
        differing[0].0.contains("first: 7") && differing[0].1.contains("first: 6"),
        "{differing:?}"
    );
    assert_eq!(
        report.record_differences,
        [],
        "the answer holds the same order"
    );
    assert_eq!(report.command_changes, [], "{report:#?}");

    let customer = events
        .iter()
        .find(|row| row.topic == "customers/create")
        .unwrap();
    // The sink's apply of the customer's batch, replayed with the intacct candidate: every
    // request it sends differs from the recorded one in that one element.
    let component = std::fs::read(&sink).unwrap();
    let report = flow::replay_recorded(&config, customer.id, &[("intacct".into(), component)])
        .await
        .unwrap();
    assert!(!report.identical, "{report:#?}");
    let apply = report.apply.as_ref().expect("the customer reached Intacct");
    assert_eq!(apply.sink.replayed.version, "0.9.3");
    assert!(!apply.requests.is_empty(), "{report:#?}");
    for request in &apply.requests {
        let RequestOutcome::BodyDiffers { recorded, replayed } = &request.outcome else {
            panic!("{request:?}")
        };
        assert!(
            recorded.contains("<includewhitespace>false</includewhitespace>")
                && replayed.contains("<includewhitespace>true</includewhitespace>"),
            "{request:?}"
        );
        assert_eq!(
            recorded.replace("whitespace>false", "whitespace>true"),
            *replayed,
            "nothing else differs, the session id redacted alike on both sides"
        );
    }
    assert!(
        report
            .requests
            .iter()
            .all(|request| request.outcome == RequestOutcome::Same)
    );

    let wrong = std::fs::read(support::plugin_dir().join("shipstation.wasm")).unwrap();
    let error = flow::replay_recorded(&config, customer.id, &[("shipstation".into(), wrong)])
        .await
        .expect_err("shipstation did not run the event");
    assert!(
        format!("{error:#}").contains("replaces none of shopify, shopify-intacct, intacct"),
        "{error:#}"
    );
    let named_wrong = std::fs::read(support::plugin_dir().join("shopify.wasm")).unwrap();
    let error = flow::replay_recorded(
        &config,
        customer.id,
        &[("shopify-intacct".into(), named_wrong)],
    )
    .await
    .expect_err("the component is not named so");
    assert!(
        format!("{error:#}").contains("calls itself shopify"),
        "{error:#}"
    );

    let db = rusqlite::Connection::open(config.data_dir.join("inbox.db")).unwrap();
    db.execute("DELETE FROM recordings WHERE event_id = ?1", [customer.id])
        .unwrap();
    let error = flow::replay_recorded(&config, customer.id, &[])
        .await
        .expect_err("nothing recorded");
    assert!(
        format!("{error:#}").contains("is not replayable"),
        "{error:#}"
    );
}

/// No blob of the recordings holds a secret of the config, and the Intacct session the
/// connector keeps in its storage is recorded with its id masked.
fn assert_no_secret_recorded(config: &Config) {
    let secrets: Vec<&str> = config
        .connections
        .values()
        .flat_map(|connection| connection.secrets.values().map(|secret| secret.expose()))
        .collect();
    assert!(secrets.len() >= 6, "{secrets:?}");
    let db = rusqlite::Connection::open(config.data_dir.join("inbox.db")).unwrap();
    let mut statement = db.prepare("SELECT size, data FROM blobs").unwrap();
    let blobs: Vec<String> = statement
        .query_map([], |row| {
            let (size, data): (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
            Ok(zstd::bulk::decompress(&data, size as usize).expect("a zstd blob"))
        })
        .unwrap()
        .map(|blob| String::from_utf8(blob.unwrap()).unwrap())
        .collect();
    assert!(!blobs.is_empty());
    for blob in &blobs {
        for secret in &secrets {
            assert!(!blob.contains(secret), "a secret in a recording: {blob}");
        }
    }
    assert!(
        blobs
            .iter()
            .any(|blob| blob.contains(r#"\"sessionid\":\"[redacted]\""#)),
        "the stored Intacct session, its id masked"
    );
}
