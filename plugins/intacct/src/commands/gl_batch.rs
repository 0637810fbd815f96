//! `intacct.create-gl-batch`: a journal entry, the generic `create` of a GLBATCH: JOURNAL,
//! BATCH_DATE (mm/dd/yyyy), BATCH_TITLE, REFERENCENO, STATE (Posted or Draft), ENTRIES of GLENTRY
//! (ACCOUNTNO, TR_TYPE 1 for a debit and -1 for a credit, TRX_AMOUNT as an absolute amount,
//! DESCRIPTION, DEPARTMENT, LOCATION, CUSTOMERID, CLASSID: the dimension names differ from the AR
//! documents'). Intacct checks that debits equal credits. Success answers `data/glbatch/RECORDNO`:
//! external id `gl_batch`.
//!
//! **Matched to a sales order.** With `"sales_order": {"numbers": [..], "field": "DOCNO" |
//! "PONUMBER", "docpar_id"?}` the batch belongs to the order one of `numbers` names (a shipment's
//! freight to the order shipped). Before anything is posted, the orders are looked up: one
//! `readByQuery` of SODOCUMENT per number (`field = 'number'` within `docpar_id`, default
//! `Sales Order`), each in its own request, in order, and what they find is put together (an order
//! found by two numbers counts once). Intacct's query language has `OR` and `IN`, which would do it
//! in one query, but the simulator the tests run against has only `AND`, and one number is the
//! usual case. Then:
//! - exactly one order: the batch is posted with the order's customer (CUSTVENDID) on every entry
//!   that names none, its DOCNO as REFERENCENO and at the end of the title
//!   (`<title>, sales order SO-1001`); external ids `gl_batch` and `sales_order` (the order's
//!   RECORDNO);
//! - none: `NeedsReview` naming the numbers and the field tried;
//! - several: `NeedsReview` listing them.
//!
//! Nothing is posted while the command is held. The create's controlid is the command's key, as
//! without a match, so a held command resolved into another body (another order, or none) still
//! posts once; and a batch Intacct confirmed is remembered ([`posted`]), so when the same shipment
//! comes again unmatched (the poll after a person resolved it) it is done, not held again.

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::money::Decimal;
use ml_connector_sdk::{Applied, Command, PluginError};
use serde::Deserialize;

use super::fields::{self, Either};
use super::sales_order::{self, Field, Order};
use super::{Prepared, Read, Step, posted};
use crate::controlid;
use crate::envelope::Function;
use crate::text::Xml;

pub const KIND: &str = "intacct.create-gl-batch";

/// The ids a posted batch answers: (id name, field of `data/glbatch`).
const IDS: &[(&str, &str)] = &[("gl_batch", "RECORDNO")];

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
    /// The sales order the batch belongs to, looked up first.
    sales_order: Option<SalesOrderMatch>,
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

/// Which sales order the batch belongs to: the one whose `field` is one of `numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct SalesOrderMatch {
    numbers: Vec<String>,
    field: Field,
    docpar_id: Option<String>,
}

impl SalesOrderMatch {
    /// The numbers without blanks and repeats, in order; `Rejected` when none is left.
    fn checked(mut self) -> Result<Self, PluginError> {
        let mut numbers: Vec<String> = Vec::new();
        for number in self.numbers {
            if number.trim().is_empty() {
                return Err(PluginError::rejected(
                    "`sales_order.numbers` holds an empty number",
                ));
            }
            if !numbers.contains(&number) {
                numbers.push(number);
            }
        }
        if numbers.is_empty() {
            return Err(PluginError::rejected(
                "`sales_order.numbers` is empty: give the numbers to look for",
            ));
        }
        self.numbers = numbers;
        Ok(self)
    }

    /// `DOCNO '1001' or '#1001' (Sales Order)`.
    fn describe(&self) -> String {
        let numbers: Vec<String> = self
            .numbers
            .iter()
            .map(|number| format!("'{number}'"))
            .collect();
        format!(
            "{} {} ({})",
            self.field.name(),
            numbers.join(" or "),
            self.docpar_id
                .as_deref()
                .unwrap_or(sales_order::SALES_ORDER)
        )
    }
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
    /// The create; `order` is the sales order matched, if any.
    fn to_xml(&self, order: Option<&Order>) -> Result<Xml, PluginError> {
        if self.entries.len() < 2 {
            return Err(PluginError::rejected(
                "a journal entry needs at least two `entries`",
            ));
        }
        let customer = order
            .map(|order| order.customer_id.as_str())
            .filter(|customer| !customer.is_empty());
        let entries = self.entries.iter().try_fold(Xml::new(), |entries, entry| {
            let mut entry = entry.clone();
            if entry.customer_id.is_none() {
                entry.customer_id = customer.map(str::to_owned);
            }
            Ok::<_, PluginError>(entries.append(entry.to_xml()?))
        })?;
        let (title, reference) = match order {
            Some(order) => (
                format!("{}, sales order {}", self.title, order.doc_no),
                Some(order.doc_no.as_str()),
            ),
            None => (self.title.clone(), None),
        };
        let batch = Xml::new()
            .text("JOURNAL", &self.journal)
            .us_date("BATCH_DATE", self.date)
            .text("BATCH_TITLE", &title)
            .text_opt("REFERENCENO", reference)
            .text("STATE", if self.draft { "Draft" } else { "Posted" })
            .node("ENTRIES", entries);
        Ok(Xml::new().node("create", Xml::new().node("GLBATCH", batch)))
    }

    /// The create, read as its external ids (and the order's).
    fn create(&self, key: &str, order: Option<&Order>) -> Result<Prepared, PluginError> {
        let read = match order {
            Some(order) => Read::RecordAlso {
                record: "glbatch",
                ids: IDS,
                also: ("sales_order", order.record_no.clone()),
            },
            None => Read::Record {
                record: "glbatch",
                ids: IDS,
            },
        };
        Ok(Prepared {
            key: key.to_owned(),
            function: Function {
                controlid: controlid::for_key(key),
                body: self.to_xml(order)?,
            },
            read: Read::Posted(Box::new(read)),
        })
    }
}

pub(super) fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let mut batch: GlBatch = command.body_json()?;
    let Some(wanted) = batch.sales_order.take() else {
        return batch.create(&command.key, None);
    };
    // Refuse a body that cannot post before looking anything up.
    batch.to_xml(None)?;
    Matching {
        key: command.key.clone(),
        batch,
        wanted: wanted.checked()?,
        tried: 0,
        found: Vec::new(),
    }
    .lookup()
}

/// A batch waiting for the look-ups of its sales order numbers.
#[derive(Debug)]
pub struct Matching {
    key: String,
    batch: GlBatch,
    wanted: SalesOrderMatch,
    /// The numbers looked up so far.
    tried: usize,
    /// The orders they found, each once.
    found: Vec<Order>,
}

impl Matching {
    /// The look-up of the next number.
    fn lookup(self) -> Result<Prepared, PluginError> {
        let number = &self.wanted.numbers[self.tried];
        let function = sales_order::match_query(
            &self.key,
            self.wanted.field,
            number,
            self.wanted.docpar_id.as_deref(),
        )?;
        Ok(Prepared {
            key: self.key.clone(),
            function,
            read: Read::SalesOrderMatch(self),
        })
    }

    /// Takes the orders the last look-up found: the next look-up, or the batch once every number
    /// was tried (exactly one order found), or `NeedsReview`.
    pub(super) fn found(mut self, orders: Vec<Order>) -> Step {
        for order in orders {
            if !self
                .found
                .iter()
                .any(|known| known.record_no == order.record_no)
            {
                self.found.push(order);
            }
        }
        self.tried += 1;
        let unmatched = self.tried >= self.wanted.numbers.len() && self.found.len() != 1;
        if unmatched {
            match posted::known(&self.key) {
                Ok(true) => {
                    return Step::Done(Ok(Applied {
                        already_done: true,
                        ..Applied::new(&self.key)
                    }));
                }
                Ok(false) => {}
                Err(error) => return Step::Done(Err(error)),
            }
        }
        let next = match self.tried < self.wanted.numbers.len() {
            true => self.lookup(),
            false => match self.found.as_slice() {
                [order] => self.batch.create(&self.key, Some(order)),
                [] => Err(PluginError::needs_review(format!(
                    "no sales order has {}: the GL batch was not posted",
                    self.wanted.describe()
                ))),
                several => Err(PluginError::needs_review(format!(
                    "{} sales orders have {}: {}. The GL batch was not posted",
                    several.len(),
                    self.wanted.describe(),
                    several
                        .iter()
                        .map(Order::describe)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            },
        };
        match next {
            Ok(prepared) => Step::Again(vec![prepared]),
            Err(error) => Step::Done(Err(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::serde_json::{Value, json};
    use ml_connector_sdk::testing;

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

    fn matched(sales_order: Value) -> Result<Prepared, PluginError> {
        let body = json!({"journal": "GJ", "date": "2025-03-01", "title": "Shipment 7",
            "entries": [
                {"account_no": "6100", "debit": "8.45"},
                {"account_no": "2100", "credit": "8.45", "customer_id": "C-OTHER"}
            ],
            "sales_order": sales_order});
        prepare(&Command::json(KIND, "shipment/7", &body).unwrap())
    }

    fn matching(read: Read) -> Matching {
        match read {
            Read::SalesOrderMatch(matching) => matching,
            other => panic!("a look-up, not {other:?}"),
        }
    }

    fn order(record_no: &str, doc_no: &str, customer_id: &str) -> Order {
        Order {
            record_no: record_no.into(),
            doc_no: doc_no.into(),
            customer_id: customer_id.into(),
        }
    }

    fn next(step: Step) -> Prepared {
        match step {
            Step::Again(mut next) if next.len() == 1 => next.remove(0),
            other => panic!("one function next, not {other:?}"),
        }
    }

    #[test]
    fn looks_up_each_number_then_posts_with_the_one_order_found() {
        testing::reset();
        let first =
            matched(json!({"numbers": ["1001", "#1001", "1001"], "field": "DOCNO"})).unwrap();
        assert_eq!(first.function.controlid, "shipment/7/q1");
        assert_eq!(
            first.function.body.into_string(),
            "<readByQuery><object>SODOCUMENT</object>\
             <fields>RECORDNO,DOCNO,PONUMBER,CUSTVENDID,STATE</fields>\
             <query>DOCNO = &apos;1001&apos;</query><pagesize>100</pagesize>\
             <docparid>Sales Order</docparid></readByQuery>"
        );
        let second = next(matching(first.read).found(vec![order("5", "1001", "C-DEMO")]));
        assert_eq!(second.function.controlid, "shipment/7/q2");
        assert!(
            second
                .function
                .body
                .into_string()
                .contains("<query>DOCNO = &apos;#1001&apos;</query>")
        );
        let create = next(matching(second.read).found(vec![order("5", "1001", "C-DEMO")]));
        assert_eq!(create.function.controlid, "shipment/7");
        assert_eq!(
            create.function.body.into_string(),
            "<create><GLBATCH><JOURNAL>GJ</JOURNAL><BATCH_DATE>03/01/2025</BATCH_DATE>\
             <BATCH_TITLE>Shipment 7, sales order 1001</BATCH_TITLE>\
             <REFERENCENO>1001</REFERENCENO><STATE>Posted</STATE><ENTRIES>\
             <GLENTRY><ACCOUNTNO>6100</ACCOUNTNO><TR_TYPE>1</TR_TYPE><TRX_AMOUNT>8.45</TRX_AMOUNT>\
             <CUSTOMERID>C-DEMO</CUSTOMERID></GLENTRY>\
             <GLENTRY><ACCOUNTNO>2100</ACCOUNTNO><TR_TYPE>-1</TR_TYPE><TRX_AMOUNT>8.45</TRX_AMOUNT>\
             <CUSTOMERID>C-OTHER</CUSTOMERID></GLENTRY></ENTRIES></GLBATCH></create>"
        );
        let Read::Posted(read) = create.read else {
            panic!("the create is remembered once posted");
        };
        assert!(matches!(
            *read,
            Read::RecordAlso { also: ("sales_order", ref record_no), .. } if record_no == "5"
        ));
    }

    #[test]
    fn none_or_several_orders_hold_the_batch_for_review() {
        testing::reset();
        let po =
            json!({"numbers": ["PO-O'Brien"], "field": "PONUMBER", "docpar_id": "Sales Order"});
        let lookup = matched(po.clone()).unwrap();
        assert!(
            lookup
                .function
                .body
                .into_string()
                .contains("<query>PONUMBER = &apos;PO-O\\&apos;Brien&apos;</query>")
        );
        match matching(lookup.read).found(Vec::new()) {
            Step::Done(Err(PluginError::NeedsReview(message))) => assert_eq!(
                message,
                "no sales order has PONUMBER 'PO-O'Brien' (Sales Order): the GL batch was not posted"
            ),
            other => panic!("review, not {other:?}"),
        }
        let several = vec![order("5", "SO-1", "C-DEMO"), order("6", "SO-2", "")];
        match matching(matched(po).unwrap().read).found(several) {
            Step::Done(Err(PluginError::NeedsReview(message))) => assert_eq!(
                message,
                "2 sales orders have PONUMBER 'PO-O'Brien' (Sales Order): SO-1 (RECORDNO 5, \
                 customer C-DEMO), SO-2 (RECORDNO 6, no customer). The GL batch was not posted"
            ),
            other => panic!("review, not {other:?}"),
        }
    }

    #[test]
    fn a_match_must_name_numbers_and_a_known_field_and_the_batch_must_fit_first() {
        testing::reset();
        assert!(matched(json!({"numbers": [], "field": "DOCNO"})).is_err());
        assert!(matched(json!({"numbers": [" "], "field": "DOCNO"})).is_err());
        assert!(matched(json!({"numbers": ["1"], "field": "RECORDNO"})).is_err());
        assert!(matched(json!({"numbers": ["1"]})).is_err());
        let one_line = json!({"journal": "GJ", "date": "2025-03-01", "title": "x",
            "entries": [{"account_no": "6100", "debit": "1"}],
            "sales_order": {"numbers": ["1"], "field": "DOCNO"}});
        assert!(prepare(&Command::json(KIND, "k", &one_line).unwrap()).is_err());
        assert!(testing::storage().is_empty(), "no query was numbered");
    }
}
