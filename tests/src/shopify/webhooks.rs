//! Shopify webhook envelopes: subscriptions, the HMAC-SHA256 signature, the `X-Shopify-*` headers of one
//! delivery (a fresh webhook id per delivery, one event id per event), and the record of each attempt.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::uuid::uuid_v4;
use crate::webhook_sender::{Attempt, Outgoing};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: u64,
    pub topic: String,
    pub url: String,
}

/// Base64 of HMAC-SHA256 over `body` keyed with `secret`: the `X-Shopify-Hmac-Sha256` value.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    B64.encode(mac.finalize().into_bytes())
}

/// The shop-wide parts of every delivery's headers.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub shop_domain: &'a str,
    pub api_version: &'a str,
    pub secret: &'a str,
}

/// One event: its topic, body and the ids shared by all its deliveries.
#[derive(Debug, Clone)]
pub struct Event {
    pub topic: String,
    pub body: Vec<u8>,
    pub event_id: String,
    pub triggered_at: DateTime<Utc>,
}

/// The delivery of `event` to `subscription`, with a new webhook id.
pub fn outgoing(envelope: &Envelope<'_>, event: &Event, subscription: &Subscription) -> Outgoing {
    let headers = [
        ("Content-Type", "application/json".to_string()),
        ("X-Shopify-Topic", event.topic.clone()),
        ("X-Shopify-Hmac-Sha256", sign(envelope.secret, &event.body)),
        ("X-Shopify-Shop-Domain", envelope.shop_domain.to_string()),
        ("X-Shopify-API-Version", envelope.api_version.to_string()),
        ("X-Shopify-Webhook-Id", uuid_v4()),
        ("X-Shopify-Event-Id", event.event_id.clone()),
        (
            "X-Shopify-Triggered-At",
            event
                .triggered_at
                .to_rfc3339_opts(SecondsFormat::Nanos, true),
        ),
    ];
    Outgoing {
        url: subscription.url.clone(),
        headers: headers
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect(),
        body: event.body.clone(),
        subscription: subscription.id,
    }
}

/// One attempt to deliver a webhook, as tests inspect it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub topic: String,
    pub webhook_id: String,
    pub event_id: String,
    pub url: String,
    pub hmac: String,
    /// 1 for the first try, 2 for the first retry, …
    pub attempt: u32,
    /// The receiver's status; `None` when it did not answer.
    pub status: Option<u16>,
    /// From starting the POST to its answer (or to giving up on it).
    pub answered_in: Duration,
    pub body: Value,
}

impl From<&Attempt> for Delivery {
    fn from(attempt: &Attempt) -> Self {
        let header = |name: &str| {
            attempt
                .outgoing
                .header(name)
                .unwrap_or_default()
                .to_string()
        };
        Self {
            topic: header("X-Shopify-Topic"),
            webhook_id: header("X-Shopify-Webhook-Id"),
            event_id: header("X-Shopify-Event-Id"),
            url: attempt.outgoing.url.clone(),
            hmac: header("X-Shopify-Hmac-Sha256"),
            attempt: attempt.number,
            status: attempt.status,
            answered_in: attempt.answered_in,
            body: serde_json::from_slice(&attempt.outgoing.body).unwrap_or(Value::Null),
        }
    }
}
