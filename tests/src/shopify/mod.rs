//! The Shopify simulator: one store, one app. Tests create customers, orders and refunds; each change
//! fires signed webhooks to the subscriptions of its topic (delivered in the background, retried, and
//! on demand duplicated, held and released out of order). The app reads through the GraphQL Admin API
//! (leaky-bucket throttling on the simulator clock) and refreshes its expiring token through OAuth.
//!
//! Topics fired: `customers/create`, `customers/update` (customer changes); `orders/create`
//! (`create_order`); `orders/updated` (every order change, refunds and payments included);
//! `orders/paid` (`mark_paid`, and `capture_payment` when it completes the payment);
//! `orders/cancelled` (`cancel_order`); `refunds/create` (`create_refund`). A delivery whose attempts
//! all fail removes its subscription, as Shopify does after its retries run out.
//!
//! Orders carry transactions (`payments`): a sale of the total when created `Paid`, of
//! `OrderSpec.paid_amount` when `PartiallyPaid`, an authorization when `Authorized`; a capture or
//! sale per later payment; a refund per refund.
//!
//! A shop's past is seeded with `seed_customer`, `seed_order`, `seed_refund` and
//! `seed_cancellation` ([`seed`]): changes at past times that fire no webhooks.
//!
//! # GraphQL supported
//! `POST /admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`, body
//! `{"query": "...", "variables": {...}}`. One `query` or `mutation` operation (anonymous or named,
//! variables declared as usual); aliases and inline fragments work; named fragments and directives
//! are refused with `errors`.
//! Arguments may be literals or `$variables`. Root fields:
//! - `shop { id name myshopifyDomain currencyCode ianaTimezone }`
//! - `order(id: "gid://shopify/Order/N") { … }` → `null` when unknown. Orders created more than 60
//!   days ago (on the simulator clock) need the `read_all_orders` scope (`ShopifyConfig.scopes`),
//!   else `null` plus an `ACCESS_DENIED` error.
//! - `refund(id: "gid://shopify/Refund/N") { … }` → `null` when unknown; a refund of an order older
//!   than 60 days is refused as such an order is.
//! - `customer(id: "gid://shopify/Customer/N") { … }`
//! - `orders(first: N, after: C, sortKey: ID|CREATED_AT|UPDATED_AT, reverse: Bool,
//!   query: "updated_at:>='2024-01-01T00:00:00Z' AND updated_at:<'2024-02-01T00:00:00Z'") { … }`
//!   (terms on `created_at`/`updated_at` with `>`, `>=`, `<`, `<=`, RFC 3339 or a date, quoted or
//!   not, joined by spaces or `AND`; all must hold). Without `read_all_orders`, orders created more
//!   than 60 days ago are silently left out, as Shopify leaves them out.
//! - `currentAppInstallation { accessScopes { handle } }`: the scopes of `ShopifyConfig.scopes`.
//! - `currentBulkOperation { id status errorCode createdAt completedAt objectCount rootObjectCount
//!   fileSize url partialDataUrl type }` and `node(id: "gid://shopify/BulkOperation/N") { … }`.
//!
//! One mutation: `bulkOperationRunQuery(query: String!, groupObjects: Boolean)` (10 points; the
//! operation itself costs the bucket nothing): a bulk query of `orders`, one at a time, its JSONL
//! file served at the operation's `url` ([`bulk`] says how).
//!
//! Order fields: `__typename id legacyResourceId name email createdAt updatedAt processedAt
//! cancelledAt cancelReason` (`CUSTOMER`, `FRAUD`, …) `currencyCode presentmentCurrencyCode
//! displayFinancialStatus` (`PENDING`, `PAID`, `PARTIALLY_REFUNDED`, …) `test tags sourceName
//! paymentGatewayNames taxesIncluded`, the money bags `subtotalPriceSet totalPriceSet totalTaxSet
//! totalDiscountsSet totalShippingPriceSet totalRefundedSet currentTotalPriceSet totalReceivedSet`,
//! `customer { … }`, `lineItems(first|last, after|before) { nodes {…} edges { cursor node {…} }
//! pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }`, `shippingLines(first: N) {…}`
//! (a connection of `id title code originalPriceSet discountedPriceSet taxLines`), `taxLines` (list,
//! summed by title and rate), `refunds(first: N)` (list of Refund),
//! `transactions(first: N)` (list, oldest first, of `id kind` (`AUTHORIZATION`, `CAPTURE`, `SALE`,
//! `REFUND`) `status` (`SUCCESS`, `FAILURE`, `PENDING`) `gateway processedAt createdAt test
//! amountSet`).
//! Refund: `id legacyResourceId createdAt updatedAt note totalRefundedSet refundLineItems(first: N)
//! { nodes { id quantity restockType lineItem {…} subtotalSet totalTaxSet } }
//! refundShippingLines(first: N) { nodes { id shippingLine {…} subtotalAmountSet taxAmountSet } }
//! orderAdjustments(first: N) { nodes { id reason amountSet taxAmountSet } }
//! transactions(first: N) { nodes {…} }`, and `order {…}` under the root `refund` only.
//! LineItem: `id sku name title variantTitle quantity currentQuantity vendor product { productType }
//! taxable originalUnitPriceSet discountedUnitPriceSet originalTotalSet discountedTotalSet
//! totalDiscountSet taxLines discountAllocations { allocatedAmountSet }`.
//! TaxLine: `title rate ratePercentage priceSet`. A money bag: `{ shopMoney { amount currencyCode }
//! presentmentMoney { amount currencyCode } }`, amounts as decimal strings ("12.30").
//! Customer: `id legacyResourceId email firstName lastName displayName tags createdAt updatedAt`.
//! Connections page at most 250 nodes and need `first` or `last`. Unknown fields answer 200 with
//! `errors` and no `data`. Costs: see `graphql_exec` and [`requested_cost`]; each answer has
//! `extensions.cost`, and [`ShopifySim::query_costs`] lists what each query asked for.

mod bucket;
mod bulk;
mod changes;
mod graphql;
mod graphql_data;
mod graphql_exec;
mod graphql_parse;
mod model;
mod oauth;
mod order_search;
mod payments;
mod rest_json;
mod seed;
mod webhooks;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, anyhow};
use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

pub use bucket::BucketConfig;
pub use graphql::QueryCost;
pub use model::{
    Customer, CustomerSpec, FinancialStatus, LineItem, LineSpec, Order, OrderSpec,
    OrderTransaction, Refund, RefundAdjustment, RefundLine, RefundShipping, RefundSpec,
    ShippingLine, ShippingSpec, TaxLine, TaxSpec, TransactionKind, TransactionStatus,
};
pub use rest_json::Rendering;
pub use webhooks::{Delivery, Subscription, sign};

use crate::clock::SimClock;
use crate::faults::Faults;
use crate::server::SimServer;
pub use crate::webhook_sender::{DeliveryMode, RetrySchedule};
use crate::webhook_sender::{Outgoing, WebhookSender};
use bucket::Bucket;
use oauth::Tokens;
use webhooks::{Envelope, Event};

/// The first id handed out: ids are beyond 2^53, as Shopify's are.
const FIRST_ID: u64 = 5_821_001_234_567_890_123;

/// How the simulated store and app are set up.
#[derive(Debug, Clone)]
pub struct ShopifyConfig {
    pub shop_domain: String,
    pub shop_name: String,
    /// The shop's currency.
    pub currency: String,
    pub api_version: String,
    pub client_id: String,
    /// Signs webhooks and authenticates token refreshes.
    pub client_secret: String,
    /// The secret before a rotation; webhooks are signed with it while `sign_with_previous_secret` is on.
    pub previous_secret: Option<String>,
    /// `None`: a non-expiring offline token.
    pub access_token_lifetime: Option<Duration>,
    pub refresh_token_lifetime: Duration,
    pub access_token: String,
    pub refresh_token: String,
    /// The app's access scopes: what OAuth answers and `currentAppInstallation` lists. Without
    /// `read_all_orders`, orders created more than 60 days ago are hidden.
    pub scopes: Vec<String>,
    pub bucket: BucketConfig,
    /// How long a bulk operation runs on the simulator clock before it completes.
    pub bulk_run_time: Duration,
    pub webhook_retries: RetrySchedule,
    /// The first order's number (`#1001`) and the first id the store hands out: another shop
    /// posting to the same books starts elsewhere.
    pub first_order_number: u64,
    pub first_id: u64,
    pub clock: SimClock,
}

impl ShopifyConfig {
    /// A demo store: 1 h access tokens, a 1000/50 bucket, bulk operations of 1 s, 8 retries 50 ms
    /// apart, all order scopes.
    pub fn new(clock: SimClock) -> Self {
        Self {
            shop_domain: "demo-shop.myshopify.com".to_string(),
            shop_name: "Demo Shop".to_string(),
            currency: "USD".to_string(),
            api_version: "2025-10".to_string(),
            client_id: "sim-client-id".to_string(),
            client_secret: "sim-client-secret".to_string(),
            previous_secret: None,
            access_token_lifetime: Some(Duration::hours(1)),
            refresh_token_lifetime: Duration::days(90),
            access_token: "shpat_initial0000000000000000000000".to_string(),
            refresh_token: "shprt_initial0000000000000000000000".to_string(),
            scopes: ["read_orders", "read_all_orders", "read_customers"]
                .map(String::from)
                .to_vec(),
            bucket: BucketConfig::default(),
            bulk_run_time: Duration::seconds(1),
            webhook_retries: RetrySchedule {
                retries: 8,
                delay: std::time::Duration::from_millis(50),
            },
            first_order_number: 1001,
            first_id: FIRST_ID,
            clock,
        }
    }
}

/// Everything the handlers share.
struct Shared {
    config: ShopifyConfig,
    store: Arc<Mutex<Store>>,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().expect("shopify store lock")
    }
}

/// The store's mutable state.
struct Store {
    next_id: u64,
    next_order_number: u64,
    customers: BTreeMap<u64, Customer>,
    orders: BTreeMap<u64, Order>,
    subscriptions: Vec<Subscription>,
    /// Every delivery made, by webhook id, for `redeliver`.
    sent: HashMap<String, Outgoing>,
    tokens: Tokens,
    bucket: Bucket,
    rendering: Rendering,
    sign_with_previous: bool,
    throttle_with_429: bool,
    /// Every query parsed, throttled or refused for its cost included, in arrival order.
    query_costs: Vec<QueryCost>,
    /// An order that changes right after the next answered query of this operation name.
    touch_after: Option<(String, u64)>,
    /// Every bulk query operation, oldest first.
    bulk_operations: Vec<bulk::BulkOperation>,
}

impl Store {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    fn order_mut(&mut self, id: u64) -> anyhow::Result<&mut Order> {
        self.orders
            .get_mut(&id)
            .ok_or_else(|| anyhow!("no order {id}"))
    }
}

/// A running Shopify simulator.
pub struct ShopifySim {
    server: SimServer,
    faults: Arc<Faults>,
    shared: Arc<Shared>,
    sender: WebhookSender,
}

impl ShopifySim {
    pub async fn start(config: ShopifyConfig) -> anyhow::Result<Self> {
        let now = config.clock.now();
        let tokens = Tokens::new(
            config.access_token.clone(),
            config.refresh_token.clone(),
            config.access_token_lifetime,
            config.refresh_token_lifetime,
            now,
        );
        let store = Arc::new(Mutex::new(Store {
            next_id: config.first_id,
            next_order_number: config.first_order_number,
            customers: BTreeMap::new(),
            orders: BTreeMap::new(),
            subscriptions: Vec::new(),
            sent: HashMap::new(),
            tokens,
            bucket: Bucket::new(config.bucket, now),
            rendering: Rendering::default(),
            sign_with_previous: false,
            throttle_with_429: false,
            query_costs: Vec::new(),
            touch_after: None,
            bulk_operations: Vec::new(),
        }));
        let failing = store.clone();
        let sender = WebhookSender::new(
            config.webhook_retries,
            Box::new(move |outgoing| {
                failing
                    .lock()
                    .expect("shopify store lock")
                    .subscriptions
                    .retain(|sub| sub.id != outgoing.subscription)
            }),
        );
        let shared = Arc::new(Shared { config, store });
        let router = Router::new()
            .route("/admin/api/{version}/graphql.json", post(graphql::graphql))
            .route("/admin/oauth/access_token", post(oauth::access_token))
            .route("/bulk-operation-files/{id}/result.jsonl", get(bulk::file))
            .with_state(shared.clone());
        let faults = Arc::new(Faults::new());
        let server = SimServer::start_local(router, faults.clone())
            .await
            .context("starting the Shopify simulator")?;
        Ok(Self {
            server,
            faults,
            shared,
            sender,
        })
    }

    /// `http://127.0.0.1:PORT`: stands in for `https://{shop}.myshopify.com`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The GraphQL Admin endpoint of the configured API version.
    pub fn graphql_url(&self) -> String {
        format!(
            "{}/admin/api/{}/graphql.json",
            self.base_url(),
            self.shared.config.api_version
        )
    }

    pub fn clock(&self) -> &SimClock {
        &self.shared.config.clock
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn config(&self) -> &ShopifyConfig {
        &self.shared.config
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.shared.store()
    }

    /// Subscribes `target_url` to `topic`; returns the subscription id.
    pub fn subscribe(&self, topic: &str, target_url: &str) -> u64 {
        let mut store = self.store();
        let id = store.id();
        store.subscriptions.push(Subscription {
            id,
            topic: topic.to_string(),
            url: target_url.to_string(),
        });
        id
    }

    /// The live subscriptions (a subscription whose delivery exhausted its retries is gone).
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.store().subscriptions.clone()
    }

    /// A sample order for tests: a new customer Ada Lovelace (tag `vip`), `lines` lines of
    /// 2 × 19.99 with 1.00 off and 7.25 % CA tax each, and 5.00 standard shipping.
    pub fn sample_order_spec(&self, lines: usize) -> OrderSpec {
        let customer = self.create_customer(CustomerSpec {
            email: Some("ada@example.com".into()),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            tags: vec!["vip".into()],
        });
        let price = rust_decimal::Decimal::new(1999, 2);
        OrderSpec {
            customer_id: Some(customer.id),
            lines: (0..lines)
                .map(|n| {
                    LineSpec::new(&format!("SKU-{n:03}"), "Widget", 2, price)
                        .tax("CA State Tax", rust_decimal::Decimal::new(725, 4))
                        .discount(rust_decimal::Decimal::ONE)
                })
                .collect(),
            shipping: vec![ShippingSpec {
                title: "Standard".into(),
                price: rust_decimal::Decimal::new(500, 2),
                taxes: Vec::new(),
            }],
            ..OrderSpec::default()
        }
    }

    pub fn create_customer(&self, spec: CustomerSpec) -> Customer {
        let now = self.clock().now();
        let mut store = self.store();
        let customer = store.add_customer(spec, now);
        let body = rest_json::customer_json(&customer, store.rendering);
        self.emit(&mut store, &["customers/create"], &body);
        customer
    }

    /// Changes a customer with `edit`, bumps `updated_at`, fires `customers/update`.
    pub fn update_customer(
        &self,
        id: u64,
        edit: impl FnOnce(&mut Customer),
    ) -> anyhow::Result<Customer> {
        let now = self.clock().now();
        let mut store = self.store();
        let customer = store
            .customers
            .get_mut(&id)
            .ok_or_else(|| anyhow!("no customer {id}"))?;
        edit(customer);
        customer.updated_at = bumped(customer.updated_at, now);
        let customer = customer.clone();
        let body = rest_json::customer_json(&customer, store.rendering);
        self.emit(&mut store, &["customers/update"], &body);
        Ok(customer)
    }

    /// Creates an order (taxes and totals computed, and the transactions of its status: see
    /// [`payments`]) and fires `orders/create`. A `paid_amount` that does not fit the status errs.
    pub fn create_order(&self, spec: OrderSpec) -> anyhow::Result<Order> {
        let now = self.clock().now();
        let mut store = self.store();
        let order = store.add_order(spec, now)?;
        let body = rest_json::order_json(&order, store.rendering);
        self.emit(&mut store, &["orders/create"], &body);
        Ok(order)
    }

    pub fn order(&self, id: u64) -> Option<Order> {
        self.store().orders.get(&id).cloned()
    }

    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<Order> {
        self.store().orders.values().cloned().collect()
    }

    /// Changes an order with `edit`, bumps `updated_at`, fires `orders/updated`.
    pub fn update_order(&self, id: u64, edit: impl FnOnce(&mut Order)) -> anyhow::Result<Order> {
        self.change_order(id, &["orders/updated"], edit)
    }

    /// Cancels an order for `reason` (`customer`, `fraud`, `inventory`, `declined`, `other`); fires
    /// `orders/cancelled` and `orders/updated`.
    pub fn cancel_order(&self, id: u64, reason: &str) -> anyhow::Result<Order> {
        let now = self.clock().now();
        self.change_order(id, &["orders/cancelled", "orders/updated"], |order| {
            order.cancelled_at = Some(now);
            order.cancel_reason = Some(reason.to_string());
        })
    }

    fn change_order(
        &self,
        id: u64,
        topics: &[&str],
        edit: impl FnOnce(&mut Order),
    ) -> anyhow::Result<Order> {
        let now = self.clock().now();
        let mut store = self.store();
        let order = store.edit_order(id, now, edit)?;
        let body = rest_json::order_json(&order, store.rendering);
        self.emit(&mut store, topics, &body);
        Ok(order)
    }

    /// Refunds lines (prorated subtotal and tax), shipping and an optional discrepancy; updates the
    /// order's financial status; fires `refunds/create` (the Refund) and `orders/updated`.
    pub fn create_refund(&self, order_id: u64, spec: RefundSpec) -> anyhow::Result<Refund> {
        let now = self.clock().now();
        let mut store = self.store();
        let (refund, order) = store.add_refund(order_id, spec, now)?;
        let refund_body = rest_json::refund_json(&refund, &order, store.rendering);
        self.emit(&mut store, &["refunds/create"], &refund_body);
        let order_body = rest_json::order_json(&order, store.rendering);
        self.emit(&mut store, &["orders/updated"], &order_body);
        Ok(refund)
    }

    /// Fires one event per topic with `body` to every subscription of that topic.
    fn emit(&self, store: &mut Store, topics: &[&str], body: &Value) {
        let config = &self.shared.config;
        let secret = match (&config.previous_secret, store.sign_with_previous) {
            (Some(previous), true) => previous,
            _ => &config.client_secret,
        };
        let envelope = Envelope {
            shop_domain: &config.shop_domain,
            api_version: &config.api_version,
            secret,
        };
        let bytes = serde_json::to_vec(body).expect("JSON body");
        for topic in topics {
            let event = Event {
                topic: topic.to_string(),
                body: bytes.clone(),
                event_id: crate::uuid::uuid_v4(),
                triggered_at: config.clock.now(),
            };
            let targets: Vec<Subscription> = store
                .subscriptions
                .iter()
                .filter(|sub| sub.topic == *topic)
                .cloned()
                .collect();
            for subscription in &targets {
                let outgoing = webhooks::outgoing(&envelope, &event, subscription);
                let webhook_id = outgoing
                    .header("X-Shopify-Webhook-Id")
                    .unwrap_or_default()
                    .to_string();
                store.sent.insert(webhook_id, outgoing.clone());
                self.sender.send(outgoing);
            }
        }
    }

    /// Every delivery attempt so far, in the order they finished.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.sender.attempts().iter().map(Delivery::from).collect()
    }

    /// Normal, duplicated, held or dropped deliveries from now on.
    pub fn set_delivery_mode(&self, mode: DeliveryMode) {
        self.sender.set_mode(mode);
    }

    /// Sends the held deliveries: in order, or newest first when `reversed`.
    pub fn release_held(&self, reversed: bool) {
        self.sender.release_held(reversed);
    }

    pub fn held_count(&self) -> usize {
        self.sender.held_count()
    }

    /// Sends a past delivery again: same webhook id, event id, body and signature.
    pub fn redeliver(&self, webhook_id: &str) -> anyhow::Result<()> {
        let outgoing = self
            .store()
            .sent
            .get(webhook_id)
            .cloned()
            .ok_or_else(|| anyhow!("no delivery {webhook_id}"))?;
        self.sender.send(outgoing);
        Ok(())
    }

    /// Waits until every started delivery succeeded or gave up.
    pub async fn wait_idle(&self) {
        self.sender.wait_idle().await;
    }

    /// Signs webhooks with `previous_secret` (a rotation in progress) while on.
    pub fn set_sign_with_previous_secret(&self, on: bool) {
        self.store().sign_with_previous = on;
    }

    /// Redacted customer data, legacy refund number formats.
    pub fn set_rendering(&self, rendering: Rendering) {
        self.store().rendering = rendering;
    }

    /// Throttled queries answer 429 instead of 200.
    pub fn set_throttle_with_429(&self, on: bool) {
        self.store().throttle_with_429 = on;
    }

    /// Once, right after the next answered query named `operation`, order `id` changes: its
    /// `updated_at` moves on, as an edit in the admin between two of a connector's reads would
    /// make it, without a webhook.
    pub fn touch_order_after(&self, operation: &str, id: u64) {
        self.store().touch_after = Some((operation.to_owned(), id));
    }

    /// What each GraphQL query so far asked for, in arrival order (a throttled query sent again
    /// is there twice).
    pub fn query_costs(&self) -> Vec<QueryCost> {
        self.store().query_costs.clone()
    }

    /// The running bulk operation fails now with `error_code` (`TIMEOUT`, `ACCESS_DENIED`,
    /// `INTERNAL_SERVER_ERROR`); none running errs.
    pub fn fail_bulk_operation(&self, error_code: &str) -> anyhow::Result<()> {
        let now = self.clock().now();
        let mut store = self.store();
        let running = store
            .bulk_operations
            .iter_mut()
            .find(|operation| operation.status(now) == "RUNNING")
            .ok_or_else(|| anyhow!("no bulk operation is running"))?;
        running.failed = Some(error_code.to_owned());
        Ok(())
    }

    /// The JSONL file of every bulk operation so far, oldest first.
    pub fn bulk_files(&self) -> Vec<String> {
        let store = self.store();
        store
            .bulk_operations
            .iter()
            .map(|operation| operation.file.clone())
            .collect()
    }

    /// Empties the GraphQL bucket now.
    pub fn drain_bucket(&self) {
        let now = self.clock().now();
        self.store().bucket.drain(now);
    }

    /// The access token most recently issued.
    pub fn current_access_token(&self) -> String {
        self.store().tokens.current_access().to_string()
    }

    pub fn current_refresh_token(&self) -> String {
        self.store().tokens.current_refresh().to_string()
    }

    /// Invalidates every access token; the refresh token still works.
    pub fn revoke_access_tokens(&self) {
        self.store().tokens.revoke_access();
    }
}

/// The cost `query` asks for with `variables`, as the simulator charges it before running it.
pub fn requested_cost(
    query: &str,
    variables: &serde_json::Map<String, Value>,
) -> Result<u64, String> {
    graphql_parse::parse(query, variables)
        .map(|fields| graphql_exec::operation_cost(graphql_parse::is_mutation(query), &fields))
}

/// A new `updated_at`: now, but always later than the previous one.
fn bumped(previous: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    now.max(previous + Duration::seconds(1))
}
