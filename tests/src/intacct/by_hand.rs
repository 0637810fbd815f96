//! What a person does in Intacct's own screens, which nothing in the host hears of: reversing an
//! invoice, deleting an adjustment (a credit memo), changing a GL batch's lines. Tests break the
//! books with these on purpose, to see a reconciliation find the difference. Each keeps Intacct's
//! rules (a paid invoice is not reversed, a batch's debits equal its credits) and checks them
//! before it changes anything; it runs between requests, and the gateway keeps the change at once.

use chrono::NaiveDate;

use super::books::Books;
use super::error::{FnResult, IntacctError};
use super::functions::{glbatch, reversal};
use super::ledger::GlEntry;

/// Reverses invoice `key` on `date`, as `reverse_invoice` does but under no controlid. Returns
/// the reversal's key.
pub fn reverse_invoice(books: &mut Books, key: &str, date: NaiveDate) -> FnResult<String> {
    reversal::reverse(books, key, date, None, "")
}

/// Deletes adjustment `key` and what it posted.
pub fn delete_adjustment(books: &mut Books, key: &str) -> FnResult<()> {
    let index = books
        .adjustments
        .iter()
        .position(|adjustment| adjustment.document.key == key)
        .ok_or_else(|| {
            IntacctError::business(format!("Invalid adjustment key {key}: no such adjustment."))
        })?;
    books.adjustments.remove(index);
    let source = format!("ARADJUSTMENT {key}");
    books.postings.retain(|posting| posting.source != source);
    Ok(())
}

/// Changes GL batch `key`'s lines with `edit` (their amounts, accounts, sides …) and posts the
/// batch again as edited.
pub fn edit_gl_batch(
    books: &mut Books,
    key: &str,
    edit: impl FnOnce(&mut Vec<GlEntry>),
) -> FnResult<()> {
    let index = books
        .gl_batches
        .iter()
        .position(|batch| batch.key == key)
        .ok_or_else(|| {
            IntacctError::business(format!("Invalid GL batch key {key}: no such batch."))
        })?;
    let mut batch = books.gl_batches[index].clone();
    edit(&mut batch.entries);
    for entry in &batch.entries {
        glbatch::check_entry(books, entry)?;
    }
    glbatch::check_balanced(&batch.entries)?;
    let source = glbatch::source(key);
    books.postings.retain(|posting| posting.source != source);
    glbatch::post(books, &batch);
    books.gl_batches[index] = batch;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::intacct::ledger::InvoiceState;
    use crate::intacct::testing::{DemoBooks, money};

    fn november(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn a_reversal_by_hand_marks_the_invoice_reversed_and_nets_its_postings() {
        let mut books = DemoBooks::new();
        let key = books.invoice("INV-1", november(3), "40.00");
        let reversal = reverse_invoice(&mut books.books, &key, november(20)).unwrap();
        let ledger = books.books.ledger();
        assert_eq!(ledger.invoice(&key).unwrap().state, InvoiceState::Reversed);
        assert_eq!(ledger.reversals[0].key, reversal);
        assert_eq!(ledger.reversals[0].controlid, "");
        assert_eq!(ledger.reversals[0].total, money("-40.00"));
        assert_eq!(ledger.account_balance("1200"), Decimal::ZERO);
        let again = reverse_invoice(&mut books.books, &key, november(21)).unwrap_err();
        assert_eq!(
            again.description2,
            format!("Invoice {key} is already reversed.")
        );
    }

    #[test]
    fn deleting_an_adjustment_by_hand_takes_its_postings_with_it() {
        let mut books = DemoBooks::new();
        let invoice = books.invoice("INV-1", november(3), "40.00");
        let credit = books.adjustment("CM-1", november(4), "-15.00");
        assert_eq!(books.books.ledger().account_balance("1200"), money("25.00"));
        delete_adjustment(&mut books.books, &credit).unwrap();
        let ledger = books.books.ledger();
        assert!(ledger.adjustments.is_empty());
        assert_eq!(ledger.account_balance("1200"), money("40.00"));
        assert!(ledger.invoice(&invoice).is_some());
        let gone = delete_adjustment(&mut books.books, &credit).unwrap_err();
        assert_eq!(
            gone.description2,
            format!("Invalid adjustment key {credit}: no such adjustment.")
        );
    }

    #[test]
    fn an_edited_gl_batch_posts_its_new_amounts_and_an_unbalanced_edit_is_refused() {
        let mut books = DemoBooks::new();
        let key = books.gl_batch(november(5), "8.45");
        edit_gl_batch(&mut books.books, &key, |entries| {
            entries
                .iter_mut()
                .for_each(|entry| entry.amount = money("9.99"));
        })
        .unwrap();
        let ledger = books.books.ledger();
        assert_eq!(ledger.gl_batches[0].entries[0].amount, money("9.99"));
        assert_eq!(ledger.account_balance("6100"), money("9.99"));
        assert_eq!(ledger.account_balance("2100"), money("-9.99"));
        assert!(ledger.trial_balance.is_balanced());

        let refused = edit_gl_batch(&mut books.books, &key, |entries| {
            entries[0].amount = money("1.00");
        })
        .unwrap_err();
        assert_eq!(
            refused.description2,
            "The journal entry is unbalanced: debits 1.00 do not equal credits 9.99."
        );
        assert_eq!(
            books.books.ledger().account_balance("6100"),
            money("9.99"),
            "a refused edit changes nothing"
        );
    }
}
