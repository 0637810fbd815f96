//! `intacct.find-sales-order`: a `readByQuery` of SODOCUMENT by document number (DOCNO) or PO
//! number (PONUMBER), all fields, within one transaction definition (`Sales Order` unless told).
//! The value is quoted as [`quoted`] does.
//!
//! The command's `data` is `{"count": n, "total": n, "orders": [{"RECORDNO": …, "DOCNO": …, …}]}`
//! with Intacct's field names; exactly one order found also gives the external id `sales_order`
//! (its RECORDNO). Finding none is not an error: the mapping decides.
//!
//! A query runs on every attempt, so its controlid is new each time (see [`crate::controlid`]).

use ml_connector_sdk::serde_json::{Value, json};
use ml_connector_sdk::{Applied, Command, PluginError};
use serde::Deserialize;

use super::fields::{self, Either};
use super::lookup::quoted;
use super::{Prepared, Read};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;
use crate::xml_tree::Element;

pub const KIND: &str = "intacct.find-sales-order";

/// The transaction definition of sales orders unless the command names another.
const SALES_ORDER: &str = "Sales Order";
/// Enough for any one document number.
const PAGE_SIZE: &str = "100";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Find {
    doc_no: Option<String>,
    po_number: Option<String>,
    docpar_id: Option<String>,
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let find: Find = command.body_json()?;
    let query = match fields::exactly_one(
        ("doc_no", find.doc_no.as_ref()),
        ("po_number", find.po_number.as_ref()),
    )? {
        Either::First(doc_no) => format!("DOCNO = {}", quoted(doc_no)),
        Either::Second(po_number) => format!("PONUMBER = {}", quoted(po_number)),
    };
    let read = Xml::new()
        .text("object", "SODOCUMENT")
        .text("fields", "*")
        .text("query", &query)
        .text("pagesize", PAGE_SIZE)
        .text("docparid", find.docpar_id.as_deref().unwrap_or(SALES_ORDER));
    Ok(Prepared {
        key: command.key.clone(),
        function: Function {
            controlid: controlid::for_query(&command.key)?,
            body: Xml::new().node("readByQuery", read),
        },
        read: Read::SalesOrders,
    })
}

/// The orders in a `readByQuery` answer's `data`.
pub(super) fn found(key: &str, data: &Element) -> Result<Applied, PluginError> {
    let orders: Vec<&Element> = data.all("sodocument").collect();
    let count_of = |name: &str, default: usize| {
        data.attribute(name)
            .and_then(|count| count.parse().ok())
            .unwrap_or(default)
    };
    let applied = match orders.as_slice() {
        [order] => match order.text_of("RECORDNO") {
            Some(record_no) => Applied::new(key).with_external_id("sales_order", record_no),
            None => Applied::new(key),
        },
        _ => Applied::new(key),
    };
    let body = json!({
        "count": orders.len(),
        "total": count_of("totalcount", orders.len()),
        "orders": orders.iter().map(|order| order.to_json()).collect::<Vec<Value>>(),
    });
    applied.with_data_json(&body)
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn queries_by_document_or_po_number_with_quotes_escaped() {
        testing::reset();
        let command =
            Command::json(KIND, "find/0", &json!({"po_number": r"PO-O'Brien\x"})).unwrap();
        let prepared = prepare(&command).unwrap();
        assert_eq!(prepared.function.controlid, "find/0/q1");
        assert_eq!(
            prepared.function.body.into_string(),
            "<readByQuery><object>SODOCUMENT</object><fields>*</fields>\
             <query>PONUMBER = &apos;PO-O\\&apos;Brien\\\\x&apos;</query><pagesize>100</pagesize>\
             <docparid>Sales Order</docparid></readByQuery>"
        );
        let neither = Command::json(KIND, "find/1", &json!({"docpar_id": "Sales Order"})).unwrap();
        assert!(prepare(&neither).is_err());
    }

    #[test]
    fn one_order_found_is_also_an_external_id() {
        let data = Element::parse(
            "<data listtype=\"sodocument\" count=\"1\" totalcount=\"1\" numremaining=\"0\" resultId=\"\">\
             <sodocument><RECORDNO>7</RECORDNO><DOCNO>SO-1001</DOCNO><TOTAL>125.00</TOTAL></sodocument></data>",
        )
        .unwrap();
        let applied = found("find/0", &data).unwrap();
        assert_eq!(
            applied.external_ids,
            vec![("sales_order".to_owned(), "7".to_owned())]
        );
        let body: Value =
            ml_connector_sdk::serde_json::from_str(applied.data.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"count": 1, "total": 1, "orders": [{"RECORDNO": "7", "DOCNO": "SO-1001", "TOTAL": "125.00"}]})
        );
        let none =
            Element::parse("<data listtype=\"sodocument\" count=\"0\" totalcount=\"0\"/>").unwrap();
        let applied = found("find/0", &none).unwrap();
        assert!(applied.external_ids.is_empty());
        assert_eq!(
            applied.data.as_deref(),
            Some(r#"{"count":0,"orders":[],"total":0}"#)
        );
    }
}
