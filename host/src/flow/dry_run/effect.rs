//! The accounting effect of commands: the debits and credits they post, per GL account and per
//! dimension, read from the command bodies of the Intacct connector's kinds.
//! - `intacct.create-invoice` and `intacct.create-adjustment`: each line credits its account
//!   (`gl_account_no`, or `account_label`) by its amount (a negative amount debits it) with the
//!   line's dimensions, and debits its receivable account (`offset_gl_account_no`, else `AR`) by
//!   the same amount;
//! - `intacct.create-gl-batch`: each entry debits or credits its `account_no` with its dimensions.
//!
//! Other kinds (customers, payments, reversals of posted invoices, look-ups) post nothing that
//! their body alone can tell; they show in a dry-run's command diff only.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::flow::recording::RecordedCommand;

/// The receivable account of a line that names none: the company's own AR account.
const RECEIVABLE: &str = "AR";

/// The dimensions a line or entry may carry, as their command fields name them.
const DIMENSIONS: &[&str] = &[
    "location_id",
    "department_id",
    "project_id",
    "customer_id",
    "item_id",
    "class_id",
    "warehouse_id",
];

/// One side of a posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: String,
    pub dimensions: BTreeMap<String, String>,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// Debits and credits, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sides {
    pub debit: Decimal,
    pub credit: Decimal,
}

impl Sides {
    fn add(&mut self, debit: Decimal, credit: Decimal) {
        self.debit += debit;
        self.credit += credit;
    }

    pub fn is_zero(&self) -> bool {
        self.debit.is_zero() && self.credit.is_zero()
    }
}

/// What a set of commands posts, summed per account and per (dimension, value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effect {
    pub accounts: BTreeMap<String, Sides>,
    pub dimensions: BTreeMap<(String, String), Sides>,
}

impl Effect {
    /// The effect of `commands`.
    pub fn of(commands: &[RecordedCommand]) -> Self {
        let mut effect = Self::default();
        for posting in commands.iter().flat_map(postings) {
            effect.add(&posting, Decimal::ONE);
        }
        effect
    }

    /// Adds `other` times `sign` (−1 takes it away).
    pub fn merge(&mut self, other: &Effect, sign: Decimal) {
        for (account, sides) in &other.accounts {
            self.accounts
                .entry(account.clone())
                .or_default()
                .add(sign * sides.debit, sign * sides.credit);
        }
        for (dimension, sides) in &other.dimensions {
            self.dimensions
                .entry(dimension.clone())
                .or_default()
                .add(sign * sides.debit, sign * sides.credit);
        }
    }

    fn add(&mut self, posting: &Posting, sign: Decimal) {
        let (debit, credit) = (sign * posting.debit, sign * posting.credit);
        self.accounts
            .entry(posting.account.clone())
            .or_default()
            .add(debit, credit);
        for (name, value) in &posting.dimensions {
            self.dimensions
                .entry((name.clone(), value.clone()))
                .or_default()
                .add(debit, credit);
        }
    }

    /// Leaves out the accounts and dimensions whose sums are zero.
    pub fn without_zeros(mut self) -> Self {
        self.accounts.retain(|_, sides| !sides.is_zero());
        self.dimensions.retain(|_, sides| !sides.is_zero());
        self
    }
}

/// The total of an invoice or adjustment command (its lines' amounts), if it is one.
pub fn document_total(command: &RecordedCommand) -> Option<Decimal> {
    if !is_document(&command.kind) {
        return None;
    }
    let body: Value = serde_json::from_str(&command.body).ok()?;
    Some(
        lines(&body)
            .iter()
            .filter_map(|line| amount(line.get("amount")))
            .sum(),
    )
}

fn is_document(kind: &str) -> bool {
    matches!(kind, "intacct.create-invoice" | "intacct.create-adjustment")
}

/// The postings of one command; none for a kind that posts nothing its body can tell, or a body
/// that is not the expected JSON (the connector refuses those).
pub fn postings(command: &RecordedCommand) -> Vec<Posting> {
    let Ok(body) = serde_json::from_str::<Value>(&command.body) else {
        return Vec::new();
    };
    if is_document(&command.kind) {
        lines(&body).iter().flat_map(line_postings).collect()
    } else if command.kind == "intacct.create-gl-batch" {
        body.get("entries")
            .and_then(Value::as_array)
            .map(|entries| entries.iter().filter_map(entry_posting).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    }
}

fn lines(body: &Value) -> &[Value] {
    body.get("lines")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn line_postings(line: &Value) -> Vec<Posting> {
    let Some(amount) = amount(line.get("amount")) else {
        return Vec::new();
    };
    let Some(account) = text(line, "gl_account_no").or_else(|| text(line, "account_label")) else {
        return Vec::new();
    };
    let receivable = text(line, "offset_gl_account_no").unwrap_or_else(|| RECEIVABLE.to_owned());
    let dimensions = dimensions(line);
    let (debit, credit) = sides(-amount);
    let revenue = Posting {
        account,
        dimensions: dimensions.clone(),
        debit,
        credit,
    };
    let (debit, credit) = sides(amount);
    let offset = Posting {
        account: receivable,
        dimensions,
        debit,
        credit,
    };
    vec![revenue, offset]
}

fn entry_posting(entry: &Value) -> Option<Posting> {
    let account = text(entry, "account_no")?;
    let debit = amount(entry.get("debit")).unwrap_or_default();
    let credit = amount(entry.get("credit")).unwrap_or_default();
    Some(Posting {
        account,
        dimensions: dimensions(entry),
        debit,
        credit,
    })
}

/// A signed amount as (debit, credit): positive debits.
fn sides(amount: Decimal) -> (Decimal, Decimal) {
    if amount.is_sign_negative() {
        (Decimal::ZERO, -amount)
    } else {
        (amount, Decimal::ZERO)
    }
}

fn dimensions(line: &Value) -> BTreeMap<String, String> {
    DIMENSIONS
        .iter()
        .filter_map(|name| Some((name.to_string(), text(line, name)?)))
        .collect()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// An amount given as a JSON string or number, exactly (numbers keep their text).
/// A decimal from JSON text or an exact number (never through f64).
pub(crate) fn amount(value: Option<&Value>) -> Option<Decimal> {
    match value? {
        Value::String(text) => Decimal::from_str(text.trim()).ok(),
        Value::Number(number) => Decimal::from_str(&number.to_string()).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn money(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn an_invoice_credits_its_lines_and_debits_the_receivable_per_dimension() {
        let invoice = RecordedCommand::of(
            "intacct.create-invoice",
            json!({"customer_id": "C1", "date": "2026-11-22", "lines": [
                {"gl_account_no": "4000", "amount": "45.00", "department_id": "SALES"},
                {"gl_account_no": "4100", "amount": 5.5, "department_id": "SALES"},
                {"gl_account_no": "4900", "amount": "-3.00", "offset_gl_account_no": "1200"}
            ]}),
        );
        let effect = Effect::of(std::slice::from_ref(&invoice));
        assert_eq!(effect.accounts["4000"].credit, money("45.00"));
        assert_eq!(effect.accounts["4100"].credit, money("5.5"));
        assert_eq!(effect.accounts["4900"].debit, money("3.00"));
        assert_eq!(effect.accounts["AR"].debit, money("50.50"));
        assert_eq!(effect.accounts["1200"].credit, money("3.00"));
        let sales = effect.dimensions[&("department_id".into(), "SALES".into())];
        assert_eq!(
            (sales.debit, sales.credit),
            (money("50.50"), money("50.50"))
        );
        assert_eq!(document_total(&invoice), Some(money("47.50")));
    }

    #[test]
    fn a_gl_batch_posts_its_entries_and_other_kinds_post_nothing() {
        let batch = RecordedCommand::of(
            "intacct.create-gl-batch",
            json!({"journal": "GJ", "date": "2026-11-22", "title": "freight", "entries": [
                {"account_no": "6100", "debit": "12.40", "location_id": "WH-EAST"},
                {"account_no": "2100", "credit": "12.40"}
            ]}),
        );
        let customer = RecordedCommand::of("intacct.upsert-customer", json!({"customer_id": "C1"}));
        let effect = Effect::of(&[batch, customer]);
        assert_eq!(effect.accounts.len(), 2);
        assert_eq!(effect.accounts["6100"].debit, money("12.40"));
        assert_eq!(effect.accounts["2100"].credit, money("12.40"));
        assert_eq!(
            effect.dimensions[&("location_id".into(), "WH-EAST".into())].debit,
            money("12.40")
        );
    }

    #[test]
    fn the_difference_of_two_effects_keeps_only_what_moved() {
        let before = Effect::of(&[RecordedCommand::of(
            "intacct.create-invoice",
            json!({"lines": [{"gl_account_no": "4100", "amount": "9.99"},
                             {"gl_account_no": "4000", "amount": "20.00"}]}),
        )]);
        let after = Effect::of(&[RecordedCommand::of(
            "intacct.create-invoice",
            json!({"lines": [{"gl_account_no": "4000", "amount": "29.99"}]}),
        )]);
        let mut delta = after;
        delta.merge(&before, -Decimal::ONE);
        let delta = delta.without_zeros();
        assert_eq!(delta.accounts.len(), 2, "{delta:?}");
        assert_eq!(delta.accounts["4000"].credit, money("9.99"));
        assert_eq!(delta.accounts["4100"].credit, money("-9.99"));
    }
}
