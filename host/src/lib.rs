//! The embeddable ml-connector host: it loads WebAssembly plugins (connectors and mappings built
//! against the WIT contract in `wit/`) and runs each call in a fresh, sandboxed instance.
//!
//! ```text
//! Host::builder() ── engine (component model, epoch interruption, pooling where the machine allows)
//!       │            compiled-component cache by content hash, one linker per plugin world
//!       ├─ load_plugin(bytes) / load_plugin_dir(dir) ── describe() once, then an InstancePre per plugin
//!       ├─ connector(name, connection) ── ping / verify / fetch / poll / apply, each in a fresh Store
//!       └─ mapping(name, settings)     ── describe / map, with log and config only
//! ```
//!
//! Every call is bounded by [`Limits`]: a memory cap, a CPU deadline (time spent executing wasm,
//! measured with epochs), a wall-clock timeout, and for connectors an outbound allowlist
//! (`scheme://host:port`), an HTTP timeout and a response-size cap. A trap, a panic, an endless loop
//! or memory exhaustion fails that call with a [`CallError`]; the host goes on serving. Each call
//! returns a [`CallReport`]: its result, the plugin's log records and every outbound request it made,
//! with the connection's secrets redacted.
//!
//! Nothing here is global: two [`Host`]s in one process have separate engines, plugins and storage.

mod bindings;
mod call;
mod capabilities;
pub mod clock;
pub mod config;
mod connection;
mod engine;
mod error;
pub mod flow;
mod host;
mod limits;
mod plugin;
mod redact;
mod sandbox;
pub mod storage;
mod trace;

pub use call::{ConnectorCall, MappingCall};
pub use connection::{Connection, ConnectionError, Origin, Secret};
pub use engine::Pooling;
pub use error::{CallError, SandboxStop};
pub use host::{Host, HostBuilder};
pub use limits::Limits;
pub use plugin::{PluginSummary, World};
pub use trace::{CallReport, HttpExchange, LogRecord};

/// The WIT types that cross the plugin boundary, as the host sees them.
pub mod types {
    pub use crate::bindings::http::Method as HttpMethod;
    pub use crate::bindings::log::Level;
    pub use crate::bindings::types::{
        Applied, Command, Entity, Event, InboundRequest, PluginError, PluginInfo, PollResult,
        RateLimit, Rejection, VerifyError,
    };
}
