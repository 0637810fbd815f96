//! `intacct`: the Sage Intacct sink connector, over Intacct's XML gateway.
//!
//! **Sessions.** The connector signs in with the login (`userid`, `companyid`, password, optional
//! `locationid`) only to call `getAPISession`; the session is kept in storage and reused by later
//! calls, which go to the endpoint `getAPISession` returned. A session is replaced after 50 minutes
//! on the host clock; one Intacct refuses ("Invalid session") is replaced at once and the request
//! sent once more. Settings and secrets: see [`settings`].
//!
//! **Exactly once.** Requests carry `uniqueid=true`, and each function's controlid is derived from
//! its command's deterministic key ([`controlid`]), so Intacct runs it at most once however often it
//! is retried; an "already executed" answer is success with `already_done`.
//!
//! **Batching.** One `apply` call is one request holding one function per command, each with its
//! own controlid, under `transaction="false"`: one refused command does not undo the others.
//!
//! **Errors.** Intacct answers business failures with HTTP 200; the body decides ([`response`]):
//! a function failure is that command's `Rejected` with Intacct's `errorno` as the code and its
//! description; a control-level failure (nothing ran) is the outer `Rejected`, or `Auth` for bad
//! sender credentials; a refused sign-in is `Auth`. HTTP 5xx and timeouts are `Transient`, 429 is
//! `RateLimited`; other 4xx are `Rejected` and never retried.
//!
//! **Text.** Every text value is stripped of the characters XML 1.0 forbids, then escaped
//! ([`text`]); a name with a control character in it posts without that character.
//!
//! ## Commands
//!
//! Dates are `YYYY-MM-DD`. Amounts are decimal strings (`"12.30"`; a JSON number is read from its
//! text, never through f64) and are sent rounded to cents. Fields marked `?` are optional; a body
//! with a field not listed is `Rejected`.
//!
//! | kind | body | Intacct function | result |
//! | --- | --- | --- | --- |
//! | `intacct.upsert-customer` | `{"customer_id", "name", "print_as"?, "company_name"?, "first_name"?, "last_name"?, "phone"?, "email"?, "active"?: bool}` | `create` CUSTOMER; on BL34000061 (exists) `update` CUSTOMER in a second request | ids `customer` (CUSTOMERID), `customer_record` (RECORDNO) |
//! | `intacct.create-invoice` | `{"customer_id", "date", "date_posted"?, "date_due"? \| "term_name"?, "batch_key"?, "draft"?: bool, "invoice_no"?, "po_number"?, "description"?, "external_id"?, "currency"?, "lines": [line], "supersedes"?: {"date", "description"?}}` | `create_invoice`; with `supersedes` (needs `invoice_no`, `external_id`) also `reverse_invoice` of each other live invoice with the number, or `NeedsReview` when one is paid | id `invoice` (RECORDNO), a `reversal` each |
//! | `intacct.reverse-invoice` | `{"invoice_key" \| "invoice_no", "date", "description"?}` | `reverse_invoice` (by number: of each live invoice with it) | id `reversal` (one per invoice) |
//! | `intacct.create-adjustment` | `{"customer_id", "date", "date_posted"?, "batch_key"?, "adjustment_no"?, "draft"?: bool, "invoice_no"?, "description"?, "external_id"?, "currency"?, "lines": [line]}`; negative amounts make a credit memo | `create_aradjustment` | id `adjustment` |
//! | `intacct.create-payment` | `{"customer_id", "amount", "date", "payment_method", "bank_account_id" \| "undeposited_funds_account", "ref_id"?, "currency"?, "applications"?: [{"invoice_key" \| "invoice_no", "external_id"?, "amount"}]}` | `create_arpayment` | id `payment` |
//! | `intacct.create-gl-batch` | `{"journal", "date", "title", "draft"?: bool, "entries": [{"account_no", "debit" \| "credit", "description"?, "department_id"?, "location_id"?, "customer_id"?, "class_id"?}], "sales_order"?: {"numbers": [..], "field": "DOCNO" \| "PONUMBER", "docpar_id"?}}` (two entries at least, positive amounts) | `create` GLBATCH; with `sales_order`, first a `readByQuery` of SODOCUMENT per number (below) | id `gl_batch` (RECORDNO), and `sales_order` (the order's RECORDNO) when matched |
//! | `intacct.find-sales-order` | `{"doc_no" \| "po_number", "docpar_id"?: "Sales Order"}` | `readByQuery` SODOCUMENT | `data`: `{"count", "total", "orders": [{Intacct's fields}]}`; id `sales_order` when exactly one |
//!
//! A `line` of an invoice or adjustment: `{"gl_account_no" | "account_label", "offset_gl_account_no"?,
//! "amount", "memo"?, "location_id"?, "department_id"?, "project_id"?, "customer_id"?, "item_id"?,
//! "class_id"?, "warehouse_id"?}`. `a | b` means exactly one of the two.
//!
//! **Invoices by number.** A mapping never learns an invoice's RECORDNO, so a reversal, a payment
//! application or a superseding invoice may name invoices by `invoice_no`: the connector first
//! looks the live invoices with that number up (`readByQuery` of ARINVOICE, reversed ones left out;
//! `commands/lookup.rs`), then sends the reversals (each under controlid `<key>/<RECORDNO>`; none
//! found is done), the superseding create with its reversals, or the payment
//! (exactly one invoice must be found, narrowed by the application's `external_id` when given:
//! none is `Transient`, several `NeedsReview`) in the next request.
//!
//! **GL batches matched to a sales order.** A `create-gl-batch` with `sales_order` belongs to the
//! order one of its `numbers` names in `field` (a shipment's freight to the order shipped): the
//! connector looks each number up (`readByQuery` of SODOCUMENT within `docpar_id`, default
//! `Sales Order`; one request per number, in order; `commands/gl_batch.rs`) and puts together what
//! they find. Exactly one order: the batch posts with the order's customer (CUSTVENDID) on every
//! entry that names none, its DOCNO as REFERENCENO and at the end of the title
//! (`<title>, sales order SO-1001`). None, or several: `NeedsReview` naming the numbers and field
//! tried (and the orders found), and nothing is posted.
//!
//! A command answered "already executed" is `already_done` without external ids (Intacct does not
//! say which record the earlier run created).
//!
//! **The other exports.** `ping` opens a new session (checking every credential) and answers
//! `company <id>, user <id>, endpoint <url>` (and the location, when signed in to one). `verify`,
//! `fetch` and `poll` refuse: intacct is a sink connector.

mod apply;
mod commands;
#[cfg(not(target_arch = "wasm32"))]
pub mod contract;
mod controlid;
mod envelope;
mod gateway;
mod response;
mod session;
mod settings;
mod text;
mod transport;
mod xml_tree;

use ml_connector_sdk::{
    Applied, Command, Connector, Entity, Event, InboundRequest, PluginError, PluginInfo,
    PollResult, VerifyError,
};

use crate::settings::Settings;

/// Why the source exports refuse.
const NOT_A_SOURCE: &str = "intacct is a sink connector: it takes no webhooks and has no events";

pub struct Intacct;

impl Connector for Intacct {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "intacct".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Posts AR invoices, adjustments, reversals, payments, customers and GL \
                          batches to Sage Intacct, and finds sales orders."
                .into(),
            topics: Vec::new(),
            commands: commands::KINDS
                .iter()
                .map(|kind| kind.to_string())
                .collect(),
        }
    }

    fn ping() -> Result<String, PluginError> {
        let settings = Settings::load()?;
        let (session, signed_in) = session::open(&settings)?;
        let location = match signed_in.location_id.as_str() {
            "" => String::new(),
            location => format!(", location {location}"),
        };
        Ok(format!(
            "company {}, user {}{location}, endpoint {}",
            signed_in.company_id, signed_in.user_id, session.endpoint
        ))
    }

    fn verify(request: InboundRequest) -> Result<Vec<Event>, VerifyError> {
        let _ = request;
        Err(VerifyError::Malformed(NOT_A_SOURCE.into()))
    }

    fn fetch(event: Event) -> Result<Vec<Entity>, PluginError> {
        let _ = event;
        Err(PluginError::rejected(NOT_A_SOURCE))
    }

    fn poll(cursor: Option<String>) -> Result<PollResult, PluginError> {
        let _ = cursor;
        Err(PluginError::rejected(NOT_A_SOURCE))
    }

    fn apply(commands: Vec<Command>) -> Result<Vec<Result<Applied, PluginError>>, PluginError> {
        apply::apply(&commands)
    }
}

ml_connector_sdk::export_connector!(Intacct);
