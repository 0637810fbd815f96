//! Sales orders (SODOCUMENT): the `readByQuery` that finds them by document number (DOCNO) or PO
//! number (PONUMBER) within one transaction definition (`Sales Order` unless told), values quoted
//! as [`quoted`] does; the orders such a query answers ([`orders`]); and the command
//! `intacct.find-sales-order`, which runs one query with all fields.
//!
//! The command's `data` is `{"count": n, "total": n, "orders": [{"RECORDNO": …, "DOCNO": …, …}]}`
//! with Intacct's field names; exactly one order found also gives the external id `sales_order`
//! (its RECORDNO). Finding none is not an error: the mapping decides. `intacct.create-gl-batch`
//! uses the same query to match its batch to an order (`commands/gl_batch.rs`).
//!
//! A query runs on every attempt, so its controlid is new each time (see [`super::query`]).

use ml_connector_sdk::serde_json::{Value, json};
use ml_connector_sdk::{Applied, Command, PluginError};
use serde::Deserialize;

use super::fields::{self, Either};
use super::query::{self, ReadByQuery, quoted};
use super::{Prepared, Read};
use crate::envelope::Function;
use crate::xml_tree::Element;

pub const KIND: &str = "intacct.find-sales-order";

/// The transaction definition of sales orders unless the command names another.
pub const SALES_ORDER: &str = "Sales Order";
/// Enough for any one document number.
const PAGE_SIZE: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Find {
    doc_no: Option<String>,
    po_number: Option<String>,
    docpar_id: Option<String>,
}

/// The field a sales order is found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Field {
    /// The document number (`SO-1001`).
    #[serde(rename = "DOCNO")]
    DocNo,
    /// The customer's PO number.
    #[serde(rename = "PONUMBER")]
    PoNumber,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Self::DocNo => "DOCNO",
            Self::PoNumber => "PONUMBER",
        }
    }
}

/// The fields a match reads: enough to name the order and its customer.
const MATCH_FIELDS: &str = "RECORDNO,DOCNO,PONUMBER,CUSTVENDID,STATE";

/// The `readByQuery` of the orders of `docpar_id` (default `Sales Order`) whose `field` is
/// `value`, reading `fields` (`*` for all).
pub fn query(
    key: &str,
    field: Field,
    value: &str,
    docpar_id: Option<&str>,
    fields: &str,
) -> Result<Function, PluginError> {
    if value.trim().is_empty() {
        return Err(PluginError::rejected(format!(
            "a sales order's {} to look for is empty",
            field.name()
        )));
    }
    let read = ReadByQuery {
        object: "SODOCUMENT",
        fields,
        query: &format!("{} = {}", field.name(), quoted(value)),
        page_size: PAGE_SIZE,
        docpar_id: Some(docpar_id.unwrap_or(SALES_ORDER)),
    };
    query::read_by_query(key, read)
}

/// The query of a match: [`query()`] with the fields [`orders`] reads.
pub fn match_query(
    key: &str,
    field: Field,
    value: &str,
    docpar_id: Option<&str>,
) -> Result<Function, PluginError> {
    query(key, field, value, docpar_id, MATCH_FIELDS)
}

/// A sales order a query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub record_no: String,
    pub doc_no: String,
    /// CUSTVENDID; empty when Intacct gave none.
    pub customer_id: String,
}

impl Order {
    /// `SO-1001 (RECORDNO 7, customer C-DEMO)`.
    pub fn describe(&self) -> String {
        let customer = match self.customer_id.as_str() {
            "" => "no customer".to_owned(),
            id => format!("customer {id}"),
        };
        format!("{} (RECORDNO {}, {customer})", self.doc_no, self.record_no)
    }
}

/// The orders in a `readByQuery` answer's `data`.
pub fn orders(data: &Element) -> Result<Vec<Order>, PluginError> {
    data.all("sodocument")
        .map(|order| {
            let record_no = order.text_of("RECORDNO").ok_or_else(|| {
                PluginError::transient("Intacct listed a sales order without RECORDNO")
            })?;
            Ok(Order {
                record_no: record_no.to_owned(),
                doc_no: order.text_or_empty("DOCNO").to_owned(),
                customer_id: order.text_or_empty("CUSTVENDID").trim().to_owned(),
            })
        })
        .collect()
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let find: Find = command.body_json()?;
    let (field, value) = match fields::exactly_one(
        ("doc_no", find.doc_no.as_ref()),
        ("po_number", find.po_number.as_ref()),
    )? {
        Either::First(doc_no) => (Field::DocNo, doc_no),
        Either::Second(po_number) => (Field::PoNumber, po_number),
    };
    Ok(Prepared {
        key: command.key.clone(),
        function: query(&command.key, field, value, find.docpar_id.as_deref(), "*")?,
        read: Read::SalesOrders,
    })
}

/// The result of `intacct.find-sales-order` from its query's `data`.
pub(super) fn found(key: &str, data: &Element) -> Result<Applied, PluginError> {
    let page = query::page(data, "sodocument");
    let orders = page.records;
    let applied = match orders.as_slice() {
        [order] => match order.text_of("RECORDNO") {
            Some(record_no) => Applied::new(key).with_external_id("sales_order", record_no),
            None => Applied::new(key),
        },
        _ => Applied::new(key),
    };
    let body = json!({
        "count": orders.len(),
        "total": page.total.unwrap_or(orders.len()),
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

    #[test]
    fn a_match_reads_each_order_and_its_customer() {
        testing::reset();
        let query = match_query("shipment/7", Field::DocNo, "#1001", Some("SO")).unwrap();
        assert_eq!(
            query.body.into_string(),
            "<readByQuery><object>SODOCUMENT</object>\
             <fields>RECORDNO,DOCNO,PONUMBER,CUSTVENDID,STATE</fields>\
             <query>DOCNO = &apos;#1001&apos;</query><pagesize>100</pagesize>\
             <docparid>SO</docparid></readByQuery>"
        );
        assert!(match_query("k", Field::PoNumber, " ", None).is_err());
        let data = Element::parse(
            "<data listtype=\"sodocument\" count=\"2\"><sodocument><RECORDNO>7</RECORDNO>\
             <DOCNO>SO-1001</DOCNO><CUSTVENDID>C-DEMO</CUSTVENDID></sodocument><sodocument>\
             <RECORDNO>8</RECORDNO><DOCNO>SO-1002</DOCNO><CUSTVENDID/></sodocument></data>",
        )
        .unwrap();
        let found = orders(&data).unwrap();
        assert_eq!(
            found,
            [
                Order {
                    record_no: "7".into(),
                    doc_no: "SO-1001".into(),
                    customer_id: "C-DEMO".into()
                },
                Order {
                    record_no: "8".into(),
                    doc_no: "SO-1002".into(),
                    customer_id: String::new()
                },
            ]
        );
        assert_eq!(found[1].describe(), "SO-1002 (RECORDNO 8, no customer)");
        let broken = Element::parse("<data><sodocument><DOCNO>X</DOCNO></sodocument></data>");
        assert!(orders(&broken.unwrap()).is_err());
    }
}
