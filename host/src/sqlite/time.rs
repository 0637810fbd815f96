//! Times in the databases: UTC, as milliseconds since the Unix epoch in an `INTEGER` column, so
//! they sort and compare in SQL. Millisecond precision is what every stored time needs.

use chrono::{DateTime, Utc};

/// `time` as stored: milliseconds since the Unix epoch (sub-millisecond parts dropped).
pub(crate) fn to_ms(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// A stored time. `ms` outside chrono's range (years beyond ±262,000, which [`to_ms`] never
/// writes) reads as the epoch.
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_survives_the_round_trip_to_the_millisecond() {
        let time = DateTime::parse_from_rfc3339("2026-11-22T08:15:30.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(to_ms(time), 1_795_335_330_123);
        assert_eq!(
            from_ms(to_ms(time)).to_rfc3339(),
            "2026-11-22T08:15:30.123+00:00"
        );
    }

    #[test]
    fn times_before_the_epoch_are_negative_and_read_back() {
        let time = DateTime::parse_from_rfc3339("1969-12-31T23:59:59.500Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(to_ms(time), -500);
        assert_eq!(from_ms(-500), time);
    }

    #[test]
    fn a_value_out_of_range_reads_as_the_epoch() {
        assert_eq!(from_ms(i64::MAX), DateTime::<Utc>::UNIX_EPOCH);
    }
}
