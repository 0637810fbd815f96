//! The V2 API (`https://api.shipstation.com/v2` stand-in): `API-Key` header (V1 credentials refused),
//! 200 requests a minute with `Retry-After` on 429, V2 error bodies, and the labels of the label
//! shipments: `GET /v2/labels` (paged, filtered) and `GET /v2/labels/{label_id}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::listing::{Params, page_of};
use super::model::Shipment;
use super::{Shared, with_rate_headers};
use crate::json_decimal::decimal;
use crate::uuid::uuid_v4;

fn error(status: StatusCode, error_type: &str, error_code: &str, message: &str) -> Response {
    let body = json!({
        "request_id": uuid_v4(),
        "errors": [{"error_source": "shipstation", "error_type": error_type, "error_code": error_code, "message": message}],
    });
    (status, Json(body)).into_response()
}

/// Auth by `API-Key`, then the per-key window; `Retry-After` on 429.
pub async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get("api-key")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if key != shared.config.v2_api_key {
        return error(
            StatusCode::UNAUTHORIZED,
            "security",
            "unauthorized",
            "The API key is invalid. Please see https://www.shipengine.com/docs/auth",
        );
    }
    let decision = shared.v2_limit.hit(&key);
    shared.count(|counts| counts.v2 += 1);
    if decision.allowed {
        return with_rate_headers(next.run(request).await, decision);
    }
    shared.count(|counts| counts.throttled += 1);
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        "system",
        "rate_limit_exceeded",
        "You have exceeded the rate limit.",
    );
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from(decision.reset_secs));
    with_rate_headers(response, decision)
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `se-123`.
fn label_id(shipment: &Shipment) -> String {
    format!("se-{}", shipment.id)
}

fn label_json(shipment: &Shipment) -> Value {
    let spec = &shipment.spec;
    let money = |amount| json!({"currency": "usd", "amount": decimal(amount)});
    json!({
        "label_id": label_id(shipment),
        "status": if shipment.voided_at.is_some() { "voided" } else { "completed" },
        "shipment_id": format!("se-{}", shipment.order_id),
        "external_shipment_id": spec.order_number,
        "ship_date": time(shipment.ship_at),
        "created_at": time(shipment.created_at),
        "shipment_cost": money(spec.shipment_cost),
        "insurance_cost": money(spec.insurance_cost),
        "tracking_number": spec.tracking_number,
        "is_return_label": spec.is_return_label,
        "is_international": spec.ship_to.country != "US",
        "batch_id": spec.batch_number,
        "carrier_code": spec.carrier_code,
        "service_code": spec.service_code,
        "package_code": spec.package_code,
        "voided": shipment.voided_at.is_some(),
        "voided_at": shipment.voided_at.map(time),
        "label_format": "pdf",
        "tracking_status": "in_transit",
    })
}

pub async fn labels(
    State(shared): State<Arc<Shared>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let params = Params::new(pairs);
    let (page, size) = match params.paging("page", "page_size", 25, 500) {
        Ok(paging) => paging,
        Err(message) => {
            return error(
                StatusCode::BAD_REQUEST,
                "validation",
                "invalid_field_value",
                &message,
            );
        }
    };
    let bound = |name: &str| {
        params
            .get(name)
            .map(|value| DateTime::parse_from_rfc3339(value).map(|at| at.with_timezone(&Utc)))
    };
    let (start, end) = match (
        bound("created_at_start").transpose(),
        bound("created_at_end").transpose(),
    ) {
        (Ok(start), Ok(end)) => (start, end),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "validation",
                "invalid_field_value",
                "created_at_start and created_at_end must be RFC 3339 times.",
            );
        }
    };
    let status = params.get("label_status");
    let tracking = params.get("tracking_number");
    let store = shared.store();
    let mut rows: Vec<&Shipment> = store
        .shipments
        .values()
        .filter(|shipment| {
            let label_status = if shipment.voided_at.is_some() {
                "voided"
            } else {
                "completed"
            };
            start.is_none_or(|start| shipment.created_at >= start)
                && end.is_none_or(|end| shipment.created_at <= end)
                && status.is_none_or(|status| status == label_status)
                && tracking.is_none_or(|number| shipment.spec.tracking_number == number)
        })
        .collect();
    rows.sort_by_key(|shipment| (shipment.created_at, shipment.id));
    if params.descending("sort_dir") {
        rows.reverse();
    }
    let (rows, total, pages) = page_of(rows, page, size);
    let href = |page: u64| json!({"href": format!("{}/v2/labels?page={page}&page_size={size}", shared.base_url())});
    Json(json!({
        "labels": rows.into_iter().map(label_json).collect::<Vec<_>>(),
        "total": total,
        "page": page,
        "pages": pages,
        "links": {
            "first": href(1),
            "last": href(pages.max(1)),
            "prev": if page > 1 { href(page - 1) } else { json!({}) },
            "next": if page < pages { href(page + 1) } else { json!({}) },
        },
    }))
    .into_response()
}

pub async fn label(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let store = shared.store();
    let found = id
        .strip_prefix("se-")
        .and_then(|number| number.parse::<u64>().ok())
        .and_then(|number| store.shipments.get(&number));
    match found {
        Some(shipment) => Json(label_json(shipment)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "validation",
            "not_found",
            &format!("Label '{id}' not found."),
        ),
    }
}
