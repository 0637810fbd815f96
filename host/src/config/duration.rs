//! Durations (`"250ms"`, `"30s"`, `"1h30m"`) and sizes (`"512KiB"`, `"2MiB"`, plain bytes) as
//! the configuration writes them.

use std::time::Duration;

/// Duration units, largest first, in milliseconds.
const TIME_UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Size units, in bytes.
const SIZE_UNITS: [(&str, u64); 4] = [
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
];

/// What to write instead of a text that is not a duration.
pub(super) const DURATION_FIX: &str = "write whole numbers with units (ms, s, m, h, d), largest \
                                       first, e.g. \"250ms\", \"30s\", \"4h\", \"1h30m\"";

/// What to write instead of a text that is not a size.
pub(super) const SIZE_FIX: &str = "write a whole number of bytes, or one with a unit (B, KiB, MiB, GiB), e.g. \"512KiB\", \"2MiB\"";

/// `"1h30m"`: whole numbers each followed by a unit (`ms`, `s`, `m`, `h`, `d`), units from largest
/// to smallest, each once. `None` when the text is not one, or overflows.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text;
    let mut next_unit = 0;
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = TIME_UNITS
            .iter()
            .position(|(name, _)| *name == &rest[..unit_len])
            .filter(|unit| *unit >= next_unit)?;
        next_unit = unit + 1;
        millis = millis.checked_add(number.checked_mul(TIME_UNITS[unit].1)?)?;
        rest = &rest[unit_len..];
    }
    (next_unit > 0).then(|| Duration::from_millis(millis))
}

/// A duration the way the configuration writes it: `1h30m`, `250ms`, `0s`.
pub(super) fn format_duration(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    for (name, size) in TIME_UNITS {
        if millis >= size {
            text.push_str(&format!("{}{name}", millis / size));
            millis %= size;
        }
    }
    text
}

/// `"2MiB"`, `"512 KiB"`, `"1048576"`: a whole number of bytes, or of a unit. `None` when the text
/// is not one, or overflows.
pub(super) fn parse_size(text: &str) -> Option<u64> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let unit = text[digits..].trim_start();
    if unit.is_empty() {
        return Some(number);
    }
    let (_, size) = SIZE_UNITS.iter().find(|(name, _)| *name == unit)?;
    number.checked_mul(*size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_unit_by_unit() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("250ms"), Some(ms(250)));
        assert_eq!(parse_duration("30s"), Some(ms(30_000)));
        assert_eq!(parse_duration("5m"), Some(ms(300_000)));
        assert_eq!(parse_duration("4h"), Some(ms(4 * 3_600_000)));
        assert_eq!(parse_duration("1h30m"), Some(ms(5_400_000)));
        assert_eq!(parse_duration("1d2h3m4s5ms"), Some(ms(93_784_005)));
        assert_eq!(parse_duration("0s"), Some(ms(0)));
    }

    #[test]
    fn durations_refuse_what_is_ambiguous_or_malformed() {
        for text in [
            "",
            "30",
            "s",
            "4 hours",
            "1.5h",
            "30m1h",
            "1m1m",
            "-5s",
            "5S",
            " 5s",
            "1h30",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_duration(text), None, "{text:?}");
        }
    }

    #[test]
    fn durations_format_as_written() {
        for text in ["1h30m", "250ms", "30s", "1d", "0s", "2m5s10ms"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }

    #[test]
    fn sizes_take_binary_units_or_bytes() {
        assert_eq!(parse_size("512KiB"), Some(512 * 1024));
        assert_eq!(parse_size("2MiB"), Some(2 * 1024 * 1024));
        assert_eq!(parse_size("1 GiB"), Some(1 << 30));
        assert_eq!(parse_size("1048576"), Some(1_048_576));
        assert_eq!(parse_size("100B"), Some(100));
        for text in ["", "MiB", "2MB", "2mib", "1.5MiB", "-1", "99999999999GiB"] {
            assert_eq!(parse_size(text), None, "{text:?}");
        }
    }
}
