//! What command bodies share: amounts (decimal strings, read exactly, never through f64), and the
//! check that a body names exactly one of two alternatives.

use ml_connector_sdk::PluginError;

pub use ml_connector_sdk::money::{deserialize as amount, deserialize_optional as optional_amount};

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
    use super::*;

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
