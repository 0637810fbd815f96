//! `mlc sim ledger`: the Intacct company's books, as the control surface gives them, for a
//! person: each invoice, credit or debit memo and GL batch with its lines (account, amount, memo,
//! dimensions), the reversals and payments, then the balance of every account (debits minus
//! credits).

use std::fmt::Write;

use serde_json::Value;

use super::control::text;

/// The fields of a line that are dimensions, in the order shown.
const DIMENSIONS: &[&str] = &["department", "location", "class"];

pub fn render(books: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "company {}", text(&books["company_id"]));
    let invoices = list(&books["invoices"]);
    let _ = writeln!(out, "\ninvoices ({})", invoices.len());
    for invoice in invoices {
        let number = format!("number {}", text(&invoice["number"]));
        document(&mut out, invoice, &number);
    }
    let adjustments = list(&books["adjustments"]);
    let _ = writeln!(out, "\ncredit and debit memos ({})", adjustments.len());
    for memo in adjustments {
        document(&mut out, memo, &text(&memo["kind"]));
    }
    let reversals = list(&books["reversals"]);
    let _ = writeln!(out, "\nreversals ({})", reversals.len());
    for reversal in reversals {
        let _ = writeln!(
            out,
            "  {}  of invoice {}  {}  total {}",
            text(&reversal["key"]),
            text(&reversal["invoice_key"]),
            text(&reversal["date"]),
            text(&reversal["total"])
        );
    }
    let payments = list(&books["payments"]);
    let _ = writeln!(out, "\npayments ({})", payments.len());
    for payment in payments {
        let applied: Vec<String> = payment["applied"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(invoice, amount)| format!("{} to invoice {invoice}", text(amount)))
            .collect();
        let _ = writeln!(
            out,
            "  {}  customer {}  {}  {} into {} by {}; applied {}",
            text(&payment["key"]),
            text(&payment["customer_id"]),
            text(&payment["date"]),
            text(&payment["amount"]),
            text(&payment["account"]),
            text(&payment["method"]),
            match applied.is_empty() {
                true => "nothing".to_owned(),
                false => applied.join(", "),
            }
        );
    }
    let batches = list(&books["gl_batches"]);
    let _ = writeln!(out, "\nGL batches ({}), debits positive", batches.len());
    for batch in batches {
        let _ = writeln!(
            out,
            "  {}  journal {}  {}  {}",
            text(&batch["key"]),
            text(&batch["journal"]),
            text(&batch["date"]),
            text(&batch["description"])
        );
        lines(&mut out, &batch["lines"]);
    }
    let _ = writeln!(out, "\nbalances (debits minus credits)");
    if let Some(balances) = books["balances"].as_object() {
        for (account, balance) in balances {
            let _ = writeln!(out, "  {account:<8} {:>12}", text(balance));
        }
    }
    out
}

/// An invoice or a memo, `what` it is after its key, then its lines.
fn document(out: &mut String, document: &Value, what: &str) {
    let _ = writeln!(
        out,
        "  {}  {what}  customer {}  {}  total {} {}",
        text(&document["key"]),
        text(&document["customer_id"]),
        text(&document["date"]),
        text(&document["total"]),
        text(&document["currency"])
    );
    lines(out, &document["lines"]);
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn lines(out: &mut String, lines: &Value) {
    for line in list(lines) {
        let dimensions: Vec<String> = DIMENSIONS
            .iter()
            .filter(|key| !line[**key].is_null())
            .map(|key| format!("{key} {}", text(&line[*key])))
            .collect();
        let _ = writeln!(
            out,
            "    {:<8} {:>12}  {}{}",
            text(&line["account"]),
            text(&line["amount"]),
            text(&line["memo"]),
            match dimensions.is_empty() {
                true => String::new(),
                false => format!("  ({})", dimensions.join(", ")),
            }
        );
    }
}
