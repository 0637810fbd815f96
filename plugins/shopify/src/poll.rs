//! `poll`: orders updated since the cursor, oldest first, as `orders/updated` events.
//!
//! The cursor is the `updatedAt` (RFC 3339, UTC) of the newest order seen; without one the poll
//! starts [`LOOKBACK_HOURS`] back on the host clock (webhooks can be a day late). One call reads one
//! page of [`crate::queries::POLL_PAGE`] orders with `updated_at:>='<cursor>'`, sorted by
//! `UPDATED_AT`, and says `more` when another page waits. The search includes the cursor's own
//! second, so orders sharing it with a page boundary are not lost; the repeats have the same keys,
//! `order/<id>/<updatedAt>`, and the inbox drops them. (A page whose orders all share the cursor's
//! second cannot move the cursor: the poll then stops there, logs it, and the next poll sees the
//! first page again.)

use ml_connector_sdk::chrono::TimeDelta;
use ml_connector_sdk::{Event, PluginError, PollResult, clock, log};
use serde_json::json;

use crate::graphql::Client;
use crate::queries;
use crate::settings::Settings;
use crate::times::{parse as time, text};
use crate::topics::POLLED_TOPIC;
use crate::wire::UpdatedOrdersData;

/// How far back the first poll looks.
const LOOKBACK_HOURS: i64 = 24;

pub fn poll(cursor: Option<String>) -> Result<PollResult, PluginError> {
    let since = match cursor.as_deref() {
        Some(cursor) => time(cursor, "the poll cursor")?,
        None => clock::now() - TimeDelta::hours(LOOKBACK_HOURS),
    };
    let mut client = Client::new(Settings::load()?);
    let search = format!("updated_at:>='{}'", text(since));
    let data: UpdatedOrdersData =
        client.query(&queries::updated_orders(), json!({ "query": search }))?;
    let events = data
        .orders
        .nodes
        .iter()
        .map(|order| order_event(&order.legacy_resource_id, &order.updated_at))
        .collect::<Result<Vec<_>, _>>()?;
    let newest = match events.last() {
        Some(event) => event.occurred_at.unwrap_or(since),
        None => since,
    };
    let stuck = data.orders.page_info.has_next_page && newest <= since;
    if stuck {
        log::warn(
            "a whole page of orders shares the cursor's updated_at; the poll cannot move past it",
            &[("cursor", &text(since))],
        );
    }
    Ok(PollResult {
        events,
        cursor: Some(text(newest)),
        more: data.orders.page_info.has_next_page && !stuck,
    })
}

/// The `orders/updated` event of order `id` as it was at `updated_at` (its `updatedAt`): the
/// poll's, and the history's.
pub fn order_event(id: &str, updated_at: &str) -> Result<Event, PluginError> {
    let updated_at = time(updated_at, "an order's updatedAt")?;
    Ok(Event {
        key: format!("order/{id}/{}", text(updated_at)),
        topic: POLLED_TOPIC.to_owned(),
        reference: id.to_owned(),
        occurred_at: Some(updated_at),
        payload: None,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;
    use serde_json::Value;

    use super::*;

    /// Answers every query with `orders` and records the search of each.
    fn serve(orders: Value, has_next_page: bool) -> Rc<RefCell<Vec<String>>> {
        testing::reset();
        testing::set_now("2025-11-03T15:00:00Z".parse().unwrap());
        testing::set_config([("base_url", "http://shop")]);
        testing::set_secrets([("access_token", "a1")]);
        let searches = Rc::new(RefCell::new(Vec::new()));
        let log = searches.clone();
        testing::set_http_handler(move |request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            log.borrow_mut()
                .push(body["variables"]["query"].as_str().unwrap().to_owned());
            let answer = json!({"data": {"orders": {"nodes": orders.clone(),
                "pageInfo": {"hasNextPage": has_next_page}}}});
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: answer.to_string().into_bytes(),
            })
        });
        searches
    }

    #[test]
    fn updated_orders_become_keyed_events_and_the_cursor_moves() {
        let searches = serve(
            json!([
                {"legacyResourceId": "5821001234567890130", "updatedAt": "2025-11-03T14:00:00Z"},
                {"legacyResourceId": "5821001234567890131", "updatedAt": "2025-11-03T14:30:00Z"}
            ]),
            true,
        );
        let result = poll(None).unwrap();
        assert_eq!(searches.borrow()[0], "updated_at:>='2025-11-02T15:00:00Z'");
        let keys: Vec<&str> = result.events.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "order/5821001234567890130/2025-11-03T14:00:00Z",
                "order/5821001234567890131/2025-11-03T14:30:00Z"
            ]
        );
        assert_eq!(result.events[0].topic, "orders/updated");
        assert_eq!(result.events[0].reference, "5821001234567890130");
        assert_eq!(result.cursor.as_deref(), Some("2025-11-03T14:30:00Z"));
        assert!(result.more);
    }

    #[test]
    fn nothing_new_keeps_the_cursor_and_a_stuck_page_stops() {
        serve(json!([]), false);
        let result = poll(Some("2025-11-03T14:30:00Z".into())).unwrap();
        assert!(result.events.is_empty());
        assert_eq!(result.cursor.as_deref(), Some("2025-11-03T14:30:00Z"));
        assert!(!result.more);

        serve(
            json!([{"legacyResourceId": "1", "updatedAt": "2025-11-03T14:30:00Z"}]),
            true,
        );
        let result = poll(Some("2025-11-03T14:30:00Z".into())).unwrap();
        assert!(!result.more);
        assert!(matches!(
            poll(Some("yesterday".into())),
            Err(PluginError::Rejected { .. })
        ));
    }
}
