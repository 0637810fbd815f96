//! `testkit`: a connector that exercises every host capability, for the host's own tests. Tests
//! drive it through `apply` commands; each returns its findings as the `Applied.data` JSON.
//!
//! | kind | body | `data` |
//! | --- | --- | --- |
//! | `testkit.http` | `{"method": "GET", "url": "…", "headers"?: [["name", "value"]], "body"?: "text", "timeout_ms"?: 1000}` | `{"status", "headers", "body"}`, or `{"error": "denied" \| "invalid-request" \| "timeout" \| "connection" \| "response-too-large", "message"}` |
//! | `testkit.storage-set` | `{"key", "value": "text"}` | `null` |
//! | `testkit.storage-get` | `{"key"}` | `{"value": "text" \| null}` |
//! | `testkit.storage-delete` | `{"key"}` | `{"existed": bool}` |
//! | `testkit.storage-list` | `{"prefix"}` | `{"keys": […]}` |
//! | `testkit.storage-cas` | `{"key", "expected": "text" \| null, "new": "text" \| null}` | `{"swapped": bool}` |
//! | `testkit.clock` | `{}` | `{"now": RFC 3339}` |
//! | `testkit.sleep` | `{"ms"}` | `{"before", "after"}` (RFC 3339, host clock) |
//! | `testkit.log` | `{"level": "trace" … "error", "message", "fields"?: {"name": "value"}}` | `null` |
//! | `testkit.config` | `{"key"}` | `{"value": "text" \| null}` |
//! | `testkit.secret` | `{"name"}` | `{"value": "text" \| null}` (yes: it proves secrets reach connectors) |
//! | `testkit.fail` | `{"error": "transient" \| "rate-limited" \| "auth" \| "rejected" \| "needs-review", "message", "retry_after_ms"?, "code"?, "outer"?: bool}` | that error, for this command or (`outer`) the whole batch |
//! | `testkit.loop` | `{}` | never returns: spins until the host's budget stops it |
//! | `testkit.alloc` | `{"mib"}` | allocates and touches that many MiB; `{"mib"}` if it survives |
//! | `testkit.panic` | `{"message"}` | panics with `message` |
//! | `testkit.drop-result` | `{}` | no result at all: `apply` answers one result fewer than it got commands (a contract breach the host must catch) |
//! | `testkit.post` | any JSON: the ledger entry | `Applied` with external id `("entry", id)`, `already_done` when the ledger replayed the key; or `Rejected` with the ledger's `code` |
//!
//! Storage failures come back as that command's error. An unknown kind is `Rejected`.
//!
//! `testkit.post` is the test sink for the flow engine: all post commands of one `apply` go in ONE
//! request, `POST {base_url}/entries` (`base_url` is a connection setting; without it each post is
//! `Rejected`) with `{"entries": [{"key": <command key>, "body": <command body>}]}`. The ledger
//! answers `{"results": [{"key", "id", "replayed"} | {"key", "error": {"code", "message"}}]}`. The
//! request goes out before the other commands run; if it fails as a whole (HTTP error status,
//! transport error, an unexpected answer) that is the outer error of `apply`, typed as the SDK's
//! checked HTTP helpers say (429 → `RateLimited`, 5xx → `Transient`, 401/403 → `Auth`, other 4xx
//! → `Rejected`), and no command of the batch ran. The host tests' `support::ledger` serves it.
//!
//! The other exports:
//! - `ping` answers `testkit ok: account <config "account">`.
//! - `verify` accepts a request whose `x-testkit-token` header equals the secret `webhook-token`
//!   (else `Unauthorized`) and whose body is `{"events": [{"key", "topic", "reference",
//!   "payload"?}]}` (else `Malformed`).
//! - `fetch` returns one `testkit.record` entity, id = the event's reference, body = the event's
//!   JSON object payload plus its `key`, `topic` and `reference`.
//! - `poll` increments the storage counter `poll-counter` and returns one `testkit.polled` event
//!   keyed `poll-<n>`, payload `{"previous_cursor"}`, with cursor `<n>`.

mod commands;
mod misbehave;
mod post;
mod source;

use ml_connector_sdk::{
    Applied, Command, Connector, Entity, Event, InboundRequest, PluginError, PluginInfo,
    PollResult, VerifyError, config,
};

pub struct Testkit;

impl Connector for Testkit {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "testkit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Exercises every host capability for the host's tests.".into(),
            topics: source::TOPICS
                .iter()
                .map(|topic| topic.to_string())
                .collect(),
            commands: commands::KINDS
                .iter()
                .map(|kind| kind.to_string())
                .collect(),
        }
    }

    fn ping() -> Result<String, PluginError> {
        let account = config::get("account").unwrap_or_else(|| "(none)".into());
        Ok(format!("testkit ok: account {account}"))
    }

    fn verify(request: InboundRequest) -> Result<Vec<Event>, VerifyError> {
        source::verify(&request)
    }

    fn fetch(event: Event) -> Result<Vec<Entity>, PluginError> {
        source::fetch(&event).map(|entity| vec![entity])
    }

    fn poll(cursor: Option<String>) -> Result<PollResult, PluginError> {
        source::poll(cursor)
    }

    fn apply(commands: Vec<Command>) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
        commands::apply_all(&commands)
    }
}

ml_connector_sdk::export_connector!(Testkit);
