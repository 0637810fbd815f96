//! Shopify → Sage Intacct end to end, in process: the shop simulator delivers signed webhooks to
//! the host's server, the real `shopify`, `shopify-intacct` and `intacct` components run each
//! event, and the Intacct simulator's books are checked to the cent.
//!
//! Each test starts both simulators and its own service (inbox, plugins, webhook server) on the
//! shared fixture `simulators::shopify_intacct`, drives the shop, waits until every event the shop
//! delivered has settled, and reads the demo company's ledger. Expected amounts are written out by
//! hand from the order the test makes, not taken from the mapping.

use std::time::Duration;

use chrono::NaiveDate;
use mlc_host::config::Config;
use mlc_host::flow::{self, EventRow, Service, Status};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use simulators::intacct::{
    AdjustmentKind, ArLine, IntacctConfig, Invoice, InvoiceState, Ledger, Posting,
};
use simulators::shopify::{
    BucketConfig, Customer, CustomerSpec, Delivery, FinancialStatus, LineSpec, Order, OrderSpec,
    OrderTransaction, RefundSpec, ShippingSpec, ShopifyConfig, ShopifySim, TaxLine, TaxSpec, sign,
};
use simulators::shopify_intacct::{SHOPIFY_CONNECTION, Setup, ShopifyIntacct, demo_configs};
use support::flows::{scratch, step_names, wait_settled};

/// How long the events of one test may take to settle.
const SETTLE: Duration = Duration::from_secs(45);
/// Where an event stops until a person acts.
const SETTLED: &[Status] = &[
    Status::Done,
    Status::Review,
    Status::Failed,
    Status::Skipped,
];

// ---------------------------------------------------------------------------------------------
// The running flow

/// The simulators, and the service running the flow between them.
struct Running {
    sims: ShopifyIntacct,
    service: Service,
}

impl Running {
    /// Both simulators on the demo configs and a service with the fixture's config.
    async fn start(name: &str) -> Self {
        let (shopify, intacct) = demo_configs();
        Self::start_with(name, shopify, intacct).await
    }

    async fn start_with(name: &str, shopify: ShopifyConfig, intacct: IntacctConfig) -> Self {
        let sims = ShopifyIntacct::start(shopify, intacct)
            .await
            .expect("the simulators start");
        let dir = scratch(&format!("shopify-intacct-{name}"));
        let path = sims
            .write_config(
                &dir,
                &Setup::new(support::plugin_dir()),
                &support::flows::store_section(&dir),
            )
            .expect("writing the config");
        let config = Config::load(&path).unwrap_or_else(|error| panic!("{error}"));
        let host = flow::open_host(&config).await.expect("the host opens");
        let service = Service::start(host, config)
            .await
            .expect("the service starts");
        sims.subscribe(&format!("http://{}", service.local_addr()));
        Running { sims, service }
    }

    fn shop(&self) -> &ShopifySim {
        &self.sims.shopify
    }

    fn ledger(&self) -> Ledger {
        self.sims.ledger()
    }

    /// Waits until the shop has delivered everything it fired, then until the inbox holds exactly
    /// `count` events, all settled; returns them in arrival order.
    async fn settled(&self, count: usize) -> Vec<EventRow> {
        self.shop().wait_idle().await;
        let mut rows = wait_settled(self.service.inbox(), count, SETTLED, SETTLE).await;
        rows.sort_by_key(|row| row.id);
        assert_eq!(
            rows.len(),
            count,
            "the inbox holds other events than expected: {}",
            describe(&rows)
        );
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

    /// The audit trail of one event.
    fn detail(&self, row: &EventRow) -> flow::EventDetail {
        self.service
            .inbox()
            .show(row.id)
            .expect("the event's detail")
    }

    /// A customer of the shop (fires `customers/create`).
    fn customer(&self, first: &str, last: &str, email: &str, tags: &[&str]) -> Customer {
        self.shop().create_customer(CustomerSpec {
            email: Some(email.to_owned()),
            first_name: Some(first.to_owned()),
            last_name: Some(last.to_owned()),
            tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        })
    }

    fn order(&self, spec: OrderSpec) -> Order {
        self.shop()
            .create_order(spec)
            .expect("the shop takes the order")
    }
}

/// One line per event: topic, status, attempts and what went wrong.
fn describe(rows: &[EventRow]) -> String {
    rows.iter()
        .map(|row| format!("\n  {}", row.summary()))
        .collect()
}

/// Checks the topics of `rows`, in any order: the shop delivers each webhook on its own, so
/// events fired together arrive in any order.
fn assert_topics(rows: &[EventRow], expected: &[&str]) {
    let mut actual: Vec<&str> = rows.iter().map(|row| row.topic.as_str()).collect();
    actual.sort_unstable();
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(actual, expected, "{}", describe(rows));
}

/// The one event of `rows` on `topic`.
fn event<'a>(rows: &'a [EventRow], topic: &str) -> &'a EventRow {
    let found: Vec<&EventRow> = rows.iter().filter(|row| row.topic == topic).collect();
    assert_eq!(found.len(), 1, "one {topic} event: {}", describe(rows));
    found[0]
}

// ---------------------------------------------------------------------------------------------
// Orders, amounts and expectations

/// `"12.34"` as a decimal.
fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// Rounded to cents, half away from zero (as Shopify rounds taxes).
fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The Intacct customer id the mapping gives a Shopify customer (`shopify_id_base36`, `SH`).
fn intacct_customer_id(shopify_id: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut number = shopify_id;
    let mut digits = Vec::new();
    loop {
        digits.push(DIGITS[(number % 36) as usize]);
        number /= 36;
        if number == 0 {
            break;
        }
    }
    digits.reverse();
    format!("SH{}", String::from_utf8(digits).unwrap())
}

/// The demo order of `customer`: 2 × 19.99 widgets with 1.00 off and 7.25 % CA tax per line, and
/// 5.00 standard shipping (untaxed): 46.81 with one line, 88.62 with two.
fn widget_order(customer: &Customer, lines: usize) -> OrderSpec {
    OrderSpec {
        customer_id: Some(customer.id),
        lines: (0..lines)
            .map(|n| {
                LineSpec::new(&format!("SKU-{n:03}"), "Widget", 2, d("19.99"))
                    .tax("CA State Tax", d("0.0725"))
                    .discount(d("1.00"))
            })
            .collect(),
        shipping: vec![ShippingSpec {
            title: "Standard".into(),
            price: d("5.00"),
            taxes: Vec::new(),
        }],
        ..OrderSpec::default()
    }
}

/// An invoice line as the test expects it: account, amount, memo, and the dimensions as
/// `location/department/class` (`-` for none).
type Expected<'a> = (&'a str, &'a str, &'a str, &'a str);

/// Checks `lines` one by one against `expected` (each offset on AR 1200).
fn assert_lines(lines: &[ArLine], expected: &[Expected<'_>]) {
    let actual: Vec<String> = lines.iter().map(line_text).collect();
    let wanted: Vec<String> = expected
        .iter()
        .map(|(account, amount, memo, dimensions)| {
            format!("{account} {amount} {memo:?} {dimensions} offset 1200")
        })
        .collect();
    assert_eq!(actual, wanted, "the invoice lines");
}

fn line_text(line: &ArLine) -> String {
    format!(
        "{} {} {:?} {}/{}/{} offset {}",
        line.account,
        line.amount,
        line.memo.as_deref().unwrap_or_default(),
        line.dimensions.location.as_deref().unwrap_or("-"),
        line.dimensions.department.as_deref().unwrap_or("-"),
        line.dimensions.class.as_deref().unwrap_or("-"),
        line.offset_account
    )
}

/// The invoices numbered `number`.
fn invoices<'a>(ledger: &'a Ledger, number: &str) -> Vec<&'a Invoice> {
    ledger
        .invoices
        .iter()
        .filter(|invoice| invoice.document.number.as_deref() == Some(number))
        .collect()
}

/// The one invoice numbered `number`.
fn only_invoice<'a>(ledger: &'a Ledger, number: &str) -> &'a Invoice {
    let found = invoices(ledger, number);
    assert_eq!(
        found.len(),
        1,
        "invoices numbered {number}: {:#?}",
        ledger.invoices
    );
    found[0]
}

/// Debits minus credits posted to `account` for `customer_id`, over all dimensions.
fn customer_balance(ledger: &Ledger, account: &str, customer_id: &str) -> Decimal {
    ledger
        .postings
        .iter()
        .filter(|posting| {
            posting.account == account && posting.customer_id.as_deref() == Some(customer_id)
        })
        .map(|posting: &Posting| posting.debit - posting.credit)
        .sum()
}

fn assert_balanced(ledger: &Ledger) {
    assert!(
        ledger.trial_balance.is_balanced(),
        "the trial balance does not balance: {:#?}",
        ledger.trial_balance
    );
}

/// The day of the order, as the invoice is dated.
fn order_day(order: &Order) -> NaiveDate {
    order.created_at.date_naive()
}

// ---------------------------------------------------------------------------------------------
// New orders

#[tokio::test]
async fn a_new_order_becomes_one_customer_and_one_invoice_on_the_rules_accounts_and_dimensions() {
    let running = Running::start("new-order").await;
    let grace = running.customer(
        "Grace",
        "Hopper",
        "grace@example.com",
        &["wholesale", "region:east"],
    );
    let tax = |line: LineSpec| line.tax("NY State Tax", d("0.08875"));
    let order = running.order(OrderSpec {
        customer_id: Some(grace.id),
        lines: vec![
            tax(LineSpec::new("POS-MUG", "Coffee Mug", 3, d("12.50")).discount(d("2.50"))),
            tax(LineSpec::new("WS-CRATE", "Shipping Crate", 1, d("240.00"))),
            LineSpec::new("GIFT-25", "Gift Card", 1, d("25.00")),
            LineSpec {
                product_type: Some("In-store".into()),
                ..LineSpec::new("CANDLE-1", "Candle", 1, d("10.00"))
            },
        ],
        shipping: vec![ShippingSpec {
            title: "Standard".into(),
            price: d("9.95"),
            taxes: vec![TaxSpec {
                title: "NY State Tax".into(),
                rate: d("0.08875"),
            }],
        }],
        ..OrderSpec::default()
    });
    // 35.00 + 240.00 + 25.00 + 10.00 + 9.95, tax 3.11 + 21.30 + 0.88 (8.875 % of 35.00, 240.00,
    // 9.95).
    assert_eq!(order.total_price(), d("345.24"), "the shop's own total");

    let rows = running.all_done(2).await;
    assert_topics(&rows, &["customers/create", "orders/create"]);

    let ledger = running.ledger();
    let customer_id = intacct_customer_id(grace.id);
    let shop_customers: Vec<_> = ledger
        .customers
        .iter()
        .filter(|customer| customer.customer_id.starts_with("SH"))
        .collect();
    assert_eq!(shop_customers.len(), 1, "{:#?}", ledger.customers);
    let customer = shop_customers[0];
    assert_eq!(customer.customer_id, customer_id);
    assert_eq!(customer.name, "Grace Hopper");
    assert_eq!(
        customer
            .fields
            .get("DISPLAYCONTACT.EMAIL1")
            .map(String::as_str),
        Some("grace@example.com"),
        "{:?}",
        customer.fields
    );

    assert_eq!(ledger.invoices.len(), 1, "{:#?}", ledger.invoices);
    let invoice = only_invoice(&ledger, "SH1001");
    let document = &invoice.document;
    assert_eq!(document.customer_id, customer_id);
    assert_eq!(document.currency, "USD");
    assert_eq!(document.description.as_deref(), Some("Shopify order #1001"));
    assert!(
        document
            .external_id
            .as_deref()
            .unwrap_or_default()
            .starts_with(&format!("{}-", order.id)),
        "{:?}",
        document.external_id
    );
    assert_eq!(document.date_created, order_day(&order));
    assert_eq!(
        invoice.date_due,
        Some(order_day(&order) + chrono::Days::new(30))
    );
    assert_eq!(invoice.state, InvoiceState::Posted);
    assert_eq!(invoice.total_paid, Decimal::ZERO);
    assert_lines(
        &document.lines,
        &[
            ("4000", "37.50", "3 × Coffee Mug", "WH-EAST/OPS/RETAIL"),
            (
                "4900",
                "-2.50",
                "Discount: Coffee Mug",
                "WH-EAST/OPS/RETAIL",
            ),
            (
                "4000",
                "240.00",
                "1 × Shipping Crate",
                "WH-EAST/OPS/WHOLESALE",
            ),
            ("4000", "25.00", "1 × Gift Card", "WH-EAST/OPS/ONLINE"),
            ("4000", "10.00", "1 × Candle", "WH-EAST/OPS/RETAIL"),
            ("4100", "9.95", "Shipping: Standard", "WH-EAST/OPS/-"),
            ("2200", "25.29", "NY State Tax 8.875%", "WH-EAST/OPS/-"),
        ],
    );
    assert_eq!(document.total, d("345.24"));
    assert_eq!(document.total, order.total_price());

    assert_balanced(&ledger);
    assert_eq!(ledger.account_balance("1200"), d("345.24"));
    assert_eq!(ledger.account_balance("4000"), d("-312.50"));
    assert_eq!(ledger.account_balance("4900"), d("2.50"));
    assert_eq!(ledger.account_balance("4100"), d("-9.95"));
    assert_eq!(ledger.account_balance("2200"), d("-25.29"));
    running.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_webhook_delivered_three_times_posts_one_invoice_and_runs_once() {
    let running = Running::start("duplicates").await;
    let ada = running.customer("Ada", "Lovelace", "ada@example.com", &[]);
    let order = running.order(widget_order(&ada, 1));
    running.all_done(2).await;

    let first = running
        .shop()
        .deliveries()
        .into_iter()
        .find(|delivery| delivery.topic == "orders/create")
        .expect("orders/create was delivered");
    assert_eq!(first.status, Some(200));
    running.shop().redeliver(&first.webhook_id).unwrap();
    running.shop().redeliver(&first.webhook_id).unwrap();
    let rows = running.all_done(2).await;

    let deliveries: Vec<_> = running
        .shop()
        .deliveries()
        .into_iter()
        .filter(|delivery| delivery.topic == "orders/create")
        .collect();
    assert_eq!(deliveries.len(), 3, "{deliveries:#?}");
    assert!(
        deliveries.iter().all(|delivery| {
            delivery.webhook_id == first.webhook_id
                && delivery.event_id == first.event_id
                && delivery.status == Some(200)
        }),
        "{deliveries:#?}"
    );

    // One event for the three deliveries, run once.
    let event = rows
        .iter()
        .find(|row| row.topic == "orders/create")
        .unwrap();
    assert_eq!(event.key, first.event_id);
    assert_eq!(event.attempts, 1);
    let detail = running.detail(event);
    assert_eq!(step_names(&detail), ["received", "fetch", "map", "apply"]);

    // The host says so to the sender: the same delivery once more is a duplicate.
    let (status, answer) = deliver_again(&running, &first).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["accepted"], serde_json::json!([]), "{answer}");
    assert_eq!(answer["duplicates"][0]["key"], first.event_id, "{answer}");
    assert_eq!(answer["duplicates"][0]["id"], event.id, "{answer}");

    let ledger = running.ledger();
    let invoice = only_invoice(&ledger, "SH1001");
    assert_eq!(ledger.invoices.len(), 1);
    assert_eq!(invoice.document.total, d("46.81"));
    assert_eq!(invoice.document.total, order.total_price());
    assert_eq!(ledger.account_balance("1200"), d("46.81"));
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

/// Posts `delivery` to the host again as the shop sent it (same body, signature and ids).
async fn deliver_again(running: &Running, delivery: &Delivery) -> (u16, Value) {
    let body = serde_json::to_vec(&delivery.body).unwrap();
    let config = running.shop().config();
    assert_eq!(
        sign(&config.client_secret, &body),
        delivery.hmac,
        "the body re-serialised differs from what the shop signed"
    );
    let response = reqwest::Client::new()
        .post(format!(
            "http://{}/webhooks/{SHOPIFY_CONNECTION}",
            running.service.local_addr()
        ))
        .header("Content-Type", "application/json")
        .header("X-Shopify-Topic", &delivery.topic)
        .header("X-Shopify-Hmac-Sha256", &delivery.hmac)
        .header("X-Shopify-Shop-Domain", &config.shop_domain)
        .header("X-Shopify-API-Version", &config.api_version)
        .header("X-Shopify-Webhook-Id", &delivery.webhook_id)
        .header("X-Shopify-Event-Id", &delivery.event_id)
        .body(body)
        .send()
        .await
        .expect("the host answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// Faults, sessions and tokens

#[tokio::test]
async fn a_5xx_and_an_answer_lost_after_commit_are_retried_into_exactly_one_invoice_each() {
    let running = Running::start("faults").await;
    let ada = running.customer("Ada", "Lovelace", "ada@example.com", &[]);
    running.all_done(1).await;
    let faults = running.sims.intacct.faults();

    let endpoint = "/ia/xml/session/xmlgw.phtml";

    // Intacct answers 503 once: nothing ran, the retry posts it.
    faults.fail_next(1);
    let first = running.order(widget_order(&ada, 1));
    let rows = running.all_done(2).await;
    assert_eq!(rows[1].attempts, 2, "{}", describe(&rows));
    let detail = running.detail(&rows[1]);
    let applies = apply_steps(&detail);
    assert_eq!(
        applies.iter().map(|step| step.ok).collect::<Vec<_>>(),
        [false, true]
    );
    assert!(
        applies[0]
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("transient"),
        "{:?}",
        applies[0].message
    );
    assert_eq!(
        requests(&detail, "apply"),
        [format!("{endpoint} 503"), format!("{endpoint} 200")]
    );
    // The customer was upserted by its own event already; the invoice is new.
    assert_eq!(applies[1].detail["already_done"], 1);

    // Intacct posts the customer and the invoice, but the answer is lost: the retry finds both
    // already done.
    faults.drop_next_after_commit(1);
    let second = running.order(widget_order(&ada, 2));
    let rows = running.all_done(3).await;
    assert_eq!(rows[2].attempts, 2, "{}", describe(&rows));
    let detail = running.detail(&rows[2]);
    let applies = apply_steps(&detail);
    assert_eq!(
        applies.iter().map(|step| step.ok).collect::<Vec<_>>(),
        [false, true]
    );
    assert_eq!(
        requests(&detail, "apply"),
        [format!("{endpoint} null"), format!("{endpoint} 200")]
    );
    assert_eq!(applies[1].detail["already_done"], 2);

    let ledger = running.ledger();
    assert_eq!(ledger.invoices.len(), 2, "{:#?}", ledger.invoices);
    assert_eq!(only_invoice(&ledger, "SH1001").document.total, d("46.81"));
    assert_eq!(only_invoice(&ledger, "SH1002").document.total, d("88.62"));
    assert_eq!(first.total_price(), d("46.81"));
    assert_eq!(second.total_price(), d("88.62"));
    assert_eq!(
        customer_balance(&ledger, "1200", &intacct_customer_id(ada.id)),
        d("135.43")
    );
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

/// The `apply` steps of an event, in order.
fn apply_steps(detail: &flow::EventDetail) -> Vec<&flow::Step> {
    detail
        .steps
        .iter()
        .filter(|step| step.name == "apply")
        .collect()
}

/// The path and status of each request an event's steps named `step` sent.
fn requests(detail: &flow::EventDetail, step: &str) -> Vec<String> {
    detail
        .steps
        .iter()
        .filter(|one| one.name == step)
        .flat_map(|one| {
            one.detail["requests"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|request| {
            let url = request["url"].as_str().unwrap_or_default();
            let path = url.splitn(4, '/').nth(3).unwrap_or_default();
            format!("/{path} {}", request["status"])
        })
        .collect()
}

#[tokio::test]
async fn an_expired_intacct_session_and_an_expired_shopify_token_are_renewed_without_failing() {
    let running = Running::start("expiry").await;
    let ada = running.customer("Ada", "Lovelace", "ada@example.com", &[]);
    running.order(widget_order(&ada, 1));
    running.all_done(2).await;
    let initial_token = running.shop().current_access_token();
    // The request refused for its session, the sign-in, the same request on the new session.
    let signed_in_again = [
        "/ia/xml/session/xmlgw.phtml 200",
        "/ia/xml/xmlgw.phtml 200",
        "/ia/xml/session/xmlgw.phtml 200",
    ];
    // The query refused for its token, the refresh, the query again.
    let refreshed_on_401 = [
        "/admin/api/2025-10/graphql.json 401",
        "/admin/oauth/access_token 200",
        "/admin/api/2025-10/graphql.json 200",
    ];

    // Intacct drops every session (a gateway restart).
    running.sims.intacct.expire_sessions();
    running.order(widget_order(&ada, 1));
    let rows = running.all_done(3).await;
    assert_eq!(
        requests(&running.detail(&rows[2]), "apply"),
        signed_in_again
    );
    assert_eq!(running.shop().current_access_token(), initial_token);

    // Two hours pass on the simulators' clock: the Shopify access token (1 h) and the Intacct
    // session (60 min idle) have both expired.
    running.shop().clock().advance(chrono::Duration::hours(2));
    running.order(widget_order(&ada, 1));
    let rows = running.all_done(4).await;
    let detail = running.detail(&rows[3]);
    assert_eq!(requests(&detail, "fetch"), refreshed_on_401);
    assert_eq!(requests(&detail, "apply"), signed_in_again);
    let refreshed = running.shop().current_access_token();
    assert_ne!(refreshed, initial_token, "the shop issued a new token");

    // The shop revokes every access token; the refresh token still works.
    running.shop().revoke_access_tokens();
    running.order(widget_order(&ada, 1));
    let rows = running.all_done(5).await;
    assert_eq!(
        requests(&running.detail(&rows[4]), "fetch"),
        refreshed_on_401
    );
    assert_ne!(running.shop().current_access_token(), refreshed);

    // Nothing failed, nothing was even retried: each renewal happened inside its call.
    assert!(
        rows.iter().all(|row| row.attempts == 1),
        "{}",
        describe(&rows)
    );
    let ledger = running.ledger();
    assert_eq!(ledger.invoices.len(), 4);
    for number in ["SH1001", "SH1002", "SH1003", "SH1004"] {
        assert_eq!(only_invoice(&ledger, number).document.total, d("46.81"));
    }
    assert_eq!(
        customer_balance(&ledger, "1200", &intacct_customer_id(ada.id)),
        d("187.24")
    );
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Refunds, payments, cancellations and edits

#[tokio::test]
async fn a_partial_refund_becomes_a_credit_memo_of_exactly_the_refunded_amount() {
    let running = Running::start("refund").await;
    let ada = running.customer("Ada", "Lovelace", "ada@example.com", &[]);
    let order = running.order(OrderSpec {
        financial_status: FinancialStatus::Paid,
        ..widget_order(&ada, 2)
    });
    running.all_done(2).await;

    // One of the two widgets of the first line, and the shipping.
    let refund = running
        .shop()
        .create_refund(
            order.id,
            RefundSpec {
                lines: vec![(order.line_items[0].id, 1)],
                shipping: Some(d("5.00")),
                note: Some("one arrived broken".into()),
                adjustment: None,
            },
        )
        .unwrap();
    // Half of 38.98 and half of 2.83 tax (1.415 → 1.42), and 5.00.
    assert_eq!(refund.amount(), d("25.91"));
    let rows = running.all_done(4).await;
    assert_topics(
        &rows,
        &[
            "customers/create",
            "orders/create",
            "refunds/create",
            "orders/updated",
        ],
    );

    let ledger = running.ledger();
    assert_eq!(ledger.adjustments.len(), 1, "{:#?}", ledger.adjustments);
    let memo = &ledger.adjustments[0];
    assert_eq!(memo.kind, AdjustmentKind::CreditMemo);
    let customer_id = intacct_customer_id(ada.id);
    assert_eq!(memo.document.customer_id, customer_id);
    assert_eq!(memo.document.total, -refund.amount());
    assert_eq!(memo.document.total, d("-25.91"));
    assert_eq!(
        memo.document.external_id.as_deref(),
        Some(refund.id.to_string().as_str())
    );
    assert_eq!(
        memo.document.description.as_deref(),
        Some(
            format!(
                "Refund {} of Shopify order #1001: one arrived broken",
                refund.id
            )
            .as_str()
        )
    );
    assert_lines(
        &memo.document.lines,
        &[
            ("4000", "-19.99", "1 × Widget", "HQ/SALES/ONLINE"),
            ("4900", "0.50", "Discount: Widget", "HQ/SALES/ONLINE"),
            ("4100", "-5.00", "Shipping: Standard", "HQ/SALES/-"),
            ("2200", "-1.42", "CA State Tax 7.25%", "HQ/SALES/-"),
        ],
    );
    // The invoice stays as it was, paid in full; the credit is owed back to the customer.
    let invoice = only_invoice(&ledger, "SH1001");
    assert_eq!(ledger.invoices.len(), 1);
    assert_eq!(invoice.document.total, d("88.62"));
    assert_eq!(invoice.state, InvoiceState::Paid);
    assert_eq!(ledger.payments.len(), 1, "{:#?}", ledger.payments);
    assert_eq!(customer_balance(&ledger, "1200", &customer_id), d("-25.91"));
    assert_eq!(ledger.account_balance("2200"), d("-4.24"));
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn paid_orders_post_a_payment_to_the_gateways_account_and_settle_the_receivable() {
    let running = Running::start("paid").await;
    let ada = running.customer("Ada", "Lovelace", "ada@example.com", &[]);
    let bob = running.customer("Bob", "Paypal", "bob@example.com", &[]);

    // Paid by card at checkout: one event posts the invoice and its payment.
    let card = running.order(OrderSpec {
        financial_status: FinancialStatus::Paid,
        ..widget_order(&ada, 1)
    });
    // Through PayPal, paid later.
    let paypal = running.order(OrderSpec {
        gateway: "paypal".into(),
        ..widget_order(&bob, 2)
    });
    running.all_done(4).await;
    let paypal = running.shop().mark_paid(paypal.id).unwrap();
    let rows = running.all_done(6).await;
    assert_topics(&rows[4..], &["orders/paid", "orders/updated"]);

    let ledger = running.ledger();
    assert_eq!(ledger.invoices.len(), 2, "{:#?}", ledger.invoices);
    assert_eq!(ledger.payments.len(), 2, "{:#?}", ledger.payments);
    let ada_id = intacct_customer_id(ada.id);
    let bob_id = intacct_customer_id(bob.id);

    let card_invoice = only_invoice(&ledger, "SH1001");
    assert_eq!(card_invoice.document.total, d("46.81"));
    assert_eq!(card.total_price(), d("46.81"));
    assert_eq!(card_invoice.state, InvoiceState::Paid);
    assert_eq!(card_invoice.total_paid, d("46.81"));
    let payment = ledger
        .payments
        .iter()
        .find(|payment| payment.customer_id == ada_id)
        .expect("Ada's payment");
    assert_eq!(payment.amount, d("46.81"));
    assert_eq!(payment.account, "1499");
    assert_eq!(payment.bank_account_id, None);
    assert_eq!(payment.method, "Credit Card");
    let sale = received(&card);
    assert_eq!(sale.amount, d("46.81"));
    assert_eq!(
        payment.ref_id.as_deref(),
        Some(format!("#1001/{}", sale.id).as_str())
    );
    assert_eq!(payment.currency, "USD");
    assert_eq!(payment.received, order_day(&card));
    assert_eq!(payment.applied.len(), 1);
    assert_eq!(payment.applied[0].invoice_key, card_invoice.document.key);
    assert_eq!(payment.applied[0].amount, d("46.81"));
    assert_eq!(payment.unapplied, Decimal::ZERO);

    let paypal_invoice = only_invoice(&ledger, "SH1002");
    assert_eq!(paypal_invoice.document.total, d("88.62"));
    assert_eq!(paypal.total_price(), d("88.62"));
    assert_eq!(paypal_invoice.state, InvoiceState::Paid);
    let payment = ledger
        .payments
        .iter()
        .find(|payment| payment.customer_id == bob_id)
        .expect("Bob's payment");
    assert_eq!(payment.amount, d("88.62"));
    assert_eq!(payment.account, "1010");
    assert_eq!(payment.bank_account_id.as_deref(), Some("BOA-CHK"));
    assert_eq!(payment.method, "EFT");
    let sale = received(&paypal);
    assert_eq!(sale.amount, d("88.62"));
    assert_eq!(
        payment.ref_id.as_deref(),
        Some(format!("#1002/{}", sale.id).as_str())
    );
    assert_eq!(
        payment.received,
        sale.processed_at.date_naive().max(order_day(&paypal))
    );
    assert_eq!(payment.applied[0].invoice_key, paypal_invoice.document.key);
    assert_eq!(payment.applied[0].amount, d("88.62"));

    // What each customer owed is settled; the money sits where the gateway put it.
    assert_eq!(customer_balance(&ledger, "1200", &ada_id), Decimal::ZERO);
    assert_eq!(customer_balance(&ledger, "1200", &bob_id), Decimal::ZERO);
    assert_eq!(ledger.account_balance("1200"), Decimal::ZERO);
    assert_eq!(ledger.account_balance("1499"), d("46.81"));
    assert_eq!(ledger.account_balance("1010"), d("88.62"));
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

/// The one transaction of `order` that received money.
fn received(order: &Order) -> &OrderTransaction {
    let found: Vec<&OrderTransaction> = order
        .transactions
        .iter()
        .filter(|transaction| transaction.received())
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", order.transactions);
    found[0]
}

#[tokio::test]
async fn cancelling_an_unpaid_order_reverses_its_invoice_and_every_balance_nets_to_zero() {
    let running = Running::start("cancel").await;
    let ada = running.customer("Ada", "Lovelace", "ada@example.com", &[]);
    let order = running.order(widget_order(&ada, 2));
    running.all_done(2).await;
    let cancelled = running.shop().cancel_order(order.id, "customer").unwrap();
    let rows = running.all_done(4).await;
    assert_topics(&rows[2..], &["orders/cancelled", "orders/updated"]);

    let ledger = running.ledger();
    let invoice = only_invoice(&ledger, "SH1001");
    assert_eq!(ledger.invoices.len(), 1);
    assert_eq!(invoice.state, InvoiceState::Reversed);
    assert_eq!(ledger.reversals.len(), 1, "{:#?}", ledger.reversals);
    let reversal = &ledger.reversals[0];
    assert_eq!(reversal.invoice_key, invoice.document.key);
    assert_eq!(reversal.total, d("-88.62"));
    assert_eq!(reversal.date, cancelled.cancelled_at.unwrap().date_naive());
    assert_eq!(
        reversal.description.as_deref(),
        Some("Shopify order #1001 cancelled (customer)")
    );
    assert!(ledger.payments.is_empty(), "{:#?}", ledger.payments);
    assert!(!ledger.trial_balance.lines.is_empty());
    let open: Vec<_> = ledger
        .trial_balance
        .lines
        .iter()
        .filter(|line| !line.balance.is_zero())
        .collect();
    assert!(
        open.is_empty(),
        "balances left after the reversal: {open:#?}"
    );
    assert_eq!(ledger.trial_balance.total_debit, d("185.24"));
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_edited_order_gets_a_new_invoice_version_and_the_old_one_is_reversed() {
    let running = Running::start("edit").await;
    let ada = running.customer("Ada", "Lovelace", "ada@example.com", &[]);
    let order = running.order(widget_order(&ada, 2));
    running.all_done(2).await;
    let first = only_invoice(&running.ledger(), "SH1001").clone();

    // A change the invoice is not made of: nothing new posts.
    running
        .shop()
        .update_order(order.id, |order| order.tags.push("gift".into()))
        .unwrap();
    running.all_done(3).await;
    let ledger = running.ledger();
    assert_eq!(ledger.invoices.len(), 1, "{:#?}", ledger.invoices);
    assert!(ledger.reversals.is_empty(), "{:#?}", ledger.reversals);

    // The first line goes from 2 to 3 widgets: 58.97 net, 4.28 tax.
    let edited = running
        .shop()
        .update_order(order.id, |order| {
            let line = &mut order.line_items[0];
            line.quantity = 3;
            line.tax_lines = vec![TaxLine {
                title: "CA State Tax".into(),
                rate: d("0.0725"),
                price: cents(line.net() * d("0.0725")),
            }];
        })
        .unwrap();
    assert_eq!(edited.total_price(), d("110.06"));
    let rows = running.all_done(4).await;
    assert_topics(&rows[2..], &["orders/updated", "orders/updated"]);

    let ledger = running.ledger();
    let all = invoices(&ledger, "SH1001");
    assert_eq!(all.len(), 2, "{:#?}", ledger.invoices);
    let live: Vec<_> = all
        .iter()
        .filter(|invoice| invoice.state != InvoiceState::Reversed)
        .collect();
    assert_eq!(live.len(), 1, "one live invoice: {all:#?}");
    let new = live[0];
    assert_ne!(new.document.key, first.document.key);
    assert_ne!(new.document.external_id, first.document.external_id);
    assert_eq!(new.document.total, d("110.06"));
    assert_lines(
        &new.document.lines,
        &[
            ("4000", "59.97", "3 × Widget", "HQ/SALES/ONLINE"),
            ("4900", "-1.00", "Discount: Widget", "HQ/SALES/ONLINE"),
            ("4000", "39.98", "2 × Widget", "HQ/SALES/ONLINE"),
            ("4900", "-1.00", "Discount: Widget", "HQ/SALES/ONLINE"),
            ("4100", "5.00", "Shipping: Standard", "HQ/SALES/-"),
            ("2200", "7.11", "CA State Tax 7.25%", "HQ/SALES/-"),
        ],
    );
    let old = ledger.invoice(&first.document.key).unwrap();
    assert_eq!(old.state, InvoiceState::Reversed);
    assert_eq!(ledger.reversals.len(), 1, "{:#?}", ledger.reversals);
    assert_eq!(ledger.reversals[0].invoice_key, first.document.key);
    assert_eq!(ledger.reversals[0].total, d("-88.62"));
    // What the customer owes is the edited order, once.
    assert_eq!(
        customer_balance(&ledger, "1200", &intacct_customer_id(ada.id)),
        d("110.06")
    );
    assert_eq!(ledger.account_balance("4000"), d("-99.95"));
    assert_eq!(ledger.account_balance("2200"), d("-7.11"));
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Awkward content

#[tokio::test]
async fn control_characters_are_stripped_and_xml_metacharacters_kept() {
    let running = Running::start("text").await;
    let customer = running.customer(
        "Zoë\u{1}",
        "O'Brien & <Sons> \"Ltd\"\u{7}",
        "zoe@example.com",
        &[],
    );
    running.order(OrderSpec {
        customer_id: Some(customer.id),
        lines: vec![LineSpec::new(
            "SKU-X",
            "Mug <XL> & \"Co\" 'blue'\u{1b}\u{1}",
            1,
            d("10.00"),
        )],
        ..OrderSpec::default()
    });
    running.all_done(2).await;

    let ledger = running.ledger();
    let intacct = ledger
        .customer(&intacct_customer_id(customer.id))
        .expect("the customer is in Intacct");
    assert_eq!(intacct.name, "Zoë O'Brien & <Sons> \"Ltd\"");
    let field = |name: &str| intacct.fields.get(name).map(String::as_str);
    assert_eq!(field("DISPLAYCONTACT.FIRSTNAME"), Some("Zoë"));
    assert_eq!(
        field("DISPLAYCONTACT.LASTNAME"),
        Some("O'Brien & <Sons> \"Ltd\"")
    );
    assert_eq!(
        field("DISPLAYCONTACT.PRINTAS"),
        Some("Zoë O'Brien & <Sons> \"Ltd\"")
    );
    let invoice = only_invoice(&ledger, "SH1001");
    assert_lines(
        &invoice.document.lines,
        &[(
            "4000",
            "10.00",
            "1 × Mug <XL> & \"Co\" 'blue'",
            "HQ/SALES/ONLINE",
        )],
    );
    assert_eq!(invoice.document.total, d("10.00"));
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_order_of_250_lines_is_one_invoice_with_every_line() {
    // A Shopify Plus bucket (2000 points, 100 a second): the header and five pages of lines still
    // throttle, but for seconds rather than the 20 s the standard bucket takes.
    let (mut shopify, intacct) = demo_configs();
    shopify.bucket = BucketConfig {
        maximum: 2000,
        restore_rate: 100,
    };
    let running = Running::start_with("250-lines", shopify, intacct).await;
    let ada = running.customer("Ada", "Lovelace", "ada@example.com", &[]);
    let price = |n: usize| Decimal::new(101 + 37 * n as i64, 2);
    let quantity = |n: usize| 1 + (n % 3) as u32;
    let order = running.order(OrderSpec {
        customer_id: Some(ada.id),
        lines: (0..250)
            .map(|n| {
                LineSpec::new(
                    &format!("SKU-{n:03}"),
                    &format!("Part {n}"),
                    quantity(n),
                    price(n),
                )
                .tax("CA State Tax", d("0.0725"))
            })
            .collect(),
        ..OrderSpec::default()
    });
    let rows = running.all_done(2).await;
    let fetch = requests(&running.detail(event(&rows, "orders/create")), "fetch");
    assert!(
        fetch.len() >= 6,
        "7 lines come with the header, the rest in pages of at most 50: {fetch:#?}"
    );

    let amounts: Vec<Decimal> = (0..250)
        .map(|n| price(n) * Decimal::from(quantity(n)))
        .collect();
    let tax: Decimal = amounts
        .iter()
        .map(|amount| cents(amount * d("0.0725")))
        .sum();
    let total: Decimal = amounts.iter().sum::<Decimal>() + tax;
    assert_eq!(order.total_price(), total, "the shop's own total");

    let ledger = running.ledger();
    let invoice = only_invoice(&ledger, "SH1001");
    let lines = &invoice.document.lines;
    assert_eq!(lines.len(), 251, "250 products and one tax line");
    for (n, (line, amount)) in lines.iter().zip(&amounts).enumerate() {
        assert_eq!(line.account, "4000", "line {n}");
        assert_eq!(line.amount, *amount, "line {n}");
        assert_eq!(
            line.memo.as_deref(),
            Some(format!("{} × Part {n}", quantity(n)).as_str()),
            "line {n}"
        );
    }
    assert_eq!(lines[250].account, "2200");
    assert_eq!(lines[250].amount, tax);
    assert_eq!(invoice.document.total, total);
    assert_eq!(ledger.account_balance("1200"), total);
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_order_in_euros_is_invoiced_in_euros() {
    let (mut shopify, intacct) = demo_configs();
    shopify.currency = "EUR".into();
    let running = Running::start_with("euro", shopify, intacct).await;
    let hans = running.customer("Hans", "Müller", "hans@example.de", &[]);
    let order = running.order(OrderSpec {
        customer_id: Some(hans.id),
        currency: "EUR".into(),
        lines: vec![LineSpec::new("SKU-TEA", "Tee", 2, d("49.90")).tax("MwSt", d("0.19"))],
        shipping: vec![ShippingSpec {
            title: "DHL".into(),
            price: d("4.90"),
            taxes: Vec::new(),
        }],
        ..OrderSpec::default()
    });
    // 99.80 + 4.90 + 18.96 (19 % of 99.80 = 18.962).
    assert_eq!(order.total_price(), d("123.66"));
    running.all_done(2).await;

    let ledger = running.ledger();
    let invoice = only_invoice(&ledger, "SH1001");
    assert_eq!(invoice.document.currency, "EUR");
    assert_eq!(invoice.document.total, d("123.66"));
    assert_lines(
        &invoice.document.lines,
        &[
            ("4000", "99.80", "2 × Tee", "HQ/SALES/ONLINE"),
            ("4100", "4.90", "Shipping: DHL", "HQ/SALES/-"),
            ("2200", "18.96", "MwSt 19%", "HQ/SALES/-"),
        ],
    );
    assert_balanced(&ledger);
    running.service.shutdown().await.unwrap();
}
