//! The generic GLBATCH object (journal entries): at least two GLENTRY lines on known accounts and
//! dimensions, debits equal to credits, posted as given (TR_TYPE 1 = debit) unless saved as Draft.
//! The same checks and posting serve a person's edit of a batch's lines (`by_hand`).

use rust_decimal::Decimal;

use crate::intacct::books::{Books, PostingDetail};
use crate::intacct::error::{FnResult, IntacctError};
use crate::intacct::ledger::{GlBatch, GlEntry};
use crate::intacct::values::{amount, dimensions, optional, required, us_date};
use crate::intacct::xml_tree::Element;

/// The state of a batch that posts; the other is `Draft`.
pub const POSTED: &str = "Posted";

pub fn create(books: &mut Books, object: &Element, controlid: &str) -> FnResult<Element> {
    let journal = required(object, "JOURNAL")?.to_owned();
    if !books.config.journals.contains(&journal) {
        return Err(IntacctError::business(format!(
            "Invalid journal {journal}: no such journal."
        )));
    }
    let date = us_date(object, "BATCH_DATE")?;
    let title = required(object, "BATCH_TITLE")?.to_owned();
    let state = optional(object, "STATE").unwrap_or_else(|| POSTED.to_owned());
    if !matches!(state.as_str(), POSTED | "Draft") {
        return Err(IntacctError::business(format!(
            "Invalid STATE '{state}': use Posted or Draft."
        )));
    }
    let lines = object
        .find("ENTRIES")
        .map(|list| list.children.as_slice())
        .unwrap_or_default();
    let entries = lines
        .iter()
        .map(|line| read_entry(books, line))
        .collect::<FnResult<Vec<_>>>()?;
    check_balanced(&entries)?;
    let key = books.next_key();
    let batch = GlBatch {
        key: key.clone(),
        controlid: controlid.to_owned(),
        journal,
        date,
        title,
        reference_no: optional(object, "REFERENCENO"),
        state,
        entries,
    };
    post(books, &batch);
    books.gl_batches.push(batch);
    Ok(Element::new("glbatch").with_leaf("RECORDNO", key))
}

/// At least two lines, debits equal to credits.
pub fn check_balanced(entries: &[GlEntry]) -> FnResult<()> {
    if entries.len() < 2 {
        return Err(IntacctError::business(
            "A journal entry needs at least two lines.",
        ));
    }
    let side = |debit: bool| {
        entries
            .iter()
            .filter(|entry| entry.debit == debit)
            .map(|entry| entry.amount)
            .sum::<Decimal>()
    };
    let (debits, credits) = (side(true), side(false));
    if debits != credits {
        return Err(IntacctError::business(format!(
            "The journal entry is unbalanced: debits {debits} do not equal credits {credits}."
        )));
    }
    Ok(())
}

/// What a batch posts is booked under this source.
pub fn source(key: &str) -> String {
    format!("GLBATCH {key}")
}

/// Posts the batch's lines, unless it is a draft.
pub fn post(books: &mut Books, batch: &GlBatch) {
    if batch.state != POSTED {
        return;
    }
    let source = source(&batch.key);
    for entry in &batch.entries {
        let detail = PostingDetail {
            dimensions: entry.dimensions.clone(),
            customer_id: entry.customer_id.clone(),
            memo: entry.description.clone(),
        };
        let signed = if entry.debit {
            entry.amount
        } else {
            -entry.amount
        };
        books.post(&source, batch.date, &entry.account, signed, detail);
    }
}

fn read_entry(books: &Books, line: &Element) -> FnResult<GlEntry> {
    let debit = match required(line, "TR_TYPE")? {
        "1" => true,
        "-1" => false,
        other => {
            return Err(IntacctError::business(format!(
                "Invalid TR_TYPE '{other}': use 1 (debit) or -1 (credit)."
            )));
        }
    };
    let entry = GlEntry {
        account: required(line, "ACCOUNTNO")?.to_owned(),
        debit,
        amount: amount(line, "TRX_AMOUNT")?,
        description: optional(line, "DESCRIPTION"),
        dimensions: dimensions(line, ["LOCATION", "DEPARTMENT", "CLASSID"]),
        customer_id: optional(line, "CUSTOMERID"),
    };
    check_entry(books, &entry)?;
    Ok(entry)
}

/// A line's account, dimensions and customer must exist; its amount is positive.
pub fn check_entry(books: &Books, entry: &GlEntry) -> FnResult<()> {
    books.check_account(&entry.account)?;
    if entry.amount <= Decimal::ZERO {
        return Err(IntacctError::business(format!(
            "Invalid TRX_AMOUNT {}: give the absolute amount.",
            entry.amount
        )));
    }
    books.check_dimensions(&entry.dimensions)?;
    if let Some(customer_id) = &entry.customer_id {
        books.customer(customer_id)?;
    }
    Ok(())
}
