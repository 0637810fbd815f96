//! The documents a reconciliation sets side by side, by the key each is found by: invoices by
//! number, credit memos by their external id (the refund), GL batches by title. One [`Books`] is
//! what the source says Intacct should hold (the flow's mapping run on the source's records:
//! [`Books::expect`]); the other is what Intacct holds (its records of the period:
//! [`Books::found`]). Both read the Intacct connector's kinds only, as the dry-run's effect does.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::flow::dry_run::effect;
use crate::flow::recording::RecordedCommand;

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

/// A GL batch: the sum of its debits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Batch {
    pub debits: Decimal,
    pub date: String,
}

/// One side's documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    pub invoices: BTreeMap<String, Invoice>,
    pub memos: BTreeMap<String, Memo>,
    pub batches: BTreeMap<String, Batch>,
}

impl Books {
    /// Adds what one event's commands would post: an invoice (`create-invoice`), a cancelled one
    /// (`reverse-invoice`: no invoice of that number stands), its payments (`create-payment`
    /// applications), a credit memo (`create-adjustment`, by `external_id`), a GL batch
    /// (`create-gl-batch`, by title). Other kinds post nothing to reconcile.
    pub fn expect(&mut self, commands: &[RecordedCommand]) {
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
                }
                "intacct.reverse-invoice" if !text("invoice_no").is_empty() => {
                    let invoice = self.invoices.entry(text("invoice_no")).or_default();
                    invoice.live = false;
                    invoice.date = text("date");
                }
                "intacct.create-payment" => {
                    for application in body["applications"].as_array().into_iter().flatten() {
                        let number = application["invoice_no"].as_str().unwrap_or_default();
                        let amount = amount(&application["amount"]).unwrap_or_default();
                        self.invoices.entry(number.to_owned()).or_default().paid += amount;
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
                }
                "intacct.create-gl-batch" => {
                    let debits = effect::postings(command)
                        .iter()
                        .map(|posting| posting.debit)
                        .sum();
                    self.batches.insert(
                        text("title"),
                        Batch {
                            debits,
                            date: text("date"),
                        },
                    );
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
        let mut debits: BTreeMap<String, Decimal> = BTreeMap::new();
        for entry in entries {
            if field(entry, "TR_TYPE") == "1" {
                *debits.entry(field(entry, "BATCHNO")).or_default() +=
                    amount(&entry["AMOUNT"]).unwrap_or_default();
            }
        }
        for record in batches {
            let title = field(record, "BATCH_TITLE");
            let title = match title.split_once(", sales order ") {
                Some((title, _)) => title.to_owned(),
                None => title,
            };
            books.batches.insert(
                title,
                Batch {
                    debits: debits
                        .get(&field(record, "RECORDNO"))
                        .copied()
                        .unwrap_or_default(),
                    date: intacct_day(&field(record, "BATCH_DATE")),
                },
            );
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
        assert_eq!(books.batches["ShipStation shipment 9"].debits, d("8.45"));
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
                json!({"BATCHNO": "5", "TR_TYPE": "1", "AMOUNT": "8.45"}),
                json!({"BATCHNO": "5", "TR_TYPE": "-1", "AMOUNT": "8.45"}),
            ],
        );
        let invoice = &books.invoices["SH1001"];
        assert_eq!(
            (invoice.live, invoice.paid, invoice.date.as_str()),
            (true, d("25.00"), "2026-11-03")
        );
        assert_eq!(books.memos["77"].total, d("-10.00"));
        assert_eq!(books.batches["ShipStation shipment 9"].debits, d("8.45"));
    }
}
