//! The demo's view of the freight the ShipStation flow posted: the GL batches' postings by account
//! (one freight account per carrier, insurance, the accrued-freight offset) and by location (the
//! warehouse the label shipped from), each with its debits, its credits and totals that must be
//! equal; then every GL batch with its lines. Amounts are `Decimal`, printed to the cent.

use std::collections::BTreeMap;
use std::fmt::Write;

use rust_decimal::Decimal;
use simulators::intacct::{Ledger, Posting};

use super::ledger_report::{account_name, amount, section};
use super::table::{Align, Table};

/// The whole report. `chart` is the company's chart of accounts (number → title).
pub fn render(ledger: &Ledger, chart: &BTreeMap<String, String>) -> String {
    let postings: Vec<&Posting> = ledger
        .postings
        .iter()
        .filter(|posting| posting.source.starts_with("GLBATCH "))
        .collect();
    let mut out = String::new();
    section(
        &mut out,
        "freight by carrier (GL batches, by account)",
        by_account(&postings, chart),
    );
    section(
        &mut out,
        "freight by warehouse (location)",
        by_location(&postings, chart),
    );
    section(&mut out, "GL batches", batches(ledger, chart));
    let _ = writeln!(out);
    out
}

fn by_account(postings: &[&Posting], chart: &BTreeMap<String, String>) -> Table {
    let mut sums: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    for posting in postings {
        let sum = sums.entry(&posting.account).or_default();
        sum.0 += posting.debit;
        sum.1 += posting.credit;
    }
    let mut table = Table::new(&[
        ("ACCOUNT", Align::Left),
        ("DEBIT", Align::Right),
        ("CREDIT", Align::Right),
    ]);
    let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
    for (account, (debits, credits)) in sums {
        debit += debits;
        credit += credits;
        table.row(vec![
            account_name(account, chart),
            amount(debits),
            amount(credits),
        ]);
    }
    table.total(vec!["total".into(), amount(debit), amount(credit)]);
    table
}

fn by_location(postings: &[&Posting], chart: &BTreeMap<String, String>) -> Table {
    let mut sums: BTreeMap<(&str, &str), (Decimal, Decimal)> = BTreeMap::new();
    for posting in postings {
        let location = posting.dimensions.location.as_deref().unwrap_or("—");
        let sum = sums.entry((location, &posting.account)).or_default();
        sum.0 += posting.debit;
        sum.1 += posting.credit;
    }
    let mut table = Table::new(&[
        ("LOCATION", Align::Left),
        ("ACCOUNT", Align::Left),
        ("DEBIT", Align::Right),
        ("CREDIT", Align::Right),
    ]);
    let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
    for ((location, account), (debits, credits)) in sums {
        debit += debits;
        credit += credits;
        table.row(vec![
            location.to_owned(),
            account_name(account, chart),
            amount(debits),
            amount(credits),
        ]);
    }
    table.total(vec![
        "total".into(),
        String::new(),
        amount(debit),
        amount(credit),
    ]);
    table
}

/// Each batch's key, date and title on its first line, then one line per entry.
fn batches(ledger: &Ledger, chart: &BTreeMap<String, String>) -> Table {
    let mut table = Table::new(&[
        ("BATCH", Align::Right),
        ("DATE", Align::Left),
        ("TITLE / ACCOUNT", Align::Left),
        ("LOCATION", Align::Left),
        ("CLASS", Align::Left),
        ("CUSTOMER", Align::Left),
        ("DEBIT", Align::Right),
        ("CREDIT", Align::Right),
    ]);
    let none = || "—".to_owned();
    for batch in &ledger.gl_batches {
        table.row(vec![
            batch.key.clone(),
            batch.date.to_string(),
            crate::terminal::visible(&batch.title),
        ]);
        for entry in &batch.entries {
            let (debit, credit) = match entry.debit {
                true => (amount(entry.amount), String::new()),
                false => (String::new(), amount(entry.amount)),
            };
            table.row(vec![
                String::new(),
                String::new(),
                format!("  {}", account_name(&entry.account, chart)),
                entry.dimensions.location.clone().unwrap_or_else(none),
                entry.dimensions.class.clone().unwrap_or_else(none),
                entry.customer_id.clone().unwrap_or_else(none),
                debit,
                credit,
            ]);
        }
    }
    table
}
