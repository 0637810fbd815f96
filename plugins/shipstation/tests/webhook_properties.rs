//! Property tests of the ShipStation pointer-webhook parser (`webhook.rs`, `pointer.rs`) through
//! the connector's `verify` and `fetch` exports: arbitrary bodies, generated pointers whose URLs
//! mix ShipStation and foreign hosts, odd paths and queries, mutations of real webhooks, and
//! arbitrary token paths never panic; an accepted pointer is a plain `/shipments?…` or
//! `/fulfillments?…` reference that `fetch` takes back; a real webhook still parses.
//!
//! The default case count keeps this to seconds in CI; set `PROPTEST_CASES` (proptest reads it
//! itself) to run longer, e.g. `PROPTEST_CASES=20000 cargo test -p shipstation --test webhook_properties`.

use ml_connector_sdk::http::Response;
use ml_connector_sdk::{Connector, Event, InboundRequest, PluginError, VerifyError, testing};
use proptest::prelude::*;
use serde_json::json;
use shipstation::ShipStation;

const TOKEN: &str = "Zm9yLXRlc3RzLW9ubHk";
const BASE: &str = "http://127.0.0.1:4711";
const TYPES: [&str; 6] = [
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    "FULFILLMENT_REJECTED",
    "ORDER_NOTIFY",
    "",
];

fn request(path: &str, body: Vec<u8>) -> InboundRequest {
    testing::reset();
    testing::set_secrets([
        ("webhook_token", TOKEN),
        ("api_key", "k"),
        ("api_secret", "s"),
    ]);
    testing::set_config([("base_url", BASE)]);
    InboundRequest {
        method: "POST".into(),
        path: path.into(),
        query: String::new(),
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

fn token_path() -> String {
    format!("/{TOKEN}")
}

/// Verifies; an accepted pointer must be a plain reference that `fetch` parses back (it then
/// asks ShipStation, which answers 503 here).
fn check(request: InboundRequest) -> Result<(), TestCaseError> {
    let events = match ShipStation::verify(request) {
        Ok(events) => events,
        Err(VerifyError::Malformed(_) | VerifyError::Unauthorized(_)) => return Ok(()),
    };
    prop_assert!(events.len() <= 1);
    for event in events {
        let reference = event.reference.clone();
        prop_assert!(
            reference.starts_with("/shipments?") || reference.starts_with("/fulfillments?"),
            "reference {:?}",
            reference
        );
        prop_assert!(reference.is_ascii() && !reference.contains(['#', '@', ' ']));
        prop_assert_eq!(&event.key, &reference);
        testing::set_http_handler(|_| {
            Ok(Response {
                status: 503,
                headers: Vec::new(),
                body: b"down".to_vec(),
            })
        });
        let fetched = ShipStation::fetch(Event {
            payload: None,
            occurred_at: None,
            ..event
        });
        prop_assert!(
            matches!(
                fetched,
                Err(PluginError::Transient(_) | PluginError::RateLimited { .. })
            ),
            "fetch of {:?} gave {:?}",
            reference,
            fetched
        );
    }
    Ok(())
}

/// Resource URLs, weighted so that about half are real pointers and the rest differ in one or
/// more parts (origin, path, query, tail).
fn url() -> impl Strategy<Value = String> {
    let origin = prop_oneof![
        4 => Just(BASE.to_owned()),
        3 => "https://ssapi[0-9]{0,3}\\.shipstation\\.com",
        1 => "https?://[a-z0-9.@:-]{0,24}",
        1 => ".{0,12}",
        1 => Just("https://ssapi.shipstation.com.evil.example".to_owned()),
        1 => Just("http://127.0.0.1:4711@evil.example".to_owned()),
    ];
    let path = prop_oneof![
        6 => prop::sample::select(vec!["/shipments", "/fulfillments"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["/orders", "/", "", "/shipments/", "//shipments", "/SHIPMENTS"])
            .prop_map(str::to_owned),
        1 => "/[a-zA-Z%./]{0,16}",
    ];
    let pair = (
        prop_oneof![
            3 => prop::sample::select(vec!["batchId", "includeShipmentItems", "page", "pageSize", "orderId"]).prop_map(str::to_owned),
            1 => ".{0,6}",
        ],
        prop_oneof![12 => "[0-9]{1,10}", 1 => ".{0,8}", 3 => "[A-Za-z0-9%+:._~-]{0,12}"],
        prop_oneof![20 => Just("="), 1 => Just(""), 1 => Just("==")],
    )
        .prop_map(|(name, value, eq)| format!("{name}{eq}{value}"));
    let query = prop::collection::vec(pair, 0..4).prop_map(|pairs| pairs.join("&"));
    let tail = prop_oneof![6 => Just(""), 1 => prop::sample::select(vec!["#frag", "?", "&", " "])];
    (origin, path, prop::bool::weighted(0.9), query, tail).prop_map(
        |(origin, path, question, query, tail)| {
            let question = if question { "?" } else { "" };
            format!("{origin}{path}{question}{query}{tail}")
        },
    )
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        check(request(&token_path(), body))?;
    }

    #[test]
    fn generated_pointers_never_panic(
        url in url(),
        other_kind in prop::option::weighted(0.25, prop::sample::select(TYPES.to_vec())),
        extra in prop::option::of(".{0,8}"),
    ) {
        // Mostly the type the URL's path calls for, so that many pointers are accepted.
        let kind = other_kind.unwrap_or(match url.contains("/fulfillments") {
            true => "FULFILLMENT_SHIPPED",
            false => "SHIP_NOTIFY",
        });
        let mut body = json!({"resource_url": url, "resource_type": kind});
        if let Some(extra) = extra {
            body[extra] = json!(null);
        }
        check(request(&token_path(), body.to_string().into_bytes()))?;
    }

    #[test]
    fn mutations_of_a_real_webhook_never_panic(
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0usize..4, prop::collection::vec(any::<u8>(), 0..6)),
            1..5,
        ),
    ) {
        let mut body = json!({
            "resource_url": format!("{BASE}/shipments?batchId=42&includeShipmentItems=False"),
            "resource_type": "SHIP_NOTIFY",
        })
        .to_string()
        .into_bytes();
        for (at, cut, inserted) in edits {
            let at = at.index(body.len() + 1);
            let end = (at + cut).min(body.len());
            body.splice(at..end, inserted);
        }
        check(request(&token_path(), body))?;
    }

    #[test]
    fn arbitrary_token_paths_never_panic(path in ".{0,40}") {
        let body = json!({"resource_url": format!("{BASE}/shipments?batchId=1"), "resource_type": "SHIP_NOTIFY"});
        let accepted = ShipStation::verify(request(&path, body.to_string().into_bytes()));
        let trimmed = path.trim_end_matches('/');
        if trimmed != token_path() {
            prop_assert!(matches!(accepted, Err(VerifyError::Unauthorized(_))), "{:?}: {:?}", path, accepted);
        }
    }

    #[test]
    fn a_real_webhook_still_parses_whatever_its_batch(
        batch in 1u64..,
        shard in prop::option::of(0u32..100),
        fulfillment in any::<bool>(),
    ) {
        let origin = match shard {
            Some(shard) => format!("https://ssapi{shard}.shipstation.com"),
            None => BASE.to_owned(),
        };
        let (path, kind) = if fulfillment { ("/fulfillments", "FULFILLMENT_SHIPPED") } else { ("/shipments", "SHIP_NOTIFY") };
        let body = json!({
            "resource_url": format!("{origin}{path}?batchId={batch}&includeShipmentItems=False"),
            "resource_type": kind,
        });
        let events = ShipStation::verify(request(&token_path(), body.to_string().into_bytes())).unwrap();
        prop_assert_eq!(events.len(), 1);
        prop_assert_eq!(&events[0].reference, &format!("{path}?batchId={batch}"));
    }
}
