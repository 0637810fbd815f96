//! What command bodies share: amounts (decimal strings, read exactly, never through f64), and the
//! check that a body names exactly one of two alternatives.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::serde_json::Value;
use serde::{Deserialize, Deserializer};

/// Deserialises an amount from a JSON string (`"12.30"`) or, read from its text, a number.
pub fn amount<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let value = Value::deserialize(deserializer)?;
    money::from_json(&value).map_err(|error| serde::de::Error::custom(error.to_string()))
}

/// [`amount`] for an optional field.
pub fn optional_amount<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => money::from_json(&value)
            .map(Some)
            .map_err(|error| serde::de::Error::custom(error.to_string())),
    }
}

/// The one of `a` and `b` that is set; `Rejected` naming both fields when none or both are.
pub fn exactly_one<'a, T>(
    a: (&str, Option<&'a T>),
    b: (&str, Option<&'a T>),
) -> Result<Either<&'a T>, PluginError> {
    match (a.1, b.1) {
        (Some(value), None) => Ok(Either::First(value)),
        (None, Some(value)) => Ok(Either::Second(value)),
        _ => Err(PluginError::rejected(format!(
            "give exactly one of `{}` and `{}`",
            a.0, b.0
        ))),
    }
}

/// Which of two alternatives a body chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either<T> {
    First(T),
    Second(T),
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::{self, json};

    use super::*;

    #[derive(Deserialize)]
    struct Body {
        #[serde(deserialize_with = "amount")]
        amount: Decimal,
        #[serde(default, deserialize_with = "optional_amount")]
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

    #[test]
    fn exactly_one_alternative() {
        let (a, b) = ("x".to_owned(), "y".to_owned());
        assert_eq!(
            exactly_one(("a", Some(&a)), ("b", None)).unwrap(),
            Either::First(&a)
        );
        assert_eq!(
            exactly_one(("a", None), ("b", Some(&b))).unwrap(),
            Either::Second(&b)
        );
        assert!(exactly_one::<String>(("a", None), ("b", None)).is_err());
        assert!(exactly_one(("a", Some(&a)), ("b", Some(&b))).is_err());
    }
}
