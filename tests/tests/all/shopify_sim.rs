//! The Shopify simulator over real HTTP: signed webhooks with retries, duplicates and reordering; the
//! GraphQL Admin API with paging, throttling, the costs queries asked for, and auth errors; OAuth
//! token expiry and refresh rotation.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sha2::Sha256;
use simulators::clock::SimClock;
use simulators::shopify::{
    DeliveryMode, FinancialStatus, OrderSpec, QueryCost, RefundSpec, ShopifyConfig, ShopifySim,
    TransactionKind, requested_cost,
};
use simulators::webhook_receiver::{Received, Receiver};

fn header<'a>(received: &'a Received, name: &str) -> &'a str {
    let value = received.header(name);
    assert!(!value.is_empty(), "header {name} missing");
    value
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

async fn sim() -> ShopifySim {
    let clock = SimClock::frozen(Utc.with_ymd_and_hms(2025, 11, 3, 15, 0, 0).unwrap());
    ShopifySim::start(ShopifyConfig::new(clock)).await.unwrap()
}

async fn graphql(
    sim: &ShopifySim,
    token: &str,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(sim.graphql_url())
        .header("X-Shopify-Access-Token", token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn delivered_webhook_is_signed_and_carries_every_header() {
    let sim = sim().await;
    let receiver = Receiver::start(0).await.unwrap();
    sim.subscribe("orders/create", receiver.url());
    let order = sim.create_order(sim.sample_order_spec(2)).unwrap();
    sim.wait_idle().await;

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let first = &received[0];
    let (headers, body) = (first, &first.body);
    let mut mac = Hmac::<Sha256>::new_from_slice(b"sim-client-secret").unwrap();
    mac.update(body);
    mac.verify_slice(
        &B64.decode(header(headers, "X-Shopify-Hmac-Sha256"))
            .unwrap(),
    )
    .expect("signature verifies");
    assert_eq!(header(headers, "X-Shopify-Topic"), "orders/create");
    assert_eq!(
        header(headers, "X-Shopify-Shop-Domain"),
        "demo-shop.myshopify.com"
    );
    assert_eq!(header(headers, "X-Shopify-API-Version"), "2025-10");
    assert_eq!(header(headers, "X-Shopify-Webhook-Id").len(), 36);
    assert_eq!(header(headers, "X-Shopify-Event-Id").len(), 36);
    assert_eq!(
        header(headers, "X-Shopify-Triggered-At"),
        "2025-11-03T15:00:00.000000000Z"
    );

    let body: Value = serde_json::from_slice(body).unwrap();
    assert!(order.id > 1 << 53);
    assert_eq!(body["id"].to_string(), order.id.to_string());
    assert_eq!(
        body["admin_graphql_api_id"],
        format!("gid://shopify/Order/{}", order.id)
    );
    assert_eq!(body["name"], "#1001");
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["customer"]["first_name"], "Ada");
    // 2 lines × (2 × 19.99 − 1.00) = 77.96; tax 2 × 2.83 = 5.66; shipping 5.00.
    assert_eq!(body["subtotal_price"], "77.96");
    assert_eq!(body["total_discounts"], "2.00");
    assert_eq!(body["total_tax"], "5.66");
    assert_eq!(body["total_price"], "88.62");
    assert_eq!(body["line_items"][0]["tax_lines"][0]["price"], "2.83");
    assert_eq!(
        body["line_items"][0]["discount_allocations"][0]["amount"],
        "1.00"
    );
    assert_eq!(body["shipping_lines"][0]["price"], "5.00");
    assert_eq!(sim.deliveries()[0].status, Some(200));
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_webhook_id() {
    let sim = sim().await;
    let receiver = Receiver::start(3).await.unwrap();
    sim.subscribe("orders/create", receiver.url());
    sim.create_order(sim.sample_order_spec(1)).unwrap();
    sim.wait_idle().await;

    let deliveries = sim.deliveries();
    assert_eq!(
        deliveries.iter().map(|d| d.status).collect::<Vec<_>>(),
        [Some(500), Some(500), Some(500), Some(200)]
    );
    assert_eq!(
        deliveries.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert!(
        deliveries
            .iter()
            .all(|d| d.webhook_id == deliveries[0].webhook_id
                && d.event_id == deliveries[0].event_id)
    );
    let ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|got| header(got, "X-Shopify-Webhook-Id").to_string())
        .collect();
    assert!(ids.iter().all(|id| *id == deliveries[0].webhook_id));
}

#[tokio::test]
async fn a_delivery_that_never_succeeds_removes_its_subscription() {
    let sim = sim().await;
    let receiver = Receiver::start(u32::MAX).await.unwrap();
    sim.subscribe("orders/create", receiver.url());
    sim.create_order(sim.sample_order_spec(1)).unwrap();
    sim.wait_idle().await;
    assert_eq!(sim.deliveries().len(), 9, "the first attempt and 8 retries");
    assert!(sim.subscriptions().is_empty());
}

#[tokio::test]
async fn duplicates_and_out_of_order_deliveries_on_demand() {
    let sim = sim().await;
    let receiver = Receiver::start(0).await.unwrap();
    sim.subscribe("orders/create", receiver.url());
    sim.subscribe("orders/updated", receiver.url());

    sim.set_delivery_mode(DeliveryMode::Duplicates(3));
    let order = sim.create_order(sim.sample_order_spec(1)).unwrap();
    sim.wait_idle().await;
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    for got in &received {
        assert_eq!(
            header(got, "X-Shopify-Webhook-Id"),
            header(&received[0], "X-Shopify-Webhook-Id")
        );
        assert_eq!(
            header(got, "X-Shopify-Event-Id"),
            header(&received[0], "X-Shopify-Event-Id")
        );
        assert_eq!(got.body, received[0].body);
    }

    sim.set_delivery_mode(DeliveryMode::Hold);
    for tag in ["first", "second", "third"] {
        sim.clock().advance(Duration::minutes(1));
        sim.update_order(order.id, |order| order.tags = vec![tag.to_string()])
            .unwrap();
    }
    assert_eq!(sim.held_count(), 3);
    sim.release_held(true);
    sim.wait_idle().await;
    let tags: Vec<String> = receiver.received()[3..]
        .iter()
        .map(|got| got.json()["tags"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tags, ["third", "second", "first"]);

    sim.set_delivery_mode(DeliveryMode::Normal);
    let first = sim.deliveries()[0].webhook_id.clone();
    sim.redeliver(&first).unwrap();
    sim.wait_idle().await;
    assert_eq!(
        header(receiver.received().last().unwrap(), "X-Shopify-Webhook-Id"),
        first
    );
}

#[tokio::test]
async fn refund_webhook_carries_refund_lines_as_numbers() {
    let sim = sim().await;
    let receiver = Receiver::start(0).await.unwrap();
    sim.subscribe("refunds/create", receiver.url());
    let order = sim.create_order(sim.sample_order_spec(2)).unwrap();
    let line = order.line_items[0].id;
    let refund = sim
        .create_refund(
            order.id,
            RefundSpec {
                lines: vec![(line, 1)],
                shipping: Some(dec("5.00")),
                note: Some("damaged".into()),
                adjustment: None,
            },
        )
        .unwrap();
    sim.wait_idle().await;
    let body: Value = receiver.received()[0].json();
    assert_eq!(body["id"].to_string(), refund.id.to_string());
    assert_eq!(body["order_id"].to_string(), order.id.to_string());
    assert_eq!(body["note"], "damaged");
    let refund_line = &body["refund_line_items"][0];
    assert_eq!(refund_line["line_item_id"].to_string(), line.to_string());
    assert!(refund_line["subtotal"].is_number());
    assert_eq!(refund_line["subtotal"].to_string(), "19.49");
    assert_eq!(refund_line["total_tax"].to_string(), "1.42");
    assert_eq!(refund_line["line_item"]["sku"], "SKU-000");
    assert_eq!(body["refund_shipping_lines"][0]["amount"], "5.00");
    assert_eq!(body["transactions"][0]["kind"], "refund");
    assert_eq!(body["transactions"][0]["status"], "success");
    assert_eq!(body["transactions"][0]["amount"], "25.91");
    assert_eq!(
        sim.order(order.id).unwrap().financial_status.rest(),
        "partially_refunded"
    );
}

#[tokio::test]
async fn payments_are_transactions_and_the_last_one_makes_the_order_paid() {
    let sim = sim().await;
    let receiver = Receiver::start(0).await.unwrap();
    sim.subscribe("orders/paid", receiver.url());
    sim.subscribe("orders/updated", receiver.url());
    // 46.81, of which 20.00 at checkout.
    let order = sim
        .create_order(OrderSpec {
            financial_status: FinancialStatus::PartiallyPaid,
            paid_amount: Some(dec("20.00")),
            ..sim.sample_order_spec(1)
        })
        .unwrap();
    assert_eq!(order.total_price(), dec("46.81"));
    assert_eq!(order.total_received(), dec("20.00"));
    let sale = order.transactions[0].id;

    sim.clock().advance(Duration::minutes(30));
    let partly = sim.capture_payment(order.id, dec("10.00")).unwrap();
    assert_eq!(partly.financial_status, FinancialStatus::PartiallyPaid);
    assert!(sim.capture_payment(order.id, dec("16.82")).is_err());
    assert!(sim.capture_payment(order.id, dec("0")).is_err());
    let paid = sim.mark_paid(order.id).unwrap();
    assert_eq!(paid.financial_status, FinancialStatus::Paid);
    assert_eq!(paid.total_outstanding(), Decimal::ZERO);
    sim.wait_idle().await;
    let mut topics: Vec<String> = receiver
        .received()
        .iter()
        .map(|got| header(got, "X-Shopify-Topic").to_string())
        .collect();
    topics.sort();
    assert_eq!(topics, ["orders/paid", "orders/updated", "orders/updated"]);

    let query = "query($id: ID!) { order(id: $id) { displayFinancialStatus \
        totalReceivedSet { shopMoney { amount } } \
        transactions(first: 10) { id kind status gateway processedAt \
        amountSet { shopMoney { amount currencyCode } } } } }";
    let token = sim.current_access_token();
    let (_, body) = graphql(&sim, &token, query, json!({"id": order.gid()})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let found = &body["data"]["order"];
    assert_eq!(found["displayFinancialStatus"], "PAID");
    assert_eq!(found["totalReceivedSet"]["shopMoney"]["amount"], "46.81");
    let transaction = |id: u64, amount: &str, at: &str| {
        json!({"id": format!("gid://shopify/OrderTransaction/{id}"), "kind": "SALE",
               "status": "SUCCESS", "gateway": "shopify_payments", "processedAt": at,
               "amountSet": {"shopMoney": {"amount": amount, "currencyCode": "USD"}}})
    };
    assert_eq!(
        found["transactions"],
        json!([
            transaction(sale, "20.00", "2025-11-03T15:00:00Z"),
            transaction(paid.transactions[1].id, "10.00", "2025-11-03T15:30:00Z"),
            transaction(paid.transactions[2].id, "16.81", "2025-11-03T15:30:00Z"),
        ])
    );
    // A list costs `first` × (1 + its objects): 10 × (1 + amountSet 2).
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"],
        1 + 2 + 10 * 3
    );

    // An authorized order is captured; a refund is a transaction too.
    let held = sim
        .create_order(OrderSpec {
            financial_status: FinancialStatus::Authorized,
            ..sim.sample_order_spec(1)
        })
        .unwrap();
    assert_eq!(held.transactions[0].kind, TransactionKind::Authorization);
    assert_eq!(held.total_received(), Decimal::ZERO);
    let captured = sim.mark_paid(held.id).unwrap();
    assert_eq!(captured.transactions[1].kind, TransactionKind::Capture);
    assert_eq!(captured.total_received(), dec("46.81"));
    sim.create_refund(
        held.id,
        RefundSpec {
            shipping: Some(dec("5.00")),
            ..RefundSpec::default()
        },
    )
    .unwrap();
    let refunded = sim.order(held.id).unwrap();
    assert_eq!(refunded.transactions[2].kind, TransactionKind::Refund);
    assert_eq!(refunded.transactions[2].amount, dec("5.00"));
    assert_eq!(refunded.total_received(), dec("46.81"));
}

const ORDER_QUERY: &str = r#"query Order($id: ID!, $after: String) {
  order(id: $id) {
    id name email displayFinancialStatus
    customer { id email firstName lastName tags }
    totalPriceSet { shopMoney { amount currencyCode } }
    subtotalPriceSet { shopMoney { amount currencyCode } }
    totalTaxSet { shopMoney { amount } }
    shippingLines(first: 10) { nodes { title originalPriceSet { shopMoney { amount } } } }
    taxLines { title rate priceSet { shopMoney { amount } } }
    lineItems(first: 100, after: $after) {
      nodes { id sku quantity originalUnitPriceSet { shopMoney { amount } } taxLines { priceSet { shopMoney { amount } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"#;

#[tokio::test]
async fn graphql_order_pages_line_items_past_100() {
    let sim = sim().await;
    let order = sim.create_order(sim.sample_order_spec(250)).unwrap();
    let token = sim.current_access_token();
    let mut skus = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        // Each page costs more than half the bucket: wait for it to refill, as a connector would.
        sim.clock().advance(Duration::seconds(20));
        let (status, body) = graphql(
            &sim,
            &token,
            ORDER_QUERY,
            json!({"id": order.gid(), "after": after}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.get("errors").is_none(), "{body}");
        let found = &body["data"]["order"];
        assert_eq!(found["name"], "#1001");
        assert_eq!(found["customer"]["firstName"], "Ada");
        assert_eq!(
            found["totalPriceSet"]["shopMoney"]["amount"],
            order.total_price().to_string()
        );
        assert_eq!(found["totalPriceSet"]["shopMoney"]["currencyCode"], "USD");
        assert_eq!(
            found["shippingLines"]["nodes"][0]["originalPriceSet"]["shopMoney"]["amount"],
            "5.00"
        );
        assert_eq!(
            found["taxLines"][0]["priceSet"]["shopMoney"]["amount"],
            order.total_tax().to_string()
        );
        let cost = &body["extensions"]["cost"];
        assert!(
            cost["requestedQueryCost"].as_u64().unwrap()
                >= cost["actualQueryCost"].as_u64().unwrap()
        );
        assert_eq!(cost["throttleStatus"]["maximumAvailable"], 1000);
        let lines = &found["lineItems"];
        for node in lines["nodes"].as_array().unwrap() {
            assert_eq!(node["originalUnitPriceSet"]["shopMoney"]["amount"], "19.99");
            skus.push(node["sku"].as_str().unwrap().to_string());
        }
        pages += 1;
        if lines["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = lines["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    assert_eq!(skus.len(), 250);
    assert_eq!(skus[249], "SKU-249");

    let (_, body) = graphql(
        &sim,
        &token,
        "{ shop { name myshopifyDomain currencyCode } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["shop"],
        json!({"name": "Demo Shop", "myshopifyDomain": "demo-shop.myshopify.com", "currencyCode": "USD"})
    );
    let customer = order.customer.clone().unwrap();
    let query = "query($id: ID!) { customer(id: $id) { email displayName } }";
    let (_, body) = graphql(
        &sim,
        &token,
        query,
        json!({"id": format!("gid://shopify/Customer/{}", customer.id)}),
    )
    .await;
    assert_eq!(
        body["data"]["customer"],
        json!({"email": "ada@example.com", "displayName": "Ada Lovelace"})
    );
    let (status, body) = graphql(
        &sim,
        &token,
        "query($id: ID!) { order(id: $id) { nope } }",
        json!({"id": order.gid()}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["errors"][0]["message"],
        "Field 'nope' doesn't exist on type 'Order'"
    );
    assert!(body.get("data").is_none());
    let (_, body) = graphql(
        &sim,
        &token,
        "{ order(id: \"gid://shopify/Order/1\") { name } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["order"], Value::Null);
}

#[tokio::test]
async fn graphql_throttles_when_the_bucket_is_empty_and_recovers_with_the_clock() {
    let sim = sim().await;
    let token = sim.current_access_token();
    let order = sim.create_order(sim.sample_order_spec(1)).unwrap();
    let query =
        "query($id: ID!) { order(id: $id) { name lineItems(first: 100) { nodes { sku } } } }";
    let (_, body) = graphql(&sim, &token, query, json!({"id": order.gid()})).await;
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"],
        1 + 2 + 100
    );
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 1 + 2 + 1);
    assert_eq!(
        body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"],
        1000 - 4
    );

    sim.drain_bucket();
    let (status, body) = graphql(&sim, &token, query, json!({"id": order.gid()})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["errors"][0]["message"], "Throttled");
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(
        body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"],
        0
    );
    assert!(body.get("data").is_none());

    sim.clock().advance(Duration::seconds(1));
    let (_, body) = graphql(&sim, &token, query, json!({"id": order.gid()})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "THROTTLED",
        "50 points are not enough for 103"
    );

    sim.clock().advance(Duration::seconds(2));
    let (_, body) = graphql(&sim, &token, query, json!({"id": order.gid()})).await;
    assert_eq!(body["data"]["order"]["name"], "#1001");
    assert_eq!(
        body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"],
        150 - 4
    );
}

#[tokio::test]
async fn graphql_records_what_each_query_asked_for_and_cost_throttled_or_not() {
    let sim = sim().await;
    let token = sim.current_access_token();
    let order = sim.create_order(sim.sample_order_spec(1)).unwrap();
    let named =
        "query Lines($id: ID!) { order(id: $id) { lineItems(first: 10) { nodes { sku } } } }";
    let (_, answered) = graphql(&sim, &token, named, json!({"id": order.gid()})).await;
    let actual = answered["extensions"]["cost"]["actualQueryCost"].as_u64();
    assert!(
        actual.is_some_and(|actual| actual < 1 + 2 + 10),
        "one line costs less than ten: {answered}"
    );
    sim.drain_bucket();
    let (_, body) = graphql(&sim, &token, "{ shop { name } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");

    let lines = QueryCost {
        operation: Some("Lines".into()),
        requested: 1 + 2 + 10,
        actual,
    };
    let shop = QueryCost {
        operation: None,
        requested: 1,
        actual: None,
    };
    assert_eq!(sim.query_costs(), [lines, shop]);
    assert_eq!(requested_cost(named, &Map::new()), Ok(1 + 2 + 10));
}

#[tokio::test]
async fn graphql_refuses_a_bad_token_with_401() {
    let sim = sim().await;
    let (status, body) = graphql(&sim, "shpat_wrong", "{ shop { name } }", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
    );
}

#[tokio::test]
async fn tokens_expire_on_the_clock_and_refresh_rotates_the_refresh_token() {
    let sim = sim().await;
    let first_access = sim.current_access_token();
    let first_refresh = sim.current_refresh_token();
    assert_eq!(
        graphql(&sim, &first_access, "{ shop { name } }", json!({}))
            .await
            .0,
        StatusCode::OK
    );
    sim.clock().advance(Duration::minutes(61));
    assert_eq!(
        graphql(&sim, &first_access, "{ shop { name } }", json!({}))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let client = reqwest::Client::new();
    let refresh = |token: String| {
        client
            .post(format!("{}/admin/oauth/access_token", sim.base_url()))
            .json(&json!({"client_id": "sim-client-id", "client_secret": "sim-client-secret", "refresh_token": token, "grant_type": "refresh_token"}))
            .send()
    };
    let response = refresh(first_refresh.clone()).await.unwrap();
    assert_eq!(response.status(), 200);
    let issued: Value = response.json().await.unwrap();
    assert_eq!(issued["expires_in"], 3600);
    assert_eq!(
        issued["scope"],
        "read_orders,read_all_orders,read_customers"
    );
    assert!(issued["refresh_token_expires_in"].as_u64().unwrap() > 0);
    let new_access = issued["access_token"].as_str().unwrap();
    assert_ne!(new_access, first_access);
    assert_eq!(new_access, sim.current_access_token());
    assert_eq!(
        issued["refresh_token"].as_str().unwrap(),
        sim.current_refresh_token()
    );
    assert_eq!(
        graphql(&sim, new_access, "{ shop { name } }", json!({}))
            .await
            .0,
        StatusCode::OK
    );

    let response = refresh(first_refresh).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "invalid_grant"})
    );
}

#[tokio::test]
async fn during_a_secret_rotation_webhooks_can_be_signed_with_the_old_secret() {
    let clock = SimClock::frozen(Utc.with_ymd_and_hms(2025, 11, 3, 15, 0, 0).unwrap());
    let config = ShopifyConfig {
        previous_secret: Some("old-secret".into()),
        ..ShopifyConfig::new(clock)
    };
    let sim = ShopifySim::start(config).await.unwrap();
    let receiver = Receiver::start(0).await.unwrap();
    sim.subscribe("orders/create", receiver.url());
    sim.set_sign_with_previous_secret(true);
    sim.create_order(sim.sample_order_spec(1)).unwrap();
    sim.wait_idle().await;
    let got = &receiver.received()[0];
    let mut mac = Hmac::<Sha256>::new_from_slice(b"old-secret").unwrap();
    mac.update(&got.body);
    mac.verify_slice(&B64.decode(header(got, "X-Shopify-Hmac-Sha256")).unwrap())
        .expect("signed with the old secret");
}

const RUN_BULK: &str = "mutation Run($query: String!) { bulkOperationRunQuery(query: $query, \
    groupObjects: true) { bulkOperation { id status } userErrors { field message code } } }";

const CURRENT_BULK: &str = "query Current { currentBulkOperation { id status errorCode createdAt \
    completedAt objectCount rootObjectCount fileSize url partialDataUrl } }";

const BULK_ORDERS: &str = "{ orders(query: \"updated_at:>='2025-11-01T00:00:00Z'\", sortKey: \
    UPDATED_AT) { edges { node { id name refunds { id } lineItems { edges { node { id sku } } } \
    shippingLines { edges { node { id title } } } } } } }";

#[tokio::test]
async fn a_bulk_query_runs_one_at_a_time_on_the_clock_and_serves_jsonl_with_parent_ids() {
    let sim = sim().await;
    let token = sim.current_access_token();
    let first = sim.create_order(sim.sample_order_spec(2)).unwrap();
    sim.create_refund(
        first.id,
        RefundSpec {
            lines: vec![(first.line_items[0].id, 1)],
            shipping: None,
            note: None,
            adjustment: None,
        },
    )
    .unwrap();
    sim.clock().advance(Duration::seconds(5));
    let second = sim.create_order(sim.sample_order_spec(1)).unwrap();

    let (_, body) = graphql(&sim, &token, RUN_BULK, json!({"query": BULK_ORDERS})).await;
    let operation = &body["data"]["bulkOperationRunQuery"];
    assert_eq!(operation["userErrors"], json!([]), "{body}");
    assert_eq!(operation["bulkOperation"]["status"], "CREATED");
    let id = operation["bulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("gid://shopify/BulkOperation/"));
    assert_eq!(
        sim.query_costs().last().unwrap(),
        &QueryCost {
            operation: Some("Run".into()),
            requested: 10,
            actual: Some(10)
        },
        "a mutation costs 10 points"
    );

    let (_, body) = graphql(&sim, &token, RUN_BULK, json!({"query": BULK_ORDERS})).await;
    let refused = &body["data"]["bulkOperationRunQuery"];
    assert_eq!(refused["bulkOperation"], Value::Null);
    assert_eq!(
        refused["userErrors"][0]["message"],
        format!("A bulk query operation for this app and shop is already in progress: {id}.")
    );
    assert_eq!(refused["userErrors"][0]["code"], "OPERATION_IN_PROGRESS");

    let (_, body) = graphql(&sim, &token, CURRENT_BULK, json!({})).await;
    let current = &body["data"]["currentBulkOperation"];
    assert_eq!(
        (&current["id"], &current["status"]),
        (&json!(id), &json!("RUNNING"))
    );
    assert_eq!(current["url"], Value::Null);

    sim.clock().advance(Duration::seconds(1));
    let (_, body) = graphql(
        &sim,
        &token,
        "query Op($id: ID!) { node(id: $id) { id status completedAt objectCount rootObjectCount fileSize url } }",
        json!({"id": id}),
    )
    .await;
    let done = &body["data"]["node"];
    assert_eq!(done["status"], "COMPLETED", "{body}");
    assert_eq!(done["completedAt"], "2025-11-03T15:00:06Z");
    // Two orders, three line items, two shipping lines.
    assert_eq!(
        (&done["objectCount"], &done["rootObjectCount"]),
        (&json!("7"), &json!("2"))
    );
    let url = done["url"].as_str().unwrap();
    let file = reqwest::get(url).await.unwrap().text().await.unwrap();
    assert_eq!(done["fileSize"], json!(file.len().to_string()));
    let lines: Vec<Value> = file
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let parents: Vec<Option<&str>> = lines
        .iter()
        .map(|line| line.get("__parentId").and_then(Value::as_str))
        .collect();
    let (a, b) = (first.gid(), second.gid());
    assert_eq!(
        parents,
        [
            None,
            Some(a.as_str()),
            Some(&a),
            Some(&a),
            None,
            Some(&b),
            Some(&b)
        ],
        "each order, then its line items and shipping lines"
    );
    assert_eq!(lines[0]["name"], "#1001");
    assert_eq!(
        lines[0]["refunds"].as_array().unwrap().len(),
        1,
        "a list stays inline"
    );
    assert!(lines[0].get("lineItems").is_none());
    assert_eq!(lines[1]["sku"], "SKU-000");
    assert_eq!(lines[3]["title"], "Standard");

    let part = reqwest::Client::new()
        .get(url)
        .header("Range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), reqwest::StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-9/{}", file.len()).as_str()
    );
    assert_eq!(part.text().await.unwrap(), file[..10]);

    let (_, body) = graphql(&sim, &token, RUN_BULK, json!({"query": BULK_ORDERS})).await;
    assert_eq!(
        body["data"]["bulkOperationRunQuery"]["userErrors"],
        json!([]),
        "the next one may start once the last completed"
    );
}

#[tokio::test]
async fn a_bulk_query_of_nothing_has_no_url_and_shopifys_restrictions_are_user_errors() {
    let sim = sim().await;
    let token = sim.current_access_token();
    let run = |query: &'static str| {
        let (sim, token) = (&sim, token.clone());
        async move {
            let (_, body) = graphql(sim, &token, RUN_BULK, json!({"query": query})).await;
            body["data"]["bulkOperationRunQuery"].clone()
        }
    };
    let within_list = run("{ orders { edges { node { id refunds { refundLineItems { edges { node { id } } } } } } } }").await;
    assert_eq!(
        within_list["userErrors"][0]["message"],
        "Queries that contain a connection field within a list field are not currently supported."
    );
    let two_levels =
        run("{ orders { edges { node { lineItems { edges { node { id } } } } } } }").await;
    assert_eq!(
        two_levels["userErrors"],
        json!([]),
        "two levels are allowed"
    );
    sim.clock().advance(Duration::seconds(1));

    let (_, body) = graphql(&sim, &token, CURRENT_BULK, json!({})).await;
    let empty = &body["data"]["currentBulkOperation"];
    assert_eq!(empty["status"], "COMPLETED");
    assert_eq!(
        (&empty["objectCount"], &empty["url"]),
        (&json!("0"), &Value::Null)
    );

    sim.create_order(sim.sample_order_spec(1)).unwrap();
    run(BULK_ORDERS).await;
    sim.fail_bulk_operation("TIMEOUT").unwrap();
    let (_, body) = graphql(&sim, &token, CURRENT_BULK, json!({})).await;
    let failed = &body["data"]["currentBulkOperation"];
    assert_eq!(
        (&failed["status"], &failed["errorCode"]),
        (&json!("FAILED"), &json!("TIMEOUT"))
    );
    assert_eq!(failed["url"], Value::Null);
}
