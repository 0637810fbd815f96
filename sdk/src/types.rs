//! The plain Rust shapes that cross between the host and plugins (mirrors of the WIT `types`).
//!
//! Records and commands carry JSON bodies under a `kind` name; the `*_json` helpers read and write
//! them with serde.

use chrono::{DateTime, Utc};
use serde::{Serialize, de::DeserializeOwned};

use crate::PluginError;
use crate::http::find_header;

/// What a plugin says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginInfo {
    pub name: String,
    /// The plugin's own semver version.
    pub version: String,
    pub description: String,
    /// Connector: the event topics it emits. Mapping: the topics it maps.
    pub topics: Vec<String>,
    /// Connector: the command kinds it applies. Mapping: the command kinds it emits.
    pub commands: Vec<String>,
}

/// A webhook request as the host received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundRequest {
    pub method: String,
    /// The path after `/webhooks/{connection}`.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl InboundRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body parsed as JSON.
    pub fn body_json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// Something that happened in the source system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// Dedupe key, unique within the connection.
    pub key: String,
    /// e.g. `orders/create`.
    pub topic: String,
    /// What `fetch` needs to load the records.
    pub reference: String,
    /// When it happened at the source. A host value that is not RFC 3339 arrives as `None`.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The payload delivered with the event, JSON text.
    pub payload: Option<String>,
}

impl Event {
    /// The payload parsed as JSON, if there is one.
    pub fn payload_json<T: DeserializeOwned>(&self) -> Result<Option<T>, PluginError> {
        self.payload
            .as_deref()
            .map(|text| parse_json(text, "event payload"))
            .transpose()
    }

    /// A deterministic idempotency key for the command at `place` in this event: the same event
    /// and place always give the same key, so a retry cannot post twice.
    pub fn command_key(&self, place: impl std::fmt::Display) -> String {
        format!("{}/{place}", self.key)
    }
}

/// A record of the source system, as fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entity {
    /// e.g. `shopify.order`.
    pub kind: String,
    /// The record's id in its system.
    pub id: String,
    /// The record, JSON text.
    pub body: String,
}

impl Entity {
    /// An entity whose body is `body` serialised as JSON.
    pub fn json(
        kind: impl Into<String>,
        id: impl Into<String>,
        body: &impl Serialize,
    ) -> Result<Self, PluginError> {
        Ok(Self {
            kind: kind.into(),
            id: id.into(),
            body: to_json(body)?,
        })
    }

    pub fn body_json<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        parse_json(&self.body, "entity body")
    }
}

/// One thing to do in the sink system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    /// e.g. `intacct.create-invoice`.
    pub kind: String,
    /// Deterministic idempotency key (see [`Event::command_key`]).
    pub key: String,
    /// The command, JSON text.
    pub body: String,
}

impl Command {
    /// A command whose body is `body` serialised as JSON.
    pub fn json(
        kind: impl Into<String>,
        key: impl Into<String>,
        body: &impl Serialize,
    ) -> Result<Self, PluginError> {
        Ok(Self {
            kind: kind.into(),
            key: key.into(),
            body: to_json(body)?,
        })
    }

    pub fn body_json<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        parse_json(&self.body, "command body")
    }
}

/// A command the sink carried out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The command's key.
    pub key: String,
    /// Ids the sink assigned, e.g. ("invoice", "1234").
    pub external_ids: Vec<(String, String)>,
    /// The sink had executed this key before.
    pub already_done: bool,
    /// What a query command found, JSON text.
    pub data: Option<String>,
}

impl Applied {
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            ..Self::default()
        }
    }

    pub fn with_external_id(mut self, name: impl Into<String>, id: impl Into<String>) -> Self {
        self.external_ids.push((name.into(), id.into()));
        self
    }

    pub fn with_data_json(mut self, data: &impl Serialize) -> Result<Self, PluginError> {
        self.data = Some(to_json(data)?);
        Ok(self)
    }
}

/// What `poll` or `history` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollResult {
    pub events: Vec<Event>,
    /// Where the next poll starts; `None` keeps the current cursor.
    pub cursor: Option<String>,
    /// More events are waiting: the host polls again at once.
    pub more: bool,
}

/// The range `history` lists: from `since` (inclusive) to `until` (exclusive), UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl TimeRange {
    /// The range the host asked for, from its RFC 3339 texts; one that is not a time, or ends
    /// where it starts or before, is `Rejected`.
    pub fn parse(since: &str, until: &str) -> Result<Self, PluginError> {
        let time = |text: &str, name: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|time| time.with_timezone(&Utc))
                .map_err(|error| {
                    PluginError::rejected(format!(
                        "the history's `{name}` `{text}` is not an RFC 3339 time: {error}"
                    ))
                })
        };
        let range = Self {
            since: time(since, "since")?,
            until: time(until, "until")?,
        };
        if range.until <= range.since {
            return Err(PluginError::rejected(format!(
                "the history's range ends ({until}) where or before it starts ({since})"
            )));
        }
        Ok(range)
    }

    /// Whether `time` is in the range.
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        self.since <= time && time < self.until
    }
}

fn to_json(value: &impl Serialize) -> Result<String, PluginError> {
    serde_json::to_string(value)
        .map_err(|error| PluginError::rejected(format!("cannot serialise JSON: {error}")))
}

fn parse_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, PluginError> {
    serde_json::from_str(text)
        .map_err(|error| PluginError::rejected(format!("{what} is not the expected JSON: {error}")))
}
