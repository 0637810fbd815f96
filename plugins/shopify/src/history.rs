//! `history`: the orders changed in a range, oldest change first, for a backfill or a
//! reconciliation, read with one bulk query ([`crate::bulk`]) of the orders with
//! `updated_at:>='<since>' AND updated_at:<'<until>'`, sorted by `UPDATED_AT`.
//!
//! | call | cursor in | does | events | cursor out, `more` |
//! | --- | --- | --- | --- | --- |
//! | first | none | starts the bulk query | none | `{"bulk": id, "checks": 0}`, true |
//! | while it runs | `{"bulk", "checks": n}` | waits for it on the host clock, [`WAIT_MS`] at most | none | `checks` n + 1, true |
//! | once it completed | `{"bulk", "offset": b}` (or `checks`: from 0) | reads [`PAGE`] orders of its file from byte b | the orders' | the next order's byte, true until the file's end |
//!
//! The cursor changes on every call (the host stops a history whose cursor does not). An
//! operation that completed with no object is an empty range.
//!
//! Each order becomes the `orders/updated` event the poll makes of it
//! ([`crate::poll::order_event`]: key `order/<id>/<updatedAt>`), followed by a `refunds/create`
//! event per refund listed on it, keyed `refund/<refund id>`, reference the refund id,
//! `occurred_at` its `createdAt`; each carries the order as the bulk query read it
//! ([`BulkOrder`]), so `fetch` makes the order's entities without a query (and reads only a
//! refund's own lines by its id).
//!
//! Shopify lists orders created in the last [`RECENT_DAYS`] days only, unless the app has the
//! `read_all_orders` scope. So before the bulk query of a range that starts earlier than that (on
//! the host clock) the app's scopes are read, and without that scope the history is `Rejected`
//! with the first day it can start from: Shopify would leave the older orders out without a word.
//! (The same holds for an order created earlier than that and changed in the range: only the scope
//! lists it.)

use std::time::Duration;

use ml_connector_sdk::chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use ml_connector_sdk::{Event, PluginError, PollResult, TimeRange, clock};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::bulk::{self, File, State};
use crate::bulk_orders::{self, BulkOrder};
use crate::graphql::Client;
use crate::poll::order_event;
use crate::queries;
use crate::settings::Settings;
use crate::times::{parse as time, text};
use crate::topics::REFUND_TOPIC;
use crate::wire::{AccessScopesData, RefundSummary};

/// How far back Shopify lists orders to an app without `read_all_orders`.
pub const RECENT_DAYS: i64 = 60;

/// Orders per page.
pub const PAGE: usize = 250;

/// The longest one call waits for the bulk query, in all (the host's budget for a call is 60 s).
pub const WAIT_MS: u64 = 20_000;

/// The first wait between two looks at a running bulk query; each next one is twice as long.
const FIRST_WAIT_MS: u64 = 500;

/// The scope that lists older orders.
const ALL_ORDERS: &str = "read_all_orders";

/// Where a history is: its bulk operation, and how often it was found running or how far its
/// file has been read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cursor {
    bulk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checks: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
}

impl Cursor {
    fn parse(text: &str) -> Result<Self, PluginError> {
        serde_json::from_str(text).map_err(|_| {
            PluginError::rejected(format!(
                "the history cursor `{text}` names no bulk operation (a cursor of an older \
                 shopify connector?); start the backfill again"
            ))
        })
    }

    fn text(&self) -> String {
        serde_json::to_string(self).expect("a cursor is JSON")
    }
}

pub fn history(range: &TimeRange, cursor: Option<String>) -> Result<PollResult, PluginError> {
    let mut client = Client::new(Settings::load()?);
    let Some(cursor) = cursor else {
        check_reach(&mut client, range.since, clock::now())?;
        let search = format!(
            "updated_at:>='{}' AND updated_at:<'{}'",
            text(range.since),
            text(range.until)
        );
        let bulk = bulk::start(&mut client, &queries::bulk_orders(&search))?;
        return Ok(nothing_yet(Cursor {
            bulk,
            checks: Some(0),
            offset: None,
        }));
    };
    let cursor = Cursor::parse(&cursor)?;
    let file = match completed(&mut client, &cursor.bulk)? {
        State::Running => {
            let checks = cursor.checks.unwrap_or_default() + 1;
            return Ok(nothing_yet(Cursor {
                checks: Some(checks),
                ..cursor
            }));
        }
        State::Completed(None) => {
            return Ok(PollResult {
                events: Vec::new(),
                cursor: Some(cursor.text()),
                more: false,
            });
        }
        State::Completed(Some(file)) => file,
    };
    read_page(&file, cursor.bulk, cursor.offset.unwrap_or(0))
}

/// No events yet, more to come, at `cursor`.
fn nothing_yet(cursor: Cursor) -> PollResult {
    PollResult {
        events: Vec::new(),
        cursor: Some(cursor.text()),
        more: true,
    }
}

/// The operation `gid`, waited for up to [`WAIT_MS`] while it runs.
fn completed(client: &mut Client, gid: &str) -> Result<State, PluginError> {
    let mut waited = 0;
    let mut wait = FIRST_WAIT_MS;
    loop {
        let state = bulk::status(client, gid)?;
        if state != State::Running || waited + wait > WAIT_MS {
            return Ok(state);
        }
        clock::sleep(Duration::from_millis(wait));
        waited += wait;
        wait *= 2;
    }
}

/// The events of the [`PAGE`] orders of `file` from byte `offset`.
fn read_page(file: &File, bulk: String, offset: u64) -> Result<PollResult, PluginError> {
    let part = if offset < file.size {
        bulk::read(file, offset)?
    } else {
        Vec::new()
    };
    let at_end = offset + part.len() as u64 >= file.size;
    let page = bulk_orders::page(&part, offset, at_end, PAGE)?;
    let mut events = Vec::new();
    for (record, order) in page.orders {
        let payload = serde_json::to_string(&BulkOrder { bulk_order: record })
            .map_err(|error| PluginError::rejected(format!("an order does not write: {error}")))?;
        let mut event = order_event(&order.legacy_resource_id, &order.updated_at)?;
        event.payload = Some(payload.clone());
        events.push(event);
        for refund in &order.refunds {
            events.push(refund_event(refund, &payload)?);
        }
    }
    Ok(PollResult {
        events,
        cursor: Some(
            Cursor {
                bulk,
                checks: None,
                offset: Some(page.next_offset),
            }
            .text(),
        ),
        more: page.next_offset < file.size,
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

fn refund_event(refund: &RefundSummary, payload: &str) -> Result<Event, PluginError> {
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
        payload: Some(payload.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::bulk_orders::tests::{file_of, order};
    use crate::fake_shop::{self, Sent};

    const OPERATION: &str = "gid://shopify/BulkOperation/5821001234567890200";

    fn serve(answers: Vec<Value>) -> Sent {
        fake_shop::serve("2025-11-03T15:00:00Z", answers)
    }

    fn range(since: &str, until: &str) -> TimeRange {
        TimeRange {
            since: since.parse().unwrap(),
            until: until.parse().unwrap(),
        }
    }

    fn november() -> TimeRange {
        range("2025-11-01T00:00:00Z", "2025-11-03T00:00:00Z")
    }

    fn started() -> Value {
        json!({"bulkOperationRunQuery": {"bulkOperation": {"id": OPERATION, "status": "CREATED"},
                                         "userErrors": []}})
    }

    fn status(status: &str, objects: u64, file: Option<&[u8]>) -> Value {
        json!({"node": {"status": status, "errorCode": null, "objectCount": objects.to_string(),
                        "fileSize": file.map(|file| file.len().to_string()),
                        "url": file.map(|_| "https://storage.googleapis.com/bulk/result.jsonl?sig=1")}})
    }

    fn cursor(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    #[test]
    fn the_first_call_starts_the_bulk_query_of_the_range() {
        let sent = serve(vec![started()]);
        let first = history(&november(), None).unwrap();
        assert!(first.events.is_empty());
        assert!(first.more);
        assert_eq!(
            first.cursor,
            cursor(&format!(r#"{{"bulk":"{OPERATION}","checks":0}}"#))
        );
        let search = "updated_at:>='2025-11-01T00:00:00Z' AND updated_at:<'2025-11-03T00:00:00Z'";
        assert_eq!(
            *sent.borrow(),
            [(
                "RunBulkQuery".into(),
                json!({"query": queries::bulk_orders(search)})
            )],
            "within 60 days: no scope check"
        );

        let busy = json!({"bulkOperationRunQuery": {"bulkOperation": null, "userErrors": [
            {"field": ["query"], "code": "OPERATION_IN_PROGRESS",
             "message": "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/1."}]}});
        serve(vec![busy]);
        assert!(matches!(
            history(&november(), None),
            Err(PluginError::Transient(_))
        ));
    }

    #[test]
    fn a_running_query_is_waited_for_on_the_host_clock_then_the_cursor_moves_on() {
        let sent = serve(vec![status("RUNNING", 0, None); 6]);
        let waiting = cursor(&format!(r#"{{"bulk":"{OPERATION}","checks":0}}"#));
        let before = clock::now();
        let next = history(&november(), waiting).unwrap();
        assert_eq!(
            next.cursor,
            cursor(&format!(r#"{{"bulk":"{OPERATION}","checks":1}}"#))
        );
        assert!(next.more && next.events.is_empty());
        assert_eq!(
            sent.borrow().len(),
            6,
            "looked at after 0.5, 1, 2, 4 and 8 s"
        );
        assert_eq!((clock::now() - before).num_milliseconds(), 15_500);
        assert_eq!(
            sent.borrow()[0],
            ("BulkOperation".into(), json!({"id": OPERATION}))
        );
    }

    #[test]
    fn a_completed_query_is_read_a_page_at_a_time_each_order_with_its_refunds() {
        let file = file_of(&[order(1), order(2)]);
        let sent = fake_shop::serve_with_file(
            "2025-11-03T15:00:00Z",
            vec![
                status("RUNNING", 0, None),
                status("COMPLETED", 6, Some(&file)),
            ],
            file.clone(),
        );
        let waiting = cursor(&format!(r#"{{"bulk":"{OPERATION}","checks":3}}"#));
        let page = history(&november(), waiting).unwrap();
        let keys: Vec<(&str, &str)> = page
            .events
            .iter()
            .map(|event| (event.key.as_str(), event.topic.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                ("order/1/2025-11-03T15:00:01Z", "orders/updated"),
                ("refund/5821001234567890140", "refunds/create"),
                ("order/2/2025-11-03T15:00:01Z", "orders/updated"),
                ("refund/5821001234567890140", "refunds/create"),
            ]
        );
        let without_payload = Event {
            payload: None,
            ..page.events[0].clone()
        };
        assert_eq!(
            without_payload,
            order_event("1", "2025-11-03T15:00:01Z").unwrap(),
            "as the poll makes it"
        );
        let payload: Value =
            serde_json::from_str(page.events[1].payload.as_deref().unwrap()).unwrap();
        assert_eq!(payload["bulk_order"]["legacyResourceId"], "1");
        assert_eq!(
            page.events[1].occurred_at.map(text).as_deref(),
            Some("2025-11-04T10:00:00Z")
        );
        assert!(!page.more);
        assert_eq!(
            page.cursor,
            cursor(&format!(
                r#"{{"bulk":"{OPERATION}","offset":{}}}"#,
                file.len()
            ))
        );
        assert_eq!(
            sent.borrow()[2],
            ("GET".into(), json!(format!("bytes=0-{}", file.len() - 1)))
        );
    }

    #[test]
    fn nothing_found_ends_and_a_failed_query_is_an_error() {
        serve(vec![status("COMPLETED", 0, None)]);
        let waiting = cursor(&format!(r#"{{"bulk":"{OPERATION}","checks":0}}"#));
        let empty = history(&november(), waiting.clone()).unwrap();
        assert!(empty.events.is_empty() && !empty.more);

        let failed = json!({"node": {"status": "FAILED", "errorCode": "TIMEOUT",
            "objectCount": "12", "fileSize": null, "url": null}});
        serve(vec![failed]);
        assert_eq!(
            history(&november(), waiting).unwrap_err(),
            PluginError::transient(format!(
                "Shopify's bulk operation {OPERATION} ended FAILED (TIMEOUT); the history starts \
                 again with a new one"
            ))
        );
        serve(Vec::new());
        assert!(matches!(
            history(&november(), cursor("Y3Vyc29yOjk5")),
            Err(PluginError::Rejected { .. })
        ));
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
        assert_eq!(sent.borrow().len(), 1, "no bulk query is started");

        let sent = serve(vec![scopes(&["read_orders", "read_all_orders"]), started()]);
        assert!(history(&old, None).unwrap().events.is_empty());
        assert_eq!(sent.borrow()[0].0, "AccessScopes");
        assert_eq!(sent.borrow()[1].0, "RunBulkQuery");

        let sent = serve(vec![status("RUNNING", 0, None); 6]);
        history(
            &old,
            cursor(&format!(r#"{{"bulk":"{OPERATION}","checks":0}}"#)),
        )
        .unwrap();
        assert_eq!(
            sent.borrow()[0].0,
            "BulkOperation",
            "checked before the bulk query only"
        );
    }
}
