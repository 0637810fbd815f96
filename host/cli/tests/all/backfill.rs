//! `mlc backfill` as an operator runs it when a shop connects mid-month: a month of orders that
//! no webhook ever announced (paid, unpaid, refunded, cancelled) walked into the inbox by the
//! source's history, the first run killed midway and the second resuming it, then a serving host
//! posting each order once; and the ranges and flows it refuses.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use mlc_host::config::Config;
use mlc_host::flow::{self, Service, Status};
use rust_decimal::Decimal;
use simulators::intacct::{DEMO_COMPANY_ID, InvoiceState, Ledger};
use simulators::shopify::{
    BucketConfig, CustomerSpec, FinancialStatus, LineSpec, OrderSpec, RefundSpec, ShippingSpec,
    ShopifySim,
};
use simulators::shopify_intacct::{FLOW, Setup, ShopifyIntacct, demo_configs};
use support::flows::{scratch, store_section, wait_settled};

use crate::process::{mlc, text};

/// Orders in the shop's past month.
const ORDERS: usize = 2_000;
/// Every `REFUND_EVERY`th order (from the 4th) is paid, then refunded one unit of its first line.
const REFUND_EVERY: usize = 20;
/// Every `UNPAID_EVERY`th order (from the 10th) is unpaid; every `CANCEL_EVERY`th (from the
/// 10th) of those is then cancelled.
const UNPAID_EVERY: usize = 10;
const CANCEL_EVERY: usize = 50;

/// What the seeded month holds.
struct Month {
    start: DateTime<Utc>,
    paid: usize,
    refunds: usize,
    cancelled: usize,
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Seeds `ORDERS` orders over the 30 days before now, of 100 customers made the day before, with
/// no webhook.
fn seed_month(shop: &ShopifySim) -> Month {
    let now = shop.clock().now();
    let start = now - TimeDelta::days(30);
    let customers: Vec<u64> = (0..100)
        .map(|n| {
            let spec = CustomerSpec {
                email: Some(format!("buyer{n}@example.com")),
                first_name: Some("Buyer".into()),
                last_name: Some(format!("{n}")),
                tags: Vec::new(),
            };
            shop.seed_customer(spec, start - TimeDelta::days(1))
                .unwrap()
                .id
        })
        .collect();
    let step = TimeDelta::days(30) / ORDERS as i32;
    let mut month = Month {
        start,
        paid: 0,
        refunds: 0,
        cancelled: 0,
    };
    for n in 0..ORDERS {
        let at = start + step * n as i32;
        let unpaid = n % UNPAID_EVERY == UNPAID_EVERY - 1;
        let spec = OrderSpec {
            customer_id: Some(customers[n % customers.len()]),
            financial_status: match unpaid {
                true => FinancialStatus::Pending,
                false => FinancialStatus::Paid,
            },
            lines: vec![
                LineSpec::new("MUG-1", "Mug", 2, d("14.99")),
                LineSpec::new("TEE-2", "Tee", 1, d(&format!("{}.50", 10 + n % 7))),
            ],
            shipping: vec![ShippingSpec {
                title: "Standard".into(),
                price: d("5.00"),
                taxes: Vec::new(),
            }],
            ..OrderSpec::default()
        };
        let order = shop.seed_order(spec, at).unwrap();
        let later = (at + step / 2).min(now);
        if unpaid && n % CANCEL_EVERY == UNPAID_EVERY - 1 {
            shop.seed_cancellation(order.id, "customer", later).unwrap();
            month.cancelled += 1;
        } else if !unpaid && n % REFUND_EVERY == 3 {
            let refund = RefundSpec {
                lines: vec![(order.line_items[0].id, 1)],
                shipping: None,
                note: Some("one mug broke".into()),
                adjustment: None,
            };
            shop.seed_refund(order.id, refund, later).unwrap();
            month.refunds += 1;
        }
        month.paid += usize::from(!unpaid);
    }
    month
}

/// The shop's bucket for this test. The orders come from one bulk query and cost no points, but
/// each of the 100 refunds is read by its id for 300 points, to post it and again in each
/// reconciliation: minutes on a standard bucket, which the throttle tests cover elsewhere.
const ROOMY_BUCKET: BucketConfig = BucketConfig {
    maximum: 100_000_000,
    restore_rate: 100_000_000,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_orders_is_backfilled_and_posted_once_though_the_first_run_is_killed() {
    let (mut shopify, intacct) = demo_configs();
    shopify.bucket = ROOMY_BUCKET;
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let month = seed_month(&sims.shopify);
    let dir = scratch("cli-backfill");
    let path = sims
        .write_config(
            &dir,
            &Setup::new(support::plugin_dir()),
            &store_section(&dir),
        )
        .unwrap();
    let config = Config::load(&path).unwrap_or_else(|error| panic!("{error}"));
    let since = (month.start - TimeDelta::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();

    // The first run is slowed by the shop's latency and killed after its third page.
    sims.shopify
        .faults()
        .set_latency(Duration::from_millis(300));
    let mut first = Command::new(env!("CARGO_BIN_EXE_mlc"))
        .args(["--config", path.to_str().unwrap()])
        .args(["backfill", "--flow", FLOW, "--since", &since])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let inbox = flow::open_inbox(&config).unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let killed_at = loop {
        let stored = inbox.backfills().unwrap();
        if let Some(row) = stored.first().filter(|row| row.pages >= 3) {
            first.kill().unwrap();
            first.wait().unwrap();
            break inbox.backfill(row.id).unwrap().unwrap();
        }
        assert!(Instant::now() < deadline, "the first run stored no 3 pages");
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(killed_at.finished_at, None);
    assert!(
        killed_at.added > 0 && killed_at.added < ORDERS as u64,
        "{killed_at:?}"
    );
    sims.shopify.faults().set_latency(Duration::ZERO);

    let second = mlc(&path, &["backfill", "--flow", FLOW, "--since", &since]);
    let (out, progress) = (text(&second.stdout), text(&second.stderr));
    assert_eq!(second.status.code(), Some(0), "{out}{progress}");
    println!("the resumed run's output:\n{progress}{out}");
    assert!(
        progress.starts_with(&format!(
            "resuming backfill {} of flow {FLOW}",
            killed_at.id
        )),
        "{progress}"
    );
    let last_line = progress.lines().last().unwrap();
    assert!(
        last_line.starts_with("[####################] 100%  page ")
            && last_line.contains("ETA done"),
        "{progress}"
    );
    let events = (ORDERS + month.refunds) as u64;
    let done = inbox.backfill(killed_at.id).unwrap().unwrap();
    assert!(done.finished_at.is_some());
    assert_eq!((done.listed, done.added), (events, events), "{done:?}");
    assert!(
        out.contains(&format!("{events} new in the inbox, 0 already there")),
        "{out}"
    );

    let service = Service::start(flow::open_host(&config).await.unwrap(), config.clone())
        .await
        .unwrap();
    let rows = wait_settled(
        service.inbox(),
        events as usize,
        &[Status::Done],
        Duration::from_secs(600),
    )
    .await;
    assert_eq!(rows.len() as u64, events);
    assert!(rows.iter().all(|row| row.arrival.as_str() == "backfill"));

    let ledger = sims.ledger();
    let live: Vec<_> = ledger
        .invoices
        .iter()
        .filter(|invoice| invoice.state != InvoiceState::Reversed)
        .collect();
    let numbers: BTreeSet<_> = live
        .iter()
        .map(|invoice| invoice.document.number.clone())
        .collect();
    assert_eq!(
        live.len(),
        ORDERS - month.cancelled,
        "one invoice per order"
    );
    assert_eq!(numbers.len(), live.len(), "no invoice number twice");
    assert_eq!(ledger.invoices.len(), live.len(), "nothing reversed");
    assert_eq!(ledger.payments.len(), month.paid);
    assert_eq!(ledger.adjustments.len(), month.refunds);

    // The month reconciles: every order's invoice, payments and credit memos are in Intacct.
    let (from, to) = (
        month.start.format("%Y-%m-%d").to_string(),
        Utc::now().format("%Y-%m-%d").to_string(),
    );
    let reconcile = |format: &str| {
        let mut args = vec!["reconcile", "--flow", FLOW, "--from", &from, "--to", &to];
        args.extend((!format.is_empty()).then_some(format));
        mlc(&path, &args)
    };
    let clean = reconcile("");
    let out = text(&clean.stdout);
    assert_eq!(clean.status.code(), Some(0), "{out}{}", text(&clean.stderr));
    let documents = ORDERS + month.refunds;
    assert!(
        out.contains(&format!(
            "matched {documents} · missing in Intacct 0 · amount differs 0 · only in Intacct 0 · \
             not mapped 0"
        )),
        "{out}"
    );

    // Broken on purpose, by hand in Intacct: an unpaid invoice reversed, a credit memo deleted.
    let unpaid = live
        .iter()
        .find(|invoice| invoice.total_paid.is_zero())
        .expect("an unpaid invoice");
    let memo = &ledger.adjustments[3];
    let today = Utc::now().date_naive();
    sims.intacct
        .reverse_invoice_by_hand(DEMO_COMPANY_ID, &unpaid.document.key, today);
    sims.intacct
        .delete_adjustment_by_hand(DEMO_COMPANY_ID, &memo.document.key);
    let broken = reconcile("--csv");
    let csv = text(&broken.stdout);
    assert_eq!(
        broken.status.code(),
        Some(2),
        "{csv}{}",
        text(&broken.stderr)
    );
    assert!(text(&broken.stderr).contains("differs from Intacct"));
    let differences: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect::<Vec<_>>())
        .filter(|cells| cells[2] != "matched")
        .collect();
    assert_eq!(differences.len(), 2, "{csv}");
    let number = unpaid.document.number.clone().unwrap();
    assert_eq!(
        differences[0][..4],
        ["invoice", number.as_str(), "missing in Intacct", "USD"],
        "{csv}"
    );
    assert_eq!(d(differences[0][4]), unpaid.document.total);
    assert_eq!(differences[0][6], "reversed in Intacct");
    let refund = memo.document.external_id.clone().unwrap();
    assert_eq!(
        differences[1][..4],
        ["credit memo", refund.as_str(), "missing in Intacct", "USD"],
        "{csv}"
    );
    assert_eq!(d(differences[1][4]).abs(), memo.document.total.abs());
    assert!(differences[1][6].ends_with(" not credited"), "{csv}");
    let text_report = reconcile("");
    assert_eq!(text_report.status.code(), Some(2));
    println!(
        "the broken month's reconciliation:\n{}",
        text(&text_report.stdout)
    );
    let report = reconcile("--json");
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["events"], documents, "{report:#}");
    assert_eq!(report["findings"].as_array().unwrap().len(), documents);

    // The one fix command: both documents' events are done, so their commands go again under
    // new keys, queued for the serving host; then the month reconciles, and nothing is doubled.
    let fix = reconcile("--fix");
    let notes = text(&fix.stderr);
    assert_eq!(fix.status.code(), Some(0), "{}{notes}", text(&fix.stdout));
    println!("the fix:\n{notes}");
    for (document, key) in [("invoice", &number), ("credit memo", &refund)] {
        assert!(
            notes.contains(&format!("fix  {document} {key}: posted by event ")),
            "{notes}"
        );
    }
    assert!(notes.contains("2 fix(es) in the inbox"), "{notes}");
    let rows = wait_settled(
        service.inbox(),
        events as usize + 2,
        &[Status::Done],
        Duration::from_secs(120),
    )
    .await;
    let fixes = rows
        .iter()
        .filter(|row| row.arrival.as_str() == "reconcile");
    assert_eq!(fixes.count(), 2);
    let fixed = sims.ledger();
    let standing = |ledger: &Ledger| {
        ledger
            .invoices
            .iter()
            .filter(|invoice| invoice.state != InvoiceState::Reversed)
            .count()
    };
    assert_eq!(standing(&fixed), ORDERS - month.cancelled);
    assert_eq!(fixed.invoices.len(), ORDERS - month.cancelled + 1);
    assert_eq!(fixed.adjustments.len(), month.refunds);
    assert_eq!(fixed.payments.len(), month.paid);
    let clean = reconcile("");
    let out = text(&clean.stdout);
    assert_eq!(clean.status.code(), Some(0), "{out}{}", text(&clean.stderr));
    assert!(
        out.contains(&format!("matched {documents} · missing in Intacct 0")),
        "{out}"
    );
    let nothing = reconcile("--fix");
    assert_eq!(nothing.status.code(), Some(0), "{}", text(&nothing.stderr));
    assert_eq!(text(&nothing.stderr), "");

    // Run again over the same month: everything is listed, nothing is new, nothing posts.
    let ledger = sims.ledger();
    let third = mlc(&path, &["backfill", "--flow", FLOW, "--since", &since]);
    let out = text(&third.stdout);
    assert_eq!(third.status.code(), Some(0), "{out}{}", text(&third.stderr));
    assert!(
        out.contains(&format!(
            "{events} events listed, 0 new in the inbox, {events} already there"
        )),
        "{out}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = sims.ledger();
    assert_eq!(
        (
            after.invoices.len(),
            after.payments.len(),
            after.adjustments.len()
        ),
        (
            ledger.invoices.len(),
            ledger.payments.len(),
            ledger.adjustments.len()
        )
    );
    service.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_refuses_ranges_in_the_future_beyond_what_shopify_keeps_and_unknown_flows() {
    let (mut shopify, intacct) = demo_configs();
    shopify.scopes.retain(|scope| scope != "read_all_orders");
    let sims = ShopifyIntacct::start(shopify, intacct).await.unwrap();
    let dir = scratch("cli-backfill-refusals");
    let path = sims
        .write_config(
            &dir,
            &Setup::new(support::plugin_dir()),
            &store_section(&dir),
        )
        .unwrap();
    let refused = |args: &[&str]| {
        let output = mlc(&path, args);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
        text(&output.stderr)
    };

    let tomorrow = (Utc::now() + TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let error = refused(&["backfill", "--flow", FLOW, "--since", &tomorrow]);
    assert!(
        error.contains("the range starts in the future") && error.contains("nothing has happened"),
        "{error}"
    );
    let error = refused(&[
        "backfill", "--flow", FLOW, "--since", "30d", "--until", &tomorrow,
    ]);
    assert!(
        error.contains("the range ends in the future") && error.contains("leave --until out"),
        "{error}"
    );
    let error = refused(&["backfill", "--flow", FLOW, "--since", "2d", "--until", "3d"]);
    assert!(error.contains("where or before it starts"), "{error}");
    let error = refused(&["backfill", "--flow", "nope", "--since", "2d"]);
    assert!(
        error.contains("no flow \"nope\"") && error.contains(FLOW),
        "{error}"
    );
    let error = refused(&["backfill", "--flow", FLOW, "--since", "90d"]);
    assert!(
        error.contains("could not list its history")
            && error.contains("read_all_orders")
            && error.contains("60 days"),
        "{error}"
    );
    let inbox = flow::open_inbox(&Config::load(&path).unwrap()).unwrap();
    assert_eq!(
        inbox.backfills().unwrap(),
        Vec::new(),
        "a refused backfill stores nothing"
    );

    let today = Utc::now().date_naive();
    let reconcile = |from: String, to: String| {
        refused(&["reconcile", "--flow", FLOW, "--from", &from, "--to", &to])
    };
    let error = reconcile(today.to_string(), (today + TimeDelta::days(1)).to_string());
    assert!(error.contains("the period ends in the future"), "{error}");
    let error = reconcile(today.to_string(), (today - TimeDelta::days(1)).to_string());
    assert!(error.contains("before it starts"), "{error}");
    let error = reconcile("11/01/2026".into(), today.to_string());
    assert!(
        error.contains("--from `11/01/2026` is not a day (2026-11-01)"),
        "{error}"
    );
    let error = reconcile((today - TimeDelta::days(90)).to_string(), today.to_string());
    assert!(
        error.contains("could not list its history since the period began")
            && error.contains("read_all_orders"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_whose_source_lists_no_history_is_refused_naming_it() {
    let ledger = support::ledger::Ledger::start().await;
    let dir = scratch("cli-backfill-webhooks-only");
    let config =
        support::flows::write_config(&dir, &support::flows::config_text(&dir, &ledger, ""));
    let output = mlc(
        &config.path,
        &["backfill", "--flow", "orders", "--since", "2d"],
    );
    let error = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{error}");
    assert!(
        error.contains("flow `orders`'s source `shop` (testkit ")
            && error.contains("could not list its history")
            && error.contains("this connector lists no history"),
        "{error}"
    );
    let inbox = flow::open_inbox(&config).unwrap();
    assert_eq!(inbox.backfills().unwrap(), Vec::new());
    let output = mlc(
        &config.path,
        &[
            "reconcile",
            "--flow",
            "orders",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-02",
        ],
    );
    let error = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{error}");
    assert!(
        error.contains(
            "flow `orders`'s source `shop` could not list its history since the period began"
        ) && error.contains("this connector lists no history"),
        "{error}"
    );
    assert_eq!(ledger.writes(), 0);
}
