//! `readByQuery` and `readMore`: the queryable objects (CUSTOMER, SODOCUMENT, ARINVOICE) as field
//! lists, the `FIELD = 'value' AND …` query language (quotes escaped as `\'`), field selection and
//! paging through result sets.

use super::Outcome;
use super::customer;
use super::generic::object_not_found;
use crate::intacct::books::{Books, ResultSet};
use crate::intacct::error::{FnResult, IntacctError};
use crate::intacct::values::required;
use crate::intacct::xml_tree::Element;

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 2000;

type Record = Vec<(String, String)>;

pub fn read_by_query(books: &mut Books, element: &Element) -> FnResult<Outcome> {
    let object = required(element, "object")?.to_owned();
    let records = records(books, &object, element.text_of("docparid"))?;
    let conditions = parse_query(element.text_of("query").unwrap_or_default())?;
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
        if matches(&record, &conditions, &object)? {
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

fn records(books: &Books, object: &str, docpar_id: Option<&str>) -> FnResult<Vec<Record>> {
    let pairs = |pairs: Vec<(&str, String)>| {
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect()
    };
    Ok(match object {
        "CUSTOMER" => books.customers.iter().map(customer::fields).collect(),
        "SODOCUMENT" => books
            .sales_orders
            .iter()
            .filter(|order| docpar_id.is_none_or(|docpar| order.docpar_id == docpar))
            .map(|order| {
                pairs(vec![
                    ("RECORDNO", order.record_no.clone()),
                    ("DOCNO", order.doc_no.clone()),
                    ("DOCID", format!("{}-{}", order.docpar_id, order.doc_no)),
                    ("DOCPARID", order.docpar_id.clone()),
                    ("PONUMBER", order.po_number.clone().unwrap_or_default()),
                    ("CUSTVENDID", order.customer_id.clone()),
                    ("STATE", order.state.clone()),
                    ("WHENCREATED", order.date.format("%m/%d/%Y").to_string()),
                    ("CURRENCY", order.currency.clone()),
                    ("TOTAL", order.total.to_string()),
                ])
            })
            .collect(),
        "ARINVOICE" => books
            .invoices
            .iter()
            .map(|invoice| {
                let document = &invoice.document;
                pairs(vec![
                    ("RECORDNO", document.key.clone()),
                    ("CUSTOMERID", document.customer_id.clone()),
                    ("RECORDID", document.number.clone().unwrap_or_default()),
                    ("DOCNUMBER", invoice.po_number.clone().unwrap_or_default()),
                    (
                        "EXTERNALID",
                        document.external_id.clone().unwrap_or_default(),
                    ),
                    ("STATE", invoice.state.label().to_owned()),
                    (
                        "WHENCREATED",
                        document.date_created.format("%m/%d/%Y").to_string(),
                    ),
                    ("CURRENCY", document.currency.clone()),
                    ("TOTALENTERED", document.total.to_string()),
                    ("TOTALPAID", invoice.total_paid.to_string()),
                    ("TOTALDUE", invoice.total_due().to_string()),
                ])
            })
            .collect(),
        other => return Err(object_not_found(other)),
    })
}

/// One condition of a query: `FIELD = 'value'` or `FIELD != 'value'`.
#[derive(Debug, PartialEq, Eq)]
struct Condition {
    field: String,
    equal: bool,
    value: String,
}

fn parse_query(text: &str) -> FnResult<Vec<Condition>> {
    let invalid = |why: &str| IntacctError::business(format!("Invalid query '{text}': {why}."));
    let mut conditions = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let field_end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let field = rest[..field_end].to_uppercase();
        if field.is_empty() {
            return Err(invalid("expected a field name"));
        }
        rest = rest[field_end..].trim_start();
        let (equal, after) = [("!=", false), ("<>", false), ("=", true)]
            .iter()
            .find_map(|(operator, equal)| rest.strip_prefix(operator).map(|after| (*equal, after)))
            .ok_or_else(|| invalid("expected = or !="))?;
        let quoted = after
            .trim_start()
            .strip_prefix('\'')
            .ok_or_else(|| invalid("expected a quoted value"))?;
        let (value, after) = unquote(quoted).ok_or_else(|| invalid("unterminated value"))?;
        conditions.push(Condition {
            field,
            equal,
            value,
        });
        rest = after.trim_start();
        if !rest.is_empty() {
            let (keyword, after) =
                rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len()));
            if !keyword.eq_ignore_ascii_case("AND") {
                return Err(invalid("conditions are joined with AND"));
            }
            rest = after.trim_start();
        }
    }
    Ok(conditions)
}

/// Reads a value up to its closing quote; `\'` is a quote and `\\` a backslash.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?.1),
            '\'' => return Some((value, &text[index + 1..])),
            c => value.push(c),
        }
    }
    None
}

fn matches(record: &Record, conditions: &[Condition], object: &str) -> FnResult<bool> {
    for condition in conditions {
        let value = field(record, &condition.field).ok_or_else(|| {
            IntacctError::business(format!(
                "Invalid field {} in query on {object}.",
                condition.field
            ))
        })?;
        if (value == condition.value) != condition.equal {
            return Ok(false);
        }
    }
    Ok(true)
}

fn field<'a>(record: &'a Record, name: &str) -> Option<&'a str> {
    record
        .iter()
        .find(|(field, _)| field.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The record as `<object>` with the chosen fields (`*` for all), dotted names nested.
fn render(object: &str, record: &Record, fields: &str) -> FnResult<Element> {
    let chosen: Vec<(String, String)> = if fields.trim() == "*" {
        record.clone()
    } else {
        fields
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                let value = field(record, name).ok_or_else(|| {
                    IntacctError::business(format!("Invalid field {name} for {object}."))
                })?;
                Ok((name.to_uppercase(), value.to_owned()))
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
    use super::*;

    #[test]
    fn parses_conditions_with_escaped_quotes() {
        let conditions = parse_query(r"PONUMBER = 'PO-O\'Brien' and docno != 'X'").unwrap();
        assert_eq!(
            conditions[0],
            Condition {
                field: "PONUMBER".into(),
                equal: true,
                value: "PO-O'Brien".into()
            }
        );
        assert_eq!(
            conditions[1],
            Condition {
                field: "DOCNO".into(),
                equal: false,
                value: "X".into()
            }
        );
        assert!(parse_query("DOCNO = 'open").is_err());
        assert!(parse_query("DOCNO = 'a' OR DOCNO = 'b'").is_err());
    }
}
