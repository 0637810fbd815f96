//! The orders a root `orders(query:, sortKey:, reverse:)` field lists, for a query's page and a bulk
//! operation alike: the search's terms on `created_at`/`updated_at` (`>`, `>=`, `<`, `<=`, RFC 3339
//! or a date, quoted or not, joined by spaces or `AND`; all must hold), orders older than
//! [`RECENT_ORDERS_DAYS`] left out without `read_all_orders`, sorted by `ID`, `CREATED_AT` or
//! `UPDATED_AT`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::graphql_parse::Field;
use super::model::Order;
use super::{ShopifyConfig, Store};

/// Orders older than this need the `read_all_orders` scope.
pub const RECENT_ORDERS_DAYS: i64 = 60;

/// Whether the app sees `order` at `now`: orders created in the last [`RECENT_ORDERS_DAYS`] days,
/// or any with `read_all_orders`.
pub fn visible(config: &ShopifyConfig, order: &Order, now: DateTime<Utc>) -> bool {
    config.scopes.iter().any(|scope| scope == "read_all_orders")
        || order.created_at >= now - Duration::days(RECENT_ORDERS_DAYS)
}

/// The orders `field` (a root `orders`) lists, in its order; an unsupported search errs.
pub fn listed<'a>(
    config: &ShopifyConfig,
    store: &'a Store,
    field: &Field,
    now: DateTime<Utc>,
) -> Result<Vec<&'a Order>, String> {
    let filter = order_filter(field)?;
    let mut orders: Vec<&Order> = store
        .orders
        .values()
        .filter(|order| {
            visible(config, order, now) && filter.iter().all(|term| term.matches(order))
        })
        .collect();
    match field.args.get("sortKey").and_then(Value::as_str) {
        Some("UPDATED_AT") => orders.sort_by_key(|order| (order.updated_at, order.id)),
        Some("CREATED_AT") => orders.sort_by_key(|order| (order.created_at, order.id)),
        _ => orders.sort_by_key(|order| order.id),
    }
    if field.args.get("reverse").and_then(Value::as_bool) == Some(true) {
        orders.reverse();
    }
    Ok(orders)
}

/// One term of an `orders(query:)` search: `updated_at:>=2024-01-01T00:00:00Z`.
struct TimeTerm {
    updated: bool,
    op: &'static str,
    at: DateTime<Utc>,
}

impl TimeTerm {
    fn matches(&self, order: &Order) -> bool {
        let value = if self.updated {
            order.updated_at
        } else {
            order.created_at
        };
        match self.op {
            ">=" => value >= self.at,
            "<=" => value <= self.at,
            ">" => value > self.at,
            _ => value < self.at,
        }
    }
}

fn order_filter(field: &Field) -> Result<Vec<TimeTerm>, String> {
    let query = field
        .args
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    query
        .split_whitespace()
        .filter(|term| !term.eq_ignore_ascii_case("AND"))
        .map(|term| {
            let unsupported = || format!("Unsupported search term '{term}': use created_at or updated_at with >, >=, < or <=");
            let (name, condition) = term.split_once(':').ok_or_else(unsupported)?;
            let updated = match name {
                "updated_at" => true,
                "created_at" => false,
                _ => return Err(unsupported()),
            };
            let op = [">=", "<=", ">", "<"].into_iter().find(|op| condition.starts_with(op)).ok_or_else(unsupported)?;
            let value = condition[op.len()..].trim_matches(|c| c == '\'' || c == '"');
            let at = DateTime::parse_from_rfc3339(value)
                .map(|at| at.with_timezone(&Utc))
                .or_else(|_| NaiveDate::parse_from_str(value, "%Y-%m-%d").map(|date| date.and_time(Default::default()).and_utc()))
                .map_err(|_| unsupported())?;
            Ok(TimeTerm { updated, op, at })
        })
        .collect()
}
