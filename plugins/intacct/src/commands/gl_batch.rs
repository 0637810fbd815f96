//! `intacct.create-gl-batch`: a journal entry, the generic `create` of a GLBATCH: JOURNAL,
//! BATCH_DATE (mm/dd/yyyy), BATCH_TITLE, STATE (Posted or Draft), ENTRIES of GLENTRY (ACCOUNTNO,
//! TR_TYPE 1 for a debit and -1 for a credit, TRX_AMOUNT as an absolute amount, DESCRIPTION,
//! DEPARTMENT, LOCATION, CUSTOMERID, CLASSID: the dimension names differ from the AR documents').
//! Intacct checks that debits equal credits. Success answers `data/glbatch/RECORDNO`: external id
//! `gl_batch`.

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::money::Decimal;
use ml_connector_sdk::{Command, PluginError};
use serde::Deserialize;

use super::fields::{self, Either};
use super::{Prepared, Read};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;

pub const KIND: &str = "intacct.create-gl-batch";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct GlBatch {
    /// The journal symbol, e.g. `GJ`.
    journal: String,
    date: NaiveDate,
    title: String,
    /// Save as a draft instead of posting.
    #[serde(default)]
    draft: bool,
    entries: Vec<Entry>,
}

/// One line: exactly one of `debit` and `credit`, a positive amount.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    account_no: String,
    #[serde(default, deserialize_with = "fields::optional_amount")]
    debit: Option<Decimal>,
    #[serde(default, deserialize_with = "fields::optional_amount")]
    credit: Option<Decimal>,
    description: Option<String>,
    department_id: Option<String>,
    location_id: Option<String>,
    customer_id: Option<String>,
    class_id: Option<String>,
}

impl Entry {
    fn to_xml(&self) -> Result<Xml, PluginError> {
        let (tr_type, amount) = match fields::exactly_one(
            ("debit", self.debit.as_ref()),
            ("credit", self.credit.as_ref()),
        )? {
            Either::First(amount) => ("1", *amount),
            Either::Second(amount) => ("-1", *amount),
        };
        if amount <= Decimal::ZERO {
            return Err(PluginError::rejected(format!(
                "entry on account {}: the amount must be positive (`debit` or `credit` says the side)",
                self.account_no
            )));
        }
        let entry = Xml::new()
            .text("ACCOUNTNO", &self.account_no)
            .text("TR_TYPE", tr_type)
            .amount("TRX_AMOUNT", amount)
            .text_opt("DESCRIPTION", self.description.as_deref())
            .text_opt("DEPARTMENT", self.department_id.as_deref())
            .text_opt("LOCATION", self.location_id.as_deref())
            .text_opt("CUSTOMERID", self.customer_id.as_deref())
            .text_opt("CLASSID", self.class_id.as_deref());
        Ok(Xml::new().node("GLENTRY", entry))
    }
}

impl GlBatch {
    fn to_xml(&self) -> Result<Xml, PluginError> {
        if self.entries.len() < 2 {
            return Err(PluginError::rejected(
                "a journal entry needs at least two `entries`",
            ));
        }
        let entries = self.entries.iter().try_fold(Xml::new(), |entries, entry| {
            Ok::<_, PluginError>(entries.append(entry.to_xml()?))
        })?;
        let batch = Xml::new()
            .text("JOURNAL", &self.journal)
            .us_date("BATCH_DATE", self.date)
            .text("BATCH_TITLE", &self.title)
            .text("STATE", if self.draft { "Draft" } else { "Posted" })
            .node("ENTRIES", entries);
        Ok(Xml::new().node("create", Xml::new().node("GLBATCH", batch)))
    }
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let batch: GlBatch = command.body_json()?;
    Ok(Prepared {
        key: command.key.clone(),
        function: Function {
            controlid: controlid::for_key(&command.key),
            body: batch.to_xml()?,
        },
        read: Read::Record {
            record: "glbatch",
            ids: &[("gl_batch", "RECORDNO")],
        },
    })
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::{Value, json};

    use super::*;

    fn command(entries: Value) -> Command {
        let body =
            json!({"journal": "GJ", "date": "2025-03-01", "title": "Labels", "entries": entries});
        Command::json(KIND, "label-1/0", &body).unwrap()
    }

    #[test]
    fn writes_debits_and_credits_as_tr_type_and_absolute_amounts() {
        let prepared = prepare(&command(json!([
            {"account_no": "6100", "debit": "12.5", "description": "UPS", "department_id": "OPS",
             "location_id": "WH-EAST", "customer_id": "C-DEMO", "class_id": "ONLINE"},
            {"account_no": "2100", "credit": "12.50"}
        ])))
        .unwrap();
        assert_eq!(
            prepared.function.body.into_string(),
            "<create><GLBATCH><JOURNAL>GJ</JOURNAL><BATCH_DATE>03/01/2025</BATCH_DATE>\
             <BATCH_TITLE>Labels</BATCH_TITLE><STATE>Posted</STATE><ENTRIES>\
             <GLENTRY><ACCOUNTNO>6100</ACCOUNTNO><TR_TYPE>1</TR_TYPE><TRX_AMOUNT>12.50</TRX_AMOUNT>\
             <DESCRIPTION>UPS</DESCRIPTION><DEPARTMENT>OPS</DEPARTMENT><LOCATION>WH-EAST</LOCATION>\
             <CUSTOMERID>C-DEMO</CUSTOMERID><CLASSID>ONLINE</CLASSID></GLENTRY>\
             <GLENTRY><ACCOUNTNO>2100</ACCOUNTNO><TR_TYPE>-1</TR_TYPE><TRX_AMOUNT>12.50</TRX_AMOUNT>\
             </GLENTRY></ENTRIES></GLBATCH></create>"
        );
    }

    #[test]
    fn refuses_one_line_both_sides_and_negative_amounts() {
        assert!(prepare(&command(json!([{"account_no": "6100", "debit": "1"}]))).is_err());
        let both = json!([{"account_no": "6100", "debit": "1", "credit": "1"}, {"account_no": "2100", "credit": "1"}]);
        assert!(prepare(&command(both)).is_err());
        let negative =
            json!([{"account_no": "6100", "debit": "-1"}, {"account_no": "2100", "credit": "-1"}]);
        assert!(prepare(&command(negative)).is_err());
    }
}
