//! `verify`: a Shopify webhook into one event.
//!
//! 1. The headers `X-Shopify-Topic`, `X-Shopify-Hmac-Sha256`, `X-Shopify-Shop-Domain`,
//!    `X-Shopify-API-Version` and `X-Shopify-Webhook-Id` must be there: else `Malformed` (400).
//! 2. The signature must match the secret `webhook_secret` (default: the secret `client_secret`,
//!    which is what Shopify signs with) or, during a rotation, `webhook_secret_previous`: else
//!    `Unauthorized` (401). With the setting `shop_domain`, `X-Shopify-Shop-Domain` must equal it
//!    (one app's secret signs the webhooks of every shop it is installed on).
//! 3. A topic the connector does not know gives no event (the host answers 200, nothing stored).
//! 4. The body must be JSON naming the resource's id: else `Malformed`.
//!
//! The event: key = `X-Shopify-Event-Id` (the same for every delivery of one event), else
//! `X-Shopify-Webhook-Id`; topic = `X-Shopify-Topic`; reference = the resource's id as a string
//! (the order's for `orders/*`, the refund's for `refunds/create`, the customer's for
//! `customers/*`); occurred_at = `X-Shopify-Triggered-At` when it is RFC 3339; payload = the raw
//! body for `refunds/create` (fetch needs its `order_id`, and only it carries the refund's
//! transactions and adjustments), none otherwise (fetch reads the current record).

use ml_connector_sdk::chrono::{DateTime, Utc};
use ml_connector_sdk::{Event, InboundRequest, VerifyError, config, log, secrets};
use serde_json::Value;

use crate::topics::Resource;
use crate::{ids, signature};

const TOPIC: &str = "X-Shopify-Topic";
const HMAC: &str = "X-Shopify-Hmac-Sha256";
const SHOP_DOMAIN: &str = "X-Shopify-Shop-Domain";
const API_VERSION: &str = "X-Shopify-API-Version";
const WEBHOOK_ID: &str = "X-Shopify-Webhook-Id";
const EVENT_ID: &str = "X-Shopify-Event-Id";
const TRIGGERED_AT: &str = "X-Shopify-Triggered-At";

pub fn verify(request: &InboundRequest) -> Result<Vec<Event>, VerifyError> {
    let header = |name: &str| {
        request
            .header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let required = |name: &str| {
        header(name).ok_or_else(|| VerifyError::Malformed(format!("missing header {name}")))
    };
    let topic = required(TOPIC)?;
    let hmac = required(HMAC)?;
    let shop_domain = required(SHOP_DOMAIN)?;
    required(API_VERSION)?;
    let webhook_id = required(WEBHOOK_ID)?;

    let secrets = signing_secrets()?;
    if !signature::matches(&request.body, hmac, &secrets) {
        return Err(VerifyError::Unauthorized(format!(
            "{HMAC} does not match the body under the webhook secret"
        )));
    }
    if let Some(expected) = config::get("shop_domain").filter(|domain| !domain.trim().is_empty())
        && !expected.trim().eq_ignore_ascii_case(shop_domain)
    {
        return Err(VerifyError::Unauthorized(format!(
            "the webhook is from shop {shop_domain}, not {}",
            expected.trim()
        )));
    }
    let Some(resource) = Resource::of(topic) else {
        log::info("ignored a webhook topic", &[("topic", topic)]);
        return Ok(Vec::new());
    };
    let body: Value = request
        .body_json()
        .map_err(|error| VerifyError::Malformed(format!("the body is not JSON: {error}")))?;
    let reference = ids::of_rest(&body, resource.type_name()).ok_or_else(|| {
        VerifyError::Malformed(format!(
            "the {topic} body has no {} id",
            resource.type_name()
        ))
    })?;
    let payload = match resource {
        Resource::Refund => Some(String::from_utf8_lossy(&request.body).into_owned()),
        Resource::Order | Resource::Customer => None,
    };
    Ok(vec![Event {
        key: header(EVENT_ID).unwrap_or(webhook_id).to_owned(),
        topic: topic.to_owned(),
        reference,
        occurred_at: header(TRIGGERED_AT).and_then(|at| {
            DateTime::parse_from_rfc3339(at)
                .ok()
                .map(|at| at.with_timezone(&Utc))
        }),
        payload,
    }])
}

/// The secrets a webhook may be signed with: the current one, and the previous one during a
/// rotation.
fn signing_secrets() -> Result<Vec<String>, VerifyError> {
    let current = secrets::get("webhook_secret")
        .or_else(|| secrets::get("client_secret"))
        .ok_or_else(|| {
            VerifyError::Unauthorized(
                "neither secret `webhook_secret` nor `client_secret` is configured".into(),
            )
        })?;
    Ok(std::iter::once(current)
        .chain(secrets::get("webhook_secret_previous"))
        .filter(|secret| !secret.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;
    use crate::signature::sign;

    const ORDER: &str = r##"{"id":5821001234567890130,"admin_graphql_api_id":"gid://shopify/Order/5821001234567890130","name":"#1001"}"##;

    fn request(topic: &str, body: &str, secret: &str, event_id: Option<&str>) -> InboundRequest {
        let mut headers = vec![
            (TOPIC, topic.to_owned()),
            (HMAC, sign(secret, body.as_bytes())),
            (SHOP_DOMAIN, "demo-shop.myshopify.com".to_owned()),
            (API_VERSION, "2025-10".to_owned()),
            (
                WEBHOOK_ID,
                "b1c2d3e4-0000-4000-8000-000000000001".to_owned(),
            ),
            (TRIGGERED_AT, "2025-11-03T15:00:00.000000000Z".to_owned()),
        ];
        if let Some(event_id) = event_id {
            headers.push((EVENT_ID, event_id.to_owned()));
        }
        InboundRequest {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers: headers
                .into_iter()
                .map(|(name, value)| (name.to_lowercase(), value))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn with_secrets(previous: Option<&str>) {
        testing::reset();
        let mut entries = vec![("webhook_secret", "sim-client-secret")];
        if let Some(previous) = previous {
            entries.push(("webhook_secret_previous", previous));
        }
        testing::set_secrets(entries);
    }

    #[test]
    fn a_signed_order_webhook_is_one_event_keyed_by_its_event_id() {
        with_secrets(None);
        let events = verify(&request(
            "orders/create",
            ORDER,
            "sim-client-secret",
            Some("event-1"),
        ))
        .unwrap();
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.key, "event-1");
        assert_eq!(event.topic, "orders/create");
        assert_eq!(event.reference, "5821001234567890130");
        assert_eq!(
            event.occurred_at,
            Some("2025-11-03T15:00:00Z".parse().unwrap())
        );
        assert_eq!(event.payload, None);
    }

    #[test]
    fn without_an_event_id_the_webhook_id_is_the_key() {
        with_secrets(None);
        let events = verify(&request("orders/paid", ORDER, "sim-client-secret", None)).unwrap();
        assert_eq!(events[0].key, "b1c2d3e4-0000-4000-8000-000000000001");
    }

    #[test]
    fn the_client_secret_signs_when_no_webhook_secret_is_set() {
        testing::reset();
        testing::set_secrets([("client_secret", "sim-client-secret")]);
        assert!(verify(&request("orders/paid", ORDER, "sim-client-secret", None)).is_ok());
    }

    #[test]
    fn a_bad_signature_is_unauthorized_and_the_previous_secret_works_in_a_rotation() {
        with_secrets(None);
        let old = request("orders/create", ORDER, "old-secret", None);
        assert!(matches!(verify(&old), Err(VerifyError::Unauthorized(_))));
        with_secrets(Some("old-secret"));
        assert_eq!(verify(&old).unwrap().len(), 1);
        let mut tampered = request("orders/create", ORDER, "sim-client-secret", None);
        tampered.body[10] = b'9';
        assert!(matches!(
            verify(&tampered),
            Err(VerifyError::Unauthorized(_))
        ));
    }

    #[test]
    fn a_webhook_from_another_shop_is_unauthorized_when_the_shop_is_set() {
        with_secrets(None);
        testing::set_config([("shop_domain", "other-shop.myshopify.com")]);
        let result = verify(&request("orders/create", ORDER, "sim-client-secret", None));
        assert!(matches!(result, Err(VerifyError::Unauthorized(_))));
    }

    #[test]
    fn missing_headers_and_bad_bodies_are_malformed() {
        with_secrets(None);
        let mut missing = request("orders/create", ORDER, "sim-client-secret", None);
        missing
            .headers
            .retain(|(name, _)| name != &WEBHOOK_ID.to_lowercase());
        assert!(matches!(verify(&missing), Err(VerifyError::Malformed(_))));
        let not_json = request("orders/create", "{nope", "sim-client-secret", None);
        assert!(matches!(verify(&not_json), Err(VerifyError::Malformed(_))));
        let no_id = request("orders/create", "{}", "sim-client-secret", None);
        assert!(matches!(verify(&no_id), Err(VerifyError::Malformed(_))));
    }

    #[test]
    fn unknown_topics_give_no_event_and_refunds_keep_their_body() {
        with_secrets(None);
        let ignored = request("app/uninstalled", "{}", "sim-client-secret", None);
        assert_eq!(verify(&ignored).unwrap(), Vec::new());
        let refund = r#"{"id":5821001234567890140,"order_id":5821001234567890130}"#;
        let events = verify(&request(
            "refunds/create",
            refund,
            "sim-client-secret",
            None,
        ))
        .unwrap();
        assert_eq!(events[0].reference, "5821001234567890140");
        assert_eq!(events[0].payload.as_deref(), Some(refund));
    }
}
