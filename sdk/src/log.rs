//! Structured logging into the host's log and the event's audit trail (natively: stderr, and the
//! records [`crate::testing::take_logs`] returns). The host redacts secrets from messages and fields.
//!
//! ```ignore
//! log::info("fetched order", &[("order", &order_id)]);
//! ```

use crate::sys;

pub use crate::level::Level;

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
