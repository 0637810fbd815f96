//! `history`: the orders changed in a range, oldest first, one page a call, for a backfill or a
//! reconciliation. A page is [`queries::HISTORY_PAGE`] orders with
//! `updated_at:>='<since>' AND updated_at:<'<until>'`, sorted by `UPDATED_AT`; the cursor is
//! Shopify's `endCursor` of the page before. Each order becomes the `orders/updated` event the poll
//! makes of it ([`crate::poll::order_event`]: key `order/<id>/<updatedAt>`), followed by a
//! `refunds/create` event per refund listed on it, keyed `refund/<refund id>`, reference the
//! refund id, `occurred_at` its `createdAt`, without a payload: `fetch` reads the refund by its id
//! ([`crate::refund_graphql`]), so credit memos are backfilled too. An order's refunds come with
//! the page, the first [`queries::HISTORY_REFUNDS`]; an order with as many is asked for all of them
//! ([`queries::order_refunds`], up to [`queries::LIST_LIMIT`]).
//!
//! Shopify lists orders created in the last [`RECENT_DAYS`] days only, unless the app has the
//! `read_all_orders` scope. So before the first page of a range that starts earlier than that (on
//! the host clock) the app's scopes are read, and without that scope the history is `Rejected`
//! with the first day it can start from: Shopify would leave the older orders out without a word.
//! (The same holds for an order created earlier than that and changed in the range: only the scope
//! lists it.)

use ml_connector_sdk::chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use ml_connector_sdk::{Event, PluginError, PollResult, TimeRange, clock, log};
use serde_json::json;

use crate::graphql::Client;
use crate::poll::order_event;
use crate::settings::Settings;
use crate::times::{parse as time, text};
use crate::topics::REFUND_TOPIC;
use crate::wire::{AccessScopesData, HistoryOrder, HistoryOrdersData, OrderPartData, RefundRef};
use crate::{ids, queries};

/// How far back Shopify lists orders to an app without `read_all_orders`.
pub const RECENT_DAYS: i64 = 60;

/// The scope that lists older orders.
const ALL_ORDERS: &str = "read_all_orders";

pub fn history(range: &TimeRange, cursor: Option<String>) -> Result<PollResult, PluginError> {
    let mut client = Client::new(Settings::load()?);
    if cursor.is_none() {
        check_reach(&mut client, range.since, clock::now())?;
    }
    let search = format!(
        "updated_at:>='{}' AND updated_at:<'{}'",
        text(range.since),
        text(range.until)
    );
    let data: HistoryOrdersData = client.query(
        &queries::history_orders(),
        json!({"query": search, "after": cursor}),
    )?;
    let mut events = Vec::new();
    for order in &data.orders.nodes {
        events.push(order_event(&order.legacy_resource_id, &order.updated_at)?);
        for refund in refunds(&mut client, order)? {
            events.push(refund_event(&refund)?);
        }
    }
    let page = data.orders.page_info;
    if page.has_next_page && page.end_cursor.is_none() {
        return Err(PluginError::transient(
            "Shopify said more orders follow but gave no cursor",
        ));
    }
    Ok(PollResult {
        events,
        cursor: page.end_cursor.or(cursor),
        more: page.has_next_page,
    })
}

/// Refuses a range Shopify would list only in part: one that starts more than [`RECENT_DAYS`]
/// days before `now`, for an app without `read_all_orders`.
fn check_reach(
    client: &mut Client,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), PluginError> {
    let earliest = now - TimeDelta::days(RECENT_DAYS);
    if since >= earliest {
        return Ok(());
    }
    let data: AccessScopesData = client.query(queries::ACCESS_SCOPES, json!({}))?;
    let scopes = data.current_app_installation.access_scopes;
    if scopes.iter().any(|scope| scope.handle == ALL_ORDERS) {
        return Ok(());
    }
    // The first whole day within reach.
    let day = earliest.date_naive();
    let first_day = if earliest.time() == NaiveTime::MIN {
        day
    } else {
        day.succ_opt().unwrap_or(day)
    };
    Err(PluginError::rejected(format!(
        "Shopify lists only the last {RECENT_DAYS} days of orders to an app without the \
         {ALL_ORDERS} scope; backfill from {first_day} or later, or grant {ALL_ORDERS}"
    )))
}

/// Every refund of `order`: those the page listed, or, when it listed as many as it asked for
/// (there may be more), the order's refunds read alone.
fn refunds(client: &mut Client, order: &HistoryOrder) -> Result<Vec<RefundRef>, PluginError> {
    if order.refunds.len() < queries::HISTORY_REFUNDS as usize {
        return Ok(order.refunds.clone());
    }
    let data: OrderPartData<Vec<RefundRef>> = client.query(
        &queries::order_refunds(),
        json!({"id": ids::gid("Order", &order.legacy_resource_id)}),
    )?;
    let refunds = data
        .order
        .ok_or_else(|| {
            PluginError::transient(format!(
                "order {} vanished while its refunds were read",
                order.legacy_resource_id
            ))
        })?
        .part;
    if refunds.len() >= queries::LIST_LIMIT as usize {
        log::warn(
            "an order has as many refunds as Shopify lists at once; the history names those",
            &[("order", &order.legacy_resource_id)],
        );
    }
    Ok(refunds)
}

fn refund_event(refund: &RefundRef) -> Result<Event, PluginError> {
    let occurred_at = refund
        .created_at
        .as_deref()
        .map(|created_at| time(created_at, "a refund's createdAt"))
        .transpose()?;
    Ok(Event {
        key: format!("refund/{}", refund.legacy_resource_id),
        topic: REFUND_TOPIC.to_owned(),
        reference: refund.legacy_resource_id.clone(),
        occurred_at,
        payload: None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::fake_shop::{self, Sent};

    fn serve(answers: Vec<Value>) -> Sent {
        fake_shop::serve("2025-11-03T15:00:00Z", answers)
    }

    fn range(since: &str, until: &str) -> TimeRange {
        TimeRange {
            since: since.parse().unwrap(),
            until: until.parse().unwrap(),
        }
    }

    fn orders(nodes: Value, end_cursor: Option<&str>, has_next_page: bool) -> Value {
        json!({"orders": {"nodes": nodes,
            "pageInfo": {"hasNextPage": has_next_page, "endCursor": end_cursor}}})
    }

    fn refund(id: u64, created_at: &str) -> Value {
        json!({"legacyResourceId": id.to_string(), "createdAt": created_at})
    }

    /// (key, topic, reference, occurred_at) of each event.
    fn described(result: &PollResult) -> Vec<(String, String, String, String)> {
        result
            .events
            .iter()
            .map(|event| {
                (
                    event.key.clone(),
                    event.topic.clone(),
                    event.reference.clone(),
                    event.occurred_at.map(text).unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn a_page_of_orders_becomes_the_polls_events_and_one_per_refund() {
        let sent = serve(vec![
            orders(
                json!([
                    {"legacyResourceId": "5821001234567890130", "updatedAt": "2025-11-01T10:00:00Z",
                     "refunds": [refund(5821001234567890140, "2025-11-01T09:59:00Z")]},
                    {"legacyResourceId": "5821001234567890131", "updatedAt": "2025-11-02T08:00:00Z",
                     "refunds": []}
                ]),
                Some("Y3Vyc29yOjk5"),
                true,
            ),
            orders(json!([]), None, false),
        ]);
        let range = range("2025-11-01T00:00:00Z", "2025-11-03T00:00:00Z");
        let first = history(&range, None).unwrap();
        assert_eq!(
            described(&first),
            [
                (
                    "order/5821001234567890130/2025-11-01T10:00:00Z".into(),
                    "orders/updated".into(),
                    "5821001234567890130".into(),
                    "2025-11-01T10:00:00Z".into()
                ),
                (
                    "refund/5821001234567890140".into(),
                    "refunds/create".into(),
                    "5821001234567890140".into(),
                    "2025-11-01T09:59:00Z".into()
                ),
                (
                    "order/5821001234567890131/2025-11-02T08:00:00Z".into(),
                    "orders/updated".into(),
                    "5821001234567890131".into(),
                    "2025-11-02T08:00:00Z".into()
                ),
            ]
        );
        assert_eq!(
            first.events[0],
            order_event("5821001234567890130", "2025-11-01T10:00:00Z").unwrap(),
            "as the poll makes it"
        );
        assert!(first.events.iter().all(|event| event.payload.is_none()));
        assert_eq!(first.cursor.as_deref(), Some("Y3Vyc29yOjk5"));
        assert!(first.more);

        let last = history(&range, first.cursor).unwrap();
        assert!(last.events.is_empty());
        assert!(!last.more);
        let sent = sent.borrow();
        assert_eq!(
            *sent,
            [
                (
                    "HistoryOrders".into(),
                    json!({"query": "updated_at:>='2025-11-01T00:00:00Z' AND updated_at:<'2025-11-03T00:00:00Z'",
                           "after": null})
                ),
                (
                    "HistoryOrders".into(),
                    json!({"query": "updated_at:>='2025-11-01T00:00:00Z' AND updated_at:<'2025-11-03T00:00:00Z'",
                           "after": "Y3Vyc29yOjk5"})
                ),
            ],
            "within 60 days: no scope check"
        );
    }

    #[test]
    fn an_order_listing_as_many_refunds_as_asked_is_read_for_all() {
        let five: Vec<Value> = (1..=5).map(|n| refund(n, "2025-11-01T09:00:00Z")).collect();
        let six: Vec<Value> = (1..=6).map(|n| refund(n, "2025-11-01T09:00:00Z")).collect();
        let sent = serve(vec![
            orders(
                json!([{"legacyResourceId": "7", "updatedAt": "2025-11-01T10:00:00Z",
                        "refunds": five}]),
                Some("c"),
                false,
            ),
            json!({"order": {"updatedAt": "2025-11-01T10:00:00Z", "part": six}}),
        ]);
        let result = history(&range("2025-11-01T00:00:00Z", "2025-11-02T00:00:00Z"), None).unwrap();
        let refunds: Vec<&str> = result.events[1..]
            .iter()
            .map(|event| event.key.as_str())
            .collect();
        assert_eq!(
            refunds,
            [
                "refund/1", "refund/2", "refund/3", "refund/4", "refund/5", "refund/6"
            ]
        );
        assert_eq!(
            sent.borrow()[1],
            (
                "OrderRefunds".into(),
                json!({"id": "gid://shopify/Order/7"})
            )
        );
    }

    #[test]
    fn a_range_beyond_60_days_needs_read_all_orders() {
        let scopes = |handles: &[&str]| {
            let scopes: Vec<Value> = handles
                .iter()
                .map(|handle| json!({"handle": handle}))
                .collect();
            json!({"currentAppInstallation": {"accessScopes": scopes}})
        };
        let old = range("2025-08-01T00:00:00Z", "2025-09-01T00:00:00Z");
        let sent = serve(vec![scopes(&["read_orders"])]);
        assert_eq!(
            history(&old, None).unwrap_err(),
            PluginError::rejected(
                "Shopify lists only the last 60 days of orders to an app without the \
                 read_all_orders scope; backfill from 2025-09-05 or later, or grant read_all_orders"
            ),
            "60 days before 2025-11-03T15:00Z is 2025-09-04T15:00Z: the first whole day is the 5th"
        );
        assert_eq!(sent.borrow().len(), 1, "no order is listed");

        let sent = serve(vec![
            scopes(&["read_orders", "read_all_orders"]),
            orders(json!([]), None, false),
        ]);
        assert!(history(&old, None).unwrap().events.is_empty());
        assert_eq!(sent.borrow()[0].0, "AccessScopes");

        let sent = serve(vec![orders(json!([]), None, false)]);
        history(&old, Some("c".into())).unwrap();
        assert_eq!(
            sent.borrow()[0].0,
            "HistoryOrders",
            "checked before the first page only"
        );
    }
}
