//! Why a plugin call produced no answer: the plugin's own typed error, or the sandbox stopping it,
//! or the host failing to run it at all. The flow engine decides retries from these cases alone.

use std::time::Duration;

use crate::bindings::types::{PluginError, VerifyError};

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
    /// The host could not run the call (unknown plugin, wrong world, instantiation failed).
    #[error("{0}")]
    Host(String),
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
