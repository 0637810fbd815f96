//! `readByQuery` and `readMore`: the records of an object ([`records`]) that meet the query
//! ([`query_filter`]), the fields chosen, and paging through the result set: a page of `pagesize`
//! records (100 unless told, 2000 at most), the rest kept under a `resultId` for `readMore`.

use super::Outcome;
use super::query_filter::{self, field};
use super::records::{self, Record};
use crate::intacct::books::{Books, ResultSet};
use crate::intacct::error::{FnResult, IntacctError};
use crate::intacct::values::required;
use crate::intacct::xml_tree::Element;

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 2000;

pub fn read_by_query(books: &mut Books, element: &Element) -> FnResult<Outcome> {
    let object = required(element, "object")?.to_owned();
    let records = records::records(books, &object, element.text_of("docparid"))?;
    let conditions = query_filter::parse(element.text_of("query").unwrap_or_default())?;
    let fields = element.text_of("fields").unwrap_or("*");
    let page_size = match element.text_of("pagesize") {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => text
            .parse()
            .ok()
            .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
            .ok_or_else(|| {
                IntacctError::business(format!(
                    "Invalid pagesize '{text}': use 1 to {MAX_PAGE_SIZE}."
                ))
            })?,
    };
    let mut matching = Vec::new();
    for record in records {
        if query_filter::matches(&record, &conditions, &object)? {
            matching.push(render(&object, &record, fields)?);
        }
    }
    let result_set = ResultSet {
        list_type: object.to_lowercase(),
        total: matching.len(),
        remaining: matching,
        page_size,
    };
    Ok(next_page(books, result_set, None))
}

pub fn read_more(books: &mut Books, element: &Element) -> FnResult<Outcome> {
    let result_id = required(element, "resultId")?.to_owned();
    let result_set = books.take_result_set(&result_id).ok_or_else(|| {
        IntacctError::business(format!(
            "Invalid resultId {result_id}: no such result set, or it is exhausted."
        ))
    })?;
    Ok(next_page(books, result_set, Some(result_id)))
}

/// Answers one page; keeps the rest under a result id when there is more.
fn next_page(books: &mut Books, mut result_set: ResultSet, result_id: Option<String>) -> Outcome {
    let page: Vec<Element> = result_set
        .remaining
        .drain(..result_set.page_size.min(result_set.remaining.len()))
        .collect();
    let count = page.len().to_string();
    let data = Element {
        children: page,
        ..Element::new("data")
    }
    .attr("listtype", result_set.list_type.clone())
    .attr("count", count)
    .attr("totalcount", result_set.total.to_string())
    .attr("numremaining", result_set.remaining.len().to_string());
    let result_id = if result_set.remaining.is_empty() {
        String::new()
    } else {
        let id = result_id.unwrap_or_else(|| {
            let number = books.next_key();
            format!("{}-{number}", books.config.company_id)
        });
        books.keep_result_set(id.clone(), result_set);
        id
    };
    Outcome::Data(data.attr("resultId", result_id))
}

/// The record as `<object>` with the chosen fields (`*` for all), dotted names nested.
fn render(object: &str, record: &Record, fields: &str) -> FnResult<Element> {
    let chosen: Vec<(String, String)> = if fields.trim() == "*" {
        record
            .iter()
            .map(|(name, value)| (name.clone(), value.render()))
            .collect()
    } else {
        fields
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                let value = field(record, name).ok_or_else(|| {
                    IntacctError::business(format!("Invalid field {name} for {object}."))
                })?;
                Ok((name.to_uppercase(), value.render()))
            })
            .collect::<FnResult<_>>()?
    };
    let mut element = Element::new(object.to_lowercase());
    for (name, value) in chosen {
        insert_path(&mut element, &name.split('.').collect::<Vec<_>>(), value);
    }
    Ok(element)
}

fn insert_path(parent: &mut Element, path: &[&str], value: String) {
    match path {
        [] => {}
        [leaf] => parent.children.push(Element::leaf(*leaf, value)),
        [head, rest @ ..] => {
            let position = match parent.children.iter().position(|child| child.name == *head) {
                Some(position) => position,
                None => {
                    parent.children.push(Element::new(*head));
                    parent.children.len() - 1
                }
            };
            insert_path(&mut parent.children[position], rest, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use crate::intacct::testing::DemoBooks;
    use crate::intacct::xml_tree::Element;

    fn november(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    fn read_by_query(object: &str, fields: &str, query: &str, page_size: usize) -> String {
        format!(
            "<readByQuery><object>{object}</object><fields>{fields}</fields><query>{query}</query>\
             <pagesize>{page_size}</pagesize></readByQuery>"
        )
    }

    /// `FIELD >= '11/01/2026' AND FIELD <= '11/30/2026'`, escaped as the intacct connector writes it.
    fn november_of(field: &str) -> String {
        format!("{field} &gt;= &apos;11/01/2026&apos; AND {field} &lt;= &apos;11/30/2026&apos;")
    }

    /// Each record's fields as (name, text).
    fn records(data: &Element) -> Vec<Vec<(String, String)>> {
        data.children
            .iter()
            .map(|record| {
                record
                    .children
                    .iter()
                    .map(|field| (field.name.clone(), field.text.clone()))
                    .collect()
            })
            .collect()
    }

    fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn a_period_of_invoices_pages_with_read_more_and_shows_reversals() {
        let mut books = DemoBooks::new();
        books.invoice(
            "INV-0",
            NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
            "1.00",
        );
        let keys: Vec<String> = (1..=5)
            .map(|n| books.invoice(&format!("INV-{n}"), november(n * 6), "10.00"))
            .collect();
        books.invoice(
            "INV-6",
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            "1.00",
        );
        books
            .run(&format!(
                "<reverse_invoice key=\"{}\"><datereversed><year>2026</year><month>12</month>\
                 <day>2</day></datereversed></reverse_invoice>",
                keys[1]
            ))
            .unwrap();
        let query = read_by_query(
            "ARINVOICE",
            "RECORDNO,RECORDID,STATE,WHENCREATED,TOTALDUE",
            &november_of("WHENCREATED"),
            2,
        );
        let first = books.read(&query).unwrap();
        assert_eq!(first.attribute("listtype"), Some("arinvoice"));
        assert_eq!(first.attribute("count"), Some("2"));
        assert_eq!(first.attribute("totalcount"), Some("5"));
        assert_eq!(first.attribute("numremaining"), Some("3"));
        assert_eq!(
            records(&first)[1],
            pairs(&[
                ("RECORDNO", &keys[1]),
                ("RECORDID", "INV-2"),
                ("STATE", "Reversed"),
                ("WHENCREATED", "11/12/2026"),
                ("TOTALDUE", "10.00"),
            ])
        );
        let result_id = first.attribute("resultId").unwrap().to_owned();
        let read_more = format!("<readMore><resultId>{result_id}</resultId></readMore>");
        let second = books.read(&read_more).unwrap();
        assert_eq!(second.attribute("numremaining"), Some("1"));
        assert_eq!(second.attribute("resultId"), Some(result_id.as_str()));
        let last = books.read(&read_more).unwrap();
        assert_eq!(last.attribute("count"), Some("1"));
        assert_eq!(last.attribute("numremaining"), Some("0"));
        assert_eq!(last.attribute("resultId"), Some(""));
        let numbers: Vec<String> = [first, second, last]
            .iter()
            .flat_map(|page| page.children.iter())
            .map(|invoice| invoice.text_of("RECORDID").unwrap().to_owned())
            .collect();
        assert_eq!(numbers, ["INV-1", "INV-2", "INV-3", "INV-4", "INV-5"]);
        let exhausted = books.read(&read_more).unwrap_err();
        assert!(
            exhausted.description2.starts_with("Invalid resultId"),
            "{exhausted:?}"
        );
    }

    #[test]
    fn adjustments_payments_and_their_applications_are_read_by_date() {
        let mut books = DemoBooks::new();
        let invoice = books.invoice("INV-1", november(2), "40.00");
        let credit = books.adjustment("CM-1", november(3), "-15.00");
        let payment = books.payment(&invoice, november(4), "25.00");

        let adjustments = books
            .read(&read_by_query(
                "ARADJUSTMENT",
                "*",
                &november_of("WHENCREATED"),
                100,
            ))
            .unwrap();
        assert_eq!(
            records(&adjustments),
            [pairs(&[
                ("RECORDNO", &credit),
                ("RECORDID", "CM-1"),
                ("CUSTOMERID", "C-DEMO"),
                ("EXTERNALID", ""),
                ("STATE", "Posted"),
                ("WHENCREATED", "11/03/2026"),
                ("WHENPOSTED", "11/03/2026"),
                ("DESCRIPTION", ""),
                ("CURRENCY", "USD"),
                ("TOTALENTERED", "-15.00"),
            ])]
        );

        let payments = books
            .read(&read_by_query(
                "ARPYMT",
                "*",
                &november_of("WHENCREATED"),
                100,
            ))
            .unwrap();
        assert_eq!(
            records(&payments),
            [pairs(&[
                ("RECORDNO", &payment),
                ("CUSTOMERID", "C-DEMO"),
                ("DOCNUMBER", &format!("ch_{invoice}")),
                ("PAYMENTMETHOD", "Credit Card"),
                ("FINANCIALENTITY", "BOA-CHK"),
                ("WHENCREATED", "11/04/2026"),
                ("WHENPAID", "11/04/2026"),
                ("CURRENCY", "USD"),
                ("TOTALENTERED", "25.00"),
            ])]
        );

        let details = books
            .read(&read_by_query(
                "ARPYMTDETAIL",
                "PAYMENTKEY,RECORDKEY,TRX_PAYMENTAMOUNT",
                &november_of("PAYMENTDATE"),
                100,
            ))
            .unwrap();
        assert_eq!(
            records(&details),
            [pairs(&[
                ("PAYMENTKEY", &payment),
                ("RECORDKEY", &invoice),
                ("TRX_PAYMENTAMOUNT", "25.00"),
            ])]
        );

        let invoices = books
            .read(&read_by_query(
                "ARINVOICE",
                "STATE,TOTALPAID,TOTALDUE",
                "WHENCREATED = '11/02/2026'",
                100,
            ))
            .unwrap();
        assert_eq!(
            records(&invoices),
            [pairs(&[
                ("STATE", "Partially Paid"),
                ("TOTALPAID", "25.00"),
                ("TOTALDUE", "15.00"),
            ])]
        );
    }

    #[test]
    fn gl_batches_carry_no_amount_their_lines_do() {
        let mut books = DemoBooks::new();
        books.gl_batch(NaiveDate::from_ymd_opt(2026, 10, 30).unwrap(), "1.00");
        let batch = books.gl_batch(november(5), "8.45");
        let batches = books
            .read(&read_by_query(
                "GLBATCH",
                "*",
                &november_of("BATCH_DATE"),
                100,
            ))
            .unwrap();
        assert_eq!(
            records(&batches),
            [pairs(&[
                ("RECORDNO", &batch),
                ("BATCHNO", &batch),
                ("JOURNAL", "GJ"),
                ("BATCH_DATE", "11/05/2026"),
                ("BATCH_TITLE", "Labels"),
                ("REFERENCENO", "SO-1001"),
                ("STATE", "Posted"),
            ])]
        );
        let lines = books
            .read(&read_by_query(
                "GLENTRY",
                "LINE_NO,TR_TYPE,ACCOUNTNO,AMOUNT",
                &format!("BATCHNO = '{batch}'"),
                100,
            ))
            .unwrap();
        assert_eq!(
            records(&lines),
            [
                pairs(&[
                    ("LINE_NO", "1"),
                    ("TR_TYPE", "1"),
                    ("ACCOUNTNO", "6100"),
                    ("AMOUNT", "8.45")
                ]),
                pairs(&[
                    ("LINE_NO", "2"),
                    ("TR_TYPE", "-1"),
                    ("ACCOUNTNO", "2100"),
                    ("AMOUNT", "8.45")
                ]),
            ]
        );
    }

    #[test]
    fn a_date_in_another_format_or_an_unknown_object_fails_the_query() {
        let mut books = DemoBooks::new();
        books.invoice("INV-1", november(2), "40.00");
        let iso = books
            .read(&read_by_query(
                "ARINVOICE",
                "*",
                "WHENCREATED &gt;= '2026-11-01'",
                100,
            ))
            .unwrap_err();
        assert_eq!(
            iso.description2,
            "Invalid date '2026-11-01' for WHENCREATED in the query: use mm/dd/yyyy."
        );
        let unknown = books
            .read(&read_by_query("ARINVOICES", "*", "", 100))
            .unwrap_err();
        assert_eq!(
            unknown.description2,
            "Object definition ARINVOICES not found"
        );
    }
}
