//! `intacct.read-period`: every record of one object dated within a period, for a reconciliation
//! to set beside what the source systems hold. Body `{"object", "from": "YYYY-MM-DD", "to":
//! "YYYY-MM-DD", "fields"?: [..]}`, both days included; the object is one of [`OBJECTS`], each
//! placed in a period by its own date field:
//!
//! | object | what | date field |
//! | --- | --- | --- |
//! | ARINVOICE | AR invoices (a reversed one has STATE `Reversed`) | WHENCREATED |
//! | ARADJUSTMENT | AR adjustments (a credit memo has a negative TOTALENTERED) | WHENCREATED |
//! | ARPYMT | AR payments | WHENCREATED |
//! | ARPYMTDETAIL | what each payment paid of each invoice (PAYMENTKEY, RECORDKEY) | PAYMENTDATE |
//! | GLBATCH | journal entries (Intacct's GLBATCH has no amount: read GLENTRY) | BATCH_DATE |
//! | GLENTRY | journal entry lines (BATCHNO, TR_TYPE 1 debit / -1 credit, AMOUNT) | ENTRY_DATE |
//!
//! The read is a `readByQuery` (`DATEFIELD >= 'mm/dd/yyyy' AND DATEFIELD <= 'mm/dd/yyyy'`, the
//! `fields` named or `*`, `pagesize` the `query_page_size` setting), then a `readMore` with the
//! resultId while Intacct says records remain, each in the request after the one that read the
//! page before, under a new controlid (a read is repeatable, see [`super::query`]). The result's
//! `data` is `{"object", "count", "records": [{FIELD: "text", …}]}` with every page's records, in
//! Intacct's order and with Intacct's field names, each value as Intacct wrote it.
//!
//! Pages that do not add up (an empty page while records remain, no resultId to read on, a count
//! other than the first page's `totalcount`) are `Transient`: the read starts again on the retry.

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::serde_json::{Value, json};
use ml_connector_sdk::{Applied, Command, PluginError};
use serde::Deserialize;

use super::query::{self, ReadByQuery, quoted};
use super::{Prepared, Read, Step};
use crate::settings;
use crate::text::mm_dd_yyyy;
use crate::xml_tree::Element;

pub const KIND: &str = "intacct.read-period";

/// The objects a period is read of, with the date field that places a record in a period.
pub const OBJECTS: &[(&str, &str)] = &[
    ("ARINVOICE", "WHENCREATED"),
    ("ARADJUSTMENT", "WHENCREATED"),
    ("ARPYMT", "WHENCREATED"),
    ("ARPYMTDETAIL", "PAYMENTDATE"),
    ("GLBATCH", "BATCH_DATE"),
    ("GLENTRY", "ENTRY_DATE"),
];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadPeriod {
    object: String,
    /// The first day, `YYYY-MM-DD` (read as text, so a bad date gets a clear refusal).
    from: String,
    /// The last day, included.
    to: String,
    /// The fields to read; all of them when left out.
    fields: Option<Vec<String>>,
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let read: ReadPeriod = command.body_json()?;
    let date_field = OBJECTS
        .iter()
        .find(|(object, _)| *object == read.object)
        .map(|(_, field)| *field)
        .ok_or_else(|| {
            let known: Vec<&str> = OBJECTS.iter().map(|(object, _)| *object).collect();
            PluginError::rejected(format!(
                "`object` is `{}`: a period is read of {}",
                read.object,
                known.join(", ")
            ))
        })?;
    let (from, to) = (day("from", &read.from)?, day("to", &read.to)?);
    if from > to {
        return Err(PluginError::rejected(format!(
            "`from` ({from}) is after `to` ({to}): the period is empty"
        )));
    }
    let fields = field_list(read.fields.as_deref())?;
    let query = format!(
        "{date_field} >= {} AND {date_field} <= {}",
        quoted(&mm_dd_yyyy(from)),
        quoted(&mm_dd_yyyy(to))
    );
    let first = ReadByQuery {
        object: &read.object,
        fields: &fields,
        query: &query,
        page_size: settings::query_page_size()?,
        docpar_id: None,
    };
    Ok(Prepared {
        key: command.key.clone(),
        function: query::read_by_query(&command.key, first)?,
        read: Read::Period(Paging {
            key: command.key.clone(),
            record: read.object.to_lowercase(),
            object: read.object,
            total: None,
            records: Vec::new(),
        }),
    })
}

/// A day of the body: `YYYY-MM-DD`.
fn day(name: &str, text: &str) -> Result<NaiveDate, PluginError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        PluginError::rejected(format!(
            "`{name}` is `{text}`: write a day as YYYY-MM-DD, e.g. 2026-11-01"
        ))
    })
}

/// The `fields` of a `readByQuery`: the names joined with commas, or `*`.
fn field_list(fields: Option<&[String]>) -> Result<String, PluginError> {
    let Some(fields) = fields else {
        return Ok("*".to_owned());
    };
    if fields.is_empty() {
        return Err(PluginError::rejected(
            "`fields` is empty: name the fields to read, or leave it out to read them all",
        ));
    }
    let name = |field: &String| {
        !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    if let Some(bad) = fields.iter().find(|field| !name(field)) {
        return Err(PluginError::rejected(format!(
            "`fields` holds `{bad}`: a field is named with letters, digits, `_` and `.` (RECORDNO, \
             CUSTOMER.NAME)"
        )));
    }
    Ok(fields.join(","))
}

/// A period's read between its pages: the records read so far.
#[derive(Debug)]
pub struct Paging {
    key: String,
    object: String,
    /// How Intacct names the object's records in `data`.
    record: String,
    /// The first page's `totalcount`.
    total: Option<usize>,
    records: Vec<Value>,
}

impl Paging {
    /// Takes one page: the `readMore` of the next, or the command's result after the last.
    pub(super) fn read(mut self, data: &Element) -> Step {
        let page = query::page(data, &self.record);
        self.total = self.total.or(page.total);
        let added = page.records.len();
        self.records
            .extend(page.records.iter().map(|record| record.to_json()));
        let next = match (page.remaining, page.result_id) {
            (0, _) => return Step::Done(self.result()),
            (remaining, _) if added == 0 => Err(self.broken(format!(
                "answered an empty page with {remaining} records remaining"
            ))),
            (remaining, None) => Err(self.broken(format!(
                "said {remaining} records remain but gave no resultId to read them"
            ))),
            (_, Some(result_id)) => query::read_more(&self.key, result_id),
        };
        match next {
            Ok(function) => Step::Again(vec![Prepared {
                key: self.key.clone(),
                function,
                read: Read::Period(self),
            }]),
            Err(error) => Step::Done(Err(error)),
        }
    }

    /// Every record read, as the command's `data`.
    fn result(self) -> Result<Applied, PluginError> {
        let count = self.records.len();
        if let Some(total) = self.total.filter(|total| *total != count) {
            return Err(self.broken(format!(
                "listed {count} records in all, but its first page said {total}"
            )));
        }
        let data = json!({"object": self.object, "count": count, "records": self.records});
        Applied::new(&self.key).with_data_json(&data)
    }

    fn broken(&self, what: String) -> PluginError {
        PluginError::transient(format!(
            "reading {}: Intacct {what}; the read starts again",
            self.object
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::{Connector, testing};

    use super::*;
    use crate::Intacct;

    fn command(body: Value) -> Command {
        Command::json(KIND, "recon/2026-11/ARINVOICE", &body).unwrap()
    }

    fn november() -> Value {
        json!({"object": "ARINVOICE", "from": "2026-11-01", "to": "2026-11-30",
               "fields": ["RECORDNO", "RECORDID", "STATE", "TOTALENTERED"]})
    }

    fn operation(result: &str) -> String {
        format!(
            "<response><control><status>success</status></control><operation><authentication>\
             <status>success</status></authentication>{result}</operation></response>"
        )
    }

    fn session() -> String {
        operation(
            "<result><status>success</status><function>getAPISession</function>\
             <controlid>getAPISession</controlid><data><api><sessionid>s1</sessionid>\
             <endpoint>http://gateway/session</endpoint></api></data></result>",
        )
    }

    fn invoice(record_no: &str, number: &str, state: &str) -> String {
        format!(
            "<arinvoice><RECORDNO>{record_no}</RECORDNO><RECORDID>{number}</RECORDID>\
             <STATE>{state}</STATE><TOTALENTERED>10.00</TOTALENTERED></arinvoice>"
        )
    }

    /// A page of a query answered under `controlid`.
    fn page(
        controlid: &str,
        total: usize,
        remaining: usize,
        result_id: &str,
        records: &str,
    ) -> String {
        let count = records.matches("<arinvoice>").count();
        operation(&format!(
            "<result><status>success</status><function>readByQuery</function>\
             <controlid>{controlid}</controlid><data listtype=\"arinvoice\" count=\"{count}\" \
             totalcount=\"{total}\" numremaining=\"{remaining}\" resultId=\"{result_id}\">\
             {records}</data></result>"
        ))
    }

    /// A connection whose requests get `answers` in turn; returns the request bodies.
    fn connection(config: &[(&str, &str)], answers: Vec<String>) -> Rc<RefCell<Vec<String>>> {
        testing::reset();
        let mut settings = vec![
            ("base_url", "http://gateway"),
            ("company_id", "ml-demo"),
            ("user_id", "xml_gateway"),
        ];
        settings.extend_from_slice(config);
        testing::set_config(settings);
        testing::set_secrets([
            ("sender_id", "s"),
            ("sender_password", "p"),
            ("user_password", "u"),
        ]);
        let bodies = Rc::new(RefCell::new(Vec::new()));
        let seen = bodies.clone();
        let mut answers = VecDeque::from(answers);
        testing::set_http_handler(move |request| {
            seen.borrow_mut()
                .push(String::from_utf8_lossy(&request.body).into_owned());
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: answers.pop_front().expect("an answer left").into_bytes(),
            })
        });
        bodies
    }

    /// The one function of a request body.
    fn function(body: &str) -> &str {
        let start = body.find("<function ").expect("a function");
        &body[start..body.find("</function>").expect("its end") + "</function>".len()]
    }

    #[test]
    fn reads_every_page_with_read_more_and_answers_all_the_records() {
        let key = "recon/2026-11/ARINVOICE";
        let bodies = connection(
            &[("query_page_size", "2")],
            vec![
                session(),
                page(
                    &format!("{key}/q1"),
                    3,
                    1,
                    "ml-demo-42",
                    &(invoice("7", "INV-1", "Posted") + &invoice("8", "INV-2", "Reversed")),
                ),
                page(
                    &format!("{key}/q2"),
                    3,
                    0,
                    "",
                    &invoice("9", "INV-3", "Paid"),
                ),
            ],
        );
        let results = Intacct::apply(vec![command(november())]).unwrap();

        let bodies = bodies.borrow();
        assert_eq!(bodies.len(), 3, "the sign-in, then one request per page");
        assert_eq!(
            function(&bodies[1]),
            format!(
                "<function controlid=\"{key}/q1\"><readByQuery><object>ARINVOICE</object>\
                 <fields>RECORDNO,RECORDID,STATE,TOTALENTERED</fields><query>WHENCREATED &gt;= \
                 &apos;11/01/2026&apos; AND WHENCREATED &lt;= &apos;11/30/2026&apos;</query>\
                 <pagesize>2</pagesize></readByQuery></function>"
            )
        );
        assert_eq!(
            function(&bodies[2]),
            format!(
                "<function controlid=\"{key}/q2\"><readMore><resultId>ml-demo-42</resultId>\
                 </readMore></function>"
            )
        );
        let applied = results[0].as_ref().unwrap();
        assert!(!applied.already_done && applied.external_ids.is_empty());
        let data: Value =
            ml_connector_sdk::serde_json::from_str(applied.data.as_deref().unwrap()).unwrap();
        let record = |no: &str, id: &str, state: &str| json!({"RECORDNO": no, "RECORDID": id, "STATE": state, "TOTALENTERED": "10.00"});
        assert_eq!(
            data,
            json!({"object": "ARINVOICE", "count": 3, "records": [
                record("7", "INV-1", "Posted"),
                record("8", "INV-2", "Reversed"),
                record("9", "INV-3", "Paid"),
            ]})
        );
    }

    #[test]
    fn pages_that_do_not_add_up_are_transient() {
        let key = "recon/2026-11/ARINVOICE";
        let cases = [
            (
                page(&format!("{key}/q1"), 3, 2, "ml-demo-42", ""),
                "empty page",
            ),
            (
                page(
                    &format!("{key}/q1"),
                    3,
                    2,
                    "",
                    &invoice("7", "INV-1", "Posted"),
                ),
                "no resultId",
            ),
            (
                page(
                    &format!("{key}/q1"),
                    3,
                    0,
                    "",
                    &invoice("7", "INV-1", "Posted"),
                ),
                "listed 1 records in all, but its first page said 3",
            ),
        ];
        for (answer, why) in cases {
            connection(&[], vec![session(), answer]);
            let results = Intacct::apply(vec![command(november())]).unwrap();
            assert!(
                matches!(&results[0],
                    Err(PluginError::Transient(message)) if message.contains(why)),
                "{why}: {results:?}"
            );
        }
    }

    #[test]
    fn a_read_answered_already_executed_is_transient_never_done() {
        let controlid = "recon/2026-11/ARINVOICE/q1";
        let refused = operation(&format!(
            "<result><status>failure</status><function>readByQuery</function>\
             <controlid>{controlid}</controlid><errormessage><error><errorno>XL03000050</errorno>\
             <description2>The function with controlid {controlid} was already executed and has \
             not been run again.</description2></error></errormessage></result>"
        ));
        connection(&[], vec![session(), refused]);
        let results = Intacct::apply(vec![command(november())]).unwrap();
        assert!(
            matches!(&results[0], Err(PluginError::Transient(message))
                if message.contains(&format!("controlid {controlid} as already executed"))),
            "{results:?}"
        );
    }

    #[test]
    fn reads_all_fields_of_any_known_object_with_the_default_page_size() {
        testing::reset();
        let body = json!({"object": "GLENTRY", "from": "2026-11-01", "to": "2026-11-01"});
        let prepared = prepare(&Command::json(KIND, "recon/gl", &body).unwrap()).unwrap();
        assert_eq!(
            prepared.function.body.into_string(),
            "<readByQuery><object>GLENTRY</object><fields>*</fields><query>ENTRY_DATE &gt;= \
             &apos;11/01/2026&apos; AND ENTRY_DATE &lt;= &apos;11/01/2026&apos;</query>\
             <pagesize>1000</pagesize></readByQuery>"
        );
    }

    fn refusal(body: Value) -> String {
        testing::reset();
        match super::super::prepare(&command(body)) {
            Err(PluginError::Rejected {
                code: None,
                message,
            }) => message,
            other => panic!("a refusal, not {other:?}"),
        }
    }

    #[test]
    fn an_unknown_object_a_bad_day_or_bad_fields_are_rejected() {
        let key = "intacct.read-period recon/2026-11/ARINVOICE";
        assert_eq!(
            refusal(json!({"object": "ARINVOICES", "from": "2026-11-01", "to": "2026-11-30"})),
            format!(
                "{key}: `object` is `ARINVOICES`: a period is read of ARINVOICE, ARADJUSTMENT, \
                 ARPYMT, ARPYMTDETAIL, GLBATCH, GLENTRY"
            )
        );
        assert_eq!(
            refusal(json!({"object": "ARPYMT", "from": "11/01/2026", "to": "2026-11-30"})),
            format!("{key}: `from` is `11/01/2026`: write a day as YYYY-MM-DD, e.g. 2026-11-01")
        );
        assert_eq!(
            refusal(json!({"object": "ARPYMT", "from": "2026-11-01", "to": "2026-11-31"})),
            format!("{key}: `to` is `2026-11-31`: write a day as YYYY-MM-DD, e.g. 2026-11-01")
        );
        assert_eq!(
            refusal(json!({"object": "GLBATCH", "from": "2026-12-01", "to": "2026-11-30"})),
            format!("{key}: `from` (2026-12-01) is after `to` (2026-11-30): the period is empty")
        );
        assert!(
            refusal(
                json!({"object": "GLBATCH", "from": "2026-11-01", "to": "2026-11-30",
                           "fields": ["RECORDNO", "BATCH_DATE) OR (1"]})
            )
            .contains("`fields` holds `BATCH_DATE) OR (1`")
        );
        assert!(
            refusal(
                json!({"object": "GLBATCH", "from": "2026-11-01", "to": "2026-11-30",
                           "fields": []})
            )
            .contains("`fields` is empty")
        );
        assert!(
            refusal(
                json!({"object": "GLBATCH", "from": "2026-11-01", "to": "2026-11-30",
                           "page_size": 5})
            )
            .contains("unknown field `page_size`")
        );
    }
}
