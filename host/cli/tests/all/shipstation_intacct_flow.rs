//! ShipStation → Sage Intacct end to end, in process: the ShipStation simulator delivers its
//! pointer webhooks to the host's server (or the flow's poll finds the labels), the real
//! `shipstation`, `shipstation-intacct` and `intacct` components run each event, and the Intacct
//! simulator's books are checked to the cent.
//!
//! Each test starts the simulators and its own service on the shared fixtures
//! `simulators::shopify_intacct` and `simulators::shipstation_intacct`. The host's clock is the
//! simulators' clock ([`SimTime`]): moving it forward makes the flow's poll due, and a plugin's
//! sleep (the connector waiting out ShipStation's 40-a-minute window) moves it, so the rate
//! window the simulator enforces is the one the connector waits on. Expected amounts are written
//! out by hand from the shipment the test makes, not taken from the mapping.

use support::calls::*;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::process::{mlc, text};
use chrono::{DateTime, NaiveDate, Utc};
use mlc_host::Host;
use mlc_host::config::Config;
use mlc_host::flow::reconcile::fix::FixPlan;
use mlc_host::flow::reconcile::report::Verdict;
use mlc_host::flow::reconcile::{Period, Reconcile};
use mlc_host::flow::{self, Arrival, EventRow, Service, Status};
use rust_decimal::Decimal;
use simulators::clock::SimClock;
use simulators::intacct::{GlBatch, GlEntry, Ledger};
use simulators::shipstation::{
    DeliveryMode, Item, ShipStationConfig, ShipStationSim, Shipment, ShipmentSpec, Weight,
    pacific_date,
};
use simulators::shipstation_intacct::{self, FLOW};
use simulators::shopify_intacct::{Setup, ShopifyIntacct, demo_configs};
use support::flows::{scratch, store_section, wait_settled};

/// How long the events of one test may take to settle.
const SETTLE: Duration = Duration::from_secs(45);
/// The admin token of [`Running::start_with_admin`].
const ADMIN_TOKEN: &str = "freight-admin-token";
/// Where an event stops until a person acts.
const SETTLED: &[Status] = &[
    Status::Done,
    Status::Review,
    Status::Failed,
    Status::Skipped,
];

// ---------------------------------------------------------------------------------------------
// The running flow

/// The simulators, and the service running the freight flow between them.
struct Running {
    sims: ShopifyIntacct,
    ship: ShipStationSim,
    service: Service,
    clock: SimClock,
    config_path: PathBuf,
}

impl Running {
    /// The simulators on the demo configs, and a service with the fixtures' config polling every
    /// 4 hours; returns once the flow's first poll (at start, of an empty account) is done.
    async fn start(name: &str) -> Self {
        Self::start_at(name, None).await
    }

    /// [`Running::start`] with the simulators' clock set to `now` (it runs on from there).
    async fn start_at(name: &str, now: Option<DateTime<Utc>>) -> Self {
        Self::launch(name, now, Setup::new(support::plugin_dir())).await
    }

    /// [`Running::start`] with the admin API, its token [`ADMIN_TOKEN`].
    async fn start_with_admin(name: &str) -> Self {
        let setup = Setup {
            admin_token: Some(ADMIN_TOKEN.to_owned()),
            ..Setup::new(support::plugin_dir())
        };
        Self::launch(name, None, setup).await
    }

    async fn launch(name: &str, now: Option<DateTime<Utc>>, setup: Setup) -> Self {
        let (shopify, intacct) = demo_configs();
        let clock = intacct.clock.clone();
        if let Some(now) = now {
            clock.set(now);
        }
        let sims = ShopifyIntacct::start(shopify, intacct)
            .await
            .expect("the simulators start");
        let ship = ShipStationSim::start(ShipStationConfig::new(clock.clone()))
            .await
            .expect("the ShipStation simulator starts");
        let dir = scratch(&format!("shipstation-intacct-{name}"));
        let extra = shipstation_intacct::config_section(&ship, &dir, "4h")
            .expect("the ShipStation config section")
            + &store_section(&dir);
        let config_path = sims
            .write_config(&dir, &setup, &extra)
            .expect("writing the config");
        let config = Config::load(&config_path).unwrap_or_else(|error| panic!("{error}"));
        // As `flow::open_host`, on the simulators' clock.
        std::fs::create_dir_all(&config.data_dir).unwrap();
        let storage = flow::stores::open_plugin_storage(&config).await.unwrap();
        let host = support::host_with(
            Host::builder()
                .clock(Arc::new(SimTime(clock.clone())))
                .storage(storage),
        )
        .await;
        config
            .check_plugins(&host.plugins())
            .expect("the config fits the plugins");
        let service = Service::start(host, config)
            .await
            .expect("the service starts");
        shipstation_intacct::subscribe(&ship, &format!("http://{}", service.local_addr()));
        let running = Running {
            sims,
            ship,
            service,
            clock,
            config_path,
        };
        running.wait_polled(None).await;
        running
    }

    fn ledger(&self) -> Ledger {
        self.sims.ledger()
    }

    /// A label shipment (no webhook yet).
    fn label(&self, spec: ShipmentSpec) -> Shipment {
        self.ship.add_shipment(spec)
    }

    /// A label, announced by SHIP_NOTIFY and ITEM_SHIP_NOTIFY.
    fn shipped(&self, spec: ShipmentSpec) -> Shipment {
        let label = self.label(spec);
        self.ship.notify_shipped(&[label.id]).expect("notified");
        label
    }

    /// When the flow last polled.
    fn polled_at(&self) -> Option<DateTime<Utc>> {
        self.service
            .inbox()
            .poll_state(FLOW)
            .expect("the poll state")
            .polled_at
    }

    /// Waits until the flow has polled after `after` (or at all).
    async fn wait_polled(&self, after: Option<DateTime<Utc>>) {
        let deadline = Instant::now() + SETTLE;
        loop {
            let state = self.service.inbox().poll_state(FLOW).expect("poll state");
            if let Some(polled) = state.polled_at
                && after.is_none_or(|after| polled > after)
            {
                assert_eq!(state.last_error, None, "the poll failed");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the flow did not poll: {state:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Moves the clock past the poll interval and waits for the poll.
    async fn poll(&self) {
        let before = self.polled_at();
        self.clock
            .advance(chrono::Duration::hours(4) + chrono::Duration::minutes(1));
        self.wait_polled(before).await;
    }

    /// Waits until ShipStation delivered everything it fired, then until the inbox holds exactly
    /// `count` events, all settled; returns them in arrival order.
    async fn settled(&self, count: usize) -> Vec<EventRow> {
        self.ship.wait_idle().await;
        let mut rows = wait_settled(self.service.inbox(), count, SETTLED, SETTLE).await;
        rows.sort_by_key(|row| row.id);
        assert_eq!(rows.len(), count, "the inbox: {}", describe(&rows));
        rows
    }

    /// [`Running::settled`], and every event must be done.
    async fn all_done(&self, count: usize) -> Vec<EventRow> {
        let rows = self.settled(count).await;
        assert!(
            rows.iter().all(|row| row.status == Status::Done),
            "not every event is done: {}",
            describe(&rows)
        );
        rows
    }

    /// The audit trail of one event, as JSON text (steps, messages, logs).
    fn trail(&self, row: &EventRow) -> String {
        let detail = self
            .service
            .inbox()
            .show(row.id)
            .expect("the event's detail");
        serde_json::to_string(&detail.steps).unwrap()
    }
}

/// One line per event: key, topic, status, attempts and what went wrong.
fn describe(rows: &[EventRow]) -> String {
    rows.iter()
        .map(|row| format!("\n  {} {}", row.key, row.summary()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Shipments, amounts and expectations

/// `"12.34"` as a decimal.
fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("an RFC 3339 time")
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

fn item(sku: &str, quantity: u32, unit_price: &str) -> Item {
    Item {
        sku: sku.into(),
        name: sku.into(),
        quantity,
        unit_price: d(unit_price),
        weight: Weight::default(),
    }
}

/// The GL batch of shipment `id` (`void`: its reversal), if posted once; panics if twice.
fn batch(ledger: &Ledger, id: u64, void: bool) -> Option<&GlBatch> {
    let controlid = format!(
        "shipstation-intacct/shipment/{id}{}",
        if void { "/void" } else { "" }
    );
    let found: Vec<&GlBatch> = ledger
        .gl_batches
        .iter()
        .filter(|batch| batch.controlid == controlid)
        .collect();
    assert!(found.len() <= 1, "{controlid} posted twice: {found:#?}");
    found.first().copied()
}

/// The GL batch of shipment `id` (`void`: its reversal); panics unless it was posted once.
pub(crate) fn only_batch(ledger: &Ledger, id: u64, void: bool) -> &GlBatch {
    batch(ledger, id, void).unwrap_or_else(|| {
        panic!(
            "no batch for shipment {id} (void {void}): {:#?}",
            ledger.gl_batches
        )
    })
}

/// `account Dr|Cr amount location/department/class customer`.
fn entry_text(entry: &GlEntry) -> String {
    format!(
        "{} {} {} {}/{}/{} {}",
        entry.account,
        if entry.debit { "Dr" } else { "Cr" },
        entry.amount,
        entry.dimensions.location.as_deref().unwrap_or("-"),
        entry.dimensions.department.as_deref().unwrap_or("-"),
        entry.dimensions.class.as_deref().unwrap_or("-"),
        entry.customer_id.as_deref().unwrap_or("-"),
    )
}

fn entries(batch: &GlBatch) -> Vec<String> {
    let mut lines: Vec<String> = batch.entries.iter().map(entry_text).collect();
    lines.sort();
    lines
}

/// Debits and credits of a batch.
fn totals(batch: &GlBatch) -> (Decimal, Decimal) {
    batch
        .entries
        .iter()
        .fold((Decimal::ZERO, Decimal::ZERO), |(dr, cr), entry| {
            if entry.debit {
                (dr + entry.amount, cr)
            } else {
                (dr, cr + entry.amount)
            }
        })
}

fn assert_balanced(ledger: &Ledger) {
    assert!(
        ledger.trial_balance.is_balanced(),
        "the trial balance does not balance: {:#?}",
        ledger.trial_balance
    );
}

// ---------------------------------------------------------------------------------------------
// A label posts once

#[tokio::test]
async fn a_ship_notify_posts_one_balanced_batch_on_the_carrier_account_matched_to_its_order_and_the_poll_adds_nothing()
 {
    let running = Running::start("ship-notify").await;
    let before = running.ledger();
    let label = running.shipped(ShipmentSpec {
        order_number: "SO-1001".into(),
        carrier_code: "ups".into(),
        service_code: "ups_ground".into(),
        shipment_cost: d("12.34"),
        insurance_cost: d("2.00"),
        warehouse_id: 401_002,
        store_id: 301_001,
        items: vec![
            item("WS-CRATE", 1, "240.00"),
            item("POS-MUG", 3, "12.50"),
            item("GIFT-25", 1, "25.00"),
        ],
        ..ShipmentSpec::default()
    });

    let rows = running.all_done(1).await;
    assert_eq!(rows[0].arrival, Arrival::Webhook, "{}", describe(&rows));
    // SHIP_NOTIFY and ITEM_SHIP_NOTIFY point at the same batch: one event, whichever came first.
    assert!(
        ["SHIP_NOTIFY", "ITEM_SHIP_NOTIFY"].contains(&rows[0].topic.as_str()),
        "{}",
        describe(&rows)
    );
    let ledger = running.ledger();
    assert_eq!(ledger.gl_batches.len(), before.gl_batches.len() + 1);
    let posted = only_batch(&ledger, label.id, false);
    assert_eq!(posted.journal, "GJ");
    assert_eq!(posted.state, "Posted");
    assert!(
        posted.title.contains("sales order SO-1001"),
        "{}",
        posted.title
    );
    // Values 240.00 / 37.50 / 25.00 of 302.50. Freight 12.34: 9.79 + 1.52 + 1.01 cut down to the
    // cent, the 0.02 left over to the largest remainders (ONLINE .98, RETAIL .98); insurance 2.00:
    // 1.58 + 0.24 + 0.16, the 0.02 to RETAIL (.79) and WHOLESALE (.68).
    assert_eq!(
        entries(posted),
        [
            "2100 Cr 14.34 WH-WEST/SALES/- C-DEMO",
            "6100 Dr 1.02 WH-WEST/SALES/ONLINE C-DEMO",
            "6100 Dr 1.53 WH-WEST/SALES/RETAIL C-DEMO",
            "6100 Dr 9.79 WH-WEST/SALES/WHOLESALE C-DEMO",
            "6160 Dr 0.16 WH-WEST/SALES/ONLINE C-DEMO",
            "6160 Dr 0.25 WH-WEST/SALES/RETAIL C-DEMO",
            "6160 Dr 1.59 WH-WEST/SALES/WHOLESALE C-DEMO",
        ],
        "{posted:#?}"
    );
    assert_eq!(totals(posted), (d("14.34"), d("14.34")));
    for (account, change) in [("6100", "12.34"), ("6160", "2.00"), ("2100", "-14.34")] {
        assert_eq!(
            ledger.account_balance(account) - before.account_balance(account),
            d(change),
            "account {account}"
        );
    }
    assert_balanced(&ledger);

    // The poll lists the same label: a second event, done, and nothing posted again.
    running.poll().await;
    let rows = running.all_done(2).await;
    assert_eq!(rows[1].key, format!("shipment/{}", label.id));
    assert_eq!(rows[1].arrival, Arrival::Poll);
    let after = running.ledger();
    assert_eq!(after.gl_batches.len(), ledger.gl_batches.len());
    assert_eq!(after.postings.len(), ledger.postings.len());
    assert_eq!(
        after.account_balance("6100"),
        ledger.account_balance("6100")
    );
}

/// Labels created at `cases` (UTC, its Pacific wall time, the batch date expected), the clock
/// started at `start` (just before them): the webhook's batch posts each on its Pacific date; the
/// poll then lists each at its UTC instant and posts nothing again.
async fn dst_edge(name: &str, start: &str, cases: &[(&str, &str, &str)]) {
    let running = Running::start_at(name, Some(at(start))).await;
    let labels: Vec<Shipment> = cases
        .iter()
        .map(|(created, _, _)| {
            running.label(ShipmentSpec {
                order_number: "SO-1003".into(),
                created_at: Some(at(created)),
                ..ShipmentSpec::default()
            })
        })
        .collect();
    let ids: Vec<u64> = labels.iter().map(|label| label.id).collect();
    running.ship.notify_shipped(&ids).unwrap();
    running.all_done(1).await;
    let ledger = running.ledger();
    for ((created, wall, date), label) in cases.iter().zip(&labels) {
        let posted = only_batch(&ledger, label.id, false);
        assert_eq!(posted.date, day(date), "created {created} ({wall})");
        assert_eq!(totals(posted), (d("8.45"), d("8.45")));
    }
    assert_eq!(ledger.gl_batches.len(), cases.len());

    running.poll().await;
    let rows = running.all_done(1 + cases.len()).await;
    for ((created, wall, _), label) in cases.iter().zip(&labels) {
        let key = format!("shipment/{}", label.id);
        let polled = rows
            .iter()
            .find(|row| row.key == key)
            .unwrap_or_else(|| panic!("the poll lists {key}: {}", describe(&rows)));
        let occurred = polled.occurred_at.as_deref().map(at);
        assert_eq!(occurred, Some(at(created)), "{key} ({wall})");
    }
    let after = running.ledger();
    assert_eq!(
        after.gl_batches.len(),
        cases.len(),
        "the poll posts nothing again"
    );
    assert_balanced(&after);
}

#[tokio::test]
async fn labels_at_the_spring_forward_edge_land_on_their_utc_instant_and_pacific_day() {
    dst_edge(
        "spring",
        "2024-03-10T07:00:00Z",
        &[
            (
                "2024-03-10T07:30:00Z",
                "23:30 PST the day before",
                "2024-03-09",
            ),
            (
                "2024-03-10T09:30:00Z",
                "01:30 PST, before spring forward",
                "2024-03-10",
            ),
            ("2024-03-10T10:30:00Z", "03:30 PDT, after it", "2024-03-10"),
        ],
    )
    .await;
}

#[tokio::test]
async fn labels_at_the_fall_back_edge_land_on_their_utc_instant_and_pacific_day() {
    dst_edge(
        "fall",
        "2024-11-03T06:30:00Z",
        &[
            (
                "2024-11-03T06:45:00Z",
                "23:45 PDT the day before",
                "2024-11-02",
            ),
            (
                "2024-11-03T08:30:00Z",
                "01:30 PDT, the first 01:30",
                "2024-11-03",
            ),
            (
                "2024-11-03T10:15:00Z",
                "02:15 PST, after fall back",
                "2024-11-03",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_burst_of_120_labels_posts_each_once_without_a_429() {
    let running = Running::start("burst").await;
    let before = running.ledger();
    let counts_before = running.ship.request_counts();
    let started = running.clock.now();
    let labels: Vec<Shipment> = (0..120)
        .map(|_| {
            running.shipped(ShipmentSpec {
                order_number: "SO-1002".into(),
                ..ShipmentSpec::default()
            })
        })
        .collect();

    let rows = running.all_done(120).await;
    assert!(rows.iter().all(|row| row.arrival == Arrival::Webhook));
    let counts = running.ship.request_counts();
    assert_eq!(counts.throttled, 0, "{counts:?}");
    assert!(
        counts.v1 - counts_before.v1 >= 120,
        "one fetch per batch: {counts:?}"
    );
    let took = running.clock.now() - started;
    assert!(
        took >= chrono::Duration::minutes(2),
        "120 requests at 40 a minute wait out two windows on the simulator's clock: {took}"
    );

    let ledger = running.ledger();
    assert_eq!(ledger.gl_batches.len(), before.gl_batches.len() + 120);
    for label in &labels {
        let posted = only_batch(&ledger, label.id, false);
        assert_eq!(totals(posted), (d("8.45"), d("8.45")));
    }
    assert_eq!(
        ledger.account_balance("6120") - before.account_balance("6120"),
        d("1014.00"),
        "120 × 8.45"
    );
    assert_balanced(&ledger);
}

// ---------------------------------------------------------------------------------------------
// What the webhooks miss, voids, review and returns

#[tokio::test]
async fn a_label_whose_webhook_was_dropped_is_found_and_posted_by_the_poll() {
    let running = Running::start("dropped").await;
    running.ship.set_delivery_mode(DeliveryMode::Drop);
    let label = running.shipped(ShipmentSpec {
        order_number: "SO-1001".into(),
        carrier_code: "fedex".into(),
        shipment_cost: d("21.07"),
        warehouse_id: 401_001,
        store_id: 999_999,
        ..ShipmentSpec::default()
    });
    running.ship.wait_idle().await;
    assert_eq!(running.ledger().gl_batches.len(), 0, "nothing came");
    assert!(running.settled(0).await.is_empty());

    running.poll().await;
    let rows = running.all_done(1).await;
    assert_eq!(rows[0].key, format!("shipment/{}", label.id));
    assert_eq!(rows[0].arrival, Arrival::Poll);
    let ledger = running.ledger();
    let posted = only_batch(&ledger, label.id, false);
    assert_eq!(
        entries(posted),
        [
            "2100 Cr 21.07 WH-EAST/OPS/- C-DEMO",
            "6110 Dr 21.07 WH-EAST/OPS/- C-DEMO",
        ]
    );
    assert_eq!(ledger.gl_batches.len(), 1);
}

#[tokio::test]
async fn a_voided_label_found_by_the_poll_is_reversed_and_nets_to_zero() {
    let running = Running::start("void").await;
    let before = running.ledger();
    let label = running.shipped(ShipmentSpec {
        order_number: "SO-1001".into(),
        carrier_code: "dhl_express_worldwide".into(),
        shipment_cost: d("33.10"),
        insurance_cost: d("1.25"),
        ..ShipmentSpec::default()
    });
    running.all_done(1).await;
    let posted = only_batch(&running.ledger(), label.id, false).clone();
    assert_eq!(
        entries(&posted),
        [
            "2100 Cr 34.35 WH-EAST/SALES/- C-DEMO",
            "6130 Dr 33.10 WH-EAST/SALES/- C-DEMO",
            "6160 Dr 1.25 WH-EAST/SALES/- C-DEMO",
        ]
    );

    running.clock.advance(chrono::Duration::hours(1));
    let voided = running.ship.void_shipment(label.id).unwrap();
    running.poll().await;
    let rows = running.all_done(3).await;
    let void_key = format!("void/{}", label.id);
    let void = rows
        .iter()
        .find(|row| row.key == void_key)
        .unwrap_or_else(|| panic!("the poll found the void: {}", describe(&rows)));
    assert_eq!(void.topic, "SHIPMENT_VOIDED");

    let ledger = running.ledger();
    let reversal = only_batch(&ledger, label.id, true);
    assert_eq!(totals(reversal), (d("34.35"), d("34.35")));
    let mut flipped: Vec<String> = posted
        .entries
        .iter()
        .map(|entry| {
            entry_text(&GlEntry {
                debit: !entry.debit,
                ..entry.clone()
            })
        })
        .collect();
    flipped.sort();
    assert_eq!(entries(reversal), flipped, "the reversal mirrors the cost");
    assert!(voided.voided_at.is_some());
    for account in ["6130", "6160", "2100"] {
        assert_eq!(
            ledger.account_balance(account),
            before.account_balance(account),
            "account {account} nets to zero"
        );
    }
    assert_eq!(ledger.gl_batches.len(), before.gl_batches.len() + 2);
    assert_balanced(&ledger);
}

#[tokio::test]
async fn an_unmatched_label_waits_for_review_and_posts_once_after_mlc_review_resolve() {
    let running = Running::start("review").await;
    let label = running.shipped(ShipmentSpec {
        order_number: "7777".into(),
        carrier_code: "usps".into(),
        shipment_cost: d("5.60"),
        ..ShipmentSpec::default()
    });
    let rows = running.settled(1).await;
    let held = &rows[0];
    assert_eq!(held.status, Status::Review, "{}", describe(&rows));
    let reason = held.review_reason.clone().unwrap_or_default();
    assert!(
        reason.contains("7777"),
        "the reason names the order: {reason}"
    );
    assert!(running.ledger().gl_batches.is_empty(), "nothing posted");

    let resolved = mlc(
        &running.config_path,
        &[
            "review",
            "resolve",
            &held.id.to_string(),
            "--with",
            r#"{"sales_order":"SO-1002"}"#,
        ],
    );
    assert!(resolved.status.success(), "{}", text(&resolved.stderr));
    let rows = running.all_done(1).await;
    assert!(rows[0].resolution.is_some(), "{}", describe(&rows));

    let ledger = running.ledger();
    let posted = only_batch(&ledger, label.id, false);
    assert!(posted.title.contains("SO-1002"), "{}", posted.title);
    assert_eq!(
        entries(posted),
        [
            "2100 Cr 5.60 WH-EAST/SALES/- C-DEMO",
            "6120 Dr 5.60 WH-EAST/SALES/- C-DEMO",
        ]
    );
    assert_eq!(ledger.gl_batches.len(), 1);
    let again = mlc(
        &running.config_path,
        &["review", "resolve", &held.id.to_string()],
    );
    assert!(!again.status.success(), "resolved twice");

    // The poll lists the label again as a new event: its own look-up finds no order, but the
    // connector knows the batch is posted, so it is done, not held again, and nothing posts twice.
    running.poll().await;
    let rows = running.settled(2).await;
    assert_eq!(rows[1].key, format!("shipment/{}", label.id));
    assert_eq!(rows[1].status, Status::Done, "{}", describe(&rows));
    let after = running.ledger();
    assert_eq!(after.gl_batches.len(), 1, "{:#?}", after.gl_batches);
    assert_eq!(after.postings.len(), ledger.postings.len());
}

#[tokio::test]
async fn a_return_label_posts_nothing_and_the_trail_says_why() {
    let running = Running::start("return").await;
    running.shipped(ShipmentSpec {
        order_number: "SO-1001".into(),
        is_return_label: true,
        ..ShipmentSpec::default()
    });
    let rows = running.all_done(1).await;
    assert!(running.ledger().gl_batches.is_empty(), "nothing posted");
    let trail = running.trail(&rows[0]);
    assert!(trail.contains("skipped: return label"), "{trail}");
}

// ---------------------------------------------------------------------------------------------
// Backfill

/// The labels of the account's past month for [`a_month_of_labels_is_backfilled_through_the_admin_api_each_posted_once`].
const LABELS: usize = 300;
/// Every `VOID_EVERY`th label (from the first) is voided an hour after it was bought.
const VOID_EVERY: usize = 10;

#[tokio::test]
async fn a_month_of_labels_is_backfilled_through_the_admin_api_each_posted_once() {
    let running = Running::start_with_admin("backfill").await;
    let before = running.ledger();
    let now = running.clock.now();
    let start = now - chrono::Duration::days(30);
    let step = chrono::Duration::days(29) / LABELS as i32;
    let labels: Vec<Shipment> = (0..LABELS)
        .map(|n| {
            let created = start + step * n as i32;
            let label = running.label(ShipmentSpec {
                order_number: ["SO-1001", "SO-1002"][n % 2].into(),
                created_at: Some(created),
                ..ShipmentSpec::default()
            });
            if n % VOID_EVERY == 0 {
                let voided = created + chrono::Duration::hours(1);
                running.ship.void_shipment_at(label.id, voided).unwrap();
            }
            label
        })
        .collect();
    let voids = LABELS.div_ceil(VOID_EVERY);
    let base = format!("http://{}", running.service.local_addr());
    let admin = |method: &'static str, path: String| {
        let base = base.clone();
        async move { support::flows::admin(&base, method, &path, Some(ADMIN_TOKEN), None).await }
    };
    let since = (start - chrono::Duration::hours(1)).to_rfc3339();
    let since = url_escape(&since);

    let (status, body) = admin("POST", format!("/admin/flows/nope/backfill?since={since}")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = admin("POST", format!("/admin/flows/{FLOW}/backfill")).await;
    assert_eq!(
        (
            status,
            body["error"].as_str().unwrap().starts_with("give ?since=")
        ),
        (400, true)
    );
    let tomorrow = (now + chrono::Duration::days(1)).format("%Y-%m-%d");
    let (status, body) = admin(
        "POST",
        format!("/admin/flows/{FLOW}/backfill?since={tomorrow}"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("starts in the future")
    );

    // ShipStation answers slowly while the backfill lists, so a second start finds it running.
    running
        .ship
        .faults()
        .set_latency(Duration::from_millis(300));
    let path = format!("/admin/flows/{FLOW}/backfill?since={since}");
    let (status, body) = admin("POST", path.clone()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["resumes"], serde_json::Value::Null);
    let (status, body) = admin("POST", path.clone()).await;
    assert_eq!(status, 409, "{body}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let listed = loop {
        let (status, body) = admin("GET", "/admin/backfills".into()).await;
        assert_eq!(status, 200, "{body}");
        match body["in_this_host"][FLOW]["state"].as_str() {
            Some("done") => break body["backfills"][0].clone(),
            Some("running") => {}
            other => panic!("the backfill ended {other:?}: {body}"),
        }
        assert!(
            Instant::now() < deadline,
            "the backfill did not end: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    running.ship.faults().set_latency(Duration::ZERO);
    let events = LABELS + voids;
    assert_eq!(
        (listed["listed"].as_u64(), listed["added"].as_u64()),
        (Some(events as u64), Some(events as u64)),
        "{listed}"
    );
    assert!(listed["finished_at"].is_string(), "{listed}");

    let rows = wait_settled(
        running.service.inbox(),
        events,
        &[Status::Done],
        Duration::from_secs(300),
    )
    .await;
    assert_eq!(rows.len(), events);
    assert!(rows.iter().all(|row| row.arrival == Arrival::Backfill));
    let counts = running.ship.request_counts();
    assert_eq!(counts.throttled, 0, "within the rate limit: {counts:?}");

    let ledger = running.ledger();
    assert_eq!(
        ledger.gl_batches.len(),
        before.gl_batches.len() + LABELS + voids
    );
    for (n, label) in labels.iter().enumerate() {
        only_batch(&ledger, label.id, false);
        assert_eq!(
            batch(&ledger, label.id, true).is_some(),
            n % VOID_EVERY == 0
        );
    }
    assert_balanced(&ledger);

    // Again: everything is listed, nothing is new.
    let (status, body) = admin("POST", path).await;
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, body) = admin("GET", "/admin/backfills".into()).await;
        if body["in_this_host"][FLOW]["state"] == "done"
            && body["backfills"].as_array().unwrap().len() == 2
        {
            assert_eq!(body["backfills"][0]["added"], 0, "{body}");
            assert_eq!(body["backfills"][0]["listed"], events, "{body}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second backfill did not end: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(running.ledger().gl_batches.len(), ledger.gl_batches.len());

    // The month reconciles; then a batch edited by hand in Intacct is the one difference. The
    // period starts on the first label's ship date, its Pacific day: up to 8 hours into a UTC
    // day, that is the day before.
    let config = Config::load(&running.config_path).unwrap();
    let host =
        support::host_with(Host::builder().clock(Arc::new(SimTime(running.clock.clone())))).await;
    let period = Period::parse(
        &pacific_date(start),
        &running.clock.now().date_naive().to_string(),
        running.clock.now().date_naive(),
    )
    .unwrap();
    let reconcile = Reconcile::new(&config, &host, FLOW, period).unwrap();
    let report = reconcile.run(|_| {}).await.unwrap().report;
    assert!(!report.differs(), "{report}");
    assert_eq!(report.findings.len(), LABELS + voids, "{report}");
    let edited = &labels[7];
    let posted = only_batch(&ledger, edited.id, false).clone();
    running.sims.intacct.edit_gl_batch_by_hand(
        simulators::intacct::DEMO_COMPANY_ID,
        &posted.key,
        |entries| {
            for entry in entries {
                entry.amount += d("1.00");
            }
        },
    );
    let reconciled = reconcile.run(|_| {}).await.unwrap();
    let report = &reconciled.report;
    let differences: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.verdict != Verdict::Matched)
        .collect();
    assert_eq!(differences.len(), 1, "{report}");
    let difference = differences[0];
    assert_eq!(
        (difference.verdict, difference.key.as_str()),
        (
            Verdict::AmountDiffers,
            format!("ShipStation shipment {}, order SO-1002", edited.id).as_str()
        ),
        "{report}"
    );
    let debits = totals(&posted).0;
    assert_eq!(
        (difference.expected, difference.found),
        (
            Some(debits),
            Some(
                debits
                    + d("1.00")
                        * Decimal::from(posted.entries.iter().filter(|entry| entry.debit).count())
            )
        ),
        "{report}"
    );

    // The fix posts a correcting batch of the difference per account, through the serving host.
    let inbox = running.service.inbox();
    let today = running.clock.now().date_naive();
    let plan = FixPlan::make(inbox, FLOW, &reconciled, today)
        .await
        .unwrap();
    assert_eq!((plan.repairs.len(), plan.left.len()), (1, 0), "{plan:?}");
    let flow = config.flow(FLOW).unwrap();
    let receipts = plan.queue(inbox, flow, running.clock.now()).await.unwrap();
    assert!(!receipts[0].duplicate);
    let again = plan.queue(inbox, flow, running.clock.now()).await.unwrap();
    assert_eq!((again[0].id, again[0].duplicate), (receipts[0].id, true));
    let rows = wait_settled(inbox, events + 1, &[Status::Done], Duration::from_secs(60)).await;
    let fixed = rows.iter().find(|row| row.id == receipts[0].id).unwrap();
    assert_eq!(fixed.arrival, Arrival::Reconcile);
    let after = running.ledger();
    assert_eq!(after.gl_batches.len(), ledger.gl_batches.len() + 1);
    let correction = after.gl_batches.last().unwrap();
    assert!(
        correction.title.starts_with(&format!(
            "ShipStation shipment {}, order SO-1002, correction {today}",
            edited.id
        )),
        "{correction:?}"
    );
    assert_eq!(correction.date, posted.date);
    assert_balanced(&after);
    let report = reconcile.run(|_| {}).await.unwrap().report;
    assert!(!report.differs(), "{report}");
    assert_eq!(report.findings.len(), LABELS + voids, "{report}");
}

/// `text` with the characters a query string cannot hold as they are percent-encoded.
fn url_escape(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}
