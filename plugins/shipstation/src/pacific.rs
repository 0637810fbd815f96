//! ShipStation V1's clock face: every timestamp is US Pacific local time (America/Los_Angeles,
//! daylight saving included) with no offset and up to 7 fractional digits
//! (`2024-09-17T10:51:14.5030000`); `shipDate` may be a bare date; request filters are Pacific local
//! too. This module turns those into UTC instants and back, by the time zone's rules (never a fixed
//! −8 h).
//!
//! **Local times that name no single instant.** When the clocks fall back (first Sunday of
//! November, 02:00 PDT → 01:00 PST), 01:00–01:59 happens twice: such a time is read as the
//! *earlier* instant, in PDT (`2024-11-03T01:30` → `08:30Z`, not `09:30Z`); ShipStation gives no
//! way to tell the two apart. When they spring forward (second Sunday of March, 02:00 PST →
//! 03:00 PDT), 02:00–02:59 never happens: such a time is read with the offset before the gap, PST
//! (`2024-03-10T02:30` → `10:30Z`, the same instant as 03:30 PDT).
//!
//! **Filters** cover at least the instants asked for: a window's start is floored to the second and
//! its end raised to the next second; a bound that falls in the repeated hour widens to the whole
//! hour (start 01:00:00, end 02:00:00), since the API compares wall-clock times and both 01:xx
//! occurrences look alike. Reading a little more is harmless: events are deduplicated by key.

use chrono_tz::America::Los_Angeles;
use ml_connector_sdk::PluginError;
use ml_connector_sdk::chrono::{
    DateTime, NaiveDate, NaiveDateTime, Offset, SecondsFormat, TimeDelta, TimeZone, Timelike, Utc,
    offset::LocalResult,
};

/// The formats a V1 timestamp comes in (the `T` or a space; any number of fractional digits).
const FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"];
/// How a filter value is written.
const FILTER_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The UTC instant of a V1 timestamp (Pacific local; an explicit offset or `Z` is honoured).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, PluginError> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(to_utc)
        .ok_or_else(|| {
            PluginError::rejected(format!(
                "`{text}` is not a ShipStation timestamp (Pacific local, e.g. 2024-09-17T10:51:14.5030000)"
            ))
        })
}

/// The Pacific calendar date of a V1 `shipDate`: a bare date as is, a timestamp's date part.
pub fn parse_date(text: &str) -> Result<NaiveDate, PluginError> {
    let text = text.trim();
    let date_part = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .map_err(|_| PluginError::rejected(format!("`{text}` is not a ShipStation date")))
}

/// A Pacific wall-clock time as a UTC instant, by the rules in the module doc.
pub fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    match Los_Angeles.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // In a spring-forward gap: the offset in force before it (gaps last an hour here).
            let before = Los_Angeles
                .from_local_datetime(&(local - TimeDelta::hours(3)))
                .earliest()
                .map(|at| at.offset().fix());
            let seconds = before.map_or(-8 * 3600, |offset| offset.local_minus_utc());
            (local - TimeDelta::seconds(i64::from(seconds))).and_utc()
        }
    }
}

/// The Pacific wall-clock time of an instant.
pub fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&Los_Angeles).naive_local()
}

/// A filter's start (`createDateStart`, `voidDateStart`): at or before every instant from `at` on.
pub fn filter_start(at: DateTime<Utc>) -> String {
    let wall = local(at);
    let start = if is_repeated(wall) {
        floor_hour(wall)
    } else {
        wall.with_nanosecond(0).unwrap_or(wall)
    };
    start.format(FILTER_FORMAT).to_string()
}

/// A filter's end (`createDateEnd`, `voidDateEnd`): at or after every instant up to `at`.
pub fn filter_end(at: DateTime<Utc>) -> String {
    let wall = local(at);
    let end = if is_repeated(wall) {
        floor_hour(wall) + TimeDelta::hours(1)
    } else if wall.nanosecond() == 0 {
        wall
    } else {
        wall.with_nanosecond(0).unwrap_or(wall) + TimeDelta::seconds(1)
    };
    end.format(FILTER_FORMAT).to_string()
}

/// RFC 3339 in UTC, with as many fractional digits as needed (`2024-09-17T17:51:14.503Z`).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Whether a wall-clock time happens twice (the hour repeated when the clocks fall back).
fn is_repeated(wall: NaiveDateTime) -> bool {
    matches!(
        Los_Angeles.from_local_datetime(&wall),
        LocalResult::Ambiguous(..)
    )
}

fn floor_hour(wall: NaiveDateTime) -> NaiveDateTime {
    wall.date().and_hms_opt(wall.hour(), 0, 0).unwrap_or(wall)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn timestamps_are_pacific_with_daylight_saving() {
        let cases = [
            ("2024-09-17T10:51:14.5030000", "2024-09-17T17:51:14.503Z"),
            (
                "2024-09-17T10:51:14.1234567",
                "2024-09-17T17:51:14.123456700Z",
            ),
            ("2024-01-15T08:00:00", "2024-01-15T16:00:00Z"),
            ("2024-01-15 08:00:00.0000000", "2024-01-15T16:00:00Z"),
            // Spring forward: 01:30 is still PST; 03:30 is PDT; 02:30 never happens (read as PST).
            ("2024-03-10T01:30:00.0000000", "2024-03-10T09:30:00Z"),
            ("2024-03-10T03:30:00.0000000", "2024-03-10T10:30:00Z"),
            ("2024-03-10T02:30:00.0000000", "2024-03-10T10:30:00Z"),
            // Fall back: 01:30 happens twice; the earlier instant (PDT) is taken.
            ("2024-11-03T01:30:00.0000000", "2024-11-03T08:30:00Z"),
            ("2024-11-03T00:59:59.0000000", "2024-11-03T07:59:59Z"),
            ("2024-11-03T02:00:00.0000000", "2024-11-03T10:00:00Z"),
            ("2024-09-17T17:51:14Z", "2024-09-17T17:51:14Z"),
        ];
        for (pacific, expected) in cases {
            assert_eq!(rfc3339(parse_time(pacific).unwrap()), expected, "{pacific}");
        }
        assert!(matches!(
            parse_time("17/09/2024"),
            Err(PluginError::Rejected { .. })
        ));
    }

    #[test]
    fn ship_dates_are_pacific_calendar_dates() {
        let date = |text| parse_date(text).unwrap().to_string();
        assert_eq!(date("2024-11-03"), "2024-11-03");
        assert_eq!(date("2024-11-03T00:00:00.0000000"), "2024-11-03");
        assert!(parse_date("11/03/2024").is_err());
    }

    #[test]
    fn local_renders_the_wall_clock() {
        assert_eq!(
            local(utc("2024-11-03T09:30:00Z")).to_string(),
            "2024-11-03 01:30:00"
        );
        assert_eq!(
            local(utc("2024-03-10T10:30:00Z")).to_string(),
            "2024-03-10 03:30:00"
        );
    }

    #[test]
    fn filters_cover_the_window_and_widen_over_the_repeated_hour() {
        assert_eq!(
            filter_start(utc("2024-09-17T17:51:14.503Z")),
            "2024-09-17 10:51:14"
        );
        assert_eq!(
            filter_end(utc("2024-09-17T17:51:14.503Z")),
            "2024-09-17 10:51:15"
        );
        assert_eq!(
            filter_end(utc("2024-09-17T17:51:14Z")),
            "2024-09-17 10:51:14"
        );
        // Across spring forward nothing repeats.
        assert_eq!(
            filter_start(utc("2024-03-10T09:30:00Z")),
            "2024-03-10 01:30:00"
        );
        assert_eq!(
            filter_end(utc("2024-03-10T10:30:00Z")),
            "2024-03-10 03:30:00"
        );
        // 01:30 PDT and 01:30 PST both widen to the repeated hour.
        for at in ["2024-11-03T08:30:00Z", "2024-11-03T09:30:00Z"] {
            assert_eq!(filter_start(utc(at)), "2024-11-03 01:00:00", "{at}");
            assert_eq!(filter_end(utc(at)), "2024-11-03 02:00:00", "{at}");
        }
        assert_eq!(
            filter_start(utc("2024-11-03T10:00:00Z")),
            "2024-11-03 02:00:00"
        );
    }
}
