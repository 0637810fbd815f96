//! A shop's past, for backfill tests: customers, orders, refunds and cancellations made at past
//! times (on the simulator clock), in memory, without webhooks — history predates every
//! subscription. Each change is checked to be in the past and, for an order, no earlier than its
//! last change, so the seeded history reads as the shop lived it: an order's `updated_at` is the
//! time of its last seeded change (a second later when two share an instant, as
//! [`ShopifySim::update_order`] bumps it).

use anyhow::bail;
use chrono::{DateTime, Utc};

use super::ShopifySim;
use super::model::{Customer, CustomerSpec, Order, OrderSpec, Refund, RefundSpec};

impl ShopifySim {
    /// A customer created at `at`. No webhook.
    pub fn seed_customer(&self, spec: CustomerSpec, at: DateTime<Utc>) -> anyhow::Result<Customer> {
        self.in_the_past(at)?;
        Ok(self.store().add_customer(spec, at))
    }

    /// An order created at `at` (whatever `spec.created_at` says), as [`ShopifySim::create_order`]
    /// makes it: a `Paid` order has its sale at `at`. No webhook.
    pub fn seed_order(&self, spec: OrderSpec, at: DateTime<Utc>) -> anyhow::Result<Order> {
        self.in_the_past(at)?;
        let spec = OrderSpec {
            created_at: Some(at),
            ..spec
        };
        self.store().add_order(spec, at)
    }

    /// A refund of order `order_id` made at `at`, as [`ShopifySim::create_refund`] makes it (its
    /// `refund` transaction processed at `at`, the order `PartiallyRefunded` or `Refunded`). No
    /// webhook.
    pub fn seed_refund(
        &self,
        order_id: u64,
        spec: RefundSpec,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Refund> {
        self.in_the_past(at)?;
        let mut store = self.store();
        in_order(store.order_mut(order_id)?, at)?;
        Ok(store.add_refund(order_id, spec, at)?.0)
    }

    /// Order `order_id` cancelled at `at` for `reason` (`customer`, `fraud`, `inventory`,
    /// `declined`, `other`). No webhook.
    pub fn seed_cancellation(
        &self,
        order_id: u64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Order> {
        self.in_the_past(at)?;
        let mut store = self.store();
        in_order(store.order_mut(order_id)?, at)?;
        store.edit_order(order_id, at, |order| {
            order.cancelled_at = Some(at);
            order.cancel_reason = Some(reason.to_string());
        })
    }

    fn in_the_past(&self, at: DateTime<Utc>) -> anyhow::Result<()> {
        let now = self.clock().now();
        if at > now {
            bail!("{at} is not in the shop's past: the simulator clock says {now}");
        }
        Ok(())
    }
}

/// A change at `at` comes no earlier than the order's last one.
fn in_order(order: &Order, at: DateTime<Utc>) -> anyhow::Result<()> {
    if at < order.updated_at {
        bail!(
            "order {} was last changed at {}; seed its history in time order, not at {at}",
            order.name(),
            order.updated_at
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use rust_decimal::Decimal;
    use serde_json::{Value, json};

    use super::*;
    use crate::clock::SimClock;
    use crate::shopify::{FinancialStatus, LineSpec, ShopifyConfig};
    use crate::webhook_receiver::Receiver;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 11, 17, 12, 0, 0).unwrap()
    }

    async fn sim(scopes: &[&str]) -> ShopifySim {
        let mut config = ShopifyConfig::new(SimClock::frozen(now()));
        config.scopes = scopes.iter().map(|scope| scope.to_string()).collect();
        config.bucket.maximum = 100_000;
        ShopifySim::start(config).await.unwrap()
    }

    fn spec(customer_id: u64) -> OrderSpec {
        OrderSpec {
            customer_id: Some(customer_id),
            financial_status: FinancialStatus::Paid,
            lines: vec![LineSpec::new("SKU-1", "Widget", 2, Decimal::new(1999, 2))],
            ..OrderSpec::default()
        }
    }

    async fn query(sim: &ShopifySim, query: &str, variables: Value) -> Value {
        reqwest::Client::new()
            .post(sim.graphql_url())
            .header("X-Shopify-Access-Token", sim.current_access_token())
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    const HISTORY: &str = "query History($query: String!, $after: String) { \
        orders(first: 100, after: $after, sortKey: UPDATED_AT, query: $query) { \
        nodes { legacyResourceId updatedAt cancelledAt refunds(first: 5) { legacyResourceId } } \
        pageInfo { hasNextPage endCursor } } }";

    /// Every order the search lists, page by page: (id, updatedAt, refunds).
    async fn search(sim: &ShopifySim, search: &str) -> Vec<(String, String, usize)> {
        let mut listed = Vec::new();
        let mut after = Value::Null;
        loop {
            let answer = query(sim, HISTORY, json!({"query": search, "after": after})).await;
            let orders = &answer["data"]["orders"];
            for node in orders["nodes"].as_array().unwrap() {
                listed.push((
                    node["legacyResourceId"].as_str().unwrap().to_owned(),
                    node["updatedAt"].as_str().unwrap().to_owned(),
                    node["refunds"].as_array().unwrap().len(),
                ));
            }
            if orders["pageInfo"]["hasNextPage"] != true {
                return listed;
            }
            after = orders["pageInfo"]["endCursor"].clone();
        }
    }

    #[tokio::test]
    async fn a_month_of_history_is_seeded_fast_without_webhooks_and_searched_by_range() {
        let sim = sim(&["read_orders", "read_all_orders"]).await;
        let receiver = Receiver::start(0).await.unwrap();
        for topic in [
            "orders/create",
            "orders/updated",
            "refunds/create",
            "customers/create",
        ] {
            sim.subscribe(topic, receiver.url());
        }
        let started = std::time::Instant::now();
        let month_ago = now() - Duration::days(30);
        let customer = sim
            .seed_customer(CustomerSpec::default(), month_ago)
            .unwrap();
        for n in 0..2_000 {
            let at = month_ago + Duration::minutes(20 * n);
            let order = sim.seed_order(spec(customer.id), at).unwrap();
            match n % 10 {
                0 => {
                    let line = order.line_items[0].id;
                    let refund = RefundSpec {
                        lines: vec![(line, 1)],
                        ..RefundSpec::default()
                    };
                    sim.seed_refund(order.id, refund, at + Duration::hours(1))
                        .unwrap();
                }
                1 => {
                    sim.seed_cancellation(order.id, "customer", at + Duration::minutes(5))
                        .unwrap();
                }
                _ => {}
            }
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        sim.wait_idle().await;
        assert!(receiver.received().is_empty(), "history fires no webhooks");
        assert!(sim.deliveries().is_empty());

        let orders = sim.orders();
        let first = &orders[0];
        assert_eq!(first.created_at, month_ago);
        assert_eq!(first.updated_at, month_ago + Duration::hours(1));
        assert_eq!(first.financial_status, FinancialStatus::PartiallyRefunded);
        assert_eq!(first.refunds[0].created_at, month_ago + Duration::hours(1));
        let cancelled = &orders[1];
        assert_eq!(
            cancelled.cancelled_at,
            Some(month_ago + Duration::minutes(25))
        );

        let (since, until) = ("2025-10-20T00:00:00Z", "2025-10-27T00:00:00Z");
        let listed = search(
            &sim,
            &format!("updated_at:>='{since}' AND updated_at:<'{until}'"),
        )
        .await;
        let (since, until): (DateTime<Utc>, DateTime<Utc>) =
            (since.parse().unwrap(), until.parse().unwrap());
        let mut expected: Vec<&Order> = orders
            .iter()
            .filter(|order| order.updated_at >= since && order.updated_at < until)
            .collect();
        expected.sort_by_key(|order| (order.updated_at, order.id));
        let ids: Vec<String> = expected.iter().map(|order| order.id.to_string()).collect();
        let listed_ids: Vec<String> = listed.iter().map(|(id, _, _)| id.clone()).collect();
        assert_eq!(
            listed_ids, ids,
            "the range's orders, oldest change first, every page"
        );
        let refunded = expected
            .iter()
            .filter(|order| !order.refunds.is_empty())
            .count();
        assert!(refunded > 0);
        assert_eq!(
            listed
                .iter()
                .filter(|(_, _, refunds)| *refunds == 1)
                .count(),
            refunded
        );
        let all = search(&sim, "updated_at:>='2025-10-01T00:00:00Z'").await;
        assert_eq!(all.len(), 2_000, "20 pages of 100");
    }

    #[tokio::test]
    async fn without_read_all_orders_orders_of_over_60_days_are_hidden() {
        let sim = sim(&["read_orders", "read_customers"]).await;
        let customer = sim
            .seed_customer(CustomerSpec::default(), now() - Duration::days(90))
            .unwrap();
        let old = sim
            .seed_order(spec(customer.id), now() - Duration::days(70))
            .unwrap();
        let line = old.line_items[0].id;
        let refund = RefundSpec {
            lines: vec![(line, 1)],
            ..RefundSpec::default()
        };
        let old_refund = sim
            .seed_refund(old.id, refund, now() - Duration::days(30))
            .unwrap();
        let recent = sim
            .seed_order(spec(customer.id), now() - Duration::days(10))
            .unwrap();

        let listed = search(&sim, "updated_at:>='2025-08-01T00:00:00Z'").await;
        let ids: Vec<&str> = listed.iter().map(|(id, _, _)| id.as_str()).collect();
        assert_eq!(
            ids,
            [recent.id.to_string()],
            "the old order is left out, though it changed 30 days ago"
        );

        let scopes = query(
            &sim,
            "{ currentAppInstallation { accessScopes { handle } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            scopes["data"]["currentAppInstallation"]["accessScopes"],
            json!([{"handle": "read_orders"}, {"handle": "read_customers"}])
        );

        let answer = query(
            &sim,
            "query Refund($id: ID!) { refund(id: $id) { id } }",
            json!({"id": format!("gid://shopify/Refund/{}", old_refund.id)}),
        )
        .await;
        assert_eq!(answer["data"]["refund"], Value::Null);
        assert_eq!(answer["errors"][0]["extensions"]["code"], "ACCESS_DENIED");
        assert!(
            sim.seed_order(spec(customer.id), now() + Duration::seconds(1))
                .is_err(),
            "the future is not history"
        );
        assert!(
            sim.seed_cancellation(old.id, "other", now() - Duration::days(31))
                .is_err(),
            "before the order's last change"
        );
    }

    #[tokio::test]
    async fn a_refund_reads_whole_by_id() {
        let sim = sim(&["read_orders"]).await;
        let customer = sim
            .seed_customer(CustomerSpec::default(), now() - Duration::days(3))
            .unwrap();
        let mut order_spec = spec(customer.id);
        order_spec.shipping = vec![crate::shopify::ShippingSpec {
            title: "Standard".into(),
            price: Decimal::new(500, 2),
            taxes: Vec::new(),
        }];
        let order = sim
            .seed_order(order_spec, now() - Duration::days(2))
            .unwrap();
        let refund = RefundSpec {
            lines: vec![(order.line_items[0].id, 1)],
            shipping: Some(Decimal::new(500, 2)),
            note: Some("damaged".into()),
            adjustment: Some(Decimal::new(50, 2)),
        };
        let refund = sim
            .seed_refund(order.id, refund, now() - Duration::days(1))
            .unwrap();
        let answer = query(
            &sim,
            "query Refund($id: ID!) { refund(id: $id) { legacyResourceId createdAt note \
             order { legacyResourceId } \
             refundLineItems(first: 5) { nodes { id quantity lineItem { id sku name } \
               subtotalSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } } } } \
             refundShippingLines(first: 5) { nodes { id shippingLine { id } \
               subtotalAmountSet { shopMoney { amount } } taxAmountSet { shopMoney { amount } } } } \
             orderAdjustments(first: 5) { nodes { id reason amountSet { shopMoney { amount } } } } \
             transactions(first: 5) { nodes { id kind status gateway processedAt \
               amountSet { shopMoney { amount currencyCode } } } } } }",
            json!({"id": format!("gid://shopify/Refund/{}", refund.id)}),
        )
        .await;
        let found = &answer["data"]["refund"];
        assert_eq!(found["legacyResourceId"], refund.id.to_string());
        assert_eq!(found["createdAt"], "2025-11-16T12:00:00Z");
        assert_eq!(found["note"], "damaged");
        assert_eq!(found["order"]["legacyResourceId"], order.id.to_string());
        let line = &found["refundLineItems"]["nodes"][0];
        assert_eq!(line["quantity"], 1);
        assert_eq!(line["lineItem"]["sku"], "SKU-1");
        assert_eq!(line["subtotalSet"]["shopMoney"]["amount"], "19.99");
        let shipping = &found["refundShippingLines"]["nodes"][0];
        assert_eq!(
            shipping["shippingLine"]["id"],
            format!("gid://shopify/ShippingLine/{}", order.shipping_lines[0].id)
        );
        assert_eq!(shipping["subtotalAmountSet"]["shopMoney"]["amount"], "5.00");
        let adjustment = &found["orderAdjustments"]["nodes"][0];
        assert_eq!(adjustment["reason"], "REFUND_DISCREPANCY");
        assert_eq!(adjustment["amountSet"]["shopMoney"]["amount"], "-0.50");
        let transaction = &found["transactions"]["nodes"][0];
        assert_eq!(
            (&transaction["kind"], &transaction["status"]),
            (&json!("REFUND"), &json!("SUCCESS"))
        );
        assert_eq!(transaction["amountSet"]["shopMoney"]["amount"], "25.49");
        assert_eq!(transaction["processedAt"], "2025-11-16T12:00:00Z");
    }
}
