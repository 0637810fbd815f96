//! The dates batches are posted on. ShipStation's calendar is US Pacific: `ship_date` is the Pacific
//! date the label ships, and an instant (a `void_date` or `created_at` in UTC RFC 3339) is posted
//! on its Pacific date, so a label voided at 18:00 in California on the 3rd is the 3rd, not the
//! 4th in UTC. A plain `YYYY-MM-DD` is used as it is, and a timestamp without an offset (V1's
//! Pacific local time, `2024-09-17T10:51:14.5030000`) by its date part.
//!
//! The mapping has no time zone database: Pacific time is UTC−8, and UTC−7 from the second Sunday
//! of March at 10:00 UTC (2:00 PST) to the first Sunday of November at 09:00 UTC (2:00 PDT), the US
//! rules in force since 2007.

use ml_connector_sdk::chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday,
};

/// The Pacific date `text` names; `None` when it is no date or time this mapping reads.
pub fn pacific_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(pacific_date_of(at.with_timezone(&Utc)));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .map(|local| local.date())
}

/// The Pacific calendar date of the instant `at`.
pub fn pacific_date_of(at: DateTime<Utc>) -> NaiveDate {
    let hours = if daylight_saving(at) { 7 } else { 8 };
    (at - Duration::hours(hours)).date_naive()
}

/// Whether Pacific daylight time is in force at `at`.
fn daylight_saving(at: DateTime<Utc>) -> bool {
    let year = at.year();
    let starts = sunday(year, 3, 2).and_hms_opt(10, 0, 0);
    let ends = sunday(year, 11, 1).and_hms_opt(9, 0, 0);
    match (starts, ends) {
        (Some(starts), Some(ends)) => {
            Utc.from_utc_datetime(&starts) <= at && at < Utc.from_utc_datetime(&ends)
        }
        _ => false,
    }
}

/// The `nth` Sunday of `month` in `year`.
fn sunday(year: i32, month: u32, nth: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, nth)
        .expect("every month has a first and a second Sunday")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn instants_fall_on_their_pacific_date_across_daylight_saving() {
        // 2024: PDT from 10 March 10:00 UTC to 3 November 09:00 UTC.
        assert_eq!(
            pacific_date("2024-09-18T03:00:00Z"),
            Some(date("2024-09-17"))
        );
        assert_eq!(
            pacific_date("2024-09-18T07:00:00Z"),
            Some(date("2024-09-18"))
        );
        assert_eq!(
            pacific_date("2024-03-10T09:59:00Z"),
            Some(date("2024-03-10"))
        );
        assert_eq!(
            pacific_date("2024-01-15T07:59:59Z"),
            Some(date("2024-01-14"))
        );
        assert_eq!(
            pacific_date("2024-01-15T08:00:00Z"),
            Some(date("2024-01-15"))
        );
        assert_eq!(
            pacific_date("2024-11-03T07:30:00Z"),
            Some(date("2024-11-03"))
        );
        assert_eq!(
            pacific_date("2024-11-04T07:30:00Z"),
            Some(date("2024-11-03"))
        );
        assert_eq!(
            pacific_date("2025-06-30T20:00:00-04:00"),
            Some(date("2025-06-30"))
        );
    }

    #[test]
    fn dates_and_local_timestamps_keep_their_date() {
        assert_eq!(pacific_date("2025-03-07"), Some(date("2025-03-07")));
        assert_eq!(
            pacific_date("2024-09-17T23:51:14.5030000"),
            Some(date("2024-09-17"))
        );
        assert_eq!(pacific_date("yesterday"), None);
    }
}
