//! Why a plugin call produced no answer: the plugin's own typed error, the sandbox stopping it,
//! or the host failing to run it at all ([`HostError`], each case with its [`HostErrorKind`]). The
//! flow engine decides retries from these cases alone.

use std::time::Duration;

use crate::bindings::types::{PluginError, VerifyError};
use crate::world::World;

/// How the sandbox stopped a plugin. Each is the plugin's fault, never the host's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SandboxStop {
    #[error("the plugin used its CPU budget of {budget:?} (an endless loop?) and was stopped")]
    CpuDeadline { budget: Duration },
    #[error("the call took longer than its wall-clock limit of {limit:?} and was stopped")]
    WallTimeout { limit: Duration },
    #[error(
        "the plugin tried to grow its memory to {requested} bytes, past its limit of {limit} bytes"
    )]
    MemoryLimit { limit: usize, requested: usize },
    #[error("the plugin panicked: {message}")]
    Panic { message: String },
    #[error("the plugin trapped: {message}")]
    Trap { message: String },
}

/// A failed plugin call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The plugin answered with a typed error (transient, rate-limited, auth, rejected, review).
    #[error("plugin `{plugin}`: {}", describe_plugin_error(.error))]
    Plugin { plugin: String, error: PluginError },
    /// A connector refused an inbound webhook.
    #[error("plugin `{plugin}` refused the webhook: {}", describe_verify_error(.error))]
    Verify { plugin: String, error: VerifyError },
    /// The sandbox stopped the plugin.
    #[error("plugin `{plugin}`: {stop}")]
    Sandbox { plugin: String, stop: SandboxStop },
    /// The host could not run the call.
    #[error(transparent)]
    Host(#[from] HostError),
}

/// What kind of trouble a [`HostError`] is, which decides what the flow engine does with the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostErrorKind {
    /// A mistake in the configuration or in the plugins installed: running the event again
    /// changes nothing until a person fixes it, so the event is held for review at once.
    Config,
    /// The host is out of a resource for the moment (the instance pool is full, the sink lane is
    /// stopping): the event is retried soon, and the attempt does not count against its retries.
    Capacity,
    /// A plugin broke the contract (a malformed answer, a component that cannot be
    /// instantiated): the same plugin fails the same way again, so the event fails at once.
    PluginFault,
}

/// Why the host could not run a plugin call. Each message names the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error(
        "no plugin named `{name}` is loaded (loaded: {}); put its component in the plugin \
         directory or install it with `mlc plugin install`, or fix the name in the configuration",
        list_or_none(.loaded)
    )]
    PluginNotLoaded { name: String, loaded: Vec<String> },
    #[error(
        "plugin `{plugin}` is a {actual}, not a {wanted}; name a {wanted} plugin there in the \
         configuration"
    )]
    WrongWorld {
        plugin: String,
        actual: World,
        wanted: World,
    },
    #[error(
        "there is no connection named `{name}`; add [connections.{name}] to the configuration or \
         fix the name that refers to it"
    )]
    UnknownConnection { name: String },
    #[error(
        "flow `{flow}` is no longer in the configuration; put it back and resolve the event, or \
         skip it (`mlc review resolve ID --skip NOTE`)"
    )]
    FlowRemoved { flow: String },
    #[error(
        "no instance of plugin `{plugin}` could be made now: the instance pool is full ({detail}); \
         retried shortly"
    )]
    PoolExhausted { plugin: String, detail: String },
    #[error(
        "the sink lane of connection `{connection}` stopped (the host is shutting down); the \
         event runs again at the next start"
    )]
    LaneStopped { connection: String },
    #[error(
        "the sink lane of connection `{connection}` cannot be held across hosts ({problem}); \
         retried shortly"
    )]
    LaneUnavailable { connection: String, problem: String },
    #[error(
        "plugin `{plugin}` {version} broke the contract: {problem}; upgrade or roll back the plugin"
    )]
    MalformedAnswer {
        plugin: String,
        version: String,
        problem: String,
    },
    #[error(
        "plugin `{plugin}` could not be instantiated: {detail}; upgrade or roll back the plugin"
    )]
    InstantiationFailed { plugin: String, detail: String },
    #[error(
        "plugin `{plugin}` {version} has no `{export}`: it was built for a contract before \
         {since_contract}; rebuild it with a current SDK"
    )]
    NoSuchExport {
        plugin: String,
        version: String,
        export: &'static str,
        since_contract: &'static str,
    },
    #[error(
        "the reconciliation's fix `{event}` cannot be read ({problem}); skip it (`mlc review \
         resolve ID --skip NOTE`) and run `mlc reconcile --fix` again"
    )]
    UnreadableFix { event: String, problem: String },
    #[error(
        "the version of plugin `{plugin}` this event is pinned to ({hash}) cannot be loaded \
         ({problem}); resolve it (`mlc review resolve ID`) to run it on the active version"
    )]
    PinnedVersionUnavailable {
        plugin: String,
        hash: String,
        problem: String,
    },
}

impl HostError {
    /// What the flow engine does about it.
    pub fn kind(&self) -> HostErrorKind {
        match self {
            Self::PluginNotLoaded { .. }
            | Self::WrongWorld { .. }
            | Self::UnknownConnection { .. }
            | Self::FlowRemoved { .. }
            | Self::UnreadableFix { .. }
            | Self::PinnedVersionUnavailable { .. } => HostErrorKind::Config,
            Self::PoolExhausted { .. }
            | Self::LaneStopped { .. }
            | Self::LaneUnavailable { .. } => HostErrorKind::Capacity,
            Self::MalformedAnswer { .. }
            | Self::InstantiationFailed { .. }
            | Self::NoSuchExport { .. } => HostErrorKind::PluginFault,
        }
    }
}

fn list_or_none(names: &[String]) -> String {
    match names.is_empty() {
        true => "none".to_owned(),
        false => names.join(", "),
    }
}

fn describe_plugin_error(error: &PluginError) -> String {
    match error {
        PluginError::Transient(message) => format!("transient: {message}"),
        PluginError::RateLimited(limit) => format!(
            "rate limited, retry after {} ms: {}",
            limit.retry_after_ms, limit.message
        ),
        PluginError::Auth(message) => format!("authentication: {message}"),
        PluginError::Rejected(rejection) => match &rejection.code {
            Some(code) => format!("rejected [{code}]: {}", rejection.message),
            None => format!("rejected: {}", rejection.message),
        },
        PluginError::NeedsReview(message) => format!("needs review: {message}"),
    }
}

fn describe_verify_error(error: &VerifyError) -> String {
    match error {
        VerifyError::Unauthorized(message) => format!("unauthorized: {message}"),
        VerifyError::Malformed(message) => format!("malformed: {message}"),
    }
}

/// A wasmtime error's whole context chain on one line (its `Display` shows only the outermost).
pub(crate) fn chain_text(error: &wasmtime::Error) -> String {
    error
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// A wasmtime error as an `anyhow` error, keeping its context chain.
pub(crate) fn to_anyhow(error: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!(chain_text(&error))
}
