//! The documents a reconciliation sets side by side, by the key each is found by: invoices by
//! number, credit memos by their external id (the refund), GL batches by title. One [`Books`] is
//! what the source says Intacct should hold (the flow's mapping run on the source's records:
//! [`Books::expect`]), with the commands that make each document; the other is what Intacct
//! holds (its records of the period: [`Books::found`]). Both read the Intacct connector's kinds
//! only, as the dry-run's effect does. A GL batch is its net amount per account, summed over the
//! batches of its title: a correcting batch (`<title>, correction <day>`) adds to the batch it
//! corrects.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::flow::dry_run::effect;
use crate::flow::recording::RecordedCommand;

/// What the connector appends to a batch's title when it matched a sales order.
const SALES_ORDER_SUFFIX: &str = ", sales order ";

/// What a correcting batch appends to the title of the batch it corrects.
pub const CORRECTION_SUFFIX: &str = ", correction ";

/// The kind of document a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Document {
    Invoice,
    CreditMemo,
    GlBatch,
}

impl Document {
    /// Its name in keys: `invoice`, `credit_memo`, `gl_batch`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditMemo => "credit_memo",
            Self::GlBatch => "gl_batch",
        }
    }
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Invoice => "invoice",
            Self::CreditMemo => "credit memo",
            Self::GlBatch => "GL batch",
        })
    }
}

/// An invoice: its total, what was paid of it, and whether it stands (not reversed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Invoice {
    pub currency: String,
    pub total: Decimal,
    pub paid: Decimal,
    pub live: bool,
    /// The invoice's day (`YYYY-MM-DD`), for the period it falls in.
    pub date: String,
}

/// A credit memo (or another AR adjustment): its total, negative for a credit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Memo {
    pub currency: String,
    pub total: Decimal,
    pub invoice_no: String,
    pub date: String,
}

/// A GL batch (or the batches of one title): debits less credits, per account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub net: BTreeMap<String, Decimal>,
    pub date: String,
}

impl Batch {
    /// The sum of its debits, once each account's debits and credits are netted.
    pub fn debits(&self) -> Decimal {
        self.net.values().filter(|net| **net > Decimal::ZERO).sum()
    }

    /// Whether it posts the same net amount to each account as `other` (accounts netting to
    /// zero count as absent).
    pub fn same_amounts(&self, other: &Batch) -> bool {
        let nonzero = |batch: &Batch| -> BTreeMap<String, Decimal> {
            batch
                .net
                .iter()
                .filter(|(_, net)| !net.is_zero())
                .map(|(account, net)| (account.clone(), net.normalize()))
                .collect()
        };
        nonzero(self) == nonzero(other)
    }

    fn add(&mut self, account: &str, debit: Decimal, credit: Decimal) {
        *self.net.entry(account.to_owned()).or_default() += debit - credit;
    }
}

/// One side's documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    pub invoices: BTreeMap<String, Invoice>,
    pub memos: BTreeMap<String, Memo>,
    pub batches: BTreeMap<String, Batch>,
    /// The commands that make each expected document (empty for what Intacct holds): the
    /// customer upserts of its event, then its own command, then (an invoice's) the payments
    /// applied to it.
    pub makers: BTreeMap<(Document, String), Vec<RecordedCommand>>,
}

impl Books {
    /// Adds what one event's commands would post: an invoice (`create-invoice`), a cancelled one
    /// (`reverse-invoice`: no invoice of that number stands), its payments (`create-payment`
    /// applications), a credit memo (`create-adjustment`, by `external_id`), a GL batch
    /// (`create-gl-batch`, by title). Other kinds post nothing to reconcile.
    /// Each document's commands are kept in [`Books::makers`].
    pub fn expect(&mut self, commands: &[RecordedCommand]) {
        let upserts: Vec<RecordedCommand> = commands
            .iter()
            .filter(|command| command.kind == UPSERT_CUSTOMER)
            .cloned()
            .collect();
        let made = |command: &RecordedCommand| {
            upserts
                .iter()
                .cloned()
                .chain([command.clone()])
                .collect::<Vec<_>>()
        };
        for command in commands {
            let Ok(body) = serde_json::from_str::<Value>(&command.body) else {
                continue;
            };
            let text = |field: &str| body[field].as_str().unwrap_or_default().to_owned();
            match command.kind.as_str() {
                "intacct.create-invoice" => {
                    let invoice = self.invoices.entry(text("invoice_no")).or_default();
                    invoice.currency = text("currency");
                    invoice.total = effect::document_total(command).unwrap_or_default();
                    invoice.live = true;
                    invoice.date = text("date");
                    let makers = self
                        .makers
                        .entry((Document::Invoice, text("invoice_no")))
                        .or_default();
                    makers.retain(|earlier| earlier.kind == CREATE_PAYMENT);
                    makers.splice(0..0, made(command));
                }
                "intacct.reverse-invoice" if !text("invoice_no").is_empty() => {
                    let invoice = self.invoices.entry(text("invoice_no")).or_default();
                    invoice.live = false;
                    invoice.date = text("date");
                    self.makers.insert(
                        (Document::Invoice, text("invoice_no")),
                        vec![command.clone()],
                    );
                }
                CREATE_PAYMENT => {
                    for application in body["applications"].as_array().into_iter().flatten() {
                        let number = application["invoice_no"].as_str().unwrap_or_default();
                        let amount = amount(&application["amount"]).unwrap_or_default();
                        self.invoices.entry(number.to_owned()).or_default().paid += amount;
                        let makers = self
                            .makers
                            .entry((Document::Invoice, number.to_owned()))
                            .or_default();
                        if !makers.contains(command) {
                            makers.push(command.clone());
                        }
                    }
                }
                "intacct.create-adjustment" => {
                    self.memos.insert(
                        text("external_id"),
                        Memo {
                            currency: text("currency"),
                            total: effect::document_total(command).unwrap_or_default(),
                            invoice_no: text("invoice_no"),
                            date: text("date"),
                        },
                    );
                    self.makers
                        .insert((Document::CreditMemo, text("external_id")), made(command));
                }
                "intacct.create-gl-batch" => {
                    let mut batch = Batch {
                        date: text("date"),
                        ..Batch::default()
                    };
                    for posting in effect::postings(command) {
                        batch.add(&posting.account, posting.debit, posting.credit);
                    }
                    self.batches.insert(text("title"), batch);
                    self.makers
                        .insert((Document::GlBatch, text("title")), vec![command.clone()]);
                }
                _ => {}
            }
        }
    }

    /// What Intacct holds, from its records of the period (`intacct.read-period` of ARINVOICE,
    /// ARADJUSTMENT, GLBATCH and GLENTRY, by Intacct's field names). A batch's title is the one
    /// its command gave, less the `, sales order …` the connector adds when it matches one.
    pub fn found(
        invoices: &[Value],
        adjustments: &[Value],
        batches: &[Value],
        entries: &[Value],
    ) -> Self {
        let field =
            |record: &Value, name: &str| record[name].as_str().unwrap_or_default().to_owned();
        let mut books = Books::default();
        for record in invoices {
            let number = field(record, "RECORDID");
            let live = field(record, "STATE") != "Reversed";
            let invoice = Invoice {
                currency: field(record, "CURRENCY"),
                total: amount(&record["TOTALENTERED"]).unwrap_or_default(),
                paid: amount(&record["TOTALPAID"]).unwrap_or_default(),
                live,
                date: intacct_day(&field(record, "WHENCREATED")),
            };
            // A number reversed and invoiced again: the standing one is the one that counts.
            let standing = books.invoices.get(&number).is_some_and(|known| known.live);
            if !standing {
                books.invoices.insert(number, invoice);
            }
        }
        for record in adjustments {
            books.memos.insert(
                field(record, "EXTERNALID"),
                Memo {
                    currency: field(record, "CURRENCY"),
                    total: amount(&record["TOTALENTERED"]).unwrap_or_default(),
                    invoice_no: String::new(),
                    date: intacct_day(&field(record, "WHENCREATED")),
                },
            );
        }
        let mut lines: BTreeMap<String, Batch> = BTreeMap::new();
        for entry in entries {
            let amount = amount(&entry["AMOUNT"]).unwrap_or_default();
            let (debit, credit) = match field(entry, "TR_TYPE").as_str() {
                "1" => (amount, Decimal::ZERO),
                _ => (Decimal::ZERO, amount),
            };
            lines.entry(field(entry, "BATCHNO")).or_default().add(
                &field(entry, "ACCOUNTNO"),
                debit,
                credit,
            );
        }
        for record in batches {
            let batch = books
                .batches
                .entry(base_title(&field(record, "BATCH_TITLE")).to_owned())
                .or_insert_with(|| Batch {
                    date: intacct_day(&field(record, "BATCH_DATE")),
                    ..Batch::default()
                });
            for (account, net) in lines
                .get(&field(record, "RECORDNO"))
                .map(|lines| &lines.net)
                .into_iter()
                .flatten()
            {
                *batch.net.entry(account.clone()).or_default() += net;
            }
        }
        books
    }

    /// Keeps the documents dated from `from` to `to` (`YYYY-MM-DD`, both included): a period
    /// holds the documents of its days, whenever their source record last changed.
    pub fn dated(mut self, from: &str, to: &str) -> Self {
        let within = |day: &str| from <= day && day <= to;
        self.invoices.retain(|_, invoice| within(&invoice.date));
        self.memos.retain(|_, memo| within(&memo.date));
        self.batches.retain(|_, batch| within(&batch.date));
        self
    }
}

const UPSERT_CUSTOMER: &str = "intacct.upsert-customer";
const CREATE_PAYMENT: &str = "intacct.create-payment";

/// A batch's title as its command gave it: less the `, sales order …` the connector appends, and
/// less a correction's `, correction <day>`.
fn base_title(title: &str) -> &str {
    [SALES_ORDER_SUFFIX, CORRECTION_SUFFIX]
        .iter()
        .filter_map(|suffix| title.find(suffix))
        .min()
        .map_or(title, |end| &title[..end])
}

fn amount(value: &Value) -> Option<Decimal> {
    effect::amount(Some(value))
}

/// Intacct's `mm/dd/yyyy` as `yyyy-mm-dd` (other text as it is).
fn intacct_day(text: &str) -> String {
    match text.split('/').collect::<Vec<_>>()[..] {
        [month, day, year] => format!("{year}-{month}-{day}"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn commands_give_invoices_payments_memos_and_batches() {
        let mut books = Books::default();
        books.expect(&[
            RecordedCommand::of(
                "intacct.create-invoice",
                json!({"invoice_no": "SH1001", "currency": "USD", "date": "2026-11-03",
                       "lines": [{"amount": "20.00"}, {"amount": "5.00"}]}),
            ),
            RecordedCommand::of(
                "intacct.create-payment",
                json!({"amount": "25.00", "applications": [{"invoice_no": "SH1001", "amount": "25.00"}]}),
            ),
            RecordedCommand::of(
                "intacct.create-adjustment",
                json!({"invoice_no": "SH1001", "external_id": "77", "currency": "USD",
                       "date": "2026-11-04", "lines": [{"amount": "-10.00"}]}),
            ),
            RecordedCommand::of(
                "intacct.create-gl-batch",
                json!({"title": "ShipStation shipment 9", "date": "2026-11-05", "entries": [
                    {"account_no": "6100", "debit": "8.45"}, {"account_no": "2100", "credit": "8.45"}]}),
            ),
            RecordedCommand::of("intacct.reverse-invoice", json!({"invoice_no": "SH1002", "date": "2026-11-06"})),
        ]);
        let invoice = &books.invoices["SH1001"];
        assert_eq!(
            (invoice.total, invoice.paid, invoice.live),
            (d("25.00"), d("25.00"), true)
        );
        assert!(!books.invoices["SH1002"].live);
        assert_eq!(books.memos["77"].total, d("-10.00"));
        assert_eq!(books.batches["ShipStation shipment 9"].debits(), d("8.45"));
        let makers = |document, key: &str| {
            books.makers[&(document, key.to_owned())]
                .iter()
                .map(|command| command.kind.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            makers(Document::Invoice, "SH1001"),
            ["intacct.create-invoice", "intacct.create-payment"]
        );
        assert_eq!(
            makers(Document::CreditMemo, "77"),
            ["intacct.create-adjustment"]
        );
        assert_eq!(
            makers(Document::Invoice, "SH1002"),
            ["intacct.reverse-invoice"]
        );
        let november_4th = books.clone().dated("2026-11-04", "2026-11-05");
        assert_eq!(november_4th.invoices.len(), 0);
        assert_eq!(november_4th.memos.len(), 1);
        assert_eq!(november_4th.batches.len(), 1);
        assert_eq!(books.dated("2026-11-01", "2026-11-30").invoices.len(), 2);
    }

    #[test]
    fn intacct_records_give_the_same_shapes() {
        let books = Books::found(
            &[
                json!({"RECORDID": "SH1001", "STATE": "Reversed", "TOTALENTERED": "25.00",
                       "TOTALPAID": "0", "CURRENCY": "USD", "WHENCREATED": "11/03/2026"}),
                json!({"RECORDID": "SH1001", "STATE": "Paid", "TOTALENTERED": "25.00",
                       "TOTALPAID": "25.00", "CURRENCY": "USD", "WHENCREATED": "11/03/2026"}),
            ],
            &[
                json!({"EXTERNALID": "77", "TOTALENTERED": "-10.00", "CURRENCY": "USD",
                     "WHENCREATED": "11/04/2026"}),
            ],
            &[
                json!({"RECORDNO": "5", "BATCH_TITLE": "ShipStation shipment 9, sales order SO-1",
                     "BATCH_DATE": "11/05/2026"}),
            ],
            &[
                json!({"BATCHNO": "5", "ACCOUNTNO": "6100", "TR_TYPE": "1", "AMOUNT": "8.45"}),
                json!({"BATCHNO": "5", "ACCOUNTNO": "2100", "TR_TYPE": "-1", "AMOUNT": "8.45"}),
            ],
        );
        let invoice = &books.invoices["SH1001"];
        assert_eq!(
            (invoice.live, invoice.paid, invoice.date.as_str()),
            (true, d("25.00"), "2026-11-03")
        );
        assert_eq!(books.memos["77"].total, d("-10.00"));
        assert_eq!(books.batches["ShipStation shipment 9"].debits(), d("8.45"));
    }

    #[test]
    fn a_correcting_batch_nets_with_the_batch_it_corrects() {
        let entry = |batch: &str, account: &str, tr_type: &str, amount: &str| json!({"BATCHNO": batch, "ACCOUNTNO": account, "TR_TYPE": tr_type, "AMOUNT": amount});
        let batch = |record: &str, title: &str| json!({"RECORDNO": record, "BATCH_TITLE": title, "BATCH_DATE": "11/05/2026"});
        let edited = [
            entry("5", "6100", "1", "9.45"),
            entry("5", "2100", "-1", "9.45"),
        ];
        let corrected = [
            entry("6", "6100", "-1", "1.00"),
            entry("6", "2100", "1", "1.00"),
        ];
        let batches = [
            batch("5", "Shipment 9, sales order SO-1"),
            batch("6", "Shipment 9, correction 2026-12-04, sales order SO-1"),
        ];
        let before = Books::found(&[], &[], &batches[..1], &edited);
        assert_eq!(before.batches["Shipment 9"].debits(), d("9.45"));
        let all: Vec<Value> = edited.iter().chain(&corrected).cloned().collect();
        let after = Books::found(&[], &[], &batches, &all);
        let mut expected = Books::default();
        expected.expect(&[RecordedCommand::of(
            "intacct.create-gl-batch",
            json!({"title": "Shipment 9", "date": "2026-11-05", "entries": [
                {"account_no": "6100", "debit": "8.45"}, {"account_no": "2100", "credit": "8.45"}]}),
        )]);
        let want = &expected.batches["Shipment 9"];
        assert!(!before.batches["Shipment 9"].same_amounts(want));
        assert!(after.batches["Shipment 9"].same_amounts(want));
        assert_eq!(after.batches["Shipment 9"].debits(), d("8.45"));
        assert_eq!(after.batches.len(), 1);
    }
}
