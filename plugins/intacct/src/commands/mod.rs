//! The command kinds: each turns its JSON body into one Intacct function ([`prepare`]) and reads
//! that function's result back into the command's result ([`Prepared::settle`]).
//!
//! Reading a result is shared: an "already executed" failure is success with `already_done`; any
//! other failure is `Rejected` with Intacct's error number (the upsert of a customer that exists
//! instead goes on to an update); an aborted function is `Transient`; a success gives the ids the
//! kind names.

mod adjustment;
mod customer;
mod fields;
mod gl_batch;
mod invoice;
mod line_item;
mod payment;
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
    /// The create of an upsert: a duplicate id goes on to this update.
    CreateOrUpdate {
        update: Function,
        record: &'static str,
        ids: &'static [(&'static str, &'static str)],
    },
    /// The sales orders found, as `Applied.data`.
    SalesOrders,
}

/// What became of a command after its function ran.
#[derive(Debug)]
pub enum Step {
    Done(Result<Applied, PluginError>),
    /// Another function has to run for this command.
    Again(Prepared),
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
                return Step::Done(self.read.applied(&self.key, key, data.as_ref()));
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
            return Step::Done(Ok(Applied {
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
                Step::Again(Prepared {
                    key: self.key,
                    function: update,
                    read: Read::Record { record, ids },
                })
            }
            _ => Step::Done(Err(response::rejected(&errors))),
        }
    }
}

impl Read {
    fn applied(
        &self,
        key: &str,
        result_key: Option<String>,
        data: Option<&Element>,
    ) -> Result<Applied, PluginError> {
        let missing =
            |what: &str| PluginError::transient(format!("Intacct reported success without {what}"));
        match self {
            Self::Key(name) => {
                let id = result_key.ok_or_else(|| missing("a <key>"))?;
                Ok(Applied::new(key).with_external_id(*name, id))
            }
            Self::Record { record, ids } | Self::CreateOrUpdate { record, ids, .. } => {
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
            Self::SalesOrders => {
                let data = data.ok_or_else(|| missing("<data>"))?;
                sales_order::found(key, data)
            }
        }
    }
}
