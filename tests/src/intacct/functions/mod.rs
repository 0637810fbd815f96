//! The functions of an operation's `content`: which ones the gateway knows, their schema checks
//! (run before anything executes) and their execution against a company's books.

mod ar_document;
mod customer;
mod generic;
pub(super) mod glbatch;
mod payment;
mod query;
mod query_filter;
mod records;
pub(super) mod reversal;

use super::books::Books;
use super::error::FnResult;
use super::schema::SchemaError;
use super::xml_tree::Element;

/// A function that works on a company's books (`getAPISession` is the gateway's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Create,
    Update,
    Delete,
    ReadByQuery,
    ReadMore,
    CreateInvoice,
    CreateArAdjustment,
    ReverseInvoice,
    CreateArPayment,
}

impl Kind {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "create" => Self::Create,
            "update" => Self::Update,
            "delete" => Self::Delete,
            "readByQuery" => Self::ReadByQuery,
            "readMore" => Self::ReadMore,
            "create_invoice" => Self::CreateInvoice,
            "create_aradjustment" => Self::CreateArAdjustment,
            "reverse_invoice" => Self::ReverseInvoice,
            "create_arpayment" => Self::CreateArPayment,
            _ => return None,
        })
    }

    /// Checks the element order of the legacy functions; generic ones are checked when they run.
    pub fn check_schema(self, element: &Element) -> Result<(), SchemaError> {
        match self {
            Self::CreateInvoice => ar_document::check_invoice(element),
            Self::CreateArAdjustment => ar_document::check_adjustment(element),
            Self::ReverseInvoice => reversal::check(element),
            Self::CreateArPayment => payment::check(element),
            Self::Create | Self::Update | Self::Delete | Self::ReadByQuery | Self::ReadMore => {
                Ok(())
            }
        }
    }
}

/// What a successful function returns: a `<key>` or a `<data>` element.
#[derive(Clone, Debug)]
pub enum Outcome {
    Key(String),
    Data(Element),
}

/// Runs one function against `books`.
pub fn run(kind: Kind, books: &mut Books, element: &Element, controlid: &str) -> FnResult<Outcome> {
    match kind {
        Kind::Create => generic::create(books, element, controlid),
        Kind::Update => generic::update(books, element),
        Kind::Delete => generic::delete(books, element),
        Kind::ReadByQuery => query::read_by_query(books, element),
        Kind::ReadMore => query::read_more(books, element),
        Kind::CreateInvoice => ar_document::create_invoice(books, element, controlid),
        Kind::CreateArAdjustment => ar_document::create_adjustment(books, element, controlid),
        Kind::ReverseInvoice => reversal::reverse_invoice(books, element, controlid),
        Kind::CreateArPayment => payment::create_arpayment(books, element, controlid),
    }
}

/// The `<data listtype="objects">` answer of generic create, update and delete.
fn objects(records: Vec<Element>) -> Outcome {
    let count = records.len().to_string();
    Outcome::Data(
        Element {
            children: records,
            ..Element::new("data")
        }
        .attr("listtype", "objects")
        .attr("count", count),
    )
}
