//! Reading field values out of function elements: required and optional text, money rounded to
//! cents, legacy `<year><month><day>` dates and generic `mm/dd/yyyy` dates.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::error::{FnResult, IntacctError};
use super::ledger::Dimensions;
use super::xml_tree::Element;

pub fn required<'a>(element: &'a Element, name: &str) -> FnResult<&'a str> {
    element.text_of(name).ok_or_else(|| {
        IntacctError::business(format!(
            "Required field {name} is missing from {}.",
            element.name
        ))
    })
}

pub fn optional(element: &Element, name: &str) -> Option<String> {
    element.text_of(name).map(str::to_owned)
}

/// A money amount, rounded to cents as Intacct does.
pub fn amount(element: &Element, name: &str) -> FnResult<Decimal> {
    parse_amount(required(element, name)?, name)
}

pub fn parse_amount(text: &str, name: &str) -> FnResult<Decimal> {
    Decimal::from_str(text)
        .map(|value| value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
        .map_err(|_| IntacctError::business(format!("Invalid amount '{text}' in {name}.")))
}

/// A legacy date element (`<year/><month/><day/>`), if present.
pub fn legacy_date(element: &Element, name: &str) -> FnResult<Option<NaiveDate>> {
    let Some(date) = element.find(name) else {
        return Ok(None);
    };
    let part = |part: &str| date.text_of(part).and_then(|text| text.parse().ok());
    let parsed = match (part("year"), part("month"), part("day")) {
        (Some(year), Some(month), Some(day)) => i32::try_from(year)
            .ok()
            .and_then(|year| NaiveDate::from_ymd_opt(year, month, day)),
        _ => None,
    };
    parsed.map(Some).ok_or_else(|| {
        IntacctError::business(format!(
            "Invalid date in {name}: year, month and day must form a date."
        ))
    })
}

pub fn required_legacy_date(element: &Element, name: &str) -> FnResult<NaiveDate> {
    legacy_date(element, name)?
        .ok_or_else(|| IntacctError::business(format!("Required field {name} is missing.")))
}

/// A generic-object date, `mm/dd/yyyy`.
pub fn us_date(element: &Element, name: &str) -> FnResult<NaiveDate> {
    let text = required(element, name)?;
    NaiveDate::parse_from_str(text, "%m/%d/%Y").map_err(|_| {
        IntacctError::business(format!(
            "Invalid date '{text}' in {name}: expected mm/dd/yyyy."
        ))
    })
}

/// Location, department and class read from the fields named `names` (they differ per object).
pub fn dimensions(element: &Element, names: [&str; 3]) -> Dimensions {
    let [location, department, class] = names.map(|name| optional(element, name));
    Dimensions {
        location,
        department,
        class,
    }
}
