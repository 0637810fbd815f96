//! The V1 API (`https://ssapi.shipstation.com` stand-in): Basic auth, 40 requests a minute per key with
//! `X-Rate-Limit-*` headers on every answer, `GET /shipments`, `GET /orders`, `GET /fulfillments` and the
//! webhook subscription endpoints.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::listing::{Params, page_of};
use super::model::{Order, Shipment, Subscription};
use super::pacific::local;
use super::v1_json::{fulfillment_json, order_json, shipment_json, webhook_json};
use super::window_listings::WindowListings;
use super::{EVENTS, Shared, with_rate_headers};

/// The API key of a request whose Basic credentials are the configured V1 key and secret.
fn authenticated_key(headers: &HeaderMap, shared: &Shared) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let decoded = B64.decode(value.strip_prefix("Basic ")?).ok()?;
    let (key, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    (key == shared.config.api_key && secret == shared.config.api_secret).then(|| key.to_string())
}

/// Auth, then the per-key window; rate headers on every authenticated answer.
pub async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(key) = authenticated_key(request.headers(), &shared) else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/plain")],
            "401 Unauthorized",
        )
            .into_response();
    };
    let decision = shared.v1_limit.hit(&key);
    shared.count(|counts| counts.v1 += 1);
    let response = if decision.allowed {
        next.run(request).await
    } else {
        shared.count(|counts| counts.throttled += 1);
        (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"message": "Too Many Requests"})),
        )
            .into_response()
    };
    with_rate_headers(response, decision)
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"Message": "The request is invalid.", "ExceptionMessage": message})),
    )
        .into_response()
}

fn paged(key: &str, rows: Vec<Value>, total: u64, page: u64, pages: u64) -> Response {
    Json(json!({ key: rows, "total": total, "page": page, "pages": pages })).into_response()
}

pub async fn shipments(
    State(shared): State<Arc<Shared>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let params = Params::new(pairs);
    let _watched = match WindowListings::filter(&params) {
        Some(filter) => Some(shared.window_listings.arrived(filter).await),
        None => None,
    };
    list_shipments(&shared, &params).unwrap_or_else(bad_request)
}

fn list_shipments(shared: &Shared, params: &Params) -> Result<Response, String> {
    let (page, size) = params.paging("page", "pageSize", 100, 500)?;
    let created = params.range("createDate")?;
    let shipped = params.range("shipDate")?;
    let voided = params.range("voidDate")?;
    let order_number = params.get("orderNumber");
    let carrier = params.get("carrierCode");
    let tracking = params.get("trackingNumber");
    let (order_id, store_id, batch_id) = (
        params.u64("orderId")?,
        params.u64("storeId")?,
        params.u64("batchId")?,
    );
    let store = shared.store();
    let mut rows: Vec<&Shipment> = store
        .shipments
        .values()
        .filter(|shipment| {
            let spec = &shipment.spec;
            order_number.is_none_or(|number| spec.order_number == number)
                && order_id.is_none_or(|id| shipment.order_id == id)
                && carrier.is_none_or(|code| spec.carrier_code == code)
                && tracking.is_none_or(|number| spec.tracking_number == number)
                && store_id.is_none_or(|id| spec.store_id == id)
                && batch_id.is_none_or(|id| shipment.notify_batch == Some(id))
                && created.contains(local(shipment.created_at))
                && shipped.contains_date(local(shipment.ship_at))
                && (voided.is_open()
                    || shipment
                        .voided_at
                        .is_some_and(|at| voided.contains(local(at))))
        })
        .collect();
    match params.get("sortBy").map(str::to_ascii_lowercase).as_deref() {
        Some("shipdate") => {
            rows.sort_by_key(|shipment| (shipment.ship_at.date_naive(), shipment.id))
        }
        Some("createdate") => rows.sort_by_key(|shipment| (shipment.created_at, shipment.id)),
        _ => {}
    }
    if params.descending("sortDir") {
        rows.reverse();
    }
    let include_items = params.flag("includeShipmentItems");
    let (rows, total, pages) = page_of(rows, page, size);
    let rows = rows
        .into_iter()
        .map(|shipment| shipment_json(shipment, include_items))
        .collect();
    Ok(paged("shipments", rows, total, page, pages))
}

pub async fn orders(
    State(shared): State<Arc<Shared>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    list_orders(&shared, &Params::new(pairs)).unwrap_or_else(bad_request)
}

fn list_orders(shared: &Shared, params: &Params) -> Result<Response, String> {
    let (page, size) = params.paging("page", "pageSize", 100, 500)?;
    let created = params.range("createDate")?;
    let modified = params.range("modifyDate")?;
    let ordered = params.range("orderDate")?;
    let order_number = params.get("orderNumber");
    let status = params.get("orderStatus");
    let (store_id, batch) = (params.u64("storeId")?, params.u64("importBatch")?);
    let store = shared.store();
    let mut rows: Vec<&Order> = store
        .orders
        .values()
        .filter(|order| {
            order_number.is_none_or(|number| order.spec.order_number == number)
                && status.is_none_or(|status| order.status == status)
                && store_id.is_none_or(|id| order.spec.store_id == id)
                && batch.is_none_or(|id| order.import_batch == id)
                && created.contains(local(order.created_at))
                && ordered.contains(local(order.created_at))
                && modified.contains(local(order.modified_at))
        })
        .collect();
    match params.get("sortBy").map(str::to_ascii_lowercase).as_deref() {
        Some("modifydate") => rows.sort_by_key(|order| (order.modified_at, order.id)),
        Some("orderdate") | Some("createdate") => {
            rows.sort_by_key(|order| (order.created_at, order.id))
        }
        _ => {}
    }
    if params.descending("sortDir") {
        rows.reverse();
    }
    let (rows, total, pages) = page_of(rows, page, size);
    Ok(paged(
        "orders",
        rows.into_iter().map(order_json).collect(),
        total,
        page,
        pages,
    ))
}

pub async fn fulfillments(
    State(shared): State<Arc<Shared>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    list_fulfillments(&shared, &Params::new(pairs)).unwrap_or_else(bad_request)
}

fn list_fulfillments(shared: &Shared, params: &Params) -> Result<Response, String> {
    let (page, size) = params.paging("page", "pageSize", 100, 500)?;
    let created = params.range("createDate")?;
    let shipped = params.range("shipDate")?;
    let order_number = params.get("orderNumber");
    let tracking = params.get("trackingNumber");
    let (order_id, batch_id) = (params.u64("orderId")?, params.u64("batchId")?);
    let store = shared.store();
    let rows: Vec<Value> = store
        .fulfillments
        .iter()
        .filter_map(|fulfillment| {
            store
                .orders
                .get(&fulfillment.order_id)
                .map(|order| (fulfillment, order))
        })
        .filter(|(fulfillment, order)| {
            order_number.is_none_or(|number| order.spec.order_number == number)
                && order_id.is_none_or(|id| fulfillment.order_id == id)
                && tracking.is_none_or(|number| fulfillment.tracking_number == number)
                && batch_id.is_none_or(|id| fulfillment.notify_batch == id)
                && created.contains(local(fulfillment.created_at))
                && shipped.contains(local(fulfillment.ship_at))
        })
        .map(|(fulfillment, order)| fulfillment_json(fulfillment, order))
        .collect();
    let (rows, total, pages) = page_of(rows, page, size);
    Ok(paged("fulfillments", rows, total, page, pages))
}

#[derive(Debug, Deserialize)]
pub struct SubscribeRequest {
    target_url: String,
    event: String,
    store_id: Option<u64>,
    friendly_name: Option<String>,
}

pub async fn subscribe(
    State(shared): State<Arc<Shared>>,
    Json(request): Json<SubscribeRequest>,
) -> Response {
    if !EVENTS.contains(&request.event.as_str()) {
        return bad_request(format!("'{}' is not a valid webhook event.", request.event));
    }
    let id = shared.subscribe(Subscription {
        id: 0,
        event: request.event,
        target_url: request.target_url,
        store_id: request.store_id,
        friendly_name: request.friendly_name.unwrap_or_default(),
    });
    Json(json!({ "id": id })).into_response()
}

pub async fn list_webhooks(State(shared): State<Arc<Shared>>) -> Response {
    let hooks: Vec<Value> = shared
        .store()
        .subscriptions
        .iter()
        .map(webhook_json)
        .collect();
    Json(json!({ "webhooks": hooks })).into_response()
}

pub async fn unsubscribe(State(shared): State<Arc<Shared>>, Path(id): Path<u64>) -> Response {
    let mut store = shared.store();
    let before = store.subscriptions.len();
    store
        .subscriptions
        .retain(|subscription| subscription.id != id);
    if store.subscriptions.len() < before {
        StatusCode::OK.into_response()
    } else {
        bad_request(format!("No webhook {id}."))
    }
}
