//! The records of one company's books as tests see them (customers, invoices, adjustments,
//! reversals, payments, GL batches, postings) and the trial balance computed from the postings.
//! Everything here is a serializable snapshot; the live books are in `books`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::config::SalesOrder;

/// A snapshot of one company's books, also served as JSON by `GET /ledger?company=ID`.
#[derive(Clone, Debug, Serialize)]
pub struct Ledger {
    pub company_id: String,
    pub base_currency: String,
    pub ar_account: String,
    pub customers: Vec<Customer>,
    pub invoices: Vec<Invoice>,
    pub adjustments: Vec<Adjustment>,
    pub reversals: Vec<Reversal>,
    pub payments: Vec<Payment>,
    pub gl_batches: Vec<GlBatch>,
    pub sales_orders: Vec<SalesOrder>,
    /// Every GL line posted, in order.
    pub postings: Vec<Posting>,
    pub trial_balance: TrialBalance,
}

impl Ledger {
    pub fn invoice(&self, key: &str) -> Option<&Invoice> {
        self.invoices
            .iter()
            .find(|invoice| invoice.document.key == key)
    }

    pub fn customer(&self, customer_id: &str) -> Option<&Customer> {
        self.customers
            .iter()
            .find(|customer| customer.customer_id == customer_id)
    }

    /// Debits minus credits posted to `account`, over all dimensions.
    pub fn account_balance(&self, account: &str) -> Decimal {
        self.trial_balance
            .lines
            .iter()
            .filter(|line| line.account == account)
            .map(|line| line.balance)
            .sum()
    }
}

/// The dimensions a GL line carries.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dimensions {
    pub location: Option<String>,
    pub department: Option<String>,
    pub class: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Customer {
    pub record_no: String,
    pub customer_id: String,
    pub name: String,
    pub status: String,
    /// Every other field sent, by its query name (`DISPLAYCONTACT.EMAIL1`).
    pub fields: BTreeMap<String, String>,
}

/// A line of an invoice or an adjustment.
#[derive(Clone, Debug, Serialize)]
pub struct ArLine {
    pub account: String,
    /// The receivable account the line offsets; the company's AR account when not given.
    pub offset_account: String,
    pub amount: Decimal,
    pub memo: Option<String>,
    #[serde(flatten)]
    pub dimensions: Dimensions,
    pub project: Option<String>,
    pub customer_id: Option<String>,
    pub item: Option<String>,
    pub warehouse: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum InvoiceState {
    Draft,
    Posted,
    #[serde(rename = "Partially Paid")]
    PartiallyPaid,
    Paid,
    Reversed,
}

/// The header fields invoices and adjustments share.
#[derive(Clone, Debug, Serialize)]
pub struct ArDocument {
    pub key: String,
    /// The controlid of the function that created it.
    pub controlid: String,
    pub customer_id: String,
    pub date_created: NaiveDate,
    pub date_posted: Option<NaiveDate>,
    /// `invoiceno` of an invoice, `adjustmentno` of an adjustment.
    pub number: Option<String>,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub currency: String,
    pub lines: Vec<ArLine>,
    pub total: Decimal,
}

#[derive(Clone, Debug, Serialize)]
pub struct Invoice {
    #[serde(flatten)]
    pub document: ArDocument,
    pub date_due: Option<NaiveDate>,
    pub term_name: Option<String>,
    pub po_number: Option<String>,
    pub total_paid: Decimal,
    pub state: InvoiceState,
}

impl InvoiceState {
    /// The state as Intacct shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Posted => "Posted",
            Self::PartiallyPaid => "Partially Paid",
            Self::Paid => "Paid",
            Self::Reversed => "Reversed",
        }
    }
}

impl Invoice {
    pub fn total_due(&self) -> Decimal {
        self.document.total - self.total_paid
    }
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum AdjustmentKind {
    /// A negative total: lowers what the customer owes.
    #[serde(rename = "Credit Memo")]
    CreditMemo,
    #[serde(rename = "Debit Memo")]
    DebitMemo,
}

impl AdjustmentKind {
    /// The kind as Intacct shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::CreditMemo => "Credit Memo",
            Self::DebitMemo => "Debit Memo",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Adjustment {
    #[serde(flatten)]
    pub document: ArDocument,
    pub kind: AdjustmentKind,
    /// Draft or Posted: the simulator applies no payment to an adjustment.
    pub state: InvoiceState,
}

/// The reversal of an invoice: its postings negated on `date`.
#[derive(Clone, Debug, Serialize)]
pub struct Reversal {
    pub key: String,
    /// The controlid of the function that reversed the invoice; empty when a person did, by hand.
    pub controlid: String,
    pub invoice_key: String,
    pub date: NaiveDate,
    pub description: Option<String>,
    /// The negated invoice total.
    pub total: Decimal,
}

#[derive(Clone, Debug, Serialize)]
pub struct PaymentApplication {
    pub invoice_key: String,
    pub amount: Decimal,
}

#[derive(Clone, Debug, Serialize)]
pub struct Payment {
    pub key: String,
    pub controlid: String,
    pub customer_id: String,
    pub amount: Decimal,
    /// The GL account the money went to.
    pub account: String,
    pub bank_account_id: Option<String>,
    pub received: NaiveDate,
    pub method: String,
    pub ref_id: Option<String>,
    pub currency: String,
    pub applied: Vec<PaymentApplication>,
    /// The part of the payment not applied to an invoice.
    pub unapplied: Decimal,
}

/// One GLENTRY as sent: `debit` is TR_TYPE 1.
#[derive(Clone, Debug, Serialize)]
pub struct GlEntry {
    pub account: String,
    pub debit: bool,
    pub amount: Decimal,
    pub description: Option<String>,
    #[serde(flatten)]
    pub dimensions: Dimensions,
    pub customer_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GlBatch {
    pub key: String,
    pub controlid: String,
    pub journal: String,
    pub date: NaiveDate,
    pub title: String,
    /// REFERENCENO, when the batch was given one.
    pub reference_no: Option<String>,
    pub state: String,
    pub entries: Vec<GlEntry>,
}

/// One line posted to the general ledger.
#[derive(Clone, Debug, Serialize)]
pub struct Posting {
    /// What posted it, e.g. `ARINVOICE 12`.
    pub source: String,
    pub date: NaiveDate,
    pub account: String,
    pub debit: Decimal,
    pub credit: Decimal,
    #[serde(flatten)]
    pub dimensions: Dimensions,
    pub customer_id: Option<String>,
    pub memo: Option<String>,
}

/// Debits and credits per account and dimension.
#[derive(Clone, Debug, Serialize)]
pub struct TrialBalance {
    pub lines: Vec<TrialBalanceLine>,
    pub total_debit: Decimal,
    pub total_credit: Decimal,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrialBalanceLine {
    pub account: String,
    #[serde(flatten)]
    pub dimensions: Dimensions,
    pub debit: Decimal,
    pub credit: Decimal,
    /// Debit minus credit.
    pub balance: Decimal,
}

impl TrialBalance {
    /// Sums `postings` by account and dimensions.
    pub fn of(postings: &[Posting]) -> Self {
        let mut sums: BTreeMap<(String, Dimensions), (Decimal, Decimal)> = BTreeMap::new();
        for posting in postings {
            let sum = sums
                .entry((posting.account.clone(), posting.dimensions.clone()))
                .or_default();
            sum.0 += posting.debit;
            sum.1 += posting.credit;
        }
        let lines: Vec<TrialBalanceLine> = sums
            .into_iter()
            .map(
                |((account, dimensions), (debit, credit))| TrialBalanceLine {
                    account,
                    dimensions,
                    debit,
                    credit,
                    balance: debit - credit,
                },
            )
            .collect();
        Self {
            total_debit: lines.iter().map(|line| line.debit).sum(),
            total_credit: lines.iter().map(|line| line.credit).sum(),
            lines,
        }
    }

    pub fn is_balanced(&self) -> bool {
        self.total_debit == self.total_credit
    }
}
