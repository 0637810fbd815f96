//! The playground's control server: JSON routes that act in the simulators as a shop, a warehouse
//! and an accountant would (place, pay, refund and cancel orders; buy and void labels; add GL
//! accounts and dimensions), subscribe the simulators' webhooks to a host, and show the Intacct
//! company's books. Ids are JSON strings, amounts decimal strings, times RFC 3339 in UTC; a refused
//! request answers `{"error": "..."}` and changes nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::ledger_view::LedgerView;
use super::refusal::Refusal;
use super::requests::{
    AccountRequest, CancelRequest, DimensionRequest, LabelRequest, OrderRequest, RefundRequest,
    WebhooksRequest, optional, required,
};
use crate::intacct::DEMO_COMPANY_ID;
use crate::shipstation::ShipStationSim;
use crate::shipstation_intacct;
use crate::shopify::Order;
use crate::shopify_intacct::{self, ShopifyIntacct};

/// What the routes act on.
pub struct Sims {
    pub shop_intacct: ShopifyIntacct,
    pub shipstation: ShipStationSim,
    pub config_path: PathBuf,
    /// Labels bought through the control server, for fresh tracking numbers.
    labels: AtomicU64,
}

impl Sims {
    pub fn new(
        shop_intacct: ShopifyIntacct,
        shipstation: ShipStationSim,
        config_path: PathBuf,
    ) -> Self {
        Self {
            shop_intacct,
            shipstation,
            config_path,
            labels: AtomicU64::new(0),
        }
    }

    /// A USPS-like tracking number no earlier label of the playground had.
    fn tracking_number(&self) -> String {
        let label = self.labels.fetch_add(1, Ordering::SeqCst) + 1;
        format!("94001118992{label:011}")
    }

    /// The shop's order `id`.
    fn order(&self, id: &str) -> Result<Order, Refusal> {
        id.parse()
            .ok()
            .and_then(|id| self.shop_intacct.shopify.order(id))
            .ok_or_else(|| Refusal::NotFound(format!("The shop has no order {id}.")))
    }
}

type Answer = Result<(StatusCode, Json<Value>), Refusal>;

pub fn router(sims: Arc<Sims>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/shopify/orders", post(place_order))
        .route("/shopify/orders/{id}/pay", post(pay))
        .route("/shopify/orders/{id}/refunds", post(refund))
        .route("/shopify/orders/{id}/cancel", post(cancel))
        .route("/shipstation/labels", post(buy_label))
        .route("/shipstation/labels/{id}/void", post(void_label))
        .route("/intacct/accounts", post(add_account))
        .route("/intacct/dimensions", post(add_dimension))
        .route("/intacct/ledger", get(ledger))
        .route("/webhooks", post(subscribe))
        .fallback(no_route)
        .with_state(sims)
}

fn ok(body: Value) -> Answer {
    Ok((StatusCode::OK, Json(body)))
}

fn created(body: Value) -> Answer {
    Ok((StatusCode::CREATED, Json(body)))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn no_route(uri: Uri) -> Refusal {
    Refusal::NotFound(format!(
        "The playground has no route {}: GET / lists the simulators.",
        uri.path()
    ))
}

async fn overview(State(sims): State<Arc<Sims>>) -> Answer {
    let shopify = &sims.shop_intacct.shopify;
    ok(json!({
        "shopify": {
            "base_url": shopify.base_url(),
            "shop_domain": shopify.config().shop_domain,
        },
        "shipstation": { "base_url": sims.shipstation.base_url() },
        "intacct": {
            "base_url": sims.shop_intacct.intacct.base_url(),
            "company_id": DEMO_COMPANY_ID,
        },
        "config": sims.config_path.display().to_string(),
    }))
}

async fn place_order(State(sims): State<Arc<Sims>>, body: Bytes) -> Answer {
    let mut new = optional::<OrderRequest>(&body)?.into_new_order()?;
    let shop = &sims.shop_intacct.shopify;
    new.order.customer_id = Some(shop.create_customer(new.customer).id);
    let order = shop
        .create_order(new.order)
        .map_err(|error| Refusal::BadRequest(format!("The shop refused the order: {error}.")))?;
    let lines: Vec<Value> = order
        .line_items
        .iter()
        .map(
            |line| json!({ "id": line.id.to_string(), "sku": line.sku, "quantity": line.quantity }),
        )
        .collect();
    created(json!({
        "id": order.id.to_string(),
        "name": order.name(),
        "order_number": order.order_number,
        "created_at": time(order.created_at),
        "financial_status": order.financial_status.rest(),
        "total": order.total_price(),
        "lines": lines,
    }))
}

async fn pay(State(sims): State<Arc<Sims>>, Path(id): Path<String>) -> Answer {
    let order = sims.order(&id)?;
    if order.cancelled_at.is_some() {
        return Err(Refusal::Conflict(format!(
            "Order {} is cancelled.",
            order.name()
        )));
    }
    if order.total_outstanding().is_zero() {
        return Err(Refusal::Conflict(format!(
            "Order {} has nothing left to pay (it is {}).",
            order.name(),
            order.financial_status.rest()
        )));
    }
    let order = sims
        .shop_intacct
        .shopify
        .mark_paid(order.id)
        .map_err(|error| Refusal::Conflict(format!("The shop refused the payment: {error}.")))?;
    ok(json!({
        "id": order.id.to_string(),
        "financial_status": order.financial_status.rest(),
    }))
}

async fn refund(State(sims): State<Arc<Sims>>, Path(id): Path<String>, body: Bytes) -> Answer {
    let request = optional::<RefundRequest>(&body)?;
    let order = sims.order(&id)?;
    let refund = sims
        .shop_intacct
        .shopify
        .create_refund(order.id, request.into_spec(&order)?)
        .map_err(|error| Refusal::Conflict(format!("The shop refused the refund: {error}.")))?;
    created(json!({
        "id": refund.id.to_string(),
        "order_id": refund.order_id.to_string(),
        "amount": refund.amount(),
    }))
}

async fn cancel(State(sims): State<Arc<Sims>>, Path(id): Path<String>, body: Bytes) -> Answer {
    let reason = optional::<CancelRequest>(&body)?.reason()?;
    let order = sims.order(&id)?;
    if let Some(at) = order.cancelled_at {
        return Err(Refusal::Conflict(format!(
            "Order {} was cancelled at {}.",
            order.name(),
            time(at)
        )));
    }
    let order = sims
        .shop_intacct
        .shopify
        .cancel_order(order.id, &reason)
        .map_err(|error| {
            Refusal::Conflict(format!("The shop refused the cancellation: {error}."))
        })?;
    ok(json!({
        "id": order.id.to_string(),
        "cancelled_at": order.cancelled_at.map(time),
    }))
}

/// Buys the label and announces it with SHIP_NOTIFY, as a label bought in ShipStation is.
async fn buy_label(State(sims): State<Arc<Sims>>, body: Bytes) -> Answer {
    let spec = optional::<LabelRequest>(&body)?.into_spec(|| sims.tracking_number())?;
    let shipment = sims.shipstation.add_shipment(spec);
    sims.shipstation
        .notify_shipped(&[shipment.id])
        .map_err(|error| Refusal::Conflict(format!("ShipStation refused the label: {error}.")))?;
    created(json!({
        "id": shipment.id.to_string(),
        "tracking_number": shipment.spec.tracking_number,
        "carrier": shipment.spec.carrier_code,
        "cost": shipment.spec.shipment_cost,
        "order_number": shipment.spec.order_number,
    }))
}

/// Voids the label; ShipStation fires no webhook for it (the flow's poll finds it).
async fn void_label(State(sims): State<Arc<Sims>>, Path(id): Path<String>) -> Answer {
    let shipment = id
        .parse()
        .ok()
        .and_then(|id| sims.shipstation.shipment(id))
        .ok_or_else(|| Refusal::NotFound(format!("ShipStation has no label {id}.")))?;
    if let Some(at) = shipment.voided_at {
        return Err(Refusal::Conflict(format!(
            "Label {id} was voided at {}.",
            time(at)
        )));
    }
    let shipment = sims
        .shipstation
        .void_shipment(shipment.id)
        .map_err(|error| Refusal::NotFound(format!("ShipStation has no label {id}: {error}.")))?;
    ok(json!({ "id": shipment.id.to_string(), "voided": true }))
}

async fn add_account(State(sims): State<Arc<Sims>>, body: Bytes) -> Answer {
    let request = required::<AccountRequest>(&body)?;
    request.check()?;
    let added =
        sims.shop_intacct
            .intacct
            .add_account(DEMO_COMPANY_ID, &request.account_no, &request.title);
    if !added {
        return Err(Refusal::Conflict(format!(
            "Account {} is already in the chart of company {DEMO_COMPANY_ID}.",
            request.account_no
        )));
    }
    created(json!({ "account_no": request.account_no, "title": request.title }))
}

async fn add_dimension(State(sims): State<Arc<Sims>>, body: Bytes) -> Answer {
    let request = required::<DimensionRequest>(&body)?;
    request.check()?;
    let kind = request.dimension;
    let added = sims
        .shop_intacct
        .intacct
        .add_dimension(DEMO_COMPANY_ID, kind, &request.id);
    if !added {
        return Err(Refusal::Conflict(format!(
            "Company {DEMO_COMPANY_ID} has {} {} already.",
            kind.name(),
            request.id
        )));
    }
    created(json!({ "dimension": kind.name(), "id": request.id }))
}

async fn ledger(State(sims): State<Arc<Sims>>) -> Answer {
    let view = LedgerView::from(&sims.shop_intacct.ledger());
    ok(serde_json::to_value(view).expect("the ledger view serializes"))
}

/// Subscribes the shop's topics to `<url>/webhooks/shopify` and ShipStation's events to
/// `<url>/webhooks/shipstation/<token>`; a subscription already there is kept, not doubled.
async fn subscribe(State(sims): State<Arc<Sims>>, body: Bytes) -> Answer {
    let url = required::<WebhooksRequest>(&body)?.url()?;
    sims.shop_intacct.subscribe(&url);
    shipstation_intacct::subscribe(&sims.shipstation, &url);
    ok(json!({
        "shopify": shopify_intacct::TOPICS,
        "shipstation": shipstation_intacct::WEBHOOKS,
    }))
}
