//! `intacct.create-payment`: the legacy `create_arpayment`, a customer's payment applied to its
//! invoices, received into a bank (checking) account or an undeposited-funds GL account. Its
//! elements in the DTD's order: customerid, paymentamount, bankaccountid | undepfundsacct, refid?,
//! datereceived, paymentmethod, currency?, arpaymentitem(invoicekey, amount)*. Success answers the
//! payment's RECORDNO as `<key>`: external id `payment`.
//!
//! An application names its invoice by `invoice_key` (RECORDNO) or by `invoice_no`, narrowed by
//! the invoice's `external_id` when given (an edited order has a new version of its invoice while
//! the reversal of the old one may still be on its way): each is looked up first ([`lookup`], one
//! request each) and must name exactly one live invoice. None is `Transient` (its create may still
//! be on its way); several are `NeedsReview` (a person picks).

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::money::Decimal;
use ml_connector_sdk::{Command, PluginError};
use serde::Deserialize;

use super::fields::{self, Either};
use super::lookup::{self, ExternalId, Found};
use super::{Prepared, Read, Step, Then};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;

pub const KIND: &str = "intacct.create-payment";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payment {
    customer_id: String,
    #[serde(deserialize_with = "fields::amount")]
    amount: Decimal,
    date: NaiveDate,
    /// Printed Check, Cash, EFT, Credit Card, Online Charge Card or Online ACH Debit.
    payment_method: String,
    /// The checking account it is deposited to; or `undeposited_funds_account`.
    bank_account_id: Option<String>,
    /// The undeposited-funds GL account number.
    undeposited_funds_account: Option<String>,
    /// The payer's reference (check number, charge id).
    ref_id: Option<String>,
    currency: Option<String>,
    /// The invoices it pays; what is left stays unapplied.
    #[serde(default)]
    applications: Vec<Application>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Application {
    /// The invoice's RECORDNO; or `invoice_no`.
    invoice_key: Option<String>,
    /// The invoice's number, looked up before the payment is sent.
    invoice_no: Option<String>,
    /// With `invoice_no`: the external id of the invoice meant.
    external_id: Option<String>,
    #[serde(deserialize_with = "fields::amount")]
    amount: Decimal,
}

/// A payment waiting for the look-up of an invoice number.
#[derive(Debug)]
pub struct Pending {
    key: String,
    payment: Payment,
    /// The application whose number is being looked up.
    resolving: usize,
}

impl Payment {
    /// Where the money goes: exactly one of a bank account and an undeposited-funds account.
    fn destination(&self) -> Result<Xml, PluginError> {
        Ok(
            match fields::exactly_one(
                ("bank_account_id", self.bank_account_id.as_ref()),
                (
                    "undeposited_funds_account",
                    self.undeposited_funds_account.as_ref(),
                ),
            )? {
                Either::First(bank) => Xml::new().text("bankaccountid", bank),
                Either::Second(account) => Xml::new().text("undepfundsacct", account),
            },
        )
    }

    /// The function, once every application's invoice is known by its RECORDNO.
    fn to_xml(&self) -> Result<Xml, PluginError> {
        let destination = self.destination()?;
        let mut items = Xml::new();
        for item in &self.applications {
            let invoice_key = item.invoice_key.as_deref().unwrap_or_default();
            items = items.node(
                "arpaymentitem",
                Xml::new()
                    .text("invoicekey", invoice_key)
                    .amount("amount", item.amount),
            );
        }
        let payment = Xml::new()
            .text("customerid", &self.customer_id)
            .amount("paymentamount", self.amount)
            .append(destination)
            .text_opt("refid", self.ref_id.as_deref())
            .legacy_date("datereceived", self.date)
            .text("paymentmethod", &self.payment_method)
            .text_opt("currency", self.currency.as_deref())
            .append(items);
        Ok(Xml::new().node("create_arpayment", payment))
    }
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let payment: Payment = command.body_json()?;
    payment.destination()?;
    for application in &payment.applications {
        if let Either::First(_) = fields::exactly_one(
            ("invoice_key", application.invoice_key.as_ref()),
            ("invoice_no", application.invoice_no.as_ref()),
        )? && application.external_id.is_some()
        {
            return Err(PluginError::rejected(
                "an application's `external_id` goes with `invoice_no`, not `invoice_key`",
            ));
        }
    }
    Pending {
        key: command.key.clone(),
        payment,
        resolving: 0,
    }
    .next()
}

impl Pending {
    /// The look-up of the next invoice number, or the payment once every invoice is known.
    fn next(mut self) -> Result<Prepared, PluginError> {
        let unresolved = self
            .payment
            .applications
            .iter()
            .position(|application| application.invoice_key.is_none());
        match unresolved {
            Some(index) => {
                self.resolving = index;
                let application = &self.payment.applications[index];
                let number = application.invoice_no.as_deref().unwrap_or_default();
                let external_id = match &application.external_id {
                    Some(id) => ExternalId::Is(id),
                    None => ExternalId::Any,
                };
                let function = lookup::live_invoices(&self.key, number, external_id)?;
                Ok(Prepared {
                    key: self.key.clone(),
                    function,
                    read: Read::Invoices(Then::Pay(self)),
                })
            }
            None => Ok(Prepared {
                function: Function {
                    controlid: controlid::for_key(&self.key),
                    body: self.payment.to_xml()?,
                },
                key: self.key,
                read: Read::Key("payment"),
            }),
        }
    }

    /// Takes the invoices found for the number looked up: exactly one goes on.
    pub(super) fn found(mut self, found: Vec<Found>) -> Step {
        let application = &mut self.payment.applications[self.resolving];
        let number = application.invoice_no.clone().unwrap_or_default();
        match found.as_slice() {
            [invoice] => application.invoice_key = Some(invoice.record_no.clone()),
            [] => {
                return Step::Done(Err(PluginError::transient(format!(
                    "no live invoice numbered {number} for the payment yet"
                ))));
            }
            several => {
                return Step::Done(Err(PluginError::needs_review(format!(
                    "{} live invoices are numbered {number} (RECORDNO {}): apply the payment to \
                     one by hand, or reverse the extra ones and replay",
                    several.len(),
                    several
                        .iter()
                        .map(|invoice| invoice.record_no.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))));
            }
        }
        match self.next() {
            Ok(prepared) => Step::Again(vec![prepared]),
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
    fn writes_the_destination_and_applications_in_the_dtd_order() {
        let command = Command::json(
            KIND,
            "pay-1/0",
            &json!({
                "applications": [{"invoice_key": "42", "amount": "60"}],
                "currency": "USD", "ref_id": "ch_1", "undeposited_funds_account": "1499",
                "payment_method": "Credit Card", "date": "2025-03-03", "amount": "60.00",
                "customer_id": "C-DEMO"
            }),
        )
        .unwrap();
        assert_eq!(
            prepare(&command).unwrap().function.body.into_string(),
            "<create_arpayment><customerid>C-DEMO</customerid><paymentamount>60.00</paymentamount>\
             <undepfundsacct>1499</undepfundsacct><refid>ch_1</refid>\
             <datereceived><year>2025</year><month>3</month><day>3</day></datereceived>\
             <paymentmethod>Credit Card</paymentmethod><currency>USD</currency>\
             <arpaymentitem><invoicekey>42</invoicekey><amount>60.00</amount></arpaymentitem>\
             </create_arpayment>"
        );
    }

    #[test]
    fn needs_exactly_one_destination() {
        let body = |extra: ml_connector_sdk::serde_json::Value| {
            let mut body = json!({"customer_id": "C", "amount": "1", "date": "2025-03-03",
                "payment_method": "Cash"});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            Command::json(KIND, "k", &body).unwrap()
        };
        assert!(prepare(&body(json!({}))).is_err());
        assert!(
            prepare(&body(
                json!({"bank_account_id": "BOA-CHK", "undeposited_funds_account": "1499"})
            ))
            .is_err()
        );
        assert!(prepare(&body(json!({"bank_account_id": "BOA-CHK"}))).is_ok());
    }

    fn found(record_no: &str) -> Found {
        Found {
            record_no: record_no.into(),
            state: "Posted".into(),
        }
    }

    #[test]
    fn a_number_is_looked_up_and_must_name_exactly_one_live_invoice() {
        testing::reset();
        let command = Command::json(
            KIND,
            "order/7/payment",
            &json!({"customer_id": "C", "amount": "60", "date": "2025-03-03",
                "payment_method": "Cash", "undeposited_funds_account": "1499",
                "applications": [{"invoice_no": "SH1001", "amount": "60"}]}),
        )
        .unwrap();
        let pending = || {
            let prepared = prepare(&command).unwrap();
            assert!(prepared.function.body.into_string().contains("ARINVOICE"));
            match prepared.read {
                Read::Invoices(Then::Pay(pending)) => pending,
                other => panic!("a look-up first, not {other:?}"),
            }
        };
        let Step::Again(mut next) = pending().found(vec![found("42")]) else {
            panic!("the payment next");
        };
        let payment = next.remove(0);
        assert_eq!(payment.function.controlid, "order/7/payment");
        assert!(
            payment
                .function
                .body
                .into_string()
                .contains("<arpaymentitem><invoicekey>42</invoicekey><amount>60.00</amount>")
        );
        assert!(matches!(
            pending().found(Vec::new()),
            Step::Done(Err(PluginError::Transient(_)))
        ));
        assert!(matches!(
            pending().found(vec![found("4"), found("5")]),
            Step::Done(Err(PluginError::NeedsReview(message))) if message.contains("RECORDNO 4, 5")
        ));
        let both = json!({"customer_id": "C", "amount": "1", "date": "2025-03-03",
            "payment_method": "Cash", "undeposited_funds_account": "1499",
            "applications": [{"invoice_no": "SH1", "invoice_key": "4", "amount": "1"}]});
        assert!(prepare(&Command::json(KIND, "k", &both).unwrap()).is_err());
    }
}
