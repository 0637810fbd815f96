//! The demo's view of the Intacct company's books after the day: customers, invoices, credit memos,
//! reversals and payments, then the trial balance by account (number and title) and by dimension
//! (location, department, class): each balance in the debit or the credit column, and column totals
//! that must be equal.
//!
//! Amounts are `Decimal` throughout, printed to the cent. The Intacct simulator posts a document in
//! its own currency (it keeps no exchange rates), so the trial balance is drawn once per currency,
//! each of which balances on its own.

use std::collections::BTreeMap;
use std::fmt::Write;

use rust_decimal::Decimal;
use simulators::intacct::{Dimensions, Ledger, Posting};

use super::table::{Align, Table};
use crate::terminal::visible as shown;

/// The whole report. `chart` is the company's chart of accounts (number → title).
pub fn render(ledger: &Ledger, chart: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    section(&mut out, "customers", customers(ledger));
    section(&mut out, "invoices", invoices(ledger));
    section(&mut out, "credit memos", credit_memos(ledger));
    section(&mut out, "reversals", reversals(ledger));
    section(&mut out, "payments", payments(ledger, chart));
    for (currency, postings) in by_currency(ledger) {
        let (accounts, balanced) = by_account(&postings, chart);
        section(
            &mut out,
            &format!("trial balance by account, {currency}"),
            accounts,
        );
        section(
            &mut out,
            &format!("trial balance by dimension, {currency}"),
            by_dimension(&postings, chart),
        );
        let _ = writeln!(out, "  {currency}: {balanced}");
    }
    out
}

pub fn section(out: &mut String, title: &str, table: Table) {
    let _ = writeln!(out, "\n{title}");
    match table.is_empty() {
        true => out.push_str("  (none)\n"),
        false => out.push_str(&table.render(2)),
    }
}

fn customers(ledger: &Ledger) -> Table {
    let mut table = Table::new(&[("ID", Align::Left), ("NAME", Align::Left)]);
    for customer in &ledger.customers {
        table.row(vec![customer.customer_id.clone(), shown(&customer.name)]);
    }
    table
}

fn invoices(ledger: &Ledger) -> Table {
    let mut table = Table::new(&[
        ("NUMBER", Align::Left),
        ("CUSTOMER", Align::Left),
        ("CUR", Align::Left),
        ("TOTAL", Align::Right),
        ("PAID", Align::Right),
        ("STATE", Align::Left),
    ]);
    for invoice in &ledger.invoices {
        let document = &invoice.document;
        table.row(vec![
            document
                .number
                .clone()
                .unwrap_or_else(|| document.key.clone()),
            customer_name(ledger, &document.customer_id),
            document.currency.clone(),
            amount(document.total),
            amount(invoice.total_paid),
            invoice.state.label().to_owned(),
        ]);
    }
    table
}

fn credit_memos(ledger: &Ledger) -> Table {
    let mut table = Table::new(&[
        ("NUMBER", Align::Left),
        ("CUSTOMER", Align::Left),
        ("CUR", Align::Left),
        ("TOTAL", Align::Right),
        ("DESCRIPTION", Align::Left),
    ]);
    for adjustment in &ledger.adjustments {
        let document = &adjustment.document;
        table.row(vec![
            document
                .number
                .clone()
                .unwrap_or_else(|| format!("record {}", document.key)),
            customer_name(ledger, &document.customer_id),
            document.currency.clone(),
            amount(document.total),
            document.description.clone().unwrap_or_default(),
        ]);
    }
    table
}

fn reversals(ledger: &Ledger) -> Table {
    let mut table = Table::new(&[
        ("INVOICE", Align::Left),
        ("DATE", Align::Left),
        ("TOTAL", Align::Right),
        ("DESCRIPTION", Align::Left),
    ]);
    for reversal in &ledger.reversals {
        table.row(vec![
            invoice_number(ledger, &reversal.invoice_key),
            reversal.date.to_string(),
            amount(reversal.total),
            reversal.description.clone().unwrap_or_default(),
        ]);
    }
    table
}

fn payments(ledger: &Ledger, chart: &BTreeMap<String, String>) -> Table {
    let mut table = Table::new(&[
        ("CUSTOMER", Align::Left),
        ("CUR", Align::Left),
        ("AMOUNT", Align::Right),
        ("METHOD", Align::Left),
        ("ACCOUNT", Align::Left),
        ("APPLIED TO", Align::Left),
    ]);
    for payment in &ledger.payments {
        let applied: Vec<String> = payment
            .applied
            .iter()
            .map(|application| {
                format!(
                    "{} {}",
                    invoice_number(ledger, &application.invoice_key),
                    amount(application.amount)
                )
            })
            .collect();
        table.row(vec![
            customer_name(ledger, &payment.customer_id),
            payment.currency.clone(),
            amount(payment.amount),
            payment.method.clone(),
            account_name(&payment.account, chart),
            applied.join(", "),
        ]);
    }
    table
}

/// Each account's balance (debits minus credits) in the debit or the credit column; the verdict on
/// whether the columns balance.
fn by_account(postings: &[&Posting], chart: &BTreeMap<String, String>) -> (Table, String) {
    let mut balances: BTreeMap<&str, Decimal> = BTreeMap::new();
    for posting in postings {
        *balances.entry(&posting.account).or_default() += posting.debit - posting.credit;
    }
    let mut table = Table::new(&[
        ("ACCOUNT", Align::Left),
        ("TITLE", Align::Left),
        ("DEBIT", Align::Right),
        ("CREDIT", Align::Right),
    ]);
    let mut sums = Sums::default();
    for (account, balance) in balances {
        let (debit, credit) = sums.add(balance);
        table.row(vec![
            account.to_owned(),
            chart.get(account).cloned().unwrap_or_default(),
            debit,
            credit,
        ]);
    }
    table.total(vec![
        "total".into(),
        String::new(),
        amount(sums.debit),
        amount(sums.credit),
    ]);
    let verdict = match sums.debit == sums.credit {
        true => format!(
            "debits {} = credits {}, balanced",
            amount(sums.debit),
            amount(sums.credit)
        ),
        false => format!(
            "OUT OF BALANCE: debits {} − credits {} = {}",
            amount(sums.debit),
            amount(sums.credit),
            amount(sums.debit - sums.credit)
        ),
    };
    (table, verdict)
}

/// The balance of each account within each (location, department, class), as [`by_account`];
/// lines that net to zero are left out.
fn by_dimension(postings: &[&Posting], chart: &BTreeMap<String, String>) -> Table {
    let mut balances: BTreeMap<(&Dimensions, &str), Decimal> = BTreeMap::new();
    for posting in postings {
        *balances
            .entry((&posting.dimensions, &posting.account))
            .or_default() += posting.debit - posting.credit;
    }
    let mut table = Table::new(&[
        ("LOCATION", Align::Left),
        ("DEPARTMENT", Align::Left),
        ("CLASS", Align::Left),
        ("ACCOUNT", Align::Left),
        ("DEBIT", Align::Right),
        ("CREDIT", Align::Right),
    ]);
    let mut sums = Sums::default();
    let none = || "—".to_owned();
    for ((dimensions, account), balance) in balances {
        if balance.is_zero() {
            continue;
        }
        let (debit, credit) = sums.add(balance);
        table.row(vec![
            dimensions.location.clone().unwrap_or_else(none),
            dimensions.department.clone().unwrap_or_else(none),
            dimensions.class.clone().unwrap_or_else(none),
            account_name(account, chart),
            debit,
            credit,
        ]);
    }
    table.total(vec![
        "total".into(),
        String::new(),
        String::new(),
        String::new(),
        amount(sums.debit),
        amount(sums.credit),
    ]);
    table
}

/// The debit and credit columns' totals.
#[derive(Default)]
struct Sums {
    debit: Decimal,
    credit: Decimal,
}

impl Sums {
    /// Adds a balance to its column; returns the two cells of its row.
    fn add(&mut self, balance: Decimal) -> (String, String) {
        match balance >= Decimal::ZERO {
            true => {
                self.debit += balance;
                (amount(balance), String::new())
            }
            false => {
                self.credit -= balance;
                (String::new(), amount(-balance))
            }
        }
    }
}

/// The postings by the currency of the document that posted them, base currency first.
fn by_currency(ledger: &Ledger) -> Vec<(String, Vec<&Posting>)> {
    let mut groups: BTreeMap<(bool, String), Vec<&Posting>> = BTreeMap::new();
    for posting in &ledger.postings {
        let currency = posting_currency(ledger, posting);
        groups
            .entry((currency != ledger.base_currency, currency))
            .or_default()
            .push(posting);
    }
    groups
        .into_iter()
        .map(|((_, currency), postings)| (currency, postings))
        .collect()
}

/// A posting's `source` is `ARINVOICE <key>`, `ARINVOICE <key> REVERSAL <key>`,
/// `ARADJUSTMENT <key>` or `ARPAYMENT <key>`: the currency is that document's.
fn posting_currency(ledger: &Ledger, posting: &Posting) -> String {
    let mut words = posting.source.split_whitespace();
    let (object, key) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let found = match object {
        "ARINVOICE" => ledger
            .invoice(key)
            .map(|invoice| invoice.document.currency.clone()),
        "ARADJUSTMENT" => ledger
            .adjustments
            .iter()
            .find(|adjustment| adjustment.document.key == key)
            .map(|adjustment| adjustment.document.currency.clone()),
        "ARPAYMENT" => ledger
            .payments
            .iter()
            .find(|payment| payment.key == key)
            .map(|payment| payment.currency.clone()),
        _ => None,
    };
    found.unwrap_or_else(|| ledger.base_currency.clone())
}

fn customer_name(ledger: &Ledger, customer_id: &str) -> String {
    ledger
        .customer(customer_id)
        .map_or_else(|| customer_id.to_owned(), |customer| shown(&customer.name))
}

fn invoice_number(ledger: &Ledger, key: &str) -> String {
    ledger
        .invoice(key)
        .and_then(|invoice| invoice.document.number.clone())
        .unwrap_or_else(|| format!("record {key}"))
}

pub fn account_name(account: &str, chart: &BTreeMap<String, String>) -> String {
    match chart.get(account) {
        Some(title) => format!("{account} {title}"),
        None => account.to_owned(),
    }
}

/// To the cent, never through f64.
pub fn amount(value: Decimal) -> String {
    let mut value = value.round_dp(2);
    value.rescale(2);
    value.to_string()
}
