//! Money as [`Decimal`], never f64: parsing from JSON strings or numbers (read from their text,
//! which the workspace's `serde_json/arbitrary_precision` keeps exact) and rounding to cents.

use std::str::FromStr;

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;
use serde_json::Value;

use crate::PluginError;

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

/// Rounds to two decimals, halves away from zero (commercial rounding).
pub fn round_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
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
}
