//! `verify`: a V1 pointer webhook into one event.
//!
//! 1. The path the host hands over (after `/webhooks/<connection>`) must be `/<token>` with the
//!    secret `webhook_token` ([`crate::token`]): a missing or wrong token, or no such secret, is
//!    `Unauthorized` (401), and nothing else is looked at.
//! 2. The body must be JSON `{"resource_url", "resource_type"}`: else `Malformed` (400).
//! 3. A `resource_type` the connector does not follow (ORDER_NOTIFY, ITEM_ORDER_NOTIFY,
//!    FULFILLMENT_REJECTED, …) gives no event: the host answers 200 and stores nothing.
//! 4. The `resource_url` must be on a ShipStation host ([`crate::pointer`]): another host is
//!    `Unauthorized` (the body cannot have come from ShipStation), an odd URL or one naming the
//!    wrong list for its type `Malformed`. Nothing is fetched here either way.
//!
//! The event: topic = `resource_type`; reference = the resource's path and filters
//! (`/shipments?batchId=…`), which `fetch` asks the configured `base_url` for; key = the same
//! reference, so a redelivered pointer, and the SHIP_NOTIFY and ITEM_SHIP_NOTIFY of one batch, are
//! one event in the inbox; no payload (fetch reads the resource); no `occurred_at` (the body has
//! no time).

use ml_connector_sdk::{Event, InboundRequest, VerifyError, log, secrets};
use serde::Deserialize;

use crate::pointer::{Pointer, PointerError};
use crate::{settings, token, topics};

/// A V1 webhook body.
#[derive(Debug, Deserialize)]
struct PointerBody {
    resource_url: String,
    resource_type: String,
}

pub fn verify(request: &InboundRequest) -> Result<Vec<Event>, VerifyError> {
    check_token(&request.path)?;
    let body: PointerBody = request.body_json().map_err(|error| {
        VerifyError::Malformed(format!(
            "the body is not a ShipStation webhook ({{\"resource_url\", \"resource_type\"}}): {error}"
        ))
    })?;
    let topic = body.resource_type.trim();
    let Some(resource) = topics::webhook_resource(topic) else {
        log::info("ignored a webhook event", &[("resource_type", topic)]);
        return Ok(Vec::new());
    };
    let pointer =
        Pointer::from_url(body.resource_url.trim(), &settings::base_url()).map_err(|error| {
            match error {
                PointerError::ForeignHost(why) => {
                    log::warn(
                        "refused a webhook pointing off ShipStation",
                        &[("why", &why)],
                    );
                    VerifyError::Unauthorized(why)
                }
                PointerError::Malformed(why) => VerifyError::Malformed(why),
            }
        })?;
    if pointer.resource != resource {
        return Err(VerifyError::Malformed(format!(
            "a {topic} webhook must point at {}, not {}",
            resource.path(),
            pointer.resource.path()
        )));
    }
    let reference = pointer.reference();
    Ok(vec![Event {
        key: reference.clone(),
        topic: topic.to_owned(),
        reference,
        occurred_at: None,
        payload: None,
    }])
}

fn check_token(path: &str) -> Result<(), VerifyError> {
    let expected = secrets::get("webhook_token")
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            VerifyError::Unauthorized("secret `webhook_token` is not configured".into())
        })?;
    let given = token::from_path(path).ok_or_else(|| {
        VerifyError::Unauthorized(
            "the webhook URL carries no token: subscribe /webhooks/<connection>/<webhook_token>"
                .into(),
        )
    })?;
    if !token::matches(given, &expected) {
        return Err(VerifyError::Unauthorized(
            "the webhook URL's token is not the connection's webhook_token".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    const TOKEN: &str = "Zm9yLXRlc3RzLW9ubHk";
    const BASE: &str = "http://127.0.0.1:4711";

    fn request(path: &str, body: &str) -> InboundRequest {
        testing::reset();
        testing::set_secrets([("webhook_token", TOKEN)]);
        testing::set_config([("base_url", BASE)]);
        InboundRequest {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    fn pointer(url: &str, kind: &str) -> String {
        serde_json::json!({"resource_url": url, "resource_type": kind}).to_string()
    }

    fn ship_notify(batch: u64, items: &str) -> String {
        pointer(
            &format!("{BASE}/shipments?batchId={batch}&includeShipmentItems={items}"),
            "SHIP_NOTIFY",
        )
    }

    #[test]
    fn a_pointer_with_the_token_is_one_event_keyed_by_its_resource() {
        let events = verify(&request(&format!("/{TOKEN}"), &ship_notify(42, "False"))).unwrap();
        assert_eq!(
            events,
            [Event {
                key: "/shipments?batchId=42".into(),
                topic: "SHIP_NOTIFY".into(),
                reference: "/shipments?batchId=42".into(),
                occurred_at: None,
                payload: None,
            }]
        );
        let items = pointer(
            &format!("{BASE}/shipments?batchId=42&includeShipmentItems=True"),
            "ITEM_SHIP_NOTIFY",
        );
        let again = verify(&request(&format!("/{TOKEN}/"), &items)).unwrap();
        assert_eq!(again[0].key, events[0].key, "one batch, one key");
        assert_eq!(again[0].topic, "ITEM_SHIP_NOTIFY");

        let shard = pointer(
            "https://ssapi11.shipstation.com/fulfillments?batchId=7",
            "FULFILLMENT_SHIPPED",
        );
        let events = verify(&request(&format!("/{TOKEN}"), &shard)).unwrap();
        assert_eq!(events[0].reference, "/fulfillments?batchId=7");
    }

    #[test]
    fn a_wrong_or_missing_token_is_unauthorized() {
        let body = ship_notify(42, "False");
        for path in [
            "/",
            "",
            "/nope",
            &format!("/{TOKEN}x"),
            &format!("/x/{TOKEN}"),
        ] {
            assert!(
                matches!(
                    verify(&request(path, &body)),
                    Err(VerifyError::Unauthorized(_))
                ),
                "{path:?}"
            );
        }
        let unconfigured = request(&format!("/{TOKEN}"), &body);
        testing::set_secrets([("api_key", "k")]);
        assert!(matches!(
            verify(&unconfigured),
            Err(VerifyError::Unauthorized(_))
        ));
        assert!(
            matches!(
                verify(&request("/nope", "{not json")),
                Err(VerifyError::Unauthorized(_))
            ),
            "the token is checked before the body is read"
        );
    }

    #[test]
    fn a_resource_on_another_host_is_refused() {
        let evil = pointer("https://evil.example/shipments?batchId=1", "SHIP_NOTIFY");
        match verify(&request(&format!("/{TOKEN}"), &evil)) {
            Err(VerifyError::Unauthorized(why)) => assert!(why.contains("evil.example"), "{why}"),
            other => panic!("expected Unauthorized, got {other:?}"),
        }
        assert!(
            testing::take_logs()
                .iter()
                .any(|record| record.message.contains("off ShipStation"))
        );
    }

    #[test]
    fn bad_bodies_are_malformed_and_other_events_ignored() {
        let path = format!("/{TOKEN}");
        for body in [
            "{not json",
            r#"{"resource_type": "SHIP_NOTIFY"}"#,
            &pointer(&format!("{BASE}/fulfillments?batchId=1"), "SHIP_NOTIFY"),
            &pointer(&format!("{BASE}/shipments"), "SHIP_NOTIFY"),
        ] {
            assert!(
                matches!(
                    verify(&request(&path, body)),
                    Err(VerifyError::Malformed(_))
                ),
                "{body}"
            );
        }
        let order = pointer(&format!("{BASE}/orders?importBatch=1"), "ORDER_NOTIFY");
        assert_eq!(verify(&request(&path, &order)).unwrap(), Vec::new());
    }
}
