//! The bounds every plugin call runs within. One set per host; the flow engine may narrow them per
//! connection.

use std::time::Duration;

/// What a single plugin call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory of the plugin instance, in bytes. Growing past it fails the call.
    pub memory_bytes: usize,
    /// Time spent executing the plugin's own code (not waiting on HTTP, storage or sleep).
    pub cpu_time: Duration,
    /// The whole call, waits included.
    pub wall_time: Duration,
    /// Longest a single outbound HTTP request may take; a plugin may ask for less.
    pub http_timeout: Duration,
    /// Largest outbound HTTP response body, in bytes.
    pub http_response_bytes: u64,
    /// Largest value a plugin may store under one key, in bytes.
    pub storage_value_bytes: u64,
    /// Log records kept per call for the report (the host log sees all of them).
    pub log_records: usize,
    /// How much of each outbound request and response body the report keeps, in bytes.
    pub trace_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            cpu_time: Duration::from_secs(2),
            wall_time: Duration::from_secs(60),
            http_timeout: Duration::from_secs(30),
            http_response_bytes: 16 << 20,
            storage_value_bytes: 1 << 20,
            log_records: 1000,
            trace_body_bytes: 4 << 10,
        }
    }
}

/// Longest storage key, in bytes.
pub(crate) const STORAGE_KEY_BYTES: usize = 512;
