//! `intacct.reverse-invoice`: the legacy `reverse_invoice key="RECORDNO"` with datereversed and
//! description?, how a cancelled order undoes its invoice (Intacct has no cancelled state). Success
//! answers the reversal's RECORDNO as `<key>`: external id `reversal`.

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::{Command, PluginError};
use serde::Deserialize;

use super::{Prepared, Read};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;

pub const KIND: &str = "intacct.reverse-invoice";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reversal {
    /// The invoice's RECORDNO (the external id `invoice` of its create).
    invoice_key: String,
    date: NaiveDate,
    description: Option<String>,
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let reversal: Reversal = command.body_json()?;
    if reversal.invoice_key.trim().is_empty() {
        return Err(PluginError::rejected("`invoice_key` is empty"));
    }
    let body = Xml::new()
        .legacy_date("datereversed", reversal.date)
        .text_opt("description", reversal.description.as_deref());
    Ok(Prepared {
        key: command.key.clone(),
        function: Function {
            controlid: controlid::for_key(&command.key),
            body: Xml::new().node_with_attribute(
                "reverse_invoice",
                ("key", &reversal.invoice_key),
                body,
            ),
        },
        read: Read::Key("reversal"),
    })
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::json;

    use super::*;

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
        let empty = Command::json(
            KIND,
            "k",
            &json!({"invoice_key": " ", "date": "2025-03-05"}),
        );
        assert!(prepare(&empty.unwrap()).is_err());
    }
}
