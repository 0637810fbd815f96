//! `POST /admin/api/{version}/graphql.json`: checks the access token, charges the leaky bucket, runs the
//! query's root fields (`shop`, `order`, `refund`, `customer`, `orders`, `currentAppInstallation`,
//! `currentBulkOperation`, `node`) or the mutation's (`bulkOperationRunQuery`: [`super::bulk`]) and
//! answers with `data`, `errors` and `extensions.cost` the way the GraphQL Admin API does. Records
//! what each parsed query asked for.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::bulk;
use super::graphql_data::{
    app_installation_node, connection, customer_node, order_node, refund_root_node, shop_node,
};
use super::graphql_exec::{Exec, operation_cost};
use super::graphql_parse::{Field, is_mutation, operation_name, parse};
use super::order_search;
use super::{Shared, Store};

/// What one query asked for: its operation name (none when anonymous), its requested cost, and
/// what it cost once run (none when it was refused or throttled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryCost {
    pub operation: Option<String>,
    pub requested: u64,
    pub actual: Option<u64>,
}

fn unauthorized() -> Response {
    let body = json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"});
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

fn query_errors(errors: Vec<Value>) -> Response {
    Json(json!({ "errors": errors })).into_response()
}

pub async fn graphql(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = shared.config.clock.now();
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !shared.store().tokens.access_valid(token, now) {
        return unauthorized();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": {"query": "Required parameter missing or invalid"}})),
        )
            .into_response();
    };
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"errors": {"query": "Required parameter missing or invalid"}})),
        )
            .into_response();
    };
    let variables = request
        .get("variables")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let fields = match parse(query, &variables) {
        Ok(fields) => fields,
        Err(message) => {
            return query_errors(vec![
                json!({"message": message, "extensions": {"code": "parseError"}}),
            ]);
        }
    };
    let mutation = is_mutation(query);
    let requested = operation_cost(mutation, &fields);
    let operation = operation_name(query);
    let mut store = shared.store();
    store.query_costs.push(QueryCost {
        operation: operation.clone(),
        requested,
        actual: None,
    });
    if requested > store.bucket.maximum() {
        let message = format!(
            "Query cost is {requested}, which exceeds the single query max cost limit ({}).",
            store.bucket.maximum()
        );
        return query_errors(vec![
            json!({"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": store.bucket.maximum()}}),
        ]);
    }
    if !store.bucket.take(requested, now) {
        let body = json!({
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
            "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": null, "throttleStatus": store.bucket.status()}},
        });
        let status = if store.throttle_with_429 {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::OK
        };
        return (status, Json(body)).into_response();
    }
    let origin = headers
        .get("host")
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_default();
    let mut exec = Exec::default();
    let mut data = Map::new();
    for field in &fields {
        let value = if mutation {
            mutation_value(&shared, &mut store, field, now, &mut exec)
        } else {
            root_value(&shared, &store, field, now, &origin, &mut exec)
        };
        data.insert(field.key().to_string(), value);
    }
    let undefined = exec
        .errors
        .iter()
        .any(|error| error["extensions"]["code"] == "undefinedField");
    // A mutation is charged what it asked for; a query what it read.
    let actual = match (undefined, mutation) {
        (true, _) => 0,
        (false, true) => requested,
        (false, false) => exec.cost.min(requested),
    };
    store.bucket.give_back(requested - actual);
    if let Some(cost) = store.query_costs.last_mut() {
        cost.actual = Some(actual);
    }
    if undefined {
        return query_errors(exec.errors);
    }
    let mut body = json!({
        "data": data,
        "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": store.bucket.status()}},
    });
    if !exec.errors.is_empty() {
        body["errors"] = Value::Array(exec.errors);
    }
    let touched = store
        .touch_after
        .take_if(|(touch_after, _)| operation.as_deref() == Some(touch_after.as_str()));
    if let Some((_, id)) = touched
        && let Some(order) = store.orders.get_mut(&id)
    {
        order.updated_at = super::bumped(order.updated_at, now);
    }
    Json(body).into_response()
}

/// The numeric id of a global id of `kind` ("gid://shopify/Order/123" → 123).
fn legacy_id(field: &Field, kind: &str, exec: &mut Exec) -> Option<u64> {
    let id = field
        .args
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parsed = id
        .strip_prefix(&format!("gid://shopify/{kind}/"))
        .and_then(|number| number.parse().ok());
    if parsed.is_none() {
        exec.error(
            format!("Invalid global id '{id}'"),
            "argumentLiteralsIncompatible",
            &field.name,
        );
    }
    parsed
}

/// A root field of a mutation: `bulkOperationRunQuery` only.
fn mutation_value(
    shared: &Shared,
    store: &mut Store,
    field: &Field,
    now: DateTime<Utc>,
    exec: &mut Exec,
) -> Value {
    match field.name.as_str() {
        "bulkOperationRunQuery" => {
            let payload = bulk::run_query(&shared.config, store, field, now);
            exec.project(&payload, field)
        }
        other => {
            exec.error(
                format!("Field '{other}' doesn't exist on type 'Mutation'"),
                "undefinedField",
                "mutation",
            );
            Value::Null
        }
    }
}

/// A root field of a query; `origin` (`http://host:port`) is where the request was sent, for the
/// URLs of bulk operation files.
fn root_value(
    shared: &Shared,
    store: &Store,
    field: &Field,
    now: DateTime<Utc>,
    origin: &str,
    exec: &mut Exec,
) -> Value {
    let config = &shared.config;
    let visible = |order| order_search::visible(config, order, now);
    match field.name.as_str() {
        "shop" => exec.project(
            &shop_node(&config.shop_name, &config.shop_domain, &config.currency),
            field,
        ),
        "order" => {
            let Some(order) = legacy_id(field, "Order", exec).and_then(|id| store.orders.get(&id))
            else {
                return Value::Null;
            };
            if !visible(order) {
                return old_order_denied(field, exec);
            }
            exec.project(&order_node(order, store.rendering), field)
        }
        "refund" => {
            let found = legacy_id(field, "Refund", exec).and_then(|id| {
                store.orders.values().find_map(|order| {
                    let refund = order.refunds.iter().find(|refund| refund.id == id)?;
                    Some((refund, order))
                })
            });
            let Some((refund, order)) = found else {
                return Value::Null;
            };
            if !visible(order) {
                return old_order_denied(field, exec);
            }
            exec.project(&refund_root_node(refund, order, store.rendering), field)
        }
        "currentAppInstallation" => exec.project(&app_installation_node(&config.scopes), field),
        "customer" => {
            match legacy_id(field, "Customer", exec).and_then(|id| store.customers.get(&id)) {
                Some(customer) => exec.project(&customer_node(customer, store.rendering), field),
                None => Value::Null,
            }
        }
        "orders" => match order_search::listed(config, store, field, now) {
            Ok(orders) => {
                // Only the page's orders are built; the executor never reads the rest (nulls
                // that keep the cursors' positions), so a page of a big shop stays cheap.
                let page = exec.window(orders.len(), field).unwrap_or_default();
                let nodes = orders
                    .into_iter()
                    .enumerate()
                    .map(|(index, order)| {
                        if (page.0..page.1).contains(&index) {
                            order_node(order, store.rendering)
                        } else {
                            Value::Null
                        }
                    })
                    .collect();
                exec.project(&connection(nodes), field)
            }
            Err(message) => {
                exec.error(message, "argumentLiteralsIncompatible", &field.name);
                Value::Null
            }
        },
        "currentBulkOperation" => match store.bulk_operations.last() {
            Some(operation) => exec.project(&operation.node(now, origin), field),
            None => Value::Null,
        },
        "node" => {
            let id = field
                .args
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match bulk::find(&store.bulk_operations, id) {
                Some(operation) => exec.project(&operation.node(now, origin), field),
                None => Value::Null,
            }
        }
        other => {
            exec.error(
                format!("Field '{other}' doesn't exist on type 'QueryRoot'"),
                "undefinedField",
                "query",
            );
            Value::Null
        }
    }
}

/// The answer for a record of an order older than [`order_search::RECENT_ORDERS_DAYS`] when the app lacks
/// `read_all_orders`: `null` and an `ACCESS_DENIED` error.
fn old_order_denied(field: &Field, exec: &mut Exec) -> Value {
    let message = format!(
        "Access denied for {} field. Required access: `read_all_orders` access scope.",
        field.name
    );
    exec.error(message, "ACCESS_DENIED", &field.name);
    Value::Null
}
