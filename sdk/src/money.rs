//! Money as [`Decimal`], never f64: parsing from JSON strings or numbers (read from their text,
//! which the workspace's `serde_json/arbitrary_precision` keeps exact), rounding to cents, writing
//! cents as text, and splitting an amount over weights to the cent ([`allocate`], the one rule
//! every mapping splits with).

mod allocation;

use std::str::FromStr;

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;
use serde_json::Value;

use crate::PluginError;

pub use allocation::{AllocationError, allocate};

/// Parses an amount from a JSON string (`"12.30"`) or number (`12.3`, `1.5e2`).
pub fn from_json(value: &Value) -> Result<Decimal, PluginError> {
    match value {
        Value::String(text) => parse(text),
        Value::Number(number) => parse(&number.to_string()),
        other => Err(PluginError::rejected(format!(
            "expected an amount, found {other}"
        ))),
    }
}

/// Parses an amount from text, plain (`-12.30`) or scientific (`1.5e2`).
pub fn parse(text: &str) -> Result<Decimal, PluginError> {
    let text = text.trim();
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|error| PluginError::rejected(format!("`{text}` is not an amount: {error}")))
}

/// A serde `deserialize_with` for an amount field: a JSON string or, read from its text (never
/// through f64), a number.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
    from_json(&value).map_err(|error| serde::de::Error::custom(error.to_string()))
}

/// [`deserialize`] for an optional field (absent or `null`: `None`).
pub fn deserialize_optional<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    match <Option<Value> as serde::Deserialize>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => from_json(&value)
            .map(Some)
            .map_err(|error| serde::de::Error::custom(error.to_string())),
    }
}

/// Rounds to two decimals, halves away from zero (commercial rounding).
pub fn round_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `amount` as a command writes it: rounded to cents, two places, no negative zero (`"12.30"`).
pub fn cents_text(amount: Decimal) -> String {
    let mut cents = round_cents(amount);
    if cents.is_zero() {
        cents = Decimal::ZERO;
    }
    cents.rescale(2);
    cents.to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_strings_and_numbers_exactly() {
        assert_eq!(from_json(&json!("12.30")).unwrap().to_string(), "12.30");
        let number: Value = serde_json::from_str("0.1").unwrap();
        assert_eq!(from_json(&number).unwrap(), Decimal::new(1, 1));
        let big: Value = serde_json::from_str("12345678901234567.89").unwrap();
        assert_eq!(from_json(&big).unwrap().to_string(), "12345678901234567.89");
        assert_eq!(parse("1.5e2").unwrap(), Decimal::new(150, 0));
        assert!(from_json(&json!(true)).is_err());
        assert!(parse("12,30").is_err());
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_cents(parse("2.345").unwrap()), parse("2.35").unwrap());
        assert_eq!(
            round_cents(parse("-2.345").unwrap()),
            parse("-2.35").unwrap()
        );
        assert_eq!(round_cents(parse("2.344").unwrap()), parse("2.34").unwrap());
    }

    #[test]
    fn cents_text_has_two_places_and_no_negative_zero() {
        let text = |amount: &str| cents_text(parse(amount).unwrap());
        assert_eq!(text("12.3"), "12.30");
        assert_eq!(text("7"), "7.00");
        assert_eq!(text("2.345"), "2.35");
        assert_eq!(text("-19.49"), "-19.49");
        assert_eq!(text("-0"), "0.00");
        assert_eq!(text("-0.004"), "0.00");
        assert_eq!(cents_text(-parse("0.00").unwrap()), "0.00");
    }

    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(deserialize_with = "deserialize")]
        amount: Decimal,
        #[serde(default, deserialize_with = "deserialize_optional")]
        other: Option<Decimal>,
    }

    #[test]
    fn amounts_are_read_exactly_from_strings_or_number_text() {
        let body: Body = serde_json::from_value(json!({"amount": "0.10"})).unwrap();
        assert_eq!(body.amount.to_string(), "0.10");
        assert_eq!(body.other, None);
        let body: Body =
            serde_json::from_str(r#"{"amount": 12345678901234.57, "other": "-1"}"#).unwrap();
        assert_eq!(body.amount.to_string(), "12345678901234.57");
        assert_eq!(body.other.map(|other| other.to_string()), Some("-1".into()));
        assert!(serde_json::from_value::<Body>(json!({"amount": "1,5"})).is_err());
        assert!(serde_json::from_value::<Body>(json!({"amount": true})).is_err());
    }
}
