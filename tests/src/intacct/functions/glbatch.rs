//! The generic GLBATCH object (journal entries): at least two GLENTRY lines on known accounts and
//! dimensions, debits equal to credits, posted as given (TR_TYPE 1 = debit) unless saved as Draft.

use rust_decimal::Decimal;

use crate::intacct::books::{Books, PostingDetail};
use crate::intacct::error::{FnResult, IntacctError};
use crate::intacct::ledger::{GlBatch, GlEntry};
use crate::intacct::values::{amount, dimensions, optional, required, us_date};
use crate::intacct::xml_tree::Element;

pub fn create(books: &mut Books, object: &Element, controlid: &str) -> FnResult<Element> {
    let journal = required(object, "JOURNAL")?.to_owned();
    if !books.config.journals.contains(&journal) {
        return Err(IntacctError::business(format!(
            "Invalid journal {journal}: no such journal."
        )));
    }
    let date = us_date(object, "BATCH_DATE")?;
    let title = required(object, "BATCH_TITLE")?.to_owned();
    let state = optional(object, "STATE").unwrap_or_else(|| "Posted".to_owned());
    if !matches!(state.as_str(), "Posted" | "Draft") {
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
    let key = books.next_key();
    if state == "Posted" {
        let source = format!("GLBATCH {key}");
        for entry in &entries {
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
            books.post(&source, date, &entry.account, signed, detail);
        }
    }
    books.gl_batches.push(GlBatch {
        key: key.clone(),
        controlid: controlid.to_owned(),
        journal,
        date,
        title,
        state,
        entries,
    });
    Ok(Element::new("glbatch").with_leaf("RECORDNO", key))
}

fn read_entry(books: &Books, line: &Element) -> FnResult<GlEntry> {
    let account = required(line, "ACCOUNTNO")?.to_owned();
    books.check_account(&account)?;
    let debit = match required(line, "TR_TYPE")? {
        "1" => true,
        "-1" => false,
        other => {
            return Err(IntacctError::business(format!(
                "Invalid TR_TYPE '{other}': use 1 (debit) or -1 (credit)."
            )));
        }
    };
    let amount = amount(line, "TRX_AMOUNT")?;
    if amount <= Decimal::ZERO {
        return Err(IntacctError::business(format!(
            "Invalid TRX_AMOUNT {amount}: give the absolute amount."
        )));
    }
    let dimensions = dimensions(line, ["LOCATION", "DEPARTMENT", "CLASSID"]);
    books.check_dimensions(&dimensions)?;
    let customer_id = optional(line, "CUSTOMERID");
    if let Some(customer_id) = &customer_id {
        books.customer(customer_id)?;
    }
    Ok(GlEntry {
        account,
        debit,
        amount,
        description: optional(line, "DESCRIPTION"),
        dimensions,
        customer_id,
    })
}
