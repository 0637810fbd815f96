//! Structured logging into the host's log and the event's audit trail (natively: stderr, and the
//! records [`crate::testing::take_logs`] returns). The host redacts secrets from messages and fields.
//!
//! ```ignore
//! log::info("fetched order", &[("order", &order_id)]);
//! ```

use std::fmt;

use crate::sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Logs `message` with `fields` as (name, value) pairs.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    sys::log(level, message, fields);
}

pub fn trace(message: &str, fields: &[(&str, &str)]) {
    log(Level::Trace, message, fields);
}

pub fn debug(message: &str, fields: &[(&str, &str)]) {
    log(Level::Debug, message, fields);
}

pub fn info(message: &str, fields: &[(&str, &str)]) {
    log(Level::Info, message, fields);
}

pub fn warn(message: &str, fields: &[(&str, &str)]) {
    log(Level::Warn, message, fields);
}

pub fn error(message: &str, fields: &[(&str, &str)]) {
    log(Level::Error, message, fields);
}
