//! `intacct.reverse-invoice`: the legacy `reverse_invoice key="RECORDNO"` with datereversed and
//! description?, how a cancelled order undoes its invoice (Intacct has no cancelled state). Success
//! answers the reversal's RECORDNO as `<key>`: external id `reversal`.
//!
//! The invoice is named by `invoice_key` (its RECORDNO), or by `invoice_no` (its number): then the
//! live invoices with that number are looked up first ([`lookup`]) and each one found is reversed
//! in the next request under its own controlid (`<key>/<RECORDNO>`). None found is done with
//! nothing to do: a replay after the reversals ran finds them reversed. The same reversals serve
//! an invoice that supersedes others ([`super::invoice`]).

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::{Applied, Command, PluginError};
use serde::Deserialize;

use super::fields::{self, Either};
use super::lookup::{self, ExternalId, Found};
use super::{Prepared, Read, Step, Then};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;

pub const KIND: &str = "intacct.reverse-invoice";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reversal {
    /// The invoice's RECORDNO (the external id `invoice` of its create); or `invoice_no`.
    invoice_key: Option<String>,
    /// The invoice's number: every live invoice with it is reversed.
    invoice_no: Option<String>,
    date: NaiveDate,
    description: Option<String>,
}

/// Reversals of the command keyed `key`, waiting to learn which invoices.
#[derive(Debug)]
pub struct Pending {
    key: String,
    date: NaiveDate,
    description: Option<String>,
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let reversal: Reversal = command.body_json()?;
    let pending = Pending::new(&command.key, reversal.date, reversal.description);
    match fields::exactly_one(
        ("invoice_key", reversal.invoice_key.as_ref()),
        ("invoice_no", reversal.invoice_no.as_ref()),
    )? {
        Either::First(invoice_key) => {
            pending.reverse(invoice_key, controlid::for_key(&command.key))
        }
        Either::Second(invoice_no) => Ok(Prepared {
            key: command.key.clone(),
            function: lookup::live_invoices(&command.key, invoice_no, ExternalId::Any)?,
            read: Read::Invoices(Then::Reverse(pending)),
        }),
    }
}

impl Pending {
    pub fn new(key: &str, date: NaiveDate, description: Option<String>) -> Self {
        Self {
            key: key.to_owned(),
            date,
            description,
        }
    }

    /// The reversal of the invoice `invoice_key` under `controlid`.
    fn reverse(&self, invoice_key: &str, controlid: String) -> Result<Prepared, PluginError> {
        if invoice_key.trim().is_empty() {
            return Err(PluginError::rejected("`invoice_key` is empty"));
        }
        let body = Xml::new()
            .legacy_date("datereversed", self.date)
            .text_opt("description", self.description.as_deref());
        Ok(Prepared {
            key: self.key.clone(),
            function: Function {
                controlid,
                body: Xml::new().node_with_attribute("reverse_invoice", ("key", invoice_key), body),
            },
            read: Read::Key("reversal"),
        })
    }

    /// The reversals of the invoices `found`, each under the controlid `<key>/<RECORDNO>`.
    pub fn reversals(&self, found: &[Found]) -> Result<Vec<Prepared>, PluginError> {
        let base = controlid::for_key(&self.key);
        found
            .iter()
            .map(|invoice| {
                self.reverse(
                    &invoice.record_no,
                    controlid::step(&base, &invoice.record_no),
                )
            })
            .collect()
    }

    /// The reversals of the live invoices found; done at once when there are none.
    pub(super) fn found(self, found: Vec<Found>) -> Step {
        if found.is_empty() {
            return Step::Done(Ok(Applied::new(&self.key)));
        }
        match self.reversals(&found) {
            Ok(reversals) => Step::Again(reversals),
            Err(error) => Step::Done(Err(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;
    use ml_connector_sdk::testing;

    use super::*;

    fn found(record_no: &str) -> Found {
        Found {
            record_no: record_no.into(),
            state: "Posted".into(),
        }
    }

    #[test]
    fn names_the_invoice_in_the_key_attribute() {
        let command = Command::json(
            KIND,
            "cancel-1/0",
            &json!({"invoice_key": "42", "date": "2025-03-05", "description": "Cancelled"}),
        )
        .unwrap();
        assert_eq!(
            prepare(&command).unwrap().function.body.into_string(),
            "<reverse_invoice key=\"42\"><datereversed><year>2025</year><month>3</month>\
             <day>5</day></datereversed><description>Cancelled</description></reverse_invoice>"
        );
        for body in [
            json!({"invoice_key": " ", "date": "2025-03-05"}),
            json!({"date": "2025-03-05"}),
            json!({"invoice_key": "42", "invoice_no": "SH1", "date": "2025-03-05"}),
        ] {
            assert!(
                prepare(&Command::json(KIND, "k", &body).unwrap()).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn by_number_looks_up_then_reverses_each_live_invoice_under_its_own_controlid() {
        testing::reset();
        let command = Command::json(
            KIND,
            "order/7/reverse",
            &json!({"invoice_no": "SH1001", "date": "2025-03-05"}),
        )
        .unwrap();
        let prepared = prepare(&command).unwrap();
        assert_eq!(prepared.function.controlid, "order/7/reverse/q1");
        assert!(
            prepared.function.body.into_string().contains(
                "RECORDID = &apos;SH1001&apos; AND STATE != &apos;Reversed&apos;</query>"
            )
        );
        let Read::Invoices(Then::Reverse(pending)) = prepared.read else {
            panic!("a look-up first");
        };
        let Step::Again(reversals) = pending.found(vec![found("4"), found("9")]) else {
            panic!("reversals next");
        };
        let sent: Vec<(String, String)> = reversals
            .into_iter()
            .map(|prepared| {
                (
                    prepared.function.controlid,
                    prepared.function.body.into_string(),
                )
            })
            .collect();
        assert_eq!(sent[0].0, "order/7/reverse/4");
        assert!(sent[0].1.starts_with("<reverse_invoice key=\"4\">"));
        assert_eq!(sent[1].0, "order/7/reverse/9");
        let nothing = Pending::new("k", NaiveDate::from_ymd_opt(2025, 3, 5).unwrap(), None);
        assert!(matches!(nothing.found(Vec::new()), Step::Done(Ok(applied)) if applied.key == "k"));
    }
}
