//! Undoing invoices: `reverse_invoice` (posts the invoice's lines negated and marks it Reversed; a
//! person's reversal by hand does the same) and the generic delete of ARINVOICE (removes a draft or
//! an unpaid invoice with its postings).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Outcome;
use crate::intacct::books::Books;
use crate::intacct::error::{FnResult, IntacctError};
use crate::intacct::ledger::{InvoiceState, Reversal};
use crate::intacct::schema::{SchemaError, check_date, check_sequence, one, opt};
use crate::intacct::values::{optional, required_legacy_date};
use crate::intacct::xml_tree::Element;

pub fn check(element: &Element) -> Result<(), SchemaError> {
    if element
        .attribute("key")
        .is_none_or(|key| key.trim().is_empty())
    {
        return Err(SchemaError::new(
            &element.name,
            "The attribute 'key' is required but missing.",
        ));
    }
    check_sequence(element, &[one(&["datereversed"]), opt(&["description"])])?;
    element.find("datereversed").map_or(Ok(()), check_date)
}

pub fn reverse_invoice(books: &mut Books, element: &Element, controlid: &str) -> FnResult<Outcome> {
    let key = element
        .attribute("key")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let date = required_legacy_date(element, "datereversed")?;
    let description = optional(element, "description");
    reverse(books, &key, date, description, controlid).map(Outcome::Key)
}

/// Reverses invoice `key` on `date`: it becomes Reversed and its postings are negated. Returns the
/// reversal's key.
pub fn reverse(
    books: &mut Books,
    key: &str,
    date: NaiveDate,
    description: Option<String>,
    controlid: &str,
) -> FnResult<String> {
    let invoice = books.invoice_mut(key)?;
    match invoice.state {
        InvoiceState::Posted => {}
        InvoiceState::Draft => {
            return Err(IntacctError::business(format!(
                "Invoice {key} is a draft: delete it instead."
            )));
        }
        InvoiceState::Reversed => {
            return Err(IntacctError::business(format!(
                "Invoice {key} is already reversed."
            )));
        }
        InvoiceState::PartiallyPaid | InvoiceState::Paid => {
            return Err(IntacctError::business(format!(
                "Invoice {key} has payments applied: reverse the payments before reversing the invoice."
            )));
        }
    }
    invoice.state = InvoiceState::Reversed;
    let document = invoice.document.clone();
    let reversal_key = books.next_key();
    let source = format!("ARINVOICE {key} REVERSAL {reversal_key}");
    books.post_ar_lines(
        &source,
        date,
        &document.customer_id,
        &document.lines,
        -Decimal::ONE,
    );
    books.reversals.push(Reversal {
        key: reversal_key.clone(),
        controlid: controlid.to_owned(),
        invoice_key: key.to_owned(),
        date,
        description,
        total: -document.total,
    });
    Ok(reversal_key)
}

/// Deletes the invoices `keys`; each must be a draft or posted without payments.
pub fn delete_invoices(books: &mut Books, keys: &[&str]) -> FnResult<Vec<Element>> {
    keys.iter()
        .map(|key| {
            let invoice = books.invoice_mut(key)?;
            if !matches!(invoice.state, InvoiceState::Draft | InvoiceState::Posted) {
                return Err(IntacctError::business(format!(
                    "Invoice {key} cannot be deleted: it is {}.",
                    invoice.state.label()
                )));
            }
            books.delete_invoice(key);
            Ok(Element::new("arinvoice").with_leaf("RECORDNO", *key))
        })
        .collect()
}
