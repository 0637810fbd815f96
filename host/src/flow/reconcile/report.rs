//! A reconciliation's findings: each document the source implies or Intacct holds, matched or
//! not and why, the totals per currency, and the report as text or CSV (JSON is its serde form).

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use super::books::Books;
pub use super::books::Document;

/// How a document compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Matched,
    MissingInIntacct,
    AmountDiffers,
    OnlyInIntacct,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Matched => "matched",
            Self::MissingInIntacct => "missing in Intacct",
            Self::AmountDiffers => "amount differs",
            Self::OnlyInIntacct => "only in Intacct",
        })
    }
}

/// One document's finding. `expected` and `found` are the amount compared (an invoice's total,
/// or what was paid of it when only that differs; a memo's total; a batch's debits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub document: Document,
    /// The invoice number, the refund's id, or the batch's title.
    pub key: String,
    pub verdict: Verdict,
    pub currency: String,
    pub expected: Option<Decimal>,
    pub found: Option<Decimal>,
    /// Why, in words, when it is not matched.
    pub detail: String,
}

/// Sums per currency, as the source implies them and as Intacct holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub invoiced: Side,
    pub paid: Side,
    pub credited: Side,
    pub gl_debits: Side,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Side {
    pub source: Decimal,
    pub intacct: Decimal,
}

/// The whole reconciliation of one flow over one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub flow: String,
    pub from: String,
    pub to: String,
    /// Events the source listed for the period, and those its mapping could not map.
    pub events: usize,
    pub unmapped: Vec<Unmapped>,
    pub findings: Vec<Finding>,
    /// By currency (GL batches under the empty one).
    pub totals: BTreeMap<String, Totals>,
}

/// An event of the period the mapping refused or sent to review: what it implies is unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmapped {
    pub event: String,
    pub reason: String,
}

impl Report {
    /// Compares what the source implies with what Intacct holds, both of the period.
    pub fn compare(expected: &Books, found: &Books) -> (Vec<Finding>, BTreeMap<String, Totals>) {
        let mut findings = Vec::new();
        let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
        for (number, want) in &expected.invoices {
            let have = found.invoices.get(number).filter(|have| have.live);
            if want.live {
                let total = totals.entry(want.currency.clone()).or_default();
                total.invoiced.source += want.total;
                total.paid.source += want.paid;
            }
            if let Some(have) = have {
                let total = totals.entry(have.currency.clone()).or_default();
                total.invoiced.intacct += have.total;
                total.paid.intacct += have.paid;
            }
            let finding = |verdict, expected, found, detail: String| Finding {
                document: Document::Invoice,
                key: number.clone(),
                verdict,
                currency: want.currency.clone(),
                expected,
                found,
                detail,
            };
            findings.push(match (want.live, have) {
                (true, None) => finding(
                    Verdict::MissingInIntacct,
                    Some(want.total),
                    None,
                    match found.invoices.contains_key(number) {
                        true => "reversed in Intacct".into(),
                        false => "not in Intacct".into(),
                    },
                ),
                (true, Some(have)) if have.total != want.total => finding(
                    Verdict::AmountDiffers,
                    Some(want.total),
                    Some(have.total),
                    "invoice total".into(),
                ),
                (true, Some(have)) if have.paid != want.paid => finding(
                    Verdict::AmountDiffers,
                    Some(want.paid),
                    Some(have.paid),
                    "payments applied".into(),
                ),
                (false, Some(have)) => finding(
                    Verdict::AmountDiffers,
                    Some(Decimal::ZERO),
                    Some(have.total),
                    "cancelled at the source, standing in Intacct".into(),
                ),
                _ => finding(
                    Verdict::Matched,
                    Some(want.total),
                    have.map(|have| have.total),
                    String::new(),
                ),
            });
        }
        for (number, have) in &found.invoices {
            if have.live && !expected.invoices.contains_key(number) {
                totals
                    .entry(have.currency.clone())
                    .or_default()
                    .invoiced
                    .intacct += have.total;
                findings.push(Finding {
                    document: Document::Invoice,
                    key: number.clone(),
                    verdict: Verdict::OnlyInIntacct,
                    currency: have.currency.clone(),
                    expected: None,
                    found: Some(have.total),
                    detail: "no source record of the period implies it".into(),
                });
            }
        }
        for (id, want) in &expected.memos {
            let have = found.memos.get(id);
            let total = totals.entry(want.currency.clone()).or_default();
            total.credited.source += want.total;
            total.credited.intacct += have.map_or(Decimal::ZERO, |have| have.total);
            let (verdict, detail) = match have {
                None => (
                    Verdict::MissingInIntacct,
                    format!("refund of {} not credited", want.invoice_no),
                ),
                Some(have) if have.total != want.total => (
                    Verdict::AmountDiffers,
                    format!("credit memo total, of {}", want.invoice_no),
                ),
                Some(_) => (Verdict::Matched, String::new()),
            };
            findings.push(Finding {
                document: Document::CreditMemo,
                key: id.clone(),
                verdict,
                currency: want.currency.clone(),
                expected: Some(want.total),
                found: have.map(|have| have.total),
                detail,
            });
        }
        for (id, have) in &found.memos {
            if !expected.memos.contains_key(id) {
                totals
                    .entry(have.currency.clone())
                    .or_default()
                    .credited
                    .intacct += have.total;
                findings.push(Finding {
                    document: Document::CreditMemo,
                    key: id.clone(),
                    verdict: Verdict::OnlyInIntacct,
                    currency: have.currency.clone(),
                    expected: None,
                    found: Some(have.total),
                    detail: "no refund of the period implies it".into(),
                });
            }
        }
        for (title, want) in &expected.batches {
            let have = found.batches.get(title);
            let total = totals.entry(String::new()).or_default();
            total.gl_debits.source += want.debits();
            total.gl_debits.intacct += have.map_or(Decimal::ZERO, |have| have.debits());
            let (verdict, detail) = match have {
                None => (Verdict::MissingInIntacct, "not in Intacct".to_owned()),
                Some(have) if !have.same_amounts(want) => (
                    Verdict::AmountDiffers,
                    "GL batch debits (net per account)".to_owned(),
                ),
                Some(_) => (Verdict::Matched, String::new()),
            };
            findings.push(Finding {
                document: Document::GlBatch,
                key: title.clone(),
                verdict,
                currency: String::new(),
                expected: Some(want.debits()),
                found: have.map(|have| have.debits()),
                detail,
            });
        }
        for (title, have) in &found.batches {
            if !expected.batches.contains_key(title) {
                totals.entry(String::new()).or_default().gl_debits.intacct += have.debits();
                findings.push(Finding {
                    document: Document::GlBatch,
                    key: title.clone(),
                    verdict: Verdict::OnlyInIntacct,
                    currency: String::new(),
                    expected: None,
                    found: Some(have.debits()),
                    detail: "no label of the period implies it".into(),
                });
            }
        }
        (findings, totals)
    }

    /// How many findings have each verdict.
    pub fn counts(&self) -> BTreeMap<Verdict, usize> {
        let mut counts = BTreeMap::new();
        for finding in &self.findings {
            *counts.entry(finding.verdict).or_insert(0) += 1;
        }
        counts
    }

    /// Whether anything differs: a finding not matched, or an event not mapped.
    pub fn differs(&self) -> bool {
        !self.unmapped.is_empty()
            || self
                .findings
                .iter()
                .any(|finding| finding.verdict != Verdict::Matched)
    }

    /// The findings as CSV, one line each (matched ones included), with a header.
    pub fn csv(&self) -> String {
        let mut out = String::from("document,key,verdict,currency,expected,found,detail\n");
        for finding in &self.findings {
            let cells = [
                finding.document.to_string(),
                finding.key.clone(),
                finding.verdict.to_string(),
                finding.currency.clone(),
                finding
                    .expected
                    .map(|amount| amount.to_string())
                    .unwrap_or_default(),
                finding
                    .found
                    .map(|amount| amount.to_string())
                    .unwrap_or_default(),
                finding.detail.clone(),
            ];
            let line: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        out
    }
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
fn csv_cell(text: &str) -> String {
    match text.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text.to_owned(),
    }
}

impl fmt::Display for Report {
    /// The summary, each finding that is not matched, and the totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "reconciliation of flow {} from {} to {}: {} source events",
            self.flow, self.from, self.to, self.events
        )?;
        let counts = self.counts();
        let count = |verdict| counts.get(&verdict).copied().unwrap_or(0);
        writeln!(
            f,
            "matched {} · missing in Intacct {} · amount differs {} · only in Intacct {} · not mapped {}",
            count(Verdict::Matched),
            count(Verdict::MissingInIntacct),
            count(Verdict::AmountDiffers),
            count(Verdict::OnlyInIntacct),
            self.unmapped.len()
        )?;
        for finding in self
            .findings
            .iter()
            .filter(|finding| finding.verdict != Verdict::Matched)
        {
            let amounts = match (finding.expected, finding.found) {
                (Some(expected), Some(found)) => format!("expected {expected}, found {found}"),
                (Some(expected), None) => format!("expected {expected}"),
                (None, Some(found)) => format!("found {found}"),
                (None, None) => String::new(),
            };
            writeln!(
                f,
                "  {:<18}  {} {}  {}  {amounts} {}",
                finding.verdict.to_string(),
                finding.document,
                finding.key,
                finding.detail,
                finding.currency
            )?;
        }
        for unmapped in &self.unmapped {
            writeln!(
                f,
                "  not mapped          event {}: {}",
                unmapped.event, unmapped.reason
            )?;
        }
        writeln!(f, "totals (source / Intacct)")?;
        for (currency, totals) in &self.totals {
            let pair = |side: &Side| format!("{} / {}", side.source, side.intacct);
            match currency.as_str() {
                "" => writeln!(f, "  GL debits  {}", pair(&totals.gl_debits))?,
                currency => writeln!(
                    f,
                    "  {currency}  invoiced {} · paid {} · credited {}",
                    pair(&totals.invoiced),
                    pair(&totals.paid),
                    pair(&totals.credited)
                )?,
            }
        }
        Ok(())
    }
}
