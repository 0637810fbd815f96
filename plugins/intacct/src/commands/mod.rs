//! The command kinds: each turns its JSON body into one Intacct function ([`prepare`]) and reads
//! that function's result back into the command's result ([`Prepared::settle`]).
//!
//! Reading a result is shared: an "already executed" failure is success with `already_done` (of
//! a query, which runs under a new controlid each time, it is `Transient`: a read is never done
//! already, and its data is what the command needs); any other failure is `Rejected` with
//! Intacct's error number (the upsert of a customer that exists instead goes on to an update); an
//! aborted function is `Transient`; a success gives the ids the kind names.
//!
//! A command may need more than one function: the update of an upsert after its create, or the
//! reversals and payments that follow the look-up of an invoice number ([`lookup`]), or the GL
//! batch that follows the look-up of its sales order ([`gl_batch`]), or the `readMore` of each
//! further page of a period's read ([`read_period`]); those go out in the next request
//! ([`Step::Again`]). Reads share their functions ([`query`]).

mod adjustment;
mod customer;
mod fields;
mod gl_batch;
mod invoice;
mod line_item;
mod lookup;
mod payment;
mod posted;
mod query;
mod read_period;
mod reversal;
mod sales_order;

use ml_connector_sdk::{Applied, Command, PluginError};

use crate::envelope::Function;
use crate::response::{self, FunctionResult, Outcome};
use crate::xml_tree::Element;

/// Every command kind `apply` understands.
pub const KINDS: &[&str] = &[
    customer::KIND,
    invoice::KIND,
    reversal::KIND,
    adjustment::KIND,
    payment::KIND,
    gl_batch::KIND,
    sales_order::KIND,
    read_period::KIND,
];

/// A command ready to send: its function, and how to read the function's result.
#[derive(Debug)]
pub struct Prepared {
    key: String,
    pub function: Function,
    read: Read,
}

/// How a successful result becomes the command's result.
#[derive(Debug)]
enum Read {
    /// The `<key>` of a legacy function is the external id with this name.
    Key(&'static str),
    /// Fields of `data/<record>` of a generic function are external ids: (id name, field).
    Record {
        record: &'static str,
        ids: &'static [(&'static str, &'static str)],
    },
    /// [`Read::Record`], and one more external id the command already knows (name, id).
    RecordAlso {
        record: &'static str,
        ids: &'static [(&'static str, &'static str)],
        also: (&'static str, String),
    },
    /// The create of an upsert: a duplicate id goes on to this update.
    CreateOrUpdate {
        update: Function,
        record: &'static str,
        ids: &'static [(&'static str, &'static str)],
    },
    /// The sales orders found, as `Applied.data`.
    SalesOrders,
    /// The sales orders one number of a GL batch's match found.
    SalesOrderMatch(gl_batch::Matching),
    /// The live invoices with a number: what follows is up to the command.
    Invoices(Then),
    /// A page of a period's read: the next page, or every record as `Applied.data`.
    Period(read_period::Paging),
    /// A GL batch's create: once Intacct confirms it, [`posted`] remembers it; then read as the
    /// inner one.
    Posted(Box<Read>),
}

/// What a command does with the invoices its look-up found.
#[derive(Debug)]
enum Then {
    Reverse(reversal::Pending),
    Pay(payment::Pending),
    Supersede(invoice::Superseding),
}

/// What became of a command after its function ran.
#[derive(Debug)]
pub enum Step {
    Done(Result<Applied, PluginError>),
    /// More functions have to run for this command, in a later request; its result joins
    /// theirs ([`join`]).
    Again(Vec<Prepared>),
}

/// Turns a command into its function; a body that does not fit the kind is `Rejected`.
pub fn prepare(command: &Command) -> Result<Prepared, PluginError> {
    let kind = command.kind.as_str();
    let prepared = match kind {
        customer::KIND => customer::prepare(command),
        invoice::KIND => invoice::prepare(command),
        reversal::KIND => reversal::prepare(command),
        adjustment::KIND => adjustment::prepare(command),
        payment::KIND => payment::prepare(command),
        gl_batch::KIND => gl_batch::prepare(command),
        sales_order::KIND => sales_order::prepare(command),
        read_period::KIND => read_period::prepare(command),
        other => {
            return Err(PluginError::rejected(format!(
                "intacct has no command kind `{other}` (it applies {})",
                KINDS.join(", ")
            )));
        }
    };
    prepared.map_err(|error| match error {
        PluginError::Rejected { code, message } => PluginError::Rejected {
            code,
            message: format!("{kind} {}: {message}", command.key),
        },
        other => other,
    })
}

impl Prepared {
    /// Reads the function's result. `duplicate_errno` is the connection's number for an already
    /// executed controlid, if it names one.
    pub fn settle(self, result: FunctionResult, duplicate_errno: Option<&str>) -> Step {
        let errors = match result.outcome {
            Outcome::Success { key, data } => {
                return self.read.succeeded(&self.key, key, data.as_ref());
            }
            Outcome::Aborted(errors) => {
                return Step::Done(Err(PluginError::transient(format!(
                    "Intacct did not run the function: {}",
                    response::describe(&errors)
                ))));
            }
            Outcome::Failure(errors) => errors,
        };
        if errors
            .iter()
            .any(|error| error.is_already_executed(duplicate_errno))
        {
            let remembered = match self.read {
                Read::Posted(_) => posted::remember(&self.key),
                read if read.is_query() => {
                    return Step::Done(Err(PluginError::transient(format!(
                        "Intacct answered the query under controlid {} as already executed (the \
                         connector's query serial number was reset?); a read is never done \
                         already: it runs again under a new controlid on the next attempt",
                        self.function.controlid
                    ))));
                }
                _ => Ok(()),
            };
            return Step::Done(remembered.map(|()| Applied {
                already_done: true,
                ..Applied::new(&self.key)
            }));
        }
        match self.read {
            Read::CreateOrUpdate {
                update,
                record,
                ids,
            } if errors
                .iter()
                .any(|error| error.errorno == customer::DUPLICATE_ID) =>
            {
                Step::Again(vec![Prepared {
                    key: self.key,
                    function: update,
                    read: Read::Record { record, ids },
                }])
            }
            _ => Step::Done(Err(response::rejected(&errors))),
        }
    }
}

/// What a success without the data the command needs means: Intacct answered oddly; try again.
fn missing(what: &str) -> PluginError {
    PluginError::transient(format!("Intacct reported success without {what}"))
}

impl Read {
    /// Whether the function is a query: its answer is data, which an "already executed" answer
    /// does not carry.
    fn is_query(&self) -> bool {
        matches!(
            self,
            Self::SalesOrders | Self::SalesOrderMatch(_) | Self::Invoices(_) | Self::Period(_)
        )
    }

    /// What a successful function means for its command.
    fn succeeded(self, key: &str, result_key: Option<String>, data: Option<&Element>) -> Step {
        let done = |result| Step::Done(result);
        match self {
            Self::Posted(inner) => match posted::remember(key) {
                Ok(()) => inner.succeeded(key, result_key, data),
                Err(error) => done(Err(error)),
            },
            Self::Key(name) => done(
                result_key
                    .ok_or_else(|| missing("a <key>"))
                    .map(|id| Applied::new(key).with_external_id(name, id)),
            ),
            Self::Record { record, ids } | Self::CreateOrUpdate { record, ids, .. } => {
                done(Self::record_ids(key, record, ids, data))
            }
            Self::RecordAlso {
                record,
                ids,
                also: (name, id),
            } => done(
                Self::record_ids(key, record, ids, data)
                    .map(|applied| applied.with_external_id(name, id)),
            ),
            Self::SalesOrderMatch(matching) => {
                match data
                    .ok_or_else(|| missing("<data>"))
                    .and_then(sales_order::orders)
                {
                    Ok(orders) => matching.found(orders),
                    Err(error) => done(Err(error)),
                }
            }
            Self::SalesOrders => done(
                data.ok_or_else(|| missing("<data>"))
                    .and_then(|data| sales_order::found(key, data)),
            ),
            Self::Period(paging) => match data {
                Some(data) => paging.read(data),
                None => done(Err(missing("<data>"))),
            },
            Self::Invoices(then) => {
                let found = data
                    .ok_or_else(|| missing("<data>"))
                    .and_then(lookup::invoices);
                match (found, then) {
                    (Err(error), _) => done(Err(error)),
                    (Ok(found), Then::Reverse(pending)) => pending.found(found),
                    (Ok(found), Then::Pay(pending)) => pending.found(found),
                    (Ok(found), Then::Supersede(pending)) => pending.found(found),
                }
            }
        }
    }

    /// The external ids `ids` (id name, field) read from the `record` in `data`.
    fn record_ids(
        key: &str,
        record: &str,
        ids: &[(&'static str, &'static str)],
        data: Option<&Element>,
    ) -> Result<Applied, PluginError> {
        let record = data
            .and_then(|data| data.find(record))
            .ok_or_else(|| missing(&format!("a <{record}> record")))?;
        Ok(ids
            .iter()
            .fold(Applied::new(key), |applied, (name, field)| {
                match record.text_of(field) {
                    Some(id) => applied.with_external_id(*name, id),
                    None => applied,
                }
            }))
    }
}

/// The result of a command that ran as several functions: the first failure, else one `Applied`
/// with every external id, `already_done` only when every part was.
pub fn join(
    earlier: Result<Applied, PluginError>,
    later: Result<Applied, PluginError>,
) -> Result<Applied, PluginError> {
    let (mut earlier, later) = (earlier?, later?);
    earlier.external_ids.extend(later.external_ids);
    earlier.already_done &= later.already_done;
    earlier.data = earlier.data.or(later.data);
    Ok(earlier)
}
