//! `create_invoice` and `create_aradjustment`: the legacy AR documents. Both validate the customer,
//! accounts and dimensions of every line, round amounts to cents and post each line against the
//! receivable account (a negative adjustment is a credit memo).

use rust_decimal::Decimal;

use super::Outcome;
use crate::intacct::books::Books;
use crate::intacct::error::{FnResult, IntacctError};
use crate::intacct::ledger::{
    Adjustment, AdjustmentKind, ArDocument, ArLine, Invoice, InvoiceState,
};
use crate::intacct::schema::{
    Rule, SchemaError, check_date, check_items, check_sequence, one, opt,
};
use crate::intacct::values::{
    amount, dimensions, legacy_date, optional, required, required_legacy_date,
};
use crate::intacct::xml_tree::Element;

const INVOICE: &[Rule] = &[
    one(&["customerid"]),
    one(&["datecreated"]),
    opt(&["dateposted"]),
    opt(&["datedue", "termname"]),
    opt(&["batchkey"]),
    opt(&["action"]),
    opt(&["invoiceno"]),
    opt(&["ponumber"]),
    opt(&["description"]),
    opt(&["externalid"]),
    opt(&["billto"]),
    opt(&["shipto"]),
    opt(&["basecurr"]),
    opt(&["currency"]),
    opt(&["exchratedate"]),
    opt(&["exchratetype", "exchrate"]),
    opt(&["nogl"]),
    opt(&["supdocid"]),
    opt(&["customfields"]),
    one(&["invoiceitems"]),
];

const ADJUSTMENT: &[Rule] = &[
    one(&["customerid"]),
    one(&["datecreated"]),
    opt(&["dateposted"]),
    opt(&["batchkey"]),
    opt(&["adjustmentno"]),
    opt(&["action"]),
    opt(&["invoiceno"]),
    opt(&["description"]),
    opt(&["externalid"]),
    opt(&["basecurr"]),
    opt(&["currency"]),
    opt(&["exchratedate"]),
    opt(&["exchratetype", "exchrate"]),
    opt(&["nogl"]),
    one(&["aradjustmentitems"]),
];

const LINE_ITEM: &[Rule] = &[
    one(&["glaccountno", "accountlabel"]),
    opt(&["offsetglaccountno"]),
    one(&["amount"]),
    opt(&["memo"]),
    opt(&["locationid"]),
    opt(&["departmentid"]),
    opt(&["key"]),
    opt(&["totalpaid"]),
    opt(&["totaldue"]),
    opt(&["customfields"]),
    opt(&["revrectemplate"]),
    opt(&["defrevaccount"]),
    opt(&["revrecstartdate"]),
    opt(&["revrecenddate"]),
    opt(&["projectid"]),
    opt(&["customerid"]),
    opt(&["vendorid"]),
    opt(&["employeeid"]),
    opt(&["itemid"]),
    opt(&["classid"]),
    opt(&["contractid"]),
    opt(&["warehouseid"]),
];

const DATES: &[&str] = &["datecreated", "dateposted", "datedue", "exchratedate"];

pub fn check_invoice(element: &Element) -> Result<(), SchemaError> {
    check_document(element, INVOICE, "invoiceitems")
}

pub fn check_adjustment(element: &Element) -> Result<(), SchemaError> {
    check_document(element, ADJUSTMENT, "aradjustmentitems")
}

fn check_document(element: &Element, rules: &[Rule], items: &str) -> Result<(), SchemaError> {
    check_sequence(element, rules)?;
    for date in DATES.iter().filter_map(|name| element.find(name)) {
        check_date(date)?;
    }
    element
        .find(items)
        .map_or(Ok(()), |list| check_items(list, &["lineitem"], LINE_ITEM))
}

pub fn create_invoice(books: &mut Books, element: &Element, controlid: &str) -> FnResult<Outcome> {
    let draft = is_draft(element)?;
    let document = read_document(books, element, controlid, "invoiceno", "invoiceitems")?;
    if !draft {
        post(books, &document, "ARINVOICE");
    }
    let key = document.key.clone();
    books.invoices.push(Invoice {
        document,
        date_due: legacy_date(element, "datedue")?,
        term_name: optional(element, "termname"),
        po_number: optional(element, "ponumber"),
        total_paid: Decimal::ZERO,
        state: created_state(draft),
    });
    Ok(Outcome::Key(key))
}

pub fn create_adjustment(
    books: &mut Books,
    element: &Element,
    controlid: &str,
) -> FnResult<Outcome> {
    let draft = is_draft(element)?;
    let document = read_document(
        books,
        element,
        controlid,
        "adjustmentno",
        "aradjustmentitems",
    )?;
    if !draft {
        post(books, &document, "ARADJUSTMENT");
    }
    let key = document.key.clone();
    let kind = if document.total < Decimal::ZERO {
        AdjustmentKind::CreditMemo
    } else {
        AdjustmentKind::DebitMemo
    };
    books.adjustments.push(Adjustment {
        document,
        kind,
        state: created_state(draft),
    });
    Ok(Outcome::Key(key))
}

/// The state of a document just created.
fn created_state(draft: bool) -> InvoiceState {
    if draft {
        InvoiceState::Draft
    } else {
        InvoiceState::Posted
    }
}

fn is_draft(element: &Element) -> FnResult<bool> {
    match element.text_of("action") {
        None | Some("Submit") => Ok(false),
        Some("Draft") => Ok(true),
        Some(other) => Err(IntacctError::business(format!(
            "Invalid action '{other}': use Draft or Submit."
        ))),
    }
}

fn post(books: &mut Books, document: &ArDocument, object: &str) {
    let date = document.date_posted.unwrap_or(document.date_created);
    let source = format!("{object} {}", document.key);
    books.post_ar_lines(
        &source,
        date,
        &document.customer_id,
        &document.lines,
        Decimal::ONE,
    );
}

fn read_document(
    books: &mut Books,
    element: &Element,
    controlid: &str,
    number_field: &str,
    items: &str,
) -> FnResult<ArDocument> {
    let customer_id = required(element, "customerid")?.to_owned();
    books.customer(&customer_id)?;
    let list = element
        .find(items)
        .map(|list| list.children.as_slice())
        .unwrap_or_default();
    let lines = list
        .iter()
        .map(|item| read_line(books, item))
        .collect::<FnResult<Vec<_>>>()?;
    Ok(ArDocument {
        key: books.next_key(),
        controlid: controlid.to_owned(),
        date_created: required_legacy_date(element, "datecreated")?,
        date_posted: legacy_date(element, "dateposted")?,
        number: optional(element, number_field),
        description: optional(element, "description"),
        external_id: optional(element, "externalid"),
        currency: optional(element, "currency")
            .unwrap_or_else(|| books.config.base_currency.clone()),
        total: lines.iter().map(|line| line.amount).sum(),
        lines,
        customer_id,
    })
}

fn read_line(books: &Books, item: &Element) -> FnResult<ArLine> {
    let account = match (item.text_of("glaccountno"), item.text_of("accountlabel")) {
        (Some(number), _) => number.to_owned(),
        (None, Some(label)) => account_by_label(books, label)?,
        (None, None) => {
            return Err(IntacctError::business(
                "A line item needs glaccountno or accountlabel.",
            ));
        }
    };
    books.check_account(&account)?;
    let offset_account =
        optional(item, "offsetglaccountno").unwrap_or_else(|| books.config.ar_account.clone());
    books.check_account(&offset_account)?;
    let dimensions = dimensions(item, ["locationid", "departmentid", "classid"]);
    books.check_dimensions(&dimensions)?;
    let customer_id = optional(item, "customerid");
    if let Some(customer_id) = &customer_id {
        books.customer(customer_id)?;
    }
    Ok(ArLine {
        account,
        offset_account,
        amount: amount(item, "amount")?,
        memo: optional(item, "memo"),
        dimensions,
        project: optional(item, "projectid"),
        customer_id,
        item: optional(item, "itemid"),
        warehouse: optional(item, "warehouseid"),
    })
}

/// Account labels are the account titles of the chart.
fn account_by_label(books: &Books, label: &str) -> FnResult<String> {
    books
        .config
        .accounts
        .iter()
        .find(|(_, title)| title.as_str() == label)
        .map(|(number, _)| number.clone())
        .ok_or_else(|| IntacctError::business(format!("Invalid account label '{label}'.")))
}
