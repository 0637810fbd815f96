//! The `shopify` connector through the real host against the Shopify simulator
//! (`simulators::shopify`): ping, signed webhooks (a bad signature, a rotated secret, redelivery),
//! an order of 250 line items fetched whole while the cost bucket throttles, an order with more
//! line items, shipping lines, refunds and transactions than the header query reads fetched whole
//! for a header of at most 150 points, an order changed between its queries read again rather
//! than torn, 250 transactions held for review, 429s, expiring tokens
//! refreshed with the rotated refresh token kept, a paid order's transactions and a refund, a
//! customer, and polling.
//!
//! The host's clock here is the simulator's: a plugin's `sleep` moves the simulator's clock, so
//! waiting for the bucket really refills it and tokens really expire, without the test sleeping.

use support::calls::*;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use mlc_host::types::{Event, InboundRequest, PluginError, VerifyError};
use mlc_host::{Connection, ConnectorCall, Host, Secret};
use simulators::clock::SimClock;
use simulators::shopify::{
    CustomerSpec, FinancialStatus, Order, OrderSpec, RefundSpec, ShippingSpec, ShopifyConfig,
    ShopifySim,
};
use simulators::webhook_receiver::{Received, Receiver};

struct Shop {
    sim: ShopifySim,
    host: Host,
    connector: ConnectorCall,
}

fn config() -> ShopifyConfig {
    let clock = SimClock::frozen(Utc.with_ymd_and_hms(2025, 11, 3, 15, 0, 0).unwrap());
    ShopifyConfig::new(clock)
}

/// The connection the app was installed with, plus `extra` secrets.
fn connection(sim: &ShopifySim, extra: &[(&str, &str)]) -> Arc<Connection> {
    let config = sim.config();
    let mut connection = Connection::new("shop")
        .unwrap()
        .allow(&sim.base_url())
        .unwrap()
        .setting("base_url", sim.base_url())
        .setting("api_version", &config.api_version)
        .setting("client_id", &config.client_id)
        .secret("client_secret", Secret::new(&config.client_secret))
        .secret("access_token", Secret::new(&config.access_token))
        .secret("refresh_token", Secret::new(&config.refresh_token));
    for (name, value) in extra {
        connection = connection.secret(*name, Secret::new(*value));
    }
    Arc::new(connection)
}

async fn start() -> Shop {
    start_with(config(), &[]).await
}

async fn start_with(config: ShopifyConfig, extra: &[(&str, &str)]) -> Shop {
    let clock = config.clock.clone();
    let sim = ShopifySim::start(config)
        .await
        .expect("the simulator starts");
    let host = support::host_with(Host::builder().clock(Arc::new(SimTime(clock)))).await;
    let connector = host.connector("shopify", connection(&sim, extra)).unwrap();
    Shop {
        sim,
        host,
        connector,
    }
}

/// An order of `lines` lines (2 × 19.99, 1.00 off, 7.25 % tax each) and 5.00 shipping, for Ada.
fn create_order(sim: &ShopifySim, lines: usize) -> Order {
    sim.create_order(sim.sample_order_spec(lines)).unwrap()
}

/// A delivery the receiver got, as the host hands it to `verify`.
fn inbound(received: &Received) -> InboundRequest {
    InboundRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: received
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
            .collect(),
        body: received.body.to_vec(),
    }
}

fn event(topic: &str, reference: impl ToString) -> Event {
    Event {
        key: format!("test/{topic}"),
        topic: topic.into(),
        reference: reference.to_string(),
        occurred_at: None,
        payload: None,
    }
}

const GRAPHQL: &str = "/admin/api/2025-10/graphql.json";
const TOKEN: &str = "/admin/oauth/access_token";

#[tokio::test]
async fn ping_names_the_shop_describe_lists_the_topics_and_apply_refuses() {
    let shop = start().await;
    let report = shop.connector.ping().await;
    assert_eq!(
        ok(&report),
        "shop Demo Shop (demo-shop.myshopify.com), currency USD, Admin API 2025-10"
    );
    assert_eq!(requests(&report), [(Some(200), GRAPHQL.to_owned())]);

    let info = ok(&shop.connector.describe().await).clone();
    assert_eq!(
        (info.name.as_str(), info.version.as_str()),
        ("shopify", "0.1.0")
    );
    assert_eq!(
        info.topics,
        [
            "orders/create",
            "orders/updated",
            "orders/paid",
            "orders/cancelled",
            "refunds/create",
            "customers/create",
            "customers/update"
        ]
    );
    match plugin_error(&shop.connector.apply(&[]).await) {
        PluginError::Rejected(rejection) => {
            assert_eq!(rejection.message, "shopify is a source connector")
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_delivered_webhook_is_one_event_and_a_redelivery_has_the_same_key() {
    let shop = start().await;
    let receiver = Receiver::start(0).await.unwrap();
    shop.sim.subscribe("orders/create", receiver.url());
    let order = create_order(&shop.sim, 2);
    shop.sim.wait_idle().await;
    let first = shop.sim.deliveries()[0].webhook_id.clone();
    shop.sim.redeliver(&first).unwrap();
    shop.sim.wait_idle().await;

    let received = receiver.received();
    assert_eq!(received.len(), 2);
    let events = ok(&shop.connector.verify(&inbound(&received[0])).await).clone();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.key, received[0].header("X-Shopify-Event-Id"));
    assert_eq!(event.topic, "orders/create");
    assert_eq!(event.reference, order.id.to_string());
    assert!(order.id > 1 << 53);
    assert_eq!(event.occurred_at.as_deref(), Some("2025-11-03T15:00:00Z"));
    assert_eq!(event.payload, None);
    let again = ok(&shop.connector.verify(&inbound(&received[1])).await).clone();
    assert_eq!(again[0].key, event.key);

    let entities = ok(&shop.connector.fetch(event).await).clone();
    let kinds: Vec<&str> = entities.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["shopify.order", "shopify.customer"]);
    assert_eq!(entities[0].id, order.id.to_string());
    let customer = order.customer.unwrap();
    assert_eq!(entities[1].id, customer.id.to_string());
    assert_eq!(body(&entities[1])["display_name"], "Ada Lovelace");
}

#[tokio::test]
async fn a_bad_signature_is_unauthorized_and_a_missing_header_malformed() {
    let shop = start().await;
    let receiver = Receiver::start(0).await.unwrap();
    shop.sim.subscribe("orders/create", receiver.url());
    create_order(&shop.sim, 1);
    shop.sim.wait_idle().await;
    let delivered = inbound(&receiver.received()[0]);

    let mut tampered = delivered.clone();
    let at = tampered.body.len() - 2;
    tampered.body[at] ^= 1;
    assert!(matches!(
        verify_error(&shop.connector.verify(&tampered).await),
        VerifyError::Unauthorized(_)
    ));
    let mut resigned = delivered.clone();
    for (name, value) in &mut resigned.headers {
        if name.eq_ignore_ascii_case("x-shopify-hmac-sha256") {
            *value = simulators::shopify::sign("not-the-secret", &delivered.body);
        }
    }
    assert!(matches!(
        verify_error(&shop.connector.verify(&resigned).await),
        VerifyError::Unauthorized(_)
    ));
    let mut headless = delivered.clone();
    headless
        .headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case("x-shopify-topic"));
    assert!(matches!(
        verify_error(&shop.connector.verify(&headless).await),
        VerifyError::Malformed(_)
    ));
}

#[tokio::test]
async fn during_a_rotation_the_previous_secret_verifies() {
    let config = ShopifyConfig {
        previous_secret: Some("old-secret".into()),
        ..config()
    };
    let shop = start_with(config, &[("webhook_secret_previous", "old-secret")]).await;
    let receiver = Receiver::start(0).await.unwrap();
    shop.sim.subscribe("orders/create", receiver.url());
    shop.sim.set_sign_with_previous_secret(true);
    let order = create_order(&shop.sim, 1);
    shop.sim.wait_idle().await;
    let old = inbound(&receiver.received()[0]);
    let events = ok(&shop.connector.verify(&old).await).clone();
    assert_eq!(events[0].reference, order.id.to_string());

    let without_rotation = shop
        .host
        .connector("shopify", connection(&shop.sim, &[]))
        .unwrap();
    assert!(matches!(
        verify_error(&without_rotation.verify(&old).await),
        VerifyError::Unauthorized(_)
    ));
}

#[tokio::test]
async fn an_order_of_250_lines_is_fetched_whole_waiting_out_the_throttle() {
    let shop = start().await;
    let order = create_order(&shop.sim, 250);
    let report = shop
        .connector
        .fetch(&event("orders/create", order.id))
        .await;
    let entities = ok(&report);
    assert_eq!(entities.len(), 2);
    let fetched = body(&entities[0]);
    let lines = fetched["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 250);
    let skus: Vec<String> = lines
        .iter()
        .map(|line| line["sku"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..250).map(|n| format!("SKU-{n:03}")).collect();
    assert_eq!(skus, expected);
    assert_eq!(lines[249]["id"], order.line_items[249].id.to_string());
    assert_eq!(lines[0]["unit_price"], "19.99");
    assert_eq!(lines[0]["total_discount"], "1.00");
    assert_eq!(lines[0]["subtotal"], "38.98");
    assert_eq!(lines[0]["total_tax"], "2.83");
    assert_eq!(lines[0]["tax_lines"][0]["rate"], "0.0725");
    assert_eq!(fetched["id"], order.id.to_string());
    assert_eq!(fetched["name"], "#1001");
    assert_eq!(fetched["total"], order.total_price().to_string());
    assert_eq!(fetched["total_tax"], order.total_tax().to_string());
    assert_eq!(fetched["subtotal"], order.subtotal_price().to_string());
    assert_eq!(fetched["shipping_lines"][0]["price"], "5.00");
    assert_eq!(
        fetched["customer_id"],
        order.customer.as_ref().unwrap().id.to_string()
    );

    let calls = requests(&report);
    let throttled = report
        .http
        .iter()
        .filter(|exchange| exchange.response_body.contains("THROTTLED"))
        .count();
    assert!(throttled >= 1, "the bucket throttled: {calls:?}");
    assert_eq!(
        calls.len(),
        1 + 5 + throttled,
        "7 lines with the header, then pages of 50: {calls:?}"
    );
    assert!(
        report
            .logs
            .iter()
            .any(|record| record.message.contains("throttled")),
        "{:?}",
        report.logs
    );
}

/// The ids of the items of the list `field` of a fetched body.
fn ids(fetched: &serde_json::Value, field: &str) -> Vec<String> {
    fetched[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// An authorized order of `lines` lines and three shipping lines, captured in six payments.
fn order_paid_in_parts(sim: &ShopifySim, lines: usize) -> Order {
    let shipping = (1..=3)
        .map(|n| ShippingSpec {
            title: format!("Parcel {n}"),
            price: dec("5.00"),
            taxes: Vec::new(),
        })
        .collect();
    let order = sim
        .create_order(OrderSpec {
            financial_status: FinancialStatus::Authorized,
            shipping,
            ..sim.sample_order_spec(lines)
        })
        .unwrap();
    for _ in 0..5 {
        sim.capture_payment(order.id, dec("10.00")).unwrap();
    }
    sim.mark_paid(order.id).unwrap()
}

fn refund_one_of(sim: &ShopifySim, order: &Order, line: usize) -> u64 {
    let spec = RefundSpec {
        lines: vec![(order.line_items[line].id, 1)],
        shipping: None,
        note: None,
        adjustment: None,
    };
    sim.create_refund(order.id, spec).unwrap().id
}

#[tokio::test]
async fn an_order_with_more_than_the_header_reads_is_fetched_whole_for_few_points() {
    let shop = start().await;
    let order = order_paid_in_parts(&shop.sim, 12);
    let refunds: Vec<String> = (0..6)
        .map(|line| refund_one_of(&shop.sim, &order, line).to_string())
        .collect();
    let order = shop.sim.order(order.id).unwrap();
    assert_eq!(
        order.transactions.len(),
        13,
        "an authorization, six captures and six refunds"
    );

    let report = shop
        .connector
        .fetch(&event("orders/updated", order.id))
        .await;
    let fetched = body(&ok(&report)[0]);
    let all = |numbers: Vec<u64>| numbers.iter().map(u64::to_string).collect::<Vec<_>>();
    assert_eq!(
        ids(&fetched, "lines"),
        all(order.line_items.iter().map(|line| line.id).collect())
    );
    assert_eq!(
        ids(&fetched, "shipping_lines"),
        all(order.shipping_lines.iter().map(|line| line.id).collect())
    );
    assert_eq!(ids(&fetched, "refunds"), refunds);
    assert_eq!(
        ids(&fetched, "transactions"),
        all(order.transactions.iter().map(|paid| paid.id).collect())
    );
    assert_eq!(
        fetched["total_refunded"],
        order.total_refunded().to_string()
    );

    let asked = shop.sim.query_costs();
    let operations: Vec<&str> = asked
        .iter()
        .filter_map(|query| query.operation.as_deref())
        .collect();
    assert_eq!(
        operations,
        [
            "Order",
            "OrderLines",
            "OrderShippingLines",
            "OrderRefunds",
            "OrderTransactions"
        ]
    );
    assert!(asked[0].requested <= 150, "the header query: {asked:?}");
    assert!(
        asked.iter().all(|query| query.requested <= 1000),
        "{asked:?}"
    );
}

#[tokio::test]
async fn an_order_of_250_transactions_or_more_is_held_for_review() {
    let shop = start().await;
    let order = shop
        .sim
        .create_order(OrderSpec {
            financial_status: FinancialStatus::Authorized,
            ..shop.sim.sample_order_spec(1)
        })
        .unwrap();
    for _ in 0..249 {
        shop.sim.capture_payment(order.id, dec("0.01")).unwrap();
    }
    let report = shop
        .connector
        .fetch(&event("orders/updated", order.id))
        .await;
    match plugin_error(&report) {
        PluginError::NeedsReview(message) => assert_eq!(
            message,
            "order #1001 has 250 or more transactions; the connector reads 250"
        ),
        other => panic!("expected NeedsReview, got {other:?}"),
    }
}

#[tokio::test]
async fn an_order_that_changes_between_its_queries_is_read_again_later_never_torn() {
    let shop = start().await;
    let order = shop
        .sim
        .create_order(shop.sim.sample_order_spec(12))
        .unwrap();
    shop.sim.touch_order_after("Order", order.id);
    let report = shop
        .connector
        .fetch(&event("orders/updated", order.id))
        .await;
    match plugin_error(&report) {
        PluginError::Transient(message) => assert!(
            message.starts_with("order #1001 changed while it was read (updated at "),
            "{message}"
        ),
        other => panic!("expected Transient, got {other:?}"),
    }
    let report = shop
        .connector
        .fetch(&event("orders/updated", order.id))
        .await;
    assert_eq!(body(&ok(&report)[0])["lines"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn an_empty_bucket_answering_429_is_waited_out() {
    let shop = start().await;
    let order = create_order(&shop.sim, 3);
    shop.sim.set_throttle_with_429(true);
    shop.sim.drain_bucket();
    let before = shop.sim.clock().now();
    let report = shop.connector.fetch(&event("orders/paid", order.id)).await;
    assert_eq!(body(&ok(&report)[0])["lines"].as_array().unwrap().len(), 3);
    let statuses: Vec<Option<u16>> = requests(&report).iter().map(|r| r.0).collect();
    assert_eq!(statuses, [Some(429), Some(200)]);
    let asked = shop.sim.query_costs()[0].requested as i64;
    assert!(
        shop.sim.clock().now() - before >= chrono::Duration::milliseconds(asked * 1000 / 50),
        "waited until the bucket, restoring 50 points a second, held the {asked} asked for"
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_rotated_refresh_token_is_kept() {
    let shop = start().await;
    ok(&shop.connector.ping().await);
    let first_refresh = shop.sim.current_refresh_token();

    shop.sim.clock().advance(chrono::Duration::minutes(61));
    let report = shop.connector.ping().await;
    ok(&report);
    assert_eq!(
        requests(&report),
        [
            (Some(401), GRAPHQL.to_owned()),
            (Some(200), TOKEN.to_owned()),
            (Some(200), GRAPHQL.to_owned())
        ],
        "the seeded token's expiry is unknown: Shopify's 401 says it"
    );
    let rotated = shop.sim.current_refresh_token();
    assert_ne!(rotated, first_refresh);
    let answer = &report.http[1].response_body;
    assert!(
        !answer.contains(&rotated) && !answer.contains(&shop.sim.current_access_token()),
        "the issued tokens stay out of the report: {answer}"
    );

    let report = shop.connector.ping().await;
    assert_eq!(requests(&report), [(Some(200), GRAPHQL.to_owned())]);

    shop.sim.clock().advance(chrono::Duration::minutes(60));
    let report = shop.connector.ping().await;
    ok(&report);
    assert_eq!(
        requests(&report),
        [
            (Some(200), TOKEN.to_owned()),
            (Some(200), GRAPHQL.to_owned())
        ],
        "a known expiry is renewed before it passes, with the rotated refresh token"
    );

    shop.sim.revoke_access_tokens();
    let report = shop.connector.ping().await;
    ok(&report);
    assert_eq!(
        requests(&report),
        [
            (Some(401), GRAPHQL.to_owned()),
            (Some(200), TOKEN.to_owned()),
            (Some(200), GRAPHQL.to_owned())
        ]
    );
}

#[tokio::test]
async fn a_revoked_token_without_a_refresh_token_is_auth() {
    let shop = start().await;
    let config = shop.sim.config();
    let connection = Arc::new(
        Connection::new("legacy")
            .unwrap()
            .allow(&shop.sim.base_url())
            .unwrap()
            .setting("base_url", shop.sim.base_url())
            .secret("access_token", Secret::new(&config.access_token)),
    );
    let legacy = shop.host.connector("shopify", connection).unwrap();
    ok(&legacy.ping().await);
    shop.sim.revoke_access_tokens();
    assert!(matches!(
        plugin_error(&legacy.ping().await),
        PluginError::Auth(_)
    ));
}

#[tokio::test]
async fn a_refund_webhook_fetches_the_refund_with_its_order() {
    let shop = start().await;
    let receiver = Receiver::start(0).await.unwrap();
    shop.sim.subscribe("refunds/create", receiver.url());
    let order = shop
        .sim
        .create_order(OrderSpec {
            financial_status: FinancialStatus::Paid,
            ..shop.sim.sample_order_spec(2)
        })
        .unwrap();
    let refund = shop
        .sim
        .create_refund(
            order.id,
            RefundSpec {
                lines: vec![(order.line_items[0].id, 1)],
                shipping: Some(dec("5.00")),
                note: Some("damaged".into()),
                adjustment: None,
            },
        )
        .unwrap();
    shop.sim.wait_idle().await;

    let events = ok(&shop
        .connector
        .verify(&inbound(&receiver.received()[0]))
        .await)
    .clone();
    assert_eq!(events[0].topic, "refunds/create");
    assert_eq!(events[0].reference, refund.id.to_string());
    let entities = ok(&shop.connector.fetch(&events[0]).await).clone();
    let kinds: Vec<&str> = entities.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["shopify.order", "shopify.customer", "shopify.refund"]
    );
    assert_eq!(entities[2].id, refund.id.to_string());

    let refunded = body(&entities[2]);
    assert_eq!(refunded["order_id"], order.id.to_string());
    assert_eq!(refunded["note"], "damaged");
    assert_eq!(
        refunded["lines"][0]["line_item_id"],
        order.line_items[0].id.to_string()
    );
    assert_eq!(refunded["lines"][0]["quantity"], 1);
    assert_eq!(refunded["lines"][0]["subtotal"], "19.49");
    assert_eq!(refunded["lines"][0]["total_tax"], "1.42");
    assert_eq!(refunded["shipping"][0]["amount"], "5.00");
    assert_eq!(refunded["transactions"][0]["kind"], "refund");
    assert_eq!(refunded["total"], "25.91");

    let fetched = body(&entities[0]);
    assert_eq!(fetched["financial_status"], "PARTIALLY_REFUNDED");
    assert_eq!(fetched["total_refunded"], "25.91");
    assert_eq!(fetched["refunds"][0]["id"], refund.id.to_string());
    assert_eq!(fetched["refunds"][0]["total"], "25.91");
    // Paid at checkout: the sale of the total; then the refund's transaction.
    assert_eq!(
        fetched["transactions"],
        serde_json::json!([
            {"id": order.transactions[0].id.to_string(), "kind": "sale", "status": "success",
             "amount": "88.62", "gateway": "shopify_payments",
             "processed_at": "2025-11-03T15:00:00Z"},
            {"id": refund.transaction_id.to_string(), "kind": "refund", "status": "success",
             "amount": "25.91", "gateway": "shopify_payments",
             "processed_at": "2025-11-03T15:00:00Z"}
        ])
    );
}

#[tokio::test]
async fn a_customer_event_fetches_the_customer_and_an_unknown_order_is_not_found() {
    let shop = start().await;
    let customer = shop.sim.create_customer(CustomerSpec {
        email: Some("grace@example.com".into()),
        first_name: Some("Grace".into()),
        last_name: Some("Hopper".into()),
        tags: Vec::new(),
    });
    let report = shop
        .connector
        .fetch(&event("customers/create", customer.id))
        .await;
    let entities = ok(&report);
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0].kind, "shopify.customer");
    let fetched = body(&entities[0]);
    assert_eq!(fetched["id"], customer.id.to_string());
    assert_eq!(fetched["email"], "grace@example.com");

    match plugin_error(&shop.connector.fetch(&event("orders/updated", 42)).await) {
        PluginError::Rejected(rejection) => {
            assert_eq!(rejection.code.as_deref(), Some("NOT_FOUND"))
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn poll_finds_orders_updated_since_the_cursor() {
    let shop = start().await;
    let first = create_order(&shop.sim, 1);
    let second = create_order(&shop.sim, 1);

    let report = shop.connector.poll(None).await;
    let found = ok(&report).clone();
    let at = "2025-11-03T15:00:00Z";
    let keys: Vec<String> = found.events.iter().map(|e| e.key.clone()).collect();
    assert_eq!(
        keys,
        [
            format!("order/{}/{at}", first.id),
            format!("order/{}/{at}", second.id)
        ]
    );
    assert!(found.events.iter().all(|e| e.topic == "orders/updated"));
    assert_eq!(found.cursor.as_deref(), Some(at));
    assert!(!found.more);

    shop.sim.clock().advance(chrono::Duration::minutes(5));
    shop.sim.mark_paid(first.id).unwrap();
    let found = ok(&shop.connector.poll(found.cursor.as_deref()).await).clone();
    let later = "2025-11-03T15:05:00Z";
    let keys: Vec<String> = found.events.iter().map(|e| e.key.clone()).collect();
    assert_eq!(
        keys,
        [
            format!("order/{}/{at}", second.id),
            format!("order/{}/{later}", first.id)
        ],
        "the cursor's own second is read again (same key: the inbox drops it)"
    );
    assert_eq!(found.events[1].reference, first.id.to_string());
    assert_eq!(found.events[1].occurred_at.as_deref(), Some(later));
    assert_eq!(found.cursor.as_deref(), Some(later));
}
