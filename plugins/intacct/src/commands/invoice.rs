//! `intacct.create-invoice`: the legacy `create_invoice` (Intacct documents no generic create of
//! ARINVOICE), its elements in the DTD's order: customerid, datecreated, dateposted?, datedue? |
//! termname?, batchkey?, action?, invoiceno?, ponumber?, description?, externalid?, currency?,
//! invoiceitems. Success answers the invoice's RECORDNO as `<key>`: external id `invoice`.
//!
//! **Superseding.** With `"supersedes": {"date", "description"?}` the invoice is a new version of
//! the invoices with its `invoice_no` (an edited order): the live ones with another `external_id`
//! are looked up first ([`lookup`]); then the invoice is created and each of them reversed, dated
//! `date`, in the next request (ids `invoice` and one `reversal` each). When one of them has
//! payments applied (Intacct would refuse its reversal) nothing is posted and the command needs
//! review. An update that changed nothing finds nothing to supersede: the create alone is sent,
//! and Intacct answers it "already executed".

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::{Command, PluginError};
use serde::Deserialize;

use super::line_item::{self, LineItem};
use super::lookup::{self, ExternalId, Found};
use super::reversal;
use super::{Prepared, Read, Step, Then};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;

pub const KIND: &str = "intacct.create-invoice";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Invoice {
    customer_id: String,
    /// `YYYY-MM-DD`, like every date of a command body.
    date: NaiveDate,
    date_posted: Option<NaiveDate>,
    date_due: Option<NaiveDate>,
    term_name: Option<String>,
    batch_key: Option<String>,
    /// Save as a draft instead of posting.
    #[serde(default)]
    draft: bool,
    invoice_no: Option<String>,
    po_number: Option<String>,
    description: Option<String>,
    external_id: Option<String>,
    currency: Option<String>,
    lines: Vec<LineItem>,
    supersedes: Option<Supersedes>,
}

/// How the invoices a new version replaces are reversed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Supersedes {
    date: NaiveDate,
    description: Option<String>,
}

/// An invoice waiting to learn which invoices it supersedes.
#[derive(Debug)]
pub struct Superseding {
    create: Box<Prepared>,
    invoice_no: String,
    reversals: reversal::Pending,
}

impl Invoice {
    fn to_xml(&self) -> Result<Xml, PluginError> {
        if self.date_due.is_some() && self.term_name.is_some() {
            return Err(PluginError::rejected(
                "give `date_due` or `term_name`, not both",
            ));
        }
        let invoice = Xml::new()
            .text("customerid", &self.customer_id)
            .legacy_date("datecreated", self.date)
            .legacy_date_opt("dateposted", self.date_posted)
            .legacy_date_opt("datedue", self.date_due)
            .text_opt("termname", self.term_name.as_deref())
            .text_opt("batchkey", self.batch_key.as_deref())
            .text_opt("action", self.draft.then_some("Draft"))
            .text_opt("invoiceno", self.invoice_no.as_deref())
            .text_opt("ponumber", self.po_number.as_deref())
            .text_opt("description", self.description.as_deref())
            .text_opt("externalid", self.external_id.as_deref())
            .text_opt("currency", self.currency.as_deref())
            .append(line_item::items("invoiceitems", &self.lines)?);
        Ok(Xml::new().node("create_invoice", invoice))
    }
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let invoice: Invoice = command.body_json()?;
    let create = Prepared {
        key: command.key.clone(),
        function: Function {
            controlid: controlid::for_key(&command.key),
            body: invoice.to_xml()?,
        },
        read: Read::Key("invoice"),
    };
    let Some(supersedes) = invoice.supersedes else {
        return Ok(create);
    };
    let (Some(invoice_no), Some(external_id)) = (invoice.invoice_no, invoice.external_id) else {
        return Err(PluginError::rejected(
            "`supersedes` needs the `invoice_no` of the invoices replaced and this version's \
             `external_id`",
        ));
    };
    Ok(Prepared {
        key: command.key.clone(),
        function: lookup::live_invoices(&command.key, &invoice_no, ExternalId::Not(&external_id))?,
        read: Read::Invoices(Then::Supersede(Superseding {
            create: Box::new(create),
            invoice_no,
            reversals: reversal::Pending::new(
                &command.key,
                supersedes.date,
                supersedes.description,
            ),
        })),
    })
}

impl Superseding {
    /// The create and the reversals of the invoices `found`; review when one has payments.
    pub(super) fn found(self, found: Vec<Found>) -> Step {
        let paid: Vec<&str> = found
            .iter()
            .filter(|invoice| invoice.has_payments())
            .map(|invoice| invoice.record_no.as_str())
            .collect();
        if !paid.is_empty() {
            return Step::Done(Err(PluginError::needs_review(format!(
                "invoice {} changed after it was paid: the earlier version (RECORDNO {}) has \
                 payments applied, which Intacct will not reverse. Nothing was posted: reverse \
                 the payments in Intacct and replay, or resolve to skip",
                self.invoice_no,
                paid.join(", ")
            ))));
        }
        match self.reversals.reversals(&found) {
            Ok(reversals) => Step::Again(std::iter::once(*self.create).chain(reversals).collect()),
            Err(error) => Step::Done(Err(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn writes_the_header_in_the_dtd_order() {
        let command = Command::json(
            KIND,
            "shopify:1001/1",
            &json!({
                "lines": [{"gl_account_no": "4000", "amount": "100.00", "location_id": "HQ"}],
                "currency": "USD", "external_id": "gid://1001", "description": "Order #1001",
                "po_number": "PO-1", "invoice_no": "INV-1001", "draft": true, "batch_key": "7",
                "term_name": "N30", "date_posted": "2025-03-02", "date": "2025-03-01",
                "customer_id": "C-DEMO"
            }),
        )
        .unwrap();
        let prepared = prepare(&command).unwrap();
        assert_eq!(prepared.function.controlid, "shopify:1001/1");
        assert_eq!(
            prepared.function.body.into_string(),
            "<create_invoice><customerid>C-DEMO</customerid>\
             <datecreated><year>2025</year><month>3</month><day>1</day></datecreated>\
             <dateposted><year>2025</year><month>3</month><day>2</day></dateposted>\
             <termname>N30</termname><batchkey>7</batchkey><action>Draft</action>\
             <invoiceno>INV-1001</invoiceno><ponumber>PO-1</ponumber>\
             <description>Order #1001</description><externalid>gid://1001</externalid>\
             <currency>USD</currency><invoiceitems><lineitem><glaccountno>4000</glaccountno>\
             <amount>100.00</amount><locationid>HQ</locationid></lineitem></invoiceitems>\
             </create_invoice>"
        );
    }

    #[test]
    fn refuses_bodies_that_do_not_fit() {
        let both = json!({"customer_id": "C", "date": "2025-03-01", "date_due": "2025-03-31",
            "term_name": "N30", "lines": [{"gl_account_no": "4000", "amount": "1"}]});
        assert!(prepare(&Command::json(KIND, "k", &both).unwrap()).is_err());
        let float_date = json!({"customer_id": "C", "date": "03/01/2025", "lines": []});
        assert!(prepare(&Command::json(KIND, "k", &float_date).unwrap()).is_err());
    }

    #[test]
    fn a_superseding_invoice_looks_up_the_others_then_creates_and_reverses() {
        testing::reset();
        let command = Command::json(
            KIND,
            "order/7/invoice/v2",
            &json!({"customer_id": "C", "date": "2025-03-01", "invoice_no": "SH7",
                "external_id": "7-v2", "lines": [{"gl_account_no": "4000", "amount": "1"}],
                "supersedes": {"date": "2025-03-04", "description": "Edited"}}),
        )
        .unwrap();
        let lookup_first = || {
            let prepared = prepare(&command).unwrap();
            assert_eq!(prepared.function.controlid, "order/7/invoice/v2/q1");
            assert!(
                prepared
                    .function
                    .body
                    .into_string()
                    .contains("AND EXTERNALID != &apos;7-v2&apos;</query>")
            );
            testing::reset();
            match prepared.read {
                Read::Invoices(Then::Supersede(superseding)) => superseding,
                other => panic!("a look-up first, not {other:?}"),
            }
        };
        let invoice = |record_no: &str, state: &str| Found {
            record_no: record_no.into(),
            state: state.into(),
        };
        let Step::Again(next) = lookup_first().found(vec![invoice("4", "Posted")]) else {
            panic!("the create and the reversal next");
        };
        let controlids: Vec<&str> = next
            .iter()
            .map(|prepared| prepared.function.controlid.as_str())
            .collect();
        assert_eq!(controlids, ["order/7/invoice/v2", "order/7/invoice/v2/4"]);
        let Step::Again(alone) = lookup_first().found(Vec::new()) else {
            panic!("the create alone");
        };
        assert_eq!(alone.len(), 1);
        assert!(matches!(
            lookup_first().found(vec![invoice("4", "Paid")]),
            Step::Done(Err(PluginError::NeedsReview(message))) if message.contains("RECORDNO 4")
        ));
        let anonymous = json!({"customer_id": "C", "date": "2025-03-01", "lines": [],
            "supersedes": {"date": "2025-03-04"}});
        assert!(prepare(&Command::json(KIND, "k", &anonymous).unwrap()).is_err());
    }
}
