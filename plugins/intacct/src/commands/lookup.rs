//! The look-up of live invoices by number that commands run before they can act (`readByQuery` of
//! ARINVOICE by RECORDID, the `invoiceno` given at create, leaving out reversed ones; narrowed by
//! external id when the command gives one).
//!
//! A mapping never learns an invoice's RECORDNO (only the create's answer carries it, and an
//! "already executed" answer does not), so a reversal, a payment or an invoice that supersedes
//! others may name invoices by number and the connector finds them here, in the same request as
//! any invoice created before it: the functions of one request run in order.

use ml_connector_sdk::PluginError;

use super::query::{self, ReadByQuery, quoted};
use crate::envelope::Function;
use crate::xml_tree::Element;

/// The most invoices one number can have (every version of an often-edited order).
const INVOICE_PAGE_SIZE: usize = 2000;
/// The state Intacct gives an invoice once reversed.
const REVERSED: &str = "Reversed";

/// Which of the invoices with a number the look-up wants, by external id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalId<'a> {
    Any,
    /// Only the one with this external id.
    Is(&'a str),
    /// All but the one with this external id.
    Not(&'a str),
}

/// The query for the live invoices numbered `invoice_no` that `external_id` picks.
pub fn live_invoices(
    key: &str,
    invoice_no: &str,
    external_id: ExternalId<'_>,
) -> Result<Function, PluginError> {
    if invoice_no.trim().is_empty() {
        return Err(PluginError::rejected("`invoice_no` is empty"));
    }
    let mut query = format!(
        "RECORDID = {} AND STATE != {}",
        quoted(invoice_no),
        quoted(REVERSED)
    );
    match external_id {
        ExternalId::Any => {}
        ExternalId::Is(id) => query.push_str(&format!(" AND EXTERNALID = {}", quoted(id))),
        ExternalId::Not(id) => query.push_str(&format!(" AND EXTERNALID != {}", quoted(id))),
    }
    let read = ReadByQuery {
        object: "ARINVOICE",
        fields: "RECORDNO,RECORDID,STATE,EXTERNALID",
        query: &query,
        page_size: INVOICE_PAGE_SIZE,
        docpar_id: None,
    };
    query::read_by_query(key, read)
}

/// An invoice a [`live_invoices`] query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub record_no: String,
    /// `Posted`, `Partially Paid`, `Paid`, `Draft`.
    pub state: String,
}

impl Found {
    /// Intacct refuses to reverse an invoice with payments applied.
    pub fn has_payments(&self) -> bool {
        matches!(self.state.as_str(), "Paid" | "Partially Paid")
    }
}

/// The invoices a [`live_invoices`] query found.
pub fn invoices(data: &Element) -> Result<Vec<Found>, PluginError> {
    data.all("arinvoice")
        .map(|invoice| {
            let record_no = invoice.text_of("RECORDNO").ok_or_else(|| {
                PluginError::transient("Intacct listed an invoice without RECORDNO")
            })?;
            Ok(Found {
                record_no: record_no.to_owned(),
                state: invoice.text_or_empty("STATE").to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn finds_live_invoices_by_number_leaving_one_out() {
        testing::reset();
        let function = live_invoices("k/1", "SH'1001", ExternalId::Not("5821-abc")).unwrap();
        assert_eq!(function.controlid, "k/1/q1");
        assert_eq!(
            function.body.into_string(),
            "<readByQuery><object>ARINVOICE</object><fields>RECORDNO,RECORDID,STATE,EXTERNALID</fields>\
             <query>RECORDID = &apos;SH\\&apos;1001&apos; AND STATE != &apos;Reversed&apos; AND \
             EXTERNALID != &apos;5821-abc&apos;</query><pagesize>2000</pagesize></readByQuery>"
        );
        assert!(live_invoices("k/1", " ", ExternalId::Any).is_err());
        let only = live_invoices("k/2", "SH1", ExternalId::Is("v2")).unwrap();
        assert!(
            only.body
                .into_string()
                .contains("AND EXTERNALID = &apos;v2&apos;</query>")
        );
    }

    #[test]
    fn reads_the_invoices_found() {
        let data = Element::parse(
            "<data listtype=\"arinvoice\" count=\"2\"><arinvoice><RECORDNO>7</RECORDNO>\
             <STATE>Paid</STATE></arinvoice><arinvoice><RECORDNO>9</RECORDNO><STATE>Posted</STATE>\
             </arinvoice></data>",
        )
        .unwrap();
        let found = invoices(&data).unwrap();
        assert_eq!(
            found
                .iter()
                .map(|invoice| invoice.record_no.as_str())
                .collect::<Vec<_>>(),
            ["7", "9"]
        );
        assert!(found[0].has_payments() && !found[1].has_payments());
        let broken = Element::parse("<data><arinvoice><STATE>Posted</STATE></arinvoice></data>");
        assert!(invoices(&broken.unwrap()).is_err());
    }
}
