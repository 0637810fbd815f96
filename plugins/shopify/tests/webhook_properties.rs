//! Property tests of the Shopify webhook parser through the connector's `verify` export: signed
//! bodies of arbitrary bytes, generated JSON and mutations of real webhooks, and arbitrary headers,
//! never panic and give at most one event with a digits-only reference; a real webhook still
//! parses whatever its ids.
//!
//! The default case count keeps this to seconds in CI; set `PROPTEST_CASES` (proptest reads it
//! itself) to run longer, e.g. `PROPTEST_CASES=20000 cargo test -p shopify --test webhook_properties`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use ml_connector_sdk::{Connector, InboundRequest, VerifyError, testing};
use proptest::prelude::*;
use serde_json::{Map, Value};
use sha2::Sha256;
use shopify::Shopify;

const SECRET: &str = "sim-client-secret";
const TOPICS: [&str; 8] = [
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "refunds/create",
    "customers/create",
    "customers/update",
    "app/uninstalled",
];
const ORDER: &str = r##"{"id":5821001234567890130,"admin_graphql_api_id":"gid://shopify/Order/5821001234567890130","name":"#1001","total_price":"12.30","line_items":[{"id":1,"price":"12.30"}]}"##;
const REFUND: &str = r#"{"id":5821001234567890140,"order_id":5821001234567890130,"transactions":[{"amount":"5.00"}]}"#;

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(body);
    B64.encode(mac.finalize().into_bytes())
}

fn request(topic: &str, body: Vec<u8>, extra: Vec<(String, String)>) -> InboundRequest {
    testing::reset();
    testing::set_secrets([("webhook_secret", SECRET)]);
    let mut headers = vec![
        ("x-shopify-topic".to_owned(), topic.to_owned()),
        ("x-shopify-hmac-sha256".to_owned(), sign(&body)),
        (
            "x-shopify-shop-domain".to_owned(),
            "demo-shop.myshopify.com".to_owned(),
        ),
        ("x-shopify-api-version".to_owned(), "2025-10".to_owned()),
        ("x-shopify-webhook-id".to_owned(), "w-1".to_owned()),
    ];
    headers.extend(extra);
    InboundRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers,
        body,
    }
}

fn check(topic: &str, request: InboundRequest) -> Result<(), TestCaseError> {
    match Shopify::verify(request) {
        Ok(events) => {
            prop_assert!(events.len() <= 1);
            for event in events {
                prop_assert_eq!(event.topic.as_str(), topic);
                prop_assert!(
                    !event.reference.is_empty()
                        && event.reference.bytes().all(|b| b.is_ascii_digit()),
                    "reference {:?}",
                    event.reference
                );
            }
        }
        Err(VerifyError::Malformed(_) | VerifyError::Unauthorized(_)) => {}
    }
    Ok(())
}

fn topic() -> impl Strategy<Value = &'static str> {
    prop::sample::select(TOPICS.to_vec())
}

/// JSON values whose objects often carry the keys the parser reads.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|n| serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
        "[0-9]{1,25}".prop_map(|digits| serde_json::from_str(&digits).unwrap_or(Value::Null)),
        ".{0,16}".prop_map(Value::String),
        "gid://shopify/(Order|Refund|Customer|)/[0-9a-z/]{0,22}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(vec!["id", "admin_graphql_api_id", "order_id"])
                            .prop_map(str::to_owned),
                        ".{0,6}",
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One edit: cut a range, insert bytes, or overwrite a byte.
fn mutate(sample: &str, edits: &[(prop::sample::Index, prop::sample::Index, Vec<u8>)]) -> Vec<u8> {
    let mut bytes = sample.as_bytes().to_vec();
    for (a, b, inserted) in edits {
        let (a, b) = (a.index(bytes.len() + 1), b.index(bytes.len() + 1));
        let (from, to) = (a.min(b), a.max(b));
        bytes.splice(from..to.min(from + 4), inserted.iter().copied());
    }
    bytes
}

proptest! {
    #[test]
    fn signed_arbitrary_bytes_never_panic(topic in topic(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        check(topic, request(topic, body, Vec::new()))?;
    }

    #[test]
    fn signed_generated_json_never_panics(topic in topic(), body in json()) {
        check(topic, request(topic, body.to_string().into_bytes(), Vec::new()))?;
    }

    #[test]
    fn signed_mutations_of_real_webhooks_never_panic(
        topic in topic(),
        refund in any::<bool>(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 0..6)),
            1..5,
        ),
    ) {
        let sample = if refund { REFUND } else { ORDER };
        check(topic, request(topic, mutate(sample, &edits), Vec::new()))?;
    }

    #[test]
    fn arbitrary_headers_and_signatures_never_panic(
        topic in ".{0,20}",
        headers in prop::collection::vec((
            prop_oneof![
                prop::sample::select(vec![
                    "x-shopify-hmac-sha256", "x-shopify-event-id", "x-shopify-triggered-at",
                    "x-shopify-topic", "x-shopify-webhook-id",
                ]).prop_map(str::to_owned),
                ".{0,10}",
            ],
            ".{0,40}",
        ), 0..6),
    ) {
        let mut request = request(&topic, ORDER.as_bytes().to_vec(), Vec::new());
        // Headers placed first win over the signed ones, so forged signatures are tried too.
        request.headers.splice(0..0, headers);
        let _ = Shopify::verify(request);
    }

    #[test]
    fn a_real_webhook_still_parses_whatever_its_ids(
        id in 1u64..,
        event_id in "[A-Za-z0-9-]{1,36}",
        second in 0u32..60,
    ) {
        let body = ORDER.replace("5821001234567890130", &id.to_string());
        let triggered = format!("2025-11-03T15:00:{second:02}.000000000Z");
        let events = Shopify::verify(request("orders/paid", body.into_bytes(), vec![
            ("x-shopify-event-id".into(), event_id.clone()),
            ("x-shopify-triggered-at".into(), triggered.clone()),
        ]))
        .unwrap();
        prop_assert_eq!(events.len(), 1);
        prop_assert_eq!(&events[0].reference, &id.to_string());
        prop_assert_eq!(&events[0].key, &event_id);
        prop_assert_eq!(events[0].occurred_at, Some(triggered.parse().unwrap()));
    }
}
