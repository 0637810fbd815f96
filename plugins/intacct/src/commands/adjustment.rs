//! `intacct.create-adjustment`: the legacy `create_aradjustment`, an AR adjustment; a negative
//! total makes it a credit memo (a refund), a positive one a debit memo. Its elements in the DTD's
//! order: customerid, datecreated, dateposted?, batchkey?, adjustmentno?, action?, invoiceno?,
//! description?, externalid?, currency?, aradjustmentitems. Success answers the RECORDNO as
//! `<key>`: external id `adjustment`.

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::{Command, PluginError};
use serde::Deserialize;

use super::line_item::{self, LineItem};
use super::{Prepared, Read};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;

pub const KIND: &str = "intacct.create-adjustment";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Adjustment {
    customer_id: String,
    date: NaiveDate,
    date_posted: Option<NaiveDate>,
    batch_key: Option<String>,
    adjustment_no: Option<String>,
    #[serde(default)]
    draft: bool,
    /// The number of the invoice it adjusts.
    invoice_no: Option<String>,
    description: Option<String>,
    external_id: Option<String>,
    currency: Option<String>,
    /// Negative amounts credit the customer.
    lines: Vec<LineItem>,
}

impl Adjustment {
    fn to_xml(&self) -> Result<Xml, PluginError> {
        let adjustment = Xml::new()
            .text("customerid", &self.customer_id)
            .legacy_date("datecreated", self.date)
            .legacy_date_opt("dateposted", self.date_posted)
            .text_opt("batchkey", self.batch_key.as_deref())
            .text_opt("adjustmentno", self.adjustment_no.as_deref())
            .text_opt("action", self.draft.then_some("Draft"))
            .text_opt("invoiceno", self.invoice_no.as_deref())
            .text_opt("description", self.description.as_deref())
            .text_opt("externalid", self.external_id.as_deref())
            .text_opt("currency", self.currency.as_deref())
            .append(line_item::items("aradjustmentitems", &self.lines)?);
        Ok(Xml::new().node("create_aradjustment", adjustment))
    }
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let adjustment: Adjustment = command.body_json()?;
    Ok(Prepared {
        key: command.key.clone(),
        function: Function {
            controlid: controlid::for_key(&command.key),
            body: adjustment.to_xml()?,
        },
        read: Read::Key("adjustment"),
    })
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;

    use super::*;

    #[test]
    fn writes_a_credit_memo_in_the_dtd_order() {
        let command = Command::json(
            KIND,
            "refund-9/0",
            &json!({
                "customer_id": "C-DEMO", "date": "2025-03-04", "adjustment_no": "CM-9",
                "invoice_no": "INV-1001", "description": "Refund", "external_id": "r-9",
                "lines": [{"gl_account_no": "4000", "amount": "-25.5", "memo": "returned"}]
            }),
        )
        .unwrap();
        assert_eq!(
            prepare(&command).unwrap().function.body.into_string(),
            "<create_aradjustment><customerid>C-DEMO</customerid>\
             <datecreated><year>2025</year><month>3</month><day>4</day></datecreated>\
             <adjustmentno>CM-9</adjustmentno><invoiceno>INV-1001</invoiceno>\
             <description>Refund</description><externalid>r-9</externalid><aradjustmentitems>\
             <lineitem><glaccountno>4000</glaccountno><amount>-25.50</amount><memo>returned</memo>\
             </lineitem></aradjustmentitems></create_aradjustment>"
        );
    }
}
