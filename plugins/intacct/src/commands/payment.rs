//! `intacct.create-payment`: the legacy `create_arpayment`, a customer's payment applied to its
//! invoices, received into a bank (checking) account or an undeposited-funds GL account. Its
//! elements in the DTD's order: customerid, paymentamount, bankaccountid | undepfundsacct, refid?,
//! datereceived, paymentmethod, currency?, arpaymentitem(invoicekey, amount)*. Success answers the
//! payment's RECORDNO as `<key>`: external id `payment`.

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::money::Decimal;
use ml_connector_sdk::{Command, PluginError};
use serde::Deserialize;

use super::fields::{self, Either};
use super::{Prepared, Read};
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
    /// The invoice's RECORDNO.
    invoice_key: String,
    #[serde(deserialize_with = "fields::amount")]
    amount: Decimal,
}

impl Payment {
    fn to_xml(&self) -> Result<Xml, PluginError> {
        let destination = match fields::exactly_one(
            ("bank_account_id", self.bank_account_id.as_ref()),
            (
                "undeposited_funds_account",
                self.undeposited_funds_account.as_ref(),
            ),
        )? {
            Either::First(bank) => Xml::new().text("bankaccountid", bank),
            Either::Second(account) => Xml::new().text("undepfundsacct", account),
        };
        let items = self.applications.iter().fold(Xml::new(), |items, item| {
            items.node(
                "arpaymentitem",
                Xml::new()
                    .text("invoicekey", &item.invoice_key)
                    .amount("amount", item.amount),
            )
        });
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
    Ok(Prepared {
        key: command.key.clone(),
        function: Function {
            controlid: controlid::for_key(&command.key),
            body: payment.to_xml()?,
        },
        read: Read::Key("payment"),
    })
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;

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
}
