//! One company's live books: its chart and dimensions, its records, the controlids already run and
//! the open query result sets. Functions change the books in place; a [`Savepoint`] taken before
//! and [`Books::roll_back`] undo a failed function or a rolled-back transaction, so failures leave
//! no trace without the books being copied for every function (records are only appended, and
//! what is changed in place keeps its earlier value in an undo log until the request ends).

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

/// What a function changed in place, with what was there before.
#[derive(Clone, Debug)]
enum Undo {
    Customer(usize, Customer),
    Invoice(usize, Invoice),
    ResultSetTaken(String, ResultSet),
    ResultSetKept(String),
    Controlid(String),
    /// A deletion: the invoices and postings as they were (deletions are rare).
    Deleted(Vec<Invoice>, Vec<Posting>),
}

/// Where the books stood; [`Books::roll_back`] returns them there.
#[derive(Clone, Copy, Debug)]
pub struct Savepoint {
    lengths: [usize; 8],
    next_record_no: u64,
    undo: usize,
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
    undo: Vec<Undo>,
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
            undo: Vec::new(),
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

    /// Where the books stand now.
    pub fn savepoint(&self) -> Savepoint {
        Savepoint {
            lengths: self.lengths(),
            next_record_no: self.next_record_no,
            undo: self.undo.len(),
        }
    }

    fn lengths(&self) -> [usize; 8] {
        [
            self.customers.len(),
            self.invoices.len(),
            self.adjustments.len(),
            self.reversals.len(),
            self.payments.len(),
            self.gl_batches.len(),
            self.sales_orders.len(),
            self.postings.len(),
        ]
    }

    /// Undoes everything done since `savepoint`.
    pub fn roll_back(&mut self, savepoint: Savepoint) {
        while self.undo.len() > savepoint.undo {
            match self.undo.pop().expect("longer than the savepoint's") {
                Undo::Customer(index, before) => self.customers[index] = before,
                Undo::Invoice(index, before) => self.invoices[index] = before,
                Undo::ResultSetTaken(id, set) => {
                    self.result_sets.insert(id, set);
                }
                Undo::ResultSetKept(id) => {
                    self.result_sets.remove(&id);
                }
                Undo::Controlid(controlid) => {
                    self.completed_controlids.remove(&controlid);
                }
                Undo::Deleted(invoices, postings) => {
                    self.invoices = invoices;
                    self.postings = postings;
                }
            }
        }
        let [
            customers,
            invoices,
            adjustments,
            reversals,
            payments,
            gl_batches,
            orders,
            postings,
        ] = savepoint.lengths;
        self.customers.truncate(customers);
        self.invoices.truncate(invoices);
        self.adjustments.truncate(adjustments);
        self.reversals.truncate(reversals);
        self.payments.truncate(payments);
        self.gl_batches.truncate(gl_batches);
        self.sales_orders.truncate(orders);
        self.postings.truncate(postings);
        self.next_record_no = savepoint.next_record_no;
    }

    /// Keeps what was done: nothing before now can be undone any more.
    pub fn commit(&mut self) {
        self.undo.clear();
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
        if self.completed_controlids.insert(controlid.to_owned()) {
            self.undo.push(Undo::Controlid(controlid.to_owned()));
        }
    }

    /// Takes the result set `id` out, to answer its next page.
    pub fn take_result_set(&mut self, id: &str) -> Option<ResultSet> {
        let set = self.result_sets.remove(id)?;
        self.undo
            .push(Undo::ResultSetTaken(id.to_owned(), set.clone()));
        Some(set)
    }

    /// Keeps `set` under `id` for the next `readMore`.
    pub fn keep_result_set(&mut self, id: String, set: ResultSet) {
        if let Some(before) = self.result_sets.insert(id.clone(), set) {
            self.undo.push(Undo::ResultSetTaken(id.clone(), before));
        }
        self.undo.push(Undo::ResultSetKept(id));
    }

    /// Deletes invoice `key` and what it posted.
    pub fn delete_invoice(&mut self, key: &str) {
        self.undo
            .push(Undo::Deleted(self.invoices.clone(), self.postings.clone()));
        let source = format!("ARINVOICE {key}");
        self.invoices.retain(|invoice| invoice.document.key != key);
        self.postings.retain(|posting| posting.source != source);
    }

    /// The customer `wanted` (by CUSTOMERID, else RECORDNO), to change.
    pub fn customer_mut(&mut self, wanted: (Option<&str>, Option<&str>)) -> Option<&mut Customer> {
        let index = self.customers.iter().position(|customer| match wanted {
            (Some(id), _) => customer.customer_id == id,
            (None, Some(record_no)) => customer.record_no == record_no,
            (None, None) => false,
        })?;
        self.undo
            .push(Undo::Customer(index, self.customers[index].clone()));
        Some(&mut self.customers[index])
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
        let index = self
            .invoices
            .iter()
            .position(|invoice| invoice.document.key == key)
            .ok_or_else(|| {
                IntacctError::business(format!("Invalid invoice key {key}: no such invoice."))
            })?;
        self.undo
            .push(Undo::Invoice(index, self.invoices[index].clone()));
        Ok(&mut self.invoices[index])
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
