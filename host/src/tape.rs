//! What a connector call received from the host, whole and in order: each HTTP exchange (the
//! request, and the response with its headers and whole body), each storage read and each clock
//! reading, secrets redacted as the audit trail's are but nothing cut. The flow engine tapes each
//! `fetch` and keeps the tape with the attempt's recording; a replay plays it back in place of the
//! network, the storage and the clock (`flow::replay`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One thing the plugin received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Received {
    Http(TapedExchange),
    /// A `storage.get`: the value as text (lossy for bytes that are not UTF-8), or none.
    Storage {
        key: String,
        value: Option<String>,
    },
    /// A `clock.now`.
    Clock {
        at: DateTime<Utc>,
    },
}

/// One request the plugin sent and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TapedExchange {
    pub method: String,
    pub url: String,
    pub request_body: String,
    /// None when no response came (see `error`).
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub error: Option<String>,
}
