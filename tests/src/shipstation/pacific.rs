//! ShipStation V1's clock face: every timestamp is US Pacific local time (America/Los_Angeles, with
//! daylight saving), no offset, 7 fractional digits; ship dates are bare dates; request filters are
//! Pacific local too.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::America::Los_Angeles;

/// The Pacific wall-clock time of `at`.
pub fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&Los_Angeles).naive_local()
}

/// `2024-09-17T10:51:14.5030000`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    let local = local(at);
    format!(
        "{}.{:07}",
        local.format("%Y-%m-%dT%H:%M:%S"),
        local.nanosecond() % 1_000_000_000 / 100
    )
}

/// `2024-09-17`: the Pacific date of `at`.
pub fn date(at: DateTime<Utc>) -> String {
    local(at).format("%Y-%m-%d").to_string()
}

/// A filter value: `2024-09-17`, `2024-09-17 10:51:14` or `2024-09-17T10:51:14.503`, Pacific local.
pub fn parse_filter(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|date| date.and_time(Default::default()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn renders_across_daylight_saving_edges() {
        let spring = Utc.with_ymd_and_hms(2024, 3, 10, 9, 30, 0).unwrap();
        assert_eq!(timestamp(spring), "2024-03-10T01:30:00.0000000");
        let after_spring = Utc.with_ymd_and_hms(2024, 3, 10, 10, 30, 0).unwrap();
        assert_eq!(timestamp(after_spring), "2024-03-10T03:30:00.0000000");
        let fall = Utc.with_ymd_and_hms(2024, 11, 3, 8, 30, 0).unwrap();
        assert_eq!(timestamp(fall), "2024-11-03T01:30:00.0000000");
        let fall_again = Utc.with_ymd_and_hms(2024, 11, 3, 9, 30, 0).unwrap();
        assert_eq!(timestamp(fall_again), "2024-11-03T01:30:00.0000000");
        let precise = Utc.timestamp_opt(1_726_595_474, 503_000_000).unwrap();
        assert_eq!(timestamp(precise), "2024-09-17T10:51:14.5030000");
        assert_eq!(
            date(Utc.with_ymd_and_hms(2024, 9, 18, 3, 0, 0).unwrap()),
            "2024-09-17"
        );
    }
}
