//! `GET /intacct/ledger`: a company's books as a person reads them, made from the simulator's
//! [`Ledger`] snapshot. Amounts are decimal strings; GL lines are signed, a debit positive and a
//! credit negative, and so are the balances (debits minus credits, per account over all
//! dimensions).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::intacct::{ArDocument, ArLine, Dimensions, GlEntry, Ledger};

#[derive(Debug, Serialize)]
pub struct LedgerView {
    pub company_id: String,
    pub invoices: Vec<InvoiceView>,
    /// Credit and debit memos.
    pub adjustments: Vec<AdjustmentView>,
    pub reversals: Vec<ReversalView>,
    pub payments: Vec<PaymentView>,
    pub gl_batches: Vec<BatchView>,
    /// Account → debits minus credits.
    pub balances: BTreeMap<String, Decimal>,
}

#[derive(Debug, Serialize)]
pub struct InvoiceView {
    #[serde(flatten)]
    pub document: DocumentView,
    /// `Posted`, `Partially Paid`, `Paid` or `Reversed`.
    pub state: &'static str,
    pub total_paid: Decimal,
}

#[derive(Debug, Serialize)]
pub struct AdjustmentView {
    #[serde(flatten)]
    pub document: DocumentView,
    /// `Credit Memo` or `Debit Memo`.
    pub kind: &'static str,
}

/// What invoices and adjustments have in common.
#[derive(Debug, Serialize)]
pub struct DocumentView {
    pub key: String,
    pub number: Option<String>,
    pub customer_id: String,
    pub date: NaiveDate,
    pub currency: String,
    pub total: Decimal,
    pub lines: Vec<LineView>,
}

/// A line of a document or a GL batch; `amount` as on the document, or signed in a GL batch.
#[derive(Debug, Serialize)]
pub struct LineView {
    pub account: String,
    pub amount: Decimal,
    pub memo: Option<String>,
    pub department: Option<String>,
    pub location: Option<String>,
    pub class: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ReversalView {
    pub key: String,
    pub invoice_key: String,
    pub date: NaiveDate,
    pub total: Decimal,
}

#[derive(Debug, Serialize)]
pub struct PaymentView {
    pub key: String,
    pub customer_id: String,
    pub date: NaiveDate,
    pub amount: Decimal,
    /// The GL account the money went to.
    pub account: String,
    pub method: String,
    pub reference: Option<String>,
    /// Invoice key → the amount applied to it.
    pub applied: BTreeMap<String, Decimal>,
    pub unapplied: Decimal,
}

#[derive(Debug, Serialize)]
pub struct BatchView {
    pub key: String,
    pub journal: String,
    pub date: NaiveDate,
    pub description: String,
    /// Signed: debit positive, credit negative.
    pub lines: Vec<LineView>,
}

impl From<&Ledger> for LedgerView {
    fn from(ledger: &Ledger) -> Self {
        let mut balances = BTreeMap::new();
        for line in &ledger.trial_balance.lines {
            *balances
                .entry(line.account.clone())
                .or_insert(Decimal::ZERO) += line.balance;
        }
        Self {
            company_id: ledger.company_id.clone(),
            invoices: ledger
                .invoices
                .iter()
                .map(|invoice| InvoiceView {
                    document: document(&invoice.document),
                    state: invoice.state.label(),
                    total_paid: invoice.total_paid,
                })
                .collect(),
            adjustments: ledger
                .adjustments
                .iter()
                .map(|adjustment| AdjustmentView {
                    document: document(&adjustment.document),
                    kind: adjustment.kind.label(),
                })
                .collect(),
            reversals: ledger
                .reversals
                .iter()
                .map(|reversal| ReversalView {
                    key: reversal.key.clone(),
                    invoice_key: reversal.invoice_key.clone(),
                    date: reversal.date,
                    total: reversal.total,
                })
                .collect(),
            payments: ledger
                .payments
                .iter()
                .map(|payment| PaymentView {
                    key: payment.key.clone(),
                    customer_id: payment.customer_id.clone(),
                    date: payment.received,
                    amount: payment.amount,
                    account: payment.account.clone(),
                    method: payment.method.clone(),
                    reference: payment.ref_id.clone(),
                    applied: payment
                        .applied
                        .iter()
                        .map(|applied| (applied.invoice_key.clone(), applied.amount))
                        .collect(),
                    unapplied: payment.unapplied,
                })
                .collect(),
            gl_batches: ledger
                .gl_batches
                .iter()
                .map(|batch| BatchView {
                    key: batch.key.clone(),
                    journal: batch.journal.clone(),
                    date: batch.date,
                    description: batch.title.clone(),
                    lines: batch.entries.iter().map(entry).collect(),
                })
                .collect(),
            balances,
        }
    }
}

fn document(document: &ArDocument) -> DocumentView {
    DocumentView {
        key: document.key.clone(),
        number: document.number.clone(),
        customer_id: document.customer_id.clone(),
        date: document.date_created,
        currency: document.currency.clone(),
        total: document.total,
        lines: document.lines.iter().map(ar_line).collect(),
    }
}

fn ar_line(line: &ArLine) -> LineView {
    line_view(&line.account, line.amount, &line.memo, &line.dimensions)
}

fn entry(entry: &GlEntry) -> LineView {
    let amount = match entry.debit {
        true => entry.amount,
        false => -entry.amount,
    };
    line_view(
        &entry.account,
        amount,
        &entry.description,
        &entry.dimensions,
    )
}

fn line_view(
    account: &str,
    amount: Decimal,
    memo: &Option<String>,
    dimensions: &Dimensions,
) -> LineView {
    LineView {
        account: account.to_owned(),
        amount,
        memo: memo.clone(),
        department: dimensions.department.clone(),
        location: dimensions.location.clone(),
        class: dimensions.class.clone(),
    }
}
