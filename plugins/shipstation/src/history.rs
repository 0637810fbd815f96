//! `history`: the labels created, and the labels voided, in a range, for a backfill or a
//! reconciliation, as the poll's events ([`crate::poll::Kind`]): `SHIP_NOTIFY` keyed
//! `shipment/<shipmentId>` per label created, then `SHIPMENT_VOIDED` keyed `void/<shipmentId>` per
//! label voided, each with the listed shipment as payload.
//!
//! One page a call, the poll's request over the range instead of a window
//! (`GET /shipments?createDateStart=…&createDateEnd=…`, then `voidDateStart`/`voidDateEnd`, with
//! items, by create date, 500 a page), through the rate limiter the poll uses
//! ([`crate::ratelimit`]). The cursor says which stream and page come next:
//! `{"stream": "shipments", "page": 2}`, then `{"stream": "voids", "page": 1}`; `more` is false
//! after the last page of voids. The filters are Pacific wall-clock times that cover at least the
//! range ([`crate::pacific`]), so a label at its very edge may be listed too: its key is the one
//! the neighbouring range or the poll gives it, and the inbox keeps one.

use ml_connector_sdk::{PluginError, PollResult, TimeRange};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::cursor::Window;
use crate::poll::Kind;
use crate::settings::Settings;
use crate::wire::Page;

/// Where a history goes on: the stream and its page (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Place {
    stream: Kind,
    page: u64,
}

impl Place {
    const START: Self = Self {
        stream: Kind::Created,
        page: 1,
    };

    fn parse(cursor: Option<&str>) -> Result<Self, PluginError> {
        match cursor {
            None => Ok(Self::START),
            Some(text) => serde_json::from_str(text).map_err(|error| {
                PluginError::rejected(format!(
                    "the history cursor `{text}` is not this connector's: {error}"
                ))
            }),
        }
    }

    /// The place after this one, whose stream has `pages` pages; `None` after the last.
    fn next(self, pages: u64) -> Option<Self> {
        match self.stream {
            _ if self.page < pages => Some(Self {
                page: self.page + 1,
                ..self
            }),
            Kind::Created => Some(Self {
                stream: Kind::Voided,
                page: 1,
            }),
            Kind::Voided => None,
        }
    }

    fn text(self) -> String {
        serde_json::to_string(&self).expect("a place serialises")
    }
}

pub fn history(range: &TimeRange, cursor: Option<String>) -> Result<PollResult, PluginError> {
    let place = Place::parse(cursor.as_deref())?;
    let mut client = Client::new(Settings::load()?);
    let window = Window {
        start: range.since,
        end: range.until,
        page: place.page,
    };
    let page: Page = client.v1(&place.stream.query(&window))?;
    let events = page
        .records
        .into_iter()
        .map(|raw| place.stream.event(raw))
        .collect::<Result<Vec<_>, _>>()?;
    let next = place.next(page.pages);
    Ok(PollResult {
        events,
        cursor: Some(next.unwrap_or(place).text()),
        more: next.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;
    use serde_json::{Value, json};

    use super::*;

    fn shipment(id: u64, created: &str, void_date: Option<&str>) -> Value {
        json!({"shipmentId": id, "createDate": created, "shipDate": "2024-11-02",
            "shipmentCost": serde_json::from_str::<Value>("8.45").unwrap(),
            "voided": void_date.is_some(), "voidDate": void_date})
    }

    /// An HTTP status, body and headers.
    type Answer = (u16, Value, Vec<(String, String)>);

    fn page(shipments: Vec<Value>, page: u64, pages: u64) -> Answer {
        (
            200,
            json!({"shipments": shipments, "total": shipments.len(), "page": page, "pages": pages}),
            Vec::new(),
        )
    }

    /// Answers in turn; records each URL (its path and query).
    fn serve(answers: Vec<Answer>) -> Rc<RefCell<Vec<String>>> {
        testing::reset();
        testing::set_now("2024-11-20T18:00:00Z".parse().unwrap());
        testing::set_secrets([("api_key", "k"), ("api_secret", "s")]);
        testing::set_config([("base_url", "http://ss")]);
        let urls = Rc::new(RefCell::new(Vec::new()));
        let seen = urls.clone();
        let mut answers = VecDeque::from(answers);
        testing::set_http_handler(move |request| {
            seen.borrow_mut()
                .push(request.url.trim_start_matches("http://ss").to_owned());
            let (status, body, headers) = answers.pop_front().expect("an answer left");
            Ok(Response {
                status,
                headers,
                body: body.to_string().into_bytes(),
            })
        });
        urls
    }

    fn range() -> TimeRange {
        TimeRange {
            since: "2024-11-01T00:00:00Z".parse().unwrap(),
            until: "2024-11-08T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn shipments_then_voids_page_by_page_as_the_poll_makes_their_events() {
        let urls = serve(vec![
            page(vec![shipment(5, "2024-11-01T09:00:00.0000000", None)], 1, 2),
            page(
                vec![shipment(
                    6,
                    "2024-11-02T09:30:00.0000000",
                    Some("2024-11-03T09:45:00.0000000"),
                )],
                2,
                2,
            ),
            page(
                vec![shipment(
                    6,
                    "2024-11-02T09:30:00.0000000",
                    Some("2024-11-03T09:45:00.0000000"),
                )],
                1,
                1,
            ),
        ]);
        let mut cursor = None;
        let mut calls = Vec::new();
        loop {
            let result = history(&range(), cursor).unwrap();
            let keys: Vec<(String, String, String)> = result
                .events
                .iter()
                .map(|event| {
                    (
                        event.key.clone(),
                        event.topic.clone(),
                        event.reference.clone(),
                    )
                })
                .collect();
            calls.push((keys, result.cursor.clone().unwrap(), result.more));
            cursor = result.cursor;
            if !result.more {
                break;
            }
        }
        let event =
            |key: &str, topic: &str| (key.to_owned(), topic.to_owned(), "shipment/6".into());
        assert_eq!(
            calls,
            [
                (
                    vec![(
                        "shipment/5".to_owned(),
                        "SHIP_NOTIFY".to_owned(),
                        "shipment/5".to_owned()
                    )],
                    r#"{"stream":"shipments","page":2}"#.to_owned(),
                    true
                ),
                (
                    vec![event("shipment/6", "SHIP_NOTIFY")],
                    r#"{"stream":"voids","page":1}"#.to_owned(),
                    true
                ),
                (
                    vec![event("void/6", "SHIPMENT_VOIDED")],
                    r#"{"stream":"voids","page":1}"#.to_owned(),
                    false
                ),
            ]
        );
        assert_eq!(
            *urls.borrow(),
            [
                "/shipments?createDateStart=2024-10-31%2017:00:00&createDateEnd=2024-11-07%2016:00:00\
                 &includeShipmentItems=true&sortBy=CreateDate&sortDir=ASC&pageSize=500&page=1",
                "/shipments?createDateStart=2024-10-31%2017:00:00&createDateEnd=2024-11-07%2016:00:00\
                 &includeShipmentItems=true&sortBy=CreateDate&sortDir=ASC&pageSize=500&page=2",
                "/shipments?voidDateStart=2024-10-31%2017:00:00&voidDateEnd=2024-11-07%2016:00:00\
                 &includeShipmentItems=true&sortBy=CreateDate&sortDir=ASC&pageSize=500&page=1",
            ],
            "the range in Pacific wall-clock time, PDT before 2024-11-03, PST after"
        );
    }

    #[test]
    fn an_empty_stream_moves_on_and_a_foreign_cursor_is_refused() {
        serve(vec![page(Vec::new(), 1, 0)]);
        let result = history(&range(), None).unwrap();
        assert!(result.events.is_empty());
        assert_eq!(
            result.cursor.as_deref(),
            Some(r#"{"stream":"voids","page":1}"#)
        );
        assert!(result.more);
        assert!(matches!(
            history(&range(), Some(r#"{"shipments":{"read_to":"x"}}"#.into())),
            Err(PluginError::Rejected { .. })
        ));
    }

    #[test]
    fn the_rate_limit_is_waited_out_on_the_host_clock() {
        let spent = vec![
            ("X-Rate-Limit-Limit".to_owned(), "40".to_owned()),
            ("X-Rate-Limit-Remaining".to_owned(), "0".to_owned()),
            ("X-Rate-Limit-Reset".to_owned(), "30".to_owned()),
        ];
        let (status, body, _) = page(Vec::new(), 1, 2);
        serve(vec![
            (status, body, spent),
            page(vec![shipment(5, "2024-11-01T09:00:00.0000000", None)], 2, 2),
        ]);
        let before = ml_connector_sdk::clock::now();
        let first = history(&range(), None).unwrap();
        let second = history(&range(), first.cursor).unwrap();
        assert_eq!(second.events.len(), 1);
        assert!(
            ml_connector_sdk::clock::now() - before
                >= ml_connector_sdk::chrono::TimeDelta::seconds(30),
            "the spent window was waited out before the next page"
        );
    }
}
