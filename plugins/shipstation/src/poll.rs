//! `poll`: label shipments created, and labels voided, since the cursor ([`crate::cursor`]). The
//! fallback for webhooks that come late or never, and the only way to see voids (ShipStation fires
//! no webhook for them). The flow's `poll_interval` (e.g. `4h`) says how often; one call is one
//! poll.
//!
//! Two streams, each over its own window (`read_to − poll_overlap_minutes` to now):
//!
//! | stream | request | event per shipment |
//! | --- | --- | --- |
//! | shipments | `GET /shipments?createDateStart=…&createDateEnd=…` | key `shipment/<shipmentId>`, topic `SHIP_NOTIFY`, `occurred_at` its createDate |
//! | voids | `GET /shipments?voidDateStart=…&voidDateEnd=…` | key `void/<shipmentId>`, topic `SHIPMENT_VOIDED`, `occurred_at` its voidDate |
//!
//! Both with items, oldest first, 500 a page. Each event's reference is `shipment/<shipmentId>` and
//! its payload the shipment's V1 JSON as listed, so `fetch` reads nothing more from V1. The filters
//! are Pacific wall-clock times covering the window ([`crate::pacific`]). A shipment listed again
//! by the next window's overlap has the same key: the inbox keeps one.
//!
//! One call reads at most [`MAX_PAGES`] pages; a window with more stops between pages, keeps its
//! place in the cursor and says `more` (the host polls again at once). So does a call whose rate
//! limit wait runs out after it has read something; with nothing read yet, the call ends
//! `RateLimited`.

use ml_connector_sdk::chrono::{DateTime, Utc};
use ml_connector_sdk::{Event, PluginError, PollResult, clock};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::Client;
use crate::cursor::{Cursor, Stream, Window};
use crate::normalize;
use crate::pacific;
use crate::pointer::PAGE_SIZE;
use crate::settings::{self, Settings};
use crate::topics::{SHIP_NOTIFY, SHIPMENT_VOIDED};
use crate::wire::Page;

/// The most pages one poll reads.
pub const MAX_PAGES: u32 = 8;

/// The two streams a poll (and a history) reads, named in a history's cursor as the poll's cursor
/// names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    #[serde(rename = "shipments")]
    Created,
    #[serde(rename = "voids")]
    Voided,
}

impl Kind {
    /// The list request of page `window.page` of `window`.
    pub fn query(self, window: &Window) -> String {
        let filter = match self {
            Self::Created => "createDate",
            Self::Voided => "voidDate",
        };
        format!(
            "/shipments?{filter}Start={}&{filter}End={}&includeShipmentItems=true\
             &sortBy=CreateDate&sortDir=ASC&pageSize={PAGE_SIZE}&page={}",
            encode(&pacific::filter_start(window.start)),
            encode(&pacific::filter_end(window.end)),
            window.page
        )
    }

    /// The event of a listed shipment: its creation, or its void.
    pub fn event(self, raw: Value) -> Result<Event, PluginError> {
        let id = normalize::id(&raw["shipmentId"])
            .ok_or_else(|| PluginError::rejected("a listed shipment has no shipmentId"))?;
        let (prefix, topic, field) = match self {
            Self::Created => ("shipment", SHIP_NOTIFY, "createDate"),
            Self::Voided => ("void", SHIPMENT_VOIDED, "voidDate"),
        };
        let occurred_at = raw[field].as_str().map(pacific::parse_time).transpose()?;
        Ok(Event {
            key: format!("{prefix}/{id}"),
            topic: topic.to_owned(),
            reference: format!("shipment/{id}"),
            occurred_at,
            payload: Some(raw.to_string()),
        })
    }
}

pub fn poll(cursor: Option<String>) -> Result<PollResult, PluginError> {
    let now = clock::now();
    let mut cursor = Cursor::parse(cursor.as_deref(), now, settings::poll_lookback()?)?;
    let overlap = settings::poll_overlap()?;
    let mut client = Client::new(Settings::load()?);
    let mut reading = Reading {
        now,
        overlap,
        pages_left: MAX_PAGES,
        pages_read: 0,
        events: Vec::new(),
        more: false,
    };
    reading.stream(&mut client, Kind::Created, &mut cursor.shipments)?;
    reading.stream(&mut client, Kind::Voided, &mut cursor.voids)?;
    Ok(PollResult {
        events: reading.events,
        cursor: Some(cursor.text()),
        more: reading.more,
    })
}

/// One poll's progress over its streams.
struct Reading {
    now: DateTime<Utc>,
    overlap: ml_connector_sdk::chrono::TimeDelta,
    pages_left: u32,
    pages_read: u32,
    events: Vec<Event>,
    more: bool,
}

impl Reading {
    /// Reads `stream`'s window page by page while the call's pages and rate-limit waits last.
    fn stream(
        &mut self,
        client: &mut Client,
        kind: Kind,
        stream: &mut Stream,
    ) -> Result<(), PluginError> {
        let mut window = stream.window(self.now, self.overlap);
        loop {
            if self.pages_left == 0 || self.more {
                stream.pause(window);
                self.more = true;
                return Ok(());
            }
            let page: Page = match client.v1(&kind.query(&window)) {
                Ok(page) => page,
                Err(PluginError::RateLimited { .. }) if self.pages_read > 0 => {
                    stream.pause(window);
                    self.more = true;
                    return Ok(());
                }
                Err(error) => return Err(error),
            };
            self.pages_left -= 1;
            self.pages_read += 1;
            for raw in page.records {
                self.events.push(kind.event(raw)?);
            }
            if window.page >= page.pages {
                stream.finish(&window);
                return Ok(());
            }
            window.page += 1;
        }
    }
}

/// Percent-encodes a filter value (`2024-11-20 10:00:00` → `2024-11-20%2010:00:00`).
fn encode(value: &str) -> String {
    value.replace(' ', "%20")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;
    use serde_json::json;

    use super::*;

    const NOW: &str = "2024-11-20T18:00:00Z";

    fn shipment(id: u64, created: &str, void_date: Option<&str>) -> Value {
        json!({"shipmentId": id, "createDate": created, "shipDate": "2024-11-20",
            "shipmentCost": serde_json::from_str::<Value>("8.45").unwrap(),
            "voided": void_date.is_some(), "voidDate": void_date})
    }

    fn page(shipments: Vec<Value>, page: u64, pages: u64) -> (u16, Value) {
        (
            200,
            json!({"shipments": shipments, "total": shipments.len(), "page": page, "pages": pages}),
        )
    }

    /// Answers in turn; records each URL (its path and query).
    fn serve(answers: Vec<(u16, Value)>) -> Rc<RefCell<Vec<String>>> {
        testing::reset();
        testing::set_now(NOW.parse().unwrap());
        testing::set_secrets([("api_key", "k"), ("api_secret", "s")]);
        testing::set_config([("base_url", "http://ss")]);
        let urls = Rc::new(RefCell::new(Vec::new()));
        let seen = urls.clone();
        let mut answers = VecDeque::from(answers);
        testing::set_http_handler(move |request| {
            seen.borrow_mut()
                .push(request.url.trim_start_matches("http://ss").to_owned());
            let (status, body) = answers.pop_front().expect("an answer left");
            let headers = match status {
                429 => vec![
                    ("X-Rate-Limit-Limit".into(), "40".into()),
                    ("X-Rate-Limit-Remaining".into(), "0".into()),
                    ("X-Rate-Limit-Reset".into(), "59".into()),
                ],
                _ => Vec::new(),
            };
            Ok(Response {
                status,
                headers,
                body: body.to_string().into_bytes(),
            })
        });
        urls
    }

    #[test]
    fn both_streams_become_keyed_events_and_the_cursor_moves() {
        let urls = serve(vec![
            page(
                vec![
                    shipment(5, "2024-11-20T09:00:00.0000000", None),
                    shipment(
                        6,
                        "2024-11-20T09:30:00.0000000",
                        Some("2024-11-20T09:45:00.0000000"),
                    ),
                ],
                1,
                1,
            ),
            page(
                vec![shipment(
                    6,
                    "2024-11-20T09:30:00.0000000",
                    Some("2024-11-20T09:45:00.0000000"),
                )],
                1,
                1,
            ),
        ]);
        let result = poll(None).unwrap();
        assert_eq!(
            *urls.borrow(),
            [
                "/shipments?createDateStart=2024-11-19%2009:00:00&createDateEnd=2024-11-20%2010:00:00\
                 &includeShipmentItems=true&sortBy=CreateDate&sortDir=ASC&pageSize=500&page=1",
                "/shipments?voidDateStart=2024-11-19%2009:00:00&voidDateEnd=2024-11-20%2010:00:00\
                 &includeShipmentItems=true&sortBy=CreateDate&sortDir=ASC&pageSize=500&page=1",
            ],
            "24 h back and the hour of overlap, in Pacific wall-clock time"
        );
        let keys: Vec<(&str, &str, &str)> = result
            .events
            .iter()
            .map(|event| {
                (
                    event.key.as_str(),
                    event.topic.as_str(),
                    event.reference.as_str(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("shipment/5", "SHIP_NOTIFY", "shipment/5"),
                ("shipment/6", "SHIP_NOTIFY", "shipment/6"),
                ("void/6", "SHIPMENT_VOIDED", "shipment/6"),
            ]
        );
        assert_eq!(
            result.events[0].occurred_at,
            Some("2024-11-20T17:00:00Z".parse().unwrap())
        );
        assert_eq!(
            result.events[2].occurred_at,
            Some("2024-11-20T17:45:00Z".parse().unwrap())
        );
        let payload: Value = result.events[0].payload_json().unwrap().unwrap();
        assert_eq!(
            payload["shipmentCost"].to_string(),
            "8.45",
            "the listed JSON, digit for digit"
        );
        assert_eq!(
            result.cursor.as_deref(),
            Some(
                r#"{"shipments":{"read_to":"2024-11-20T18:00:00Z"},"voids":{"read_to":"2024-11-20T18:00:00Z"}}"#
            )
        );
        assert!(!result.more);

        let urls = {
            let cursor = result.cursor.clone();
            let urls = serve(vec![page(Vec::new(), 1, 0), page(Vec::new(), 1, 0)]);
            testing::set_now("2024-11-20T22:00:00Z".parse().unwrap());
            let next = poll(cursor).unwrap();
            assert!(next.events.is_empty());
            assert_eq!(
                next.cursor.as_deref(),
                Some(
                    r#"{"shipments":{"read_to":"2024-11-20T22:00:00Z"},"voids":{"read_to":"2024-11-20T22:00:00Z"}}"#
                )
            );
            urls
        };
        assert!(
            urls.borrow()[0].starts_with(
                "/shipments?createDateStart=2024-11-20%2009:00:00&createDateEnd=2024-11-20%2014:00:00"
            ),
            "from the last read_to less an hour: {:?}",
            urls.borrow()
        );
    }

    #[test]
    fn a_window_of_many_pages_is_read_over_several_polls() {
        let full = |n: u64| {
            page(
                vec![shipment(n, "2024-11-20T09:00:00.0000000", None)],
                n,
                10,
            )
        };
        let urls = serve((1..=10).map(full).chain([page(Vec::new(), 1, 0)]).collect());
        let first = poll(None).unwrap();
        assert_eq!(first.events.len(), MAX_PAGES as usize);
        assert!(first.more);
        let cursor: Value = serde_json::from_str(first.cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor["shipments"]["pending"]["page"], 9);
        assert_eq!(
            cursor["shipments"]["read_to"], "2024-11-19T18:00:00Z",
            "not read to the end"
        );
        assert_eq!(cursor["voids"]["pending"]["page"], 1, "not started");

        let second = poll(first.cursor).unwrap();
        assert_eq!(second.events.len(), 2);
        assert!(!second.more);
        let cursor: Value = serde_json::from_str(second.cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor["shipments"], json!({"read_to": NOW}));
        assert_eq!(cursor["voids"], json!({"read_to": NOW}));
        let urls = urls.borrow();
        assert!(urls[8].ends_with("&page=9") && urls[8].contains("createDateStart"));
        assert!(urls[10].contains("voidDateStart") && urls[10].ends_with("&page=1"));
    }

    #[test]
    fn a_rate_limit_after_some_pages_keeps_them_and_before_any_fails() {
        let throttled = || (429, json!({"message": "Too Many Requests"}));
        serve(vec![
            page(vec![shipment(5, "2024-11-20T09:00:00.0000000", None)], 1, 2),
            throttled(),
        ]);
        let result = poll(None).unwrap();
        assert_eq!(result.events.len(), 1);
        assert!(result.more);
        let cursor: Value = serde_json::from_str(result.cursor.as_deref().unwrap()).unwrap();
        assert_eq!(cursor["shipments"]["pending"]["page"], 2);

        serve(vec![throttled()]);
        assert!(matches!(poll(None), Err(PluginError::RateLimited { .. })));
    }
}
