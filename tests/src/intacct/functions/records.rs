//! The objects `readByQuery` reads, with their fields as Intacct names them: CUSTOMER, SODOCUMENT
//! (within a transaction definition), ARINVOICE, ARADJUSTMENT, ARPYMT and the invoices each payment
//! pays (ARPYMTDETAIL), GLBATCH and its lines (GLENTRY). Intacct's GLBATCH carries no amount: a
//! batch's amounts are its lines', read as GLENTRY by BATCHNO (here the batch's RECORDNO). Lines
//! and payment details have no RECORDNO of their own in the simulator.
//!
//! A value keeps its kind (text, date, amount), so a query compares dates as dates and amounts as
//! numbers; it is written as Intacct writes it, dates as `mm/dd/yyyy`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::customer;
use super::generic::object_not_found;
use crate::intacct::books::Books;
use crate::intacct::error::FnResult;
use crate::intacct::ledger::{ArDocument, GlBatch, InvoiceState, Payment};

/// How Intacct writes (and reads, in a query) a date.
pub const US_DATE: &str = "%m/%d/%Y";

/// One field's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// None when the record has no such date (a draft has no posting date).
    Date(Option<NaiveDate>),
    Amount(Decimal),
}

impl Value {
    /// The value as a response carries it.
    pub fn render(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Date(date) => date
                .map(|date| date.format(US_DATE).to_string())
                .unwrap_or_default(),
            Self::Amount(amount) => amount.to_string(),
        }
    }
}

/// A record: its fields by query name, in the order a response lists them.
pub type Record = Vec<(String, Value)>;

/// Every record of `object`; SODOCUMENT only within `docpar_id` when given.
pub fn records(books: &Books, object: &str, docpar_id: Option<&str>) -> FnResult<Vec<Record>> {
    Ok(match object {
        "CUSTOMER" => books
            .customers
            .iter()
            .map(|customer| {
                customer::fields(customer)
                    .into_iter()
                    .map(|(name, value)| (name, Value::Text(value)))
                    .collect()
            })
            .collect(),
        "SODOCUMENT" => books
            .sales_orders
            .iter()
            .filter(|order| docpar_id.is_none_or(|docpar| order.docpar_id == docpar))
            .map(|order| {
                record(vec![
                    ("RECORDNO", text(&order.record_no)),
                    ("DOCNO", text(&order.doc_no)),
                    (
                        "DOCID",
                        text(format!("{}-{}", order.docpar_id, order.doc_no)),
                    ),
                    ("DOCPARID", text(&order.docpar_id)),
                    ("PONUMBER", optional_text(&order.po_number)),
                    ("CUSTVENDID", text(&order.customer_id)),
                    ("STATE", text(&order.state)),
                    ("WHENCREATED", Value::Date(Some(order.date))),
                    ("CURRENCY", text(&order.currency)),
                    ("TOTAL", Value::Amount(order.total)),
                ])
            })
            .collect(),
        "ARINVOICE" => books
            .invoices
            .iter()
            .map(|invoice| {
                let mut fields = ar_document(&invoice.document, invoice.state);
                fields.extend([
                    ("DOCNUMBER", optional_text(&invoice.po_number)),
                    ("WHENDUE", Value::Date(invoice.date_due)),
                    ("TERMNAME", optional_text(&invoice.term_name)),
                    ("TOTALPAID", Value::Amount(invoice.total_paid)),
                    ("TOTALDUE", Value::Amount(invoice.total_due())),
                ]);
                record(fields)
            })
            .collect(),
        "ARADJUSTMENT" => books
            .adjustments
            .iter()
            .map(|adjustment| record(ar_document(&adjustment.document, adjustment.state)))
            .collect(),
        "ARPYMT" => books.payments.iter().map(payment).collect(),
        "ARPYMTDETAIL" => books.payments.iter().flat_map(payment_details).collect(),
        "GLBATCH" => books.gl_batches.iter().map(gl_batch).collect(),
        "GLENTRY" => books.gl_batches.iter().flat_map(gl_entries).collect(),
        other => return Err(object_not_found(other)),
    })
}

fn record(fields: Vec<(&str, Value)>) -> Record {
    fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

fn optional_text(value: &Option<String>) -> Value {
    Value::Text(value.clone().unwrap_or_default())
}

/// The fields invoices and adjustments share. RECORDID is the number given at create
/// (`invoiceno`, `adjustmentno`); WHENPOSTED is empty for a draft.
fn ar_document(document: &ArDocument, state: InvoiceState) -> Vec<(&'static str, Value)> {
    let posted = (state != InvoiceState::Draft)
        .then(|| document.date_posted.unwrap_or(document.date_created));
    vec![
        ("RECORDNO", text(&document.key)),
        ("RECORDID", optional_text(&document.number)),
        ("CUSTOMERID", text(&document.customer_id)),
        ("EXTERNALID", optional_text(&document.external_id)),
        ("STATE", text(state.label())),
        ("WHENCREATED", Value::Date(Some(document.date_created))),
        ("WHENPOSTED", Value::Date(posted)),
        ("DESCRIPTION", optional_text(&document.description)),
        ("CURRENCY", text(&document.currency)),
        ("TOTALENTERED", Value::Amount(document.total)),
    ]
}

/// A payment: DOCNUMBER is the payer's reference (`refid`), FINANCIALENTITY the bank account it
/// went to (empty for undeposited funds), TOTALENTERED its amount.
fn payment(payment: &Payment) -> Record {
    record(vec![
        ("RECORDNO", text(&payment.key)),
        ("CUSTOMERID", text(&payment.customer_id)),
        ("DOCNUMBER", optional_text(&payment.ref_id)),
        ("PAYMENTMETHOD", text(&payment.method)),
        ("FINANCIALENTITY", optional_text(&payment.bank_account_id)),
        ("WHENCREATED", Value::Date(Some(payment.received))),
        ("WHENPAID", Value::Date(Some(payment.received))),
        ("CURRENCY", text(&payment.currency)),
        ("TOTALENTERED", Value::Amount(payment.amount)),
    ])
}

/// What a payment paid of each invoice: PAYMENTKEY the payment's RECORDNO, RECORDKEY the invoice's.
fn payment_details(payment: &Payment) -> impl Iterator<Item = Record> + '_ {
    payment.applied.iter().map(|application| {
        record(vec![
            ("PAYMENTKEY", text(&payment.key)),
            ("RECORDKEY", text(&application.invoice_key)),
            ("PAYMENTDATE", Value::Date(Some(payment.received))),
            ("CURRENCY", text(&payment.currency)),
            ("TRX_PAYMENTAMOUNT", Value::Amount(application.amount)),
        ])
    })
}

/// BATCHNO is the batch's RECORDNO: the simulator does not number batches per journal.
fn gl_batch(batch: &GlBatch) -> Record {
    record(vec![
        ("RECORDNO", text(&batch.key)),
        ("BATCHNO", text(&batch.key)),
        ("JOURNAL", text(&batch.journal)),
        ("BATCH_DATE", Value::Date(Some(batch.date))),
        ("BATCH_TITLE", text(&batch.title)),
        ("REFERENCENO", optional_text(&batch.reference_no)),
        ("STATE", text(&batch.state)),
    ])
}

/// A batch's lines, numbered from 1 (LINE_NO); TR_TYPE 1 is a debit, -1 a credit, the amounts
/// absolute (AMOUNT in the base currency, TRX_AMOUNT as entered: the same in the simulator).
fn gl_entries(batch: &GlBatch) -> impl Iterator<Item = Record> + '_ {
    batch.entries.iter().enumerate().map(|(index, entry)| {
        record(vec![
            ("BATCHNO", text(&batch.key)),
            ("LINE_NO", text((index + 1).to_string())),
            ("ENTRY_DATE", Value::Date(Some(batch.date))),
            ("STATE", text(&batch.state)),
            ("TR_TYPE", text(if entry.debit { "1" } else { "-1" })),
            ("ACCOUNTNO", text(&entry.account)),
            ("AMOUNT", Value::Amount(entry.amount)),
            ("TRX_AMOUNT", Value::Amount(entry.amount)),
            ("DESCRIPTION", optional_text(&entry.description)),
            ("LOCATION", optional_text(&entry.dimensions.location)),
            ("DEPARTMENT", optional_text(&entry.dimensions.department)),
            ("CLASSID", optional_text(&entry.dimensions.class)),
            ("CUSTOMERID", optional_text(&entry.customer_id)),
        ])
    })
}
