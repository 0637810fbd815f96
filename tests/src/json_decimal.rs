//! Decimals written as JSON numbers digit for digit (serde_json's `arbitrary_precision`), never
//! through f64: the way Shopify refund subtotals and ShipStation costs arrive.

use rust_decimal::Decimal;
use serde_json::{Number, Value};

/// `digits` (a decimal such as "12.30") as a JSON number.
pub fn number(digits: &str) -> Value {
    Value::Number(
        digits
            .parse::<Number>()
            .expect("decimal digits are a JSON number"),
    )
}

/// `amount` as a JSON number with its own scale ("8.45" → 8.45).
pub fn decimal(amount: Decimal) -> Value {
    number(&amount.to_string())
}
