//! Times as the connector reads and writes them: RFC 3339 read into UTC, and written in UTC with a
//! `Z` (`2025-11-03T14:30:00Z`), as GraphQL gives them: the poll's cursor and event keys, the
//! history's searches, and the times of the `shopify.refund` entity whichever source it came from.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::chrono::{DateTime, SecondsFormat, Utc};

/// `text` as a UTC instant; `what` names it in the error.
pub fn parse(text: &str, what: &str) -> Result<DateTime<Utc>, PluginError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| PluginError::rejected(format!("{what} `{text}` is not RFC 3339: {error}")))
}

/// `at` in UTC, with fractional seconds only when it has them.
pub fn text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_is_read_into_utc_and_written_with_a_z() {
        let at = parse("2025-11-04T05:00:00-05:00", "a time").unwrap();
        assert_eq!(text(at), "2025-11-04T10:00:00Z");
        assert_eq!(
            text(parse("2025-11-04T10:00:00.25+00:00", "a time").unwrap()),
            "2025-11-04T10:00:00.250Z"
        );
        assert_eq!(
            parse("yesterday", "the cursor").unwrap_err(),
            PluginError::rejected("the cursor `yesterday` is not RFC 3339: premature end of input")
        );
    }
}
