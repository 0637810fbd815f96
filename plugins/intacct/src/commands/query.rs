//! Intacct's query functions, for every command that reads: the quoting of the query language,
//! `readByQuery` (object, fields, query, pagesize, docparid?), `readMore` (the next page of a
//! result set, by its resultId) and the page either answers ([`Page`]: its records, the total, how
//! many remain, the resultId).
//!
//! A read is repeatable: its controlid is new on every attempt ([`controlid::for_query`]), so
//! `uniqueid` never refuses it as already executed.

use ml_connector_sdk::PluginError;

use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;
use crate::xml_tree::Element;

/// A quoted literal of Intacct's query language: `\'` for a quote, `\\` for a backslash.
pub fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// What a `readByQuery` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadByQuery<'a> {
    pub object: &'a str,
    /// Comma-separated field names, or `*` for all.
    pub fields: &'a str,
    pub query: &'a str,
    /// At most this many records in the first page (Intacct takes 1 to 2000).
    pub page_size: usize,
    /// The transaction definition, for order-entry objects (SODOCUMENT).
    pub docpar_id: Option<&'a str>,
}

/// The `readByQuery` of the command keyed `key`.
pub fn read_by_query(key: &str, read: ReadByQuery<'_>) -> Result<Function, PluginError> {
    let body = Xml::new()
        .text("object", read.object)
        .text("fields", read.fields)
        .text("query", read.query)
        .text("pagesize", &read.page_size.to_string())
        .text_opt("docparid", read.docpar_id);
    Ok(Function {
        controlid: controlid::for_query(key)?,
        body: Xml::new().node("readByQuery", body),
    })
}

/// The `readMore` of the command keyed `key`: the next page of result set `result_id`.
pub fn read_more(key: &str, result_id: &str) -> Result<Function, PluginError> {
    Ok(Function {
        controlid: controlid::for_query(key)?,
        body: Xml::new().node("readMore", Xml::new().text("resultId", result_id)),
    })
}

/// One page of a query's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'a> {
    pub records: Vec<&'a Element>,
    /// `totalcount`: every record the query matched, on all pages (when Intacct says).
    pub total: Option<usize>,
    /// `numremaining`: the records still to read with `readMore`.
    pub remaining: usize,
    /// `resultId`: where `readMore` reads on; none when it is empty.
    pub result_id: Option<&'a str>,
}

/// The page a `readByQuery` or `readMore` answered as `data`; its records are the elements named
/// `record` (the object's name in lower case, as Intacct lists them).
pub fn page<'a>(data: &'a Element, record: &'a str) -> Page<'a> {
    let count = |name: &str| {
        data.attribute(name)
            .and_then(|count| count.trim().parse().ok())
    };
    Page {
        records: data.all(record).collect(),
        total: count("totalcount"),
        remaining: count("numremaining").unwrap_or(0),
        result_id: data
            .attribute("resultId")
            .map(str::trim)
            .filter(|id| !id.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn writes_read_by_query_and_read_more_under_new_controlids() {
        testing::reset();
        let read = ReadByQuery {
            object: "SODOCUMENT",
            fields: "*",
            query: &format!("PONUMBER = {}", quoted(r"O'Brien\x")),
            page_size: 100,
            docpar_id: Some("Sales Order"),
        };
        let function = read_by_query("k/1", read).unwrap();
        assert_eq!(function.controlid, "k/1/q1");
        assert_eq!(
            function.body.into_string(),
            "<readByQuery><object>SODOCUMENT</object><fields>*</fields>\
             <query>PONUMBER = &apos;O\\&apos;Brien\\\\x&apos;</query><pagesize>100</pagesize>\
             <docparid>Sales Order</docparid></readByQuery>"
        );
        let more = read_more("k/1", "ml-demo-9").unwrap();
        assert_eq!(more.controlid, "k/1/q2");
        assert_eq!(
            more.body.into_string(),
            "<readMore><resultId>ml-demo-9</resultId></readMore>"
        );
    }

    #[test]
    fn reads_a_page_and_what_remains() {
        let data = Element::parse(
            "<data listtype=\"arinvoice\" count=\"2\" totalcount=\"5\" numremaining=\"3\" \
             resultId=\"ml-demo-9\"><arinvoice><RECORDNO>7</RECORDNO></arinvoice>\
             <arinvoice><RECORDNO>8</RECORDNO></arinvoice></data>",
        )
        .unwrap();
        let first = page(&data, "arinvoice");
        assert_eq!(first.records.len(), 2);
        assert_eq!(
            (first.total, first.remaining, first.result_id),
            (Some(5), 3, Some("ml-demo-9"))
        );
        let last = Element::parse("<data count=\"0\" numremaining=\"0\" resultId=\"\"/>").unwrap();
        let last = page(&last, "arinvoice");
        assert_eq!(
            (
                last.records.len(),
                last.total,
                last.remaining,
                last.result_id
            ),
            (0, None, 0, None)
        );
    }
}
