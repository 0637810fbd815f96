//! One company's live books: its chart and dimensions, its records, the controlids already run and
//! the open query result sets. Functions change a clone and the gateway keeps it only on success,
//! which is how failures and rolled-back transactions leave no trace.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::config::{CompanyConfig, SalesOrder};
use super::error::{FnResult, IntacctError};
use super::ledger::{
    Adjustment, ArLine, Customer, Dimensions, GlBatch, Invoice, Ledger, Payment, Posting, Reversal,
    TrialBalance,
};
use super::xml_tree::Element;

/// The pages of a query not yet read with `readMore`.
#[derive(Clone, Debug)]
pub struct ResultSet {
    pub list_type: String,
    pub remaining: Vec<Element>,
    pub page_size: usize,
    pub total: usize,
}

#[derive(Clone, Debug)]
pub struct Books {
    pub config: CompanyConfig,
    pub customers: Vec<Customer>,
    pub invoices: Vec<Invoice>,
    pub adjustments: Vec<Adjustment>,
    pub reversals: Vec<Reversal>,
    pub payments: Vec<Payment>,
    pub gl_batches: Vec<GlBatch>,
    pub sales_orders: Vec<SalesOrder>,
    pub postings: Vec<Posting>,
    pub result_sets: HashMap<String, ResultSet>,
    completed_controlids: HashSet<String>,
    next_record_no: u64,
}

impl Books {
    pub fn new(config: CompanyConfig) -> Self {
        let mut books = Self {
            customers: Vec::new(),
            invoices: Vec::new(),
            adjustments: Vec::new(),
            reversals: Vec::new(),
            payments: Vec::new(),
            gl_batches: Vec::new(),
            sales_orders: Vec::new(),
            postings: Vec::new(),
            result_sets: HashMap::new(),
            completed_controlids: HashSet::new(),
            next_record_no: 1,
            config,
        };
        for seed in books.config.customers.clone() {
            let fields = seed
                .email
                .into_iter()
                .map(|email| ("DISPLAYCONTACT.EMAIL1".to_owned(), email))
                .collect();
            books.add_customer(seed.customer_id, seed.name, fields);
        }
        for order in books.config.sales_orders.clone() {
            books.add_sales_order(order);
        }
        books
    }

    /// A new RECORDNO, unique within the company.
    pub fn next_key(&mut self) -> String {
        let key = self.next_record_no.to_string();
        self.next_record_no += 1;
        key
    }

    pub fn add_customer(
        &mut self,
        customer_id: String,
        name: String,
        fields: BTreeMap<String, String>,
    ) -> String {
        let record_no = self.next_key();
        self.customers.push(Customer {
            record_no: record_no.clone(),
            customer_id,
            name,
            status: "active".to_owned(),
            fields,
        });
        record_no
    }

    pub fn add_sales_order(&mut self, mut order: SalesOrder) -> String {
        order.record_no = self.next_key();
        let record_no = order.record_no.clone();
        self.sales_orders.push(order);
        record_no
    }

    pub fn controlid_completed(&self, controlid: &str) -> bool {
        self.completed_controlids.contains(controlid)
    }

    pub fn complete_controlid(&mut self, controlid: &str) {
        self.completed_controlids.insert(controlid.to_owned());
    }

    pub fn check_account(&self, account: &str) -> FnResult<()> {
        if self.config.accounts.contains_key(account) {
            return Ok(());
        }
        Err(IntacctError::business(format!(
            "Invalid GL account {account}: the account is not in the chart of accounts."
        )))
    }

    pub fn check_dimensions(&self, dimensions: &Dimensions) -> FnResult<()> {
        let checks = [
            ("location", &dimensions.location, &self.config.locations),
            (
                "department",
                &dimensions.department,
                &self.config.departments,
            ),
            ("class", &dimensions.class, &self.config.classes),
        ];
        for (kind, value, known) in checks {
            if let Some(value) = value
                .as_deref()
                .filter(|value| !known.iter().any(|known| known == value))
            {
                return Err(IntacctError::business(format!(
                    "Invalid {kind} {value}: no such {kind} in the company."
                )));
            }
        }
        Ok(())
    }

    pub fn customer(&self, customer_id: &str) -> FnResult<&Customer> {
        self.customers
            .iter()
            .find(|customer| customer.customer_id == customer_id)
            .ok_or_else(|| {
                IntacctError::business(format!("Invalid customer {customer_id}: no such customer."))
            })
    }

    pub fn invoice_mut(&mut self, key: &str) -> FnResult<&mut Invoice> {
        self.invoices
            .iter_mut()
            .find(|invoice| invoice.document.key == key)
            .ok_or_else(|| {
                IntacctError::business(format!("Invalid invoice key {key}: no such invoice."))
            })
    }

    /// Posts `amount` (positive = debit) to `account`.
    pub fn post(
        &mut self,
        source: &str,
        date: NaiveDate,
        account: &str,
        amount: Decimal,
        line: PostingDetail,
    ) {
        let (debit, credit) = if amount >= Decimal::ZERO {
            (amount, Decimal::ZERO)
        } else {
            (Decimal::ZERO, -amount)
        };
        self.postings.push(Posting {
            source: source.to_owned(),
            date,
            account: account.to_owned(),
            debit,
            credit,
            dimensions: line.dimensions,
            customer_id: line.customer_id,
            memo: line.memo,
        });
    }

    /// Posts AR lines: each debits its offset (receivable) account and credits its own account by
    /// `sign × amount`, so a negative amount or `sign = -1` runs the other way.
    pub fn post_ar_lines(
        &mut self,
        source: &str,
        date: NaiveDate,
        customer_id: &str,
        lines: &[ArLine],
        sign: Decimal,
    ) {
        for line in lines {
            let detail = PostingDetail {
                dimensions: line.dimensions.clone(),
                customer_id: Some(
                    line.customer_id
                        .clone()
                        .unwrap_or_else(|| customer_id.to_owned()),
                ),
                memo: line.memo.clone(),
            };
            self.post(
                source,
                date,
                &line.offset_account,
                sign * line.amount,
                detail.clone(),
            );
            self.post(source, date, &line.account, -sign * line.amount, detail);
        }
    }

    pub fn ledger(&self) -> Ledger {
        Ledger {
            company_id: self.config.company_id.clone(),
            base_currency: self.config.base_currency.clone(),
            ar_account: self.config.ar_account.clone(),
            customers: self.customers.clone(),
            invoices: self.invoices.clone(),
            adjustments: self.adjustments.clone(),
            reversals: self.reversals.clone(),
            payments: self.payments.clone(),
            gl_batches: self.gl_batches.clone(),
            sales_orders: self.sales_orders.clone(),
            postings: self.postings.clone(),
            trial_balance: TrialBalance::of(&self.postings),
        }
    }
}

/// What a posting carries besides account and amount.
#[derive(Clone, Debug, Default)]
pub struct PostingDetail {
    pub dimensions: Dimensions,
    pub customer_id: Option<String>,
    pub memo: Option<String>,
}
