//! The typed errors a plugin returns, so the host decides what happens next without parsing text.

use std::fmt;

/// Why a plugin call failed. Each case tells the host what to do with the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    /// Try again later (network trouble, 5xx, a lock): retried with backoff.
    Transient(String),
    /// The remote system asked to slow down: retried no earlier than `retry_after_ms`.
    RateLimited {
        retry_after_ms: u64,
        message: String,
    },
    /// Credentials were refused even after a refresh: the connection needs a person.
    Auth(String),
    /// Refused for good: never retried as is. `code` is the remote system's own error code.
    Rejected {
        code: Option<String>,
        message: String,
    },
    /// Valid data that cannot be posted without a person's decision: held for review.
    NeedsReview(String),
}

impl PluginError {
    /// A permanent refusal without a remote error code.
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::Rejected {
            code: None,
            message: message.into(),
        }
    }

    /// A permanent refusal carrying the remote system's error code.
    pub fn rejected_with_code(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Rejected {
            code: Some(code.into()),
            message: message.into(),
        }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient(message.into())
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Self::Auth(message.into())
    }

    pub fn needs_review(message: impl Into<String>) -> Self {
        Self::NeedsReview(message.into())
    }

    /// The message, without the case or the code.
    pub fn message(&self) -> &str {
        match self {
            Self::Transient(message)
            | Self::RateLimited { message, .. }
            | Self::Auth(message)
            | Self::Rejected { message, .. }
            | Self::NeedsReview(message) => message,
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transient(message) => write!(f, "transient: {message}"),
            Self::RateLimited {
                retry_after_ms,
                message,
            } => write!(
                f,
                "rate limited (retry after {retry_after_ms} ms): {message}"
            ),
            Self::Auth(message) => write!(f, "auth: {message}"),
            Self::Rejected {
                code: Some(code),
                message,
            } => write!(f, "rejected [{code}]: {message}"),
            Self::Rejected {
                code: None,
                message,
            } => write!(f, "rejected: {message}"),
            Self::NeedsReview(message) => write!(f, "needs review: {message}"),
        }
    }
}

impl std::error::Error for PluginError {}

/// Why an inbound webhook was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Signature or token check failed: the host answers 401.
    Unauthorized(String),
    /// Not a request this connector understands: the host answers 400.
    Malformed(String),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthorized(message) => write!(f, "unauthorized: {message}"),
            Self::Malformed(message) => write!(f, "malformed: {message}"),
        }
    }
}

impl std::error::Error for VerifyError {}
