//! The query language of `readByQuery`, as far as the simulator speaks it: conditions
//! `FIELD op 'value'` joined with AND, where op is `=`, `!=` (or `<>`), `<`, `<=`, `>` or `>=`, and
//! a quote inside a value is written `\'`. A condition compares as the field's kind: a date field
//! takes `mm/dd/yyyy` (`WHENCREATED >= '11/01/2026'`), an amount field a number, a text field
//! compares as text. A record without the date (a draft's WHENPOSTED) meets no date condition.
//! Fields and values are checked against the records as they are read, so a query of an object
//! with no records at all is not checked (Intacct checks it against the object's definition).

use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::records::{Record, US_DATE, Value};
use crate::intacct::error::{FnResult, IntacctError};

/// How a condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// The operators as written, longest first so `<=` is not read as `<`.
const OPERATORS: &[(&str, Operator)] = &[
    ("!=", Operator::NotEqual),
    ("<>", Operator::NotEqual),
    ("<=", Operator::LessOrEqual),
    (">=", Operator::GreaterOrEqual),
    ("=", Operator::Equal),
    ("<", Operator::Less),
    (">", Operator::Greater),
];

impl Operator {
    /// Whether a value that compares to the condition's as `ordering` meets it.
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Equal => ordering.is_eq(),
            Self::NotEqual => ordering.is_ne(),
            Self::Less => ordering.is_lt(),
            Self::LessOrEqual => ordering.is_le(),
            Self::Greater => ordering.is_gt(),
            Self::GreaterOrEqual => ordering.is_ge(),
        }
    }
}

/// One condition of a query.
#[derive(Debug, PartialEq, Eq)]
pub struct Condition {
    field: String,
    operator: Operator,
    value: String,
}

pub fn parse(text: &str) -> FnResult<Vec<Condition>> {
    let invalid = |why: &str| IntacctError::business(format!("Invalid query '{text}': {why}."));
    let mut conditions = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let field_end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let field = rest[..field_end].to_uppercase();
        if field.is_empty() {
            return Err(invalid("expected a field name"));
        }
        rest = rest[field_end..].trim_start();
        let (operator, after) = OPERATORS
            .iter()
            .find_map(|(written, operator)| {
                rest.strip_prefix(written).map(|after| (*operator, after))
            })
            .ok_or_else(|| invalid("expected =, !=, <, <=, > or >="))?;
        let quoted = after
            .trim_start()
            .strip_prefix('\'')
            .ok_or_else(|| invalid("expected a quoted value"))?;
        let (value, after) = unquote(quoted).ok_or_else(|| invalid("unterminated value"))?;
        conditions.push(Condition {
            field,
            operator,
            value,
        });
        rest = after.trim_start();
        if !rest.is_empty() {
            let (keyword, after) =
                rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len()));
            if !keyword.eq_ignore_ascii_case("AND") {
                return Err(invalid("conditions are joined with AND"));
            }
            rest = after.trim_start();
        }
    }
    Ok(conditions)
}

/// Reads a value up to its closing quote; `\'` is a quote and `\\` a backslash.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?.1),
            '\'' => return Some((value, &text[index + 1..])),
            c => value.push(c),
        }
    }
    None
}

/// Whether `record` meets every condition; a field `object` lacks, or a value of the wrong kind
/// for its field, fails the query.
pub fn matches(record: &Record, conditions: &[Condition], object: &str) -> FnResult<bool> {
    for condition in conditions {
        let value = field(record, &condition.field).ok_or_else(|| {
            IntacctError::business(format!(
                "Invalid field {} in query on {object}.",
                condition.field
            ))
        })?;
        let met = compare(value, condition)?.is_some_and(|order| condition.operator.holds(order));
        if !met {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The value of field `name` (any case).
pub fn field<'a>(record: &'a Record, name: &str) -> Option<&'a Value> {
    record
        .iter()
        .find(|(field, _)| field.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// How `value` compares to the condition's value; none when the record has no date to compare.
fn compare(value: &Value, condition: &Condition) -> FnResult<Option<Ordering>> {
    let literal = condition.value.as_str();
    Ok(match value {
        Value::Text(text) => Some(text.as_str().cmp(literal)),
        Value::Amount(amount) => {
            let wanted: Decimal = literal.trim().parse().map_err(|_| {
                IntacctError::business(format!(
                    "Invalid number '{literal}' for {} in the query.",
                    condition.field
                ))
            })?;
            Some(amount.cmp(&wanted))
        }
        Value::Date(date) => {
            let wanted = NaiveDate::parse_from_str(literal.trim(), US_DATE).map_err(|_| {
                IntacctError::business(format!(
                    "Invalid date '{literal}' for {} in the query: use mm/dd/yyyy.",
                    condition.field
                ))
            })?;
            date.map(|date| date.cmp(&wanted))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(field: &str, operator: Operator, value: &str) -> Condition {
        Condition {
            field: field.into(),
            operator,
            value: value.into(),
        }
    }

    #[test]
    fn parses_every_operator_and_escaped_quotes() {
        let conditions = parse(
            "PONUMBER = 'PO-O\\'Brien' and docno != 'X' AND WHENCREATED >= '11/01/2026' AND \
             WHENCREATED<='11/30/2026' AND TOTAL > '1' AND TOTAL < '9' AND STATE <> 'Draft'",
        )
        .unwrap();
        assert_eq!(
            conditions,
            [
                condition("PONUMBER", Operator::Equal, "PO-O'Brien"),
                condition("DOCNO", Operator::NotEqual, "X"),
                condition("WHENCREATED", Operator::GreaterOrEqual, "11/01/2026"),
                condition("WHENCREATED", Operator::LessOrEqual, "11/30/2026"),
                condition("TOTAL", Operator::Greater, "1"),
                condition("TOTAL", Operator::Less, "9"),
                condition("STATE", Operator::NotEqual, "Draft"),
            ]
        );
        assert!(parse("DOCNO = 'open").is_err());
        assert!(parse("DOCNO = 'a' OR DOCNO = 'b'").is_err());
        assert!(parse("DOCNO ~ 'a'").is_err());
    }

    fn invoice(date: Option<NaiveDate>, total: &str) -> Record {
        vec![
            ("STATE".into(), Value::Text("Posted".into())),
            ("WHENPOSTED".into(), Value::Date(date)),
            ("TOTALENTERED".into(), Value::Amount(total.parse().unwrap())),
        ]
    }

    fn meets(record: &Record, query: &str) -> FnResult<bool> {
        matches(record, &parse(query)?, "ARINVOICE")
    }

    #[test]
    fn compares_dates_as_dates_and_amounts_as_numbers() {
        let posted = invoice(NaiveDate::from_ymd_opt(2026, 11, 9), "125.00");
        let period = "WHENPOSTED >= '11/01/2026' AND WHENPOSTED <= '11/30/2026'";
        assert!(meets(&posted, period).unwrap());
        // As text, 11/09/2026 would come after 02/01/2027.
        assert!(!meets(&posted, "WHENPOSTED >= '02/01/2027'").unwrap());
        assert!(meets(&posted, "WHENPOSTED = '11/09/2026'").unwrap());
        assert!(meets(&posted, "TOTALENTERED = '125' AND TOTALENTERED > '99.99'").unwrap());
        assert!(!meets(&posted, "TOTALENTERED < '125'").unwrap());
        assert!(meets(&posted, "STATE != 'Reversed'").unwrap());
        let draft = invoice(None, "1");
        assert!(!meets(&draft, period).unwrap());
        assert!(!meets(&draft, "WHENPOSTED != '11/09/2026'").unwrap());
    }

    #[test]
    fn a_value_of_the_wrong_kind_or_an_unknown_field_fails_the_query() {
        let record = invoice(NaiveDate::from_ymd_opt(2026, 11, 9), "1");
        assert_eq!(
            meets(&record, "WHENPOSTED >= '2026-11-01'")
                .unwrap_err()
                .description2,
            "Invalid date '2026-11-01' for WHENPOSTED in the query: use mm/dd/yyyy."
        );
        assert_eq!(
            meets(&record, "TOTALENTERED = 'ten'")
                .unwrap_err()
                .description2,
            "Invalid number 'ten' for TOTALENTERED in the query."
        );
        assert_eq!(
            meets(&record, "WHENPAID = '11/09/2026'")
                .unwrap_err()
                .description2,
            "Invalid field WHENPAID in query on ARINVOICE."
        );
    }
}
