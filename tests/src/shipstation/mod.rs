//! The ShipStation simulator: V1 (Basic auth, 40 requests/minute per key, Pacific local times) and V2
//! (`API-Key`, 200/minute) over one store of orders, label shipments and fulfillments. Tests add data and
//! announce it with pointer webhooks (`{"resource_url", "resource_type"}`); voids fire nothing, as in
//! ShipStation. Webhooks are unsigned and by default not retried; they can be held (late) or dropped
//! (missing) on demand.
//!
//! Events fired: ORDER_NOTIFY / ITEM_ORDER_NOTIFY (`add_order`, resource `/orders?importBatch=N`),
//! SHIP_NOTIFY / ITEM_SHIP_NOTIFY (`notify_shipped`, resource
//! `/shipments?batchId=N&includeShipmentItems=False|True`), FULFILLMENT_SHIPPED (`mark_shipped`,
//! resource `/fulfillments?batchId=N`). A subscription with a store id only hears of that store.
//!
//! An account's past, for backfill tests: `add_shipment` with a past `created_at` (labels fire no
//! webhook until `notify_shipped`) and `void_shipment_at` a past time. `GET /shipments` lists them
//! by `createDateStart`/`createDateEnd` and `voidDateStart`/`voidDateEnd` (Pacific local, both
//! ends inclusive, either side open), `sortBy=CreateDate`, `page`/`pageSize` (at most 500).
//! Those listings by date window (a poll's) are recorded with when each arrived and was answered
//! (`window_listings`), and can be slowed alone (`set_window_listing_latency`).

mod listing;
mod model;
mod pacific;
mod v1;
mod v1_json;
mod v2;
mod window_listings;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use anyhow::{Context, anyhow, bail};
use axum::Router;
use axum::http::HeaderValue;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{delete, get, post};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

pub use model::{
    Address, Fulfillment, Item, Order, OrderSpec, Shipment, ShipmentSpec, Subscription, Weight,
};
pub use pacific::{date as pacific_date, timestamp as pacific_timestamp};
pub use window_listings::WindowListing;

use crate::clock::SimClock;
use crate::faults::Faults;
use crate::rate_window::{RateDecision, RateWindow};
use crate::server::SimServer;
pub use crate::webhook_sender::{Attempt, DeliveryMode, RetrySchedule};
use crate::webhook_sender::{Outgoing, WebhookSender};
use window_listings::WindowListings;

/// The webhook events ShipStation V1 knows.
pub const EVENTS: [&str; 6] = [
    "ORDER_NOTIFY",
    "ITEM_ORDER_NOTIFY",
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_REJECTED",
];

/// How the simulated account is set up.
#[derive(Debug, Clone)]
pub struct ShipStationConfig {
    pub api_key: String,
    pub api_secret: String,
    pub v2_api_key: String,
    /// V1 requests per minute per key.
    pub v1_rate_limit: u32,
    /// V2 requests per minute per key.
    pub v2_rate_limit: u32,
    /// The host webhook `resource_url`s point at (e.g. a numbered shard); defaults to this simulator.
    pub resource_url_base: Option<String>,
    pub webhook_retries: RetrySchedule,
    pub clock: SimClock,
}

impl ShipStationConfig {
    /// Demo credentials, ShipStation's limits, webhooks sent once.
    pub fn new(clock: SimClock) -> Self {
        Self {
            api_key: "ss-v1-key".to_string(),
            api_secret: "ss-v1-secret".to_string(),
            v2_api_key: "ss-v2-key".to_string(),
            v1_rate_limit: 40,
            v2_rate_limit: 200,
            resource_url_base: None,
            webhook_retries: RetrySchedule {
                retries: 0,
                delay: std::time::Duration::from_millis(50),
            },
            clock,
        }
    }
}

/// Requests served since the start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// Authenticated V1 requests (throttled ones included).
    pub v1: u64,
    /// Authenticated V2 requests (throttled ones included).
    pub v2: u64,
    /// Requests answered 429.
    pub throttled: u64,
}

/// Everything the handlers share.
struct Shared {
    config: ShipStationConfig,
    store: Mutex<Store>,
    v1_limit: RateWindow,
    v2_limit: RateWindow,
    counts: Mutex<RequestCounts>,
    window_listings: WindowListings,
    base_url: OnceLock<String>,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().expect("shipstation store lock")
    }

    fn count(&self, change: impl FnOnce(&mut RequestCounts)) {
        change(&mut self.counts.lock().expect("counts lock"));
    }

    fn base_url(&self) -> &str {
        self.base_url.get().map_or("", String::as_str)
    }

    fn subscribe(&self, mut subscription: Subscription) -> u64 {
        let mut store = self.store();
        let id = store.id();
        subscription.id = id;
        store.subscriptions.push(subscription);
        id
    }
}

/// The account's data.
struct Store {
    next_id: u64,
    orders: BTreeMap<u64, Order>,
    shipments: BTreeMap<u64, Shipment>,
    fulfillments: Vec<Fulfillment>,
    subscriptions: Vec<Subscription>,
}

impl Store {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }
}

/// Adds the `X-Rate-Limit-*` headers of `decision` to `response`.
fn with_rate_headers(mut response: Response, decision: RateDecision) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-rate-limit-limit", HeaderValue::from(decision.limit));
    headers.insert(
        "x-rate-limit-remaining",
        HeaderValue::from(decision.remaining),
    );
    headers.insert("x-rate-limit-reset", HeaderValue::from(decision.reset_secs));
    response
}

/// A running ShipStation simulator.
pub struct ShipStationSim {
    server: SimServer,
    faults: Arc<Faults>,
    shared: Arc<Shared>,
    sender: WebhookSender,
}

impl ShipStationSim {
    pub async fn start(config: ShipStationConfig) -> anyhow::Result<Self> {
        let minute = Duration::minutes(1);
        let shared = Arc::new(Shared {
            v1_limit: RateWindow::new(config.v1_rate_limit, minute, config.clock.clone()),
            v2_limit: RateWindow::new(config.v2_rate_limit, minute, config.clock.clone()),
            config,
            store: Mutex::new(Store {
                next_id: 100_000_001,
                orders: BTreeMap::new(),
                shipments: BTreeMap::new(),
                fulfillments: Vec::new(),
                subscriptions: Vec::new(),
            }),
            counts: Mutex::default(),
            window_listings: WindowListings::default(),
            base_url: OnceLock::new(),
        });
        let v1 = Router::new()
            .route("/shipments", get(v1::shipments))
            .route("/orders", get(v1::orders))
            .route("/fulfillments", get(v1::fulfillments))
            .route("/webhooks", get(v1::list_webhooks))
            .route("/webhooks/subscribe", post(v1::subscribe))
            .route("/webhooks/{id}", delete(v1::unsubscribe))
            .layer(from_fn_with_state(shared.clone(), v1::gate));
        let v2 = Router::new()
            .route("/labels", get(v2::labels))
            .route("/labels/{label_id}", get(v2::label))
            .layer(from_fn_with_state(shared.clone(), v2::gate));
        let router = v1.nest("/v2", v2).with_state(shared.clone());
        let faults = Arc::new(Faults::new());
        let server = SimServer::start_local(router, faults.clone())
            .await
            .context("starting the ShipStation simulator")?;
        shared
            .base_url
            .set(server.base_url())
            .expect("base url set once");
        let sender = WebhookSender::new(shared.config.webhook_retries, Box::new(|_| {}));
        Ok(Self {
            server,
            faults,
            shared,
            sender,
        })
    }

    /// The V1 base (stands in for `https://ssapi.shipstation.com`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The V2 base (stands in for `https://api.shipstation.com/v2`).
    pub fn v2_base_url(&self) -> String {
        format!("{}/v2", self.server.base_url())
    }

    pub fn clock(&self) -> &SimClock {
        &self.shared.config.clock
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn config(&self) -> &ShipStationConfig {
        &self.shared.config
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.shared.store()
    }

    /// Adds an order and fires ORDER_NOTIFY / ITEM_ORDER_NOTIFY.
    pub fn add_order(&self, spec: OrderSpec) -> Order {
        let now = self.clock().now();
        let mut store = self.store();
        let id = store.id();
        let batch = store.id();
        let created_at = spec.created_at.unwrap_or(now);
        let order = Order {
            id,
            order_key: spec
                .order_key
                .clone()
                .unwrap_or_else(|| format!("key-{}", spec.order_number)),
            status: spec.status.clone(),
            created_at,
            modified_at: created_at,
            import_batch: batch,
            spec,
        };
        store.orders.insert(id, order.clone());
        let resource = format!("{}/orders?importBatch={batch}", self.resource_base());
        self.notify(&store, "ORDER_NOTIFY", &resource, order.spec.store_id);
        self.notify(&store, "ITEM_ORDER_NOTIFY", &resource, order.spec.store_id);
        order
    }

    /// Changes an order's status; its modifyDate moves to now. No webhook (edits need polling).
    pub fn set_order_status(&self, order_id: u64, status: &str) -> anyhow::Result<Order> {
        let now = self.clock().now();
        let mut store = self.store();
        let order = store
            .orders
            .get_mut(&order_id)
            .ok_or_else(|| anyhow!("no order {order_id}"))?;
        order.status = status.to_string();
        order.modified_at = now;
        Ok(order.clone())
    }

    /// Adds a label shipment (no webhook until `notify_shipped`).
    pub fn add_shipment(&self, spec: ShipmentSpec) -> Shipment {
        let now = self.clock().now();
        let mut store = self.store();
        let order = match spec.order_id {
            Some(id) => store.orders.get(&id).cloned(),
            None => store
                .orders
                .values()
                .find(|order| order.spec.order_number == spec.order_number)
                .cloned(),
        };
        let order_id = match (&order, spec.order_id) {
            (Some(order), _) => order.id,
            (None, Some(id)) => id,
            (None, None) => store.id(),
        };
        let created_at = spec.created_at.unwrap_or(now);
        let shipment = Shipment {
            id: store.id(),
            order_id,
            order_key: spec
                .order_key
                .clone()
                .or(order.map(|order| order.order_key))
                .unwrap_or_else(|| format!("key-{}", spec.order_number)),
            created_at,
            ship_at: spec.ship_at.unwrap_or(created_at),
            voided_at: None,
            notify_batch: None,
            spec,
        };
        store.shipments.insert(shipment.id, shipment.clone());
        shipment
    }

    /// Announces shipments as one batch: SHIP_NOTIFY and ITEM_SHIP_NOTIFY. Returns the batch id.
    pub fn notify_shipped(&self, shipment_ids: &[u64]) -> anyhow::Result<u64> {
        let mut store = self.store();
        let batch = store.id();
        let mut stores = Vec::new();
        for id in shipment_ids {
            let shipment = store
                .shipments
                .get_mut(id)
                .ok_or_else(|| anyhow!("no shipment {id}"))?;
            shipment.notify_batch = Some(batch);
            stores.push(shipment.spec.store_id);
        }
        stores.dedup();
        let base = self.resource_base();
        for store_id in stores {
            self.notify(
                &store,
                "SHIP_NOTIFY",
                &format!("{base}/shipments?batchId={batch}&includeShipmentItems=False"),
                store_id,
            );
            self.notify(
                &store,
                "ITEM_SHIP_NOTIFY",
                &format!("{base}/shipments?batchId={batch}&includeShipmentItems=True"),
                store_id,
            );
        }
        Ok(batch)
    }

    /// Voids a label now. No webhook fires.
    pub fn void_shipment(&self, shipment_id: u64) -> anyhow::Result<Shipment> {
        self.void_shipment_at(shipment_id, self.clock().now())
    }

    /// Voids a label at `at`: from its creation to now (the account's past, for a backfill). No
    /// webhook fires.
    pub fn void_shipment_at(
        &self,
        shipment_id: u64,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Shipment> {
        let now = self.clock().now();
        let mut store = self.store();
        let shipment = store
            .shipments
            .get_mut(&shipment_id)
            .ok_or_else(|| anyhow!("no shipment {shipment_id}"))?;
        if at < shipment.created_at || at > now {
            bail!(
                "label {shipment_id} can be voided from its creation ({}) to now ({now}), not at {at}",
                shipment.created_at
            );
        }
        shipment.voided_at = Some(at);
        Ok(shipment.clone())
    }

    pub fn shipment(&self, shipment_id: u64) -> Option<Shipment> {
        self.store().shipments.get(&shipment_id).cloned()
    }

    /// Every label shipment, oldest first.
    pub fn shipments(&self) -> Vec<Shipment> {
        self.store().shipments.values().cloned().collect()
    }

    /// Marks an order shipped without a label: a fulfillment, the order `shipped`, FULFILLMENT_SHIPPED.
    pub fn mark_shipped(
        &self,
        order_id: u64,
        carrier_code: &str,
        tracking_number: &str,
    ) -> anyhow::Result<Fulfillment> {
        let now = self.clock().now();
        let mut store = self.store();
        let (id, batch) = (store.id(), store.id());
        let order = store
            .orders
            .get_mut(&order_id)
            .ok_or_else(|| anyhow!("no order {order_id}"))?;
        order.status = "shipped".to_string();
        order.modified_at = now;
        let store_id = order.spec.store_id;
        let fulfillment = Fulfillment {
            id,
            order_id,
            tracking_number: tracking_number.to_string(),
            carrier_code: carrier_code.to_string(),
            created_at: now,
            ship_at: now,
            notify_batch: batch,
        };
        store.fulfillments.push(fulfillment.clone());
        self.notify(
            &store,
            "FULFILLMENT_SHIPPED",
            &format!("{}/fulfillments?batchId={batch}", self.resource_base()),
            store_id,
        );
        Ok(fulfillment)
    }

    /// Subscribes `target_url` to `event` (one of `EVENTS`), for one store or all.
    pub fn subscribe(&self, event: &str, target_url: &str, store_id: Option<u64>) -> u64 {
        self.shared.subscribe(Subscription {
            id: 0,
            event: event.to_string(),
            target_url: target_url.to_string(),
            store_id,
            friendly_name: format!("{event} hook"),
        })
    }

    /// The webhook subscriptions, oldest first.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.store().subscriptions.clone()
    }

    fn resource_base(&self) -> String {
        self.shared
            .config
            .resource_url_base
            .clone()
            .unwrap_or_else(|| self.base_url())
    }

    /// Sends the pointer body to every subscription of `event` that covers `store_id`.
    fn notify(&self, store: &Store, event: &str, resource_url: &str, store_id: u64) {
        let body =
            serde_json::to_vec(&json!({"resource_url": resource_url, "resource_type": event}))
                .expect("JSON body");
        let targets = store
            .subscriptions
            .iter()
            .filter(|sub| sub.event == event && sub.store_id.is_none_or(|id| id == store_id));
        for subscription in targets {
            self.sender.send(Outgoing {
                url: subscription.target_url.clone(),
                headers: vec![("Content-Type".to_string(), "application/json".to_string())],
                body: body.clone(),
                subscription: subscription.id,
            });
        }
    }

    /// Every webhook attempt so far, in the order they finished.
    pub fn deliveries(&self) -> Vec<Attempt> {
        self.sender.attempts()
    }

    /// Normal, duplicated, held (late) or dropped (missing) webhooks from now on.
    pub fn set_delivery_mode(&self, mode: DeliveryMode) {
        self.sender.set_mode(mode);
    }

    /// Sends the held webhooks: in order, or newest first when `reversed`.
    pub fn release_held(&self, reversed: bool) {
        self.sender.release_held(reversed);
    }

    /// Waits until every started webhook delivery finished.
    pub async fn wait_idle(&self) {
        self.sender.wait_idle().await;
    }

    pub fn request_counts(&self) -> RequestCounts {
        *self.shared.counts.lock().expect("counts lock")
    }

    /// Every listing by date window served so far (a poll's requests), in the order they were
    /// answered.
    pub fn window_listings(&self) -> Vec<WindowListing> {
        self.shared.window_listings.served()
    }

    /// Holds every listing by date window `latency` before answering it (other requests not).
    pub fn set_window_listing_latency(&self, latency: std::time::Duration) {
        self.shared.window_listings.set_latency(latency);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::Value;

    use super::*;
    use crate::webhook_receiver::Receiver;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 20, 18, 0, 0).unwrap()
    }

    /// `GET /shipments?{query}` on V1: (shipment ids, total, pages).
    async fn list(sim: &ShipStationSim, query: &str) -> (Vec<u64>, u64, u64) {
        let page: Value = reqwest::Client::new()
            .get(format!("{}/shipments?{query}", sim.base_url()))
            .basic_auth("ss-v1-key", Some("ss-v1-secret"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids = page["shipments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|shipment| shipment["shipmentId"].as_u64().unwrap())
            .collect();
        (
            ids,
            page["total"].as_u64().unwrap(),
            page["pages"].as_u64().unwrap(),
        )
    }

    #[tokio::test]
    async fn listings_by_date_window_are_timed_and_slowed_alone() {
        let sim = ShipStationSim::start(ShipStationConfig::new(SimClock::frozen(now())))
            .await
            .unwrap();
        sim.set_window_listing_latency(std::time::Duration::from_millis(100));
        let created = "createDateStart=2024-11-20%2009:00:00&createDateEnd=2024-11-20%2010:00:00";
        let voided = "voidDateEnd=2024-11-20%2010:00:00";
        let started = std::time::Instant::now();
        tokio::join!(
            list(&sim, created),
            list(&sim, voided),
            list(&sim, "batchId=7")
        );

        let mut listings = sim.window_listings();
        listings.sort_by_key(|listing| listing.filter);
        assert_eq!(
            listings
                .iter()
                .map(|listing| listing.filter)
                .collect::<Vec<_>>(),
            ["createDate", "voidDate"],
            "a listing by batch is not one by window"
        );
        for listing in &listings {
            assert!(listing.arrived >= started);
            assert!(listing.answered - listing.arrived >= std::time::Duration::from_millis(100));
        }
        assert!(
            listings[0].arrived < listings[1].answered
                && listings[1].arrived < listings[0].answered,
            "two listings at once overlap: {listings:?}"
        );
    }

    #[tokio::test]
    async fn a_month_of_labels_is_seeded_without_webhooks_and_listed_by_bounded_ranges() {
        let sim = ShipStationSim::start(ShipStationConfig::new(SimClock::frozen(now())))
            .await
            .unwrap();
        let receiver = Receiver::start(0).await.unwrap();
        sim.subscribe("SHIP_NOTIFY", receiver.url(), None);
        let month_ago = now() - Duration::days(30);
        for n in 0..300 {
            let created_at = month_ago + Duration::hours(2 * n);
            let label = sim.add_shipment(ShipmentSpec {
                order_number: format!("{}", 1001 + n),
                created_at: Some(created_at),
                ..ShipmentSpec::default()
            });
            if n % 10 == 0 {
                sim.void_shipment_at(label.id, created_at + Duration::hours(3))
                    .unwrap();
            }
        }
        sim.wait_idle().await;
        assert!(receiver.received().is_empty(), "history fires no webhooks");

        // 2024-11-01 00:00 to 2024-11-08 00:00 UTC, in Pacific wall-clock time (PDT, then PST).
        let created = "createDateStart=2024-10-31%2017:00:00&createDateEnd=2024-11-07%2016:00:00";
        let (first, total, pages) = list(
            &sim,
            &format!("{created}&sortBy=CreateDate&sortDir=ASC&pageSize=50&page=1"),
        )
        .await;
        let expected: Vec<u64> = sim
            .shipments()
            .iter()
            .filter(|label| {
                let start = Utc.with_ymd_and_hms(2024, 11, 1, 0, 0, 0).unwrap();
                let end = Utc.with_ymd_and_hms(2024, 11, 8, 0, 0, 0).unwrap();
                label.created_at >= start && label.created_at <= end
            })
            .map(|label| label.id)
            .collect();
        assert_eq!(total, expected.len() as u64);
        assert_eq!(
            total, 85,
            "a label every 2 hours for 7 days, both ends included"
        );
        assert_eq!(pages, 2);
        let (second, _, _) = list(
            &sim,
            &format!("{created}&sortBy=CreateDate&sortDir=ASC&pageSize=50&page=2"),
        )
        .await;
        assert_eq!([first, second].concat(), expected);

        let voided = "voidDateStart=2024-10-31%2017:00:00&voidDateEnd=2024-11-07%2016:00:00";
        let (voids, total, _) = list(&sim, &format!("{voided}&sortBy=CreateDate")).await;
        let expected: Vec<u64> = sim
            .shipments()
            .iter()
            .filter(|label| {
                label.voided_at.is_some_and(|at| {
                    at >= Utc.with_ymd_and_hms(2024, 11, 1, 0, 0, 0).unwrap()
                        && at <= Utc.with_ymd_and_hms(2024, 11, 8, 0, 0, 0).unwrap()
                })
            })
            .map(|label| label.id)
            .collect();
        assert_eq!(voids, expected);
        assert_eq!(
            total, 8,
            "every tenth label, voided 3 hours after it was made"
        );

        let label = sim.shipments()[1].clone();
        assert!(
            sim.void_shipment_at(label.id, label.created_at - Duration::seconds(1))
                .is_err()
        );
        assert!(
            sim.void_shipment_at(label.id, now() + Duration::seconds(1))
                .is_err()
        );
    }
}
