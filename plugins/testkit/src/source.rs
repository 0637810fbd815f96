//! The source side: `verify` (token header against a secret), `fetch` (echo the event) and `poll`
//! (a counter in storage).

use ml_connector_sdk::{
    Entity, Event, InboundRequest, PluginError, PollResult, VerifyError, secrets, storage,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The topics `verify` passes through and `poll` emits.
pub const TOPICS: &[&str] = &["testkit.event", "testkit.polled"];

const TOKEN_HEADER: &str = "x-testkit-token";
const TOKEN_SECRET: &str = "webhook-token";
const POLL_COUNTER: &str = "poll-counter";

#[derive(Deserialize)]
struct Webhook {
    events: Vec<WebhookEvent>,
}

#[derive(Deserialize)]
struct WebhookEvent {
    key: String,
    topic: String,
    reference: String,
    payload: Option<Value>,
}

pub fn verify(request: &InboundRequest) -> Result<Vec<Event>, VerifyError> {
    let expected = secrets::get(TOKEN_SECRET)
        .ok_or_else(|| VerifyError::Unauthorized(format!("secret `{TOKEN_SECRET}` is not set")))?;
    if request.header(TOKEN_HEADER) != Some(expected.as_str()) {
        return Err(VerifyError::Unauthorized(format!(
            "missing or wrong `{TOKEN_HEADER}`"
        )));
    }
    let webhook: Webhook = request.body_json().map_err(|error| {
        VerifyError::Malformed(format!("body is not a testkit webhook: {error}"))
    })?;
    Ok(webhook
        .events
        .into_iter()
        .map(|event| Event {
            key: event.key,
            topic: event.topic,
            reference: event.reference,
            occurred_at: None,
            payload: event.payload.map(|payload| payload.to_string()),
        })
        .collect())
}

pub fn fetch(event: &Event) -> Result<Entity, PluginError> {
    let mut body = match event.payload_json::<Value>()? {
        Some(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    body.insert("key".into(), json!(event.key));
    body.insert("topic".into(), json!(event.topic));
    body.insert("reference".into(), json!(event.reference));
    Entity::json("testkit.record", &event.reference, &body)
}

pub fn poll(cursor: Option<String>) -> Result<PollResult, PluginError> {
    let count = storage::get_json::<u64>(POLL_COUNTER)?.unwrap_or(0) + 1;
    storage::set_json(POLL_COUNTER, &count)?;
    let event = Event {
        key: format!("poll-{count}"),
        topic: "testkit.polled".into(),
        reference: count.to_string(),
        occurred_at: None,
        payload: Some(json!({ "previous_cursor": cursor }).to_string()),
    };
    Ok(PollResult {
        events: vec![event],
        cursor: Some(count.to_string()),
        more: false,
    })
}
