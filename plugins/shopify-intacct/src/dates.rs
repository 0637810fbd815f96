//! The days documents are dated: Shopify's times are RFC 3339 with the shop's offset, and a
//! document is dated the day the time names in that offset.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::chrono::NaiveDate;

/// The day of an RFC 3339 time, in the offset it is written in.
pub fn date(time: &str) -> Result<NaiveDate, PluginError> {
    ml_connector_sdk::chrono::DateTime::parse_from_rfc3339(time.trim())
        .map(|time| time.date_naive())
        .map_err(|error| {
            PluginError::rejected(format!("`{time}` is not an RFC 3339 time: {error}"))
        })
}
