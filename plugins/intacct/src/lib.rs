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
//! own controlid, under `transaction="false"`: one refused command does not undo the others. A
//! call of more commands than the `functions_per_request` setting (default 100, Intacct's cap)
//! goes out as several such requests, one after the other ([`apply`]).
//!
//! **Errors.** Intacct answers business failures with HTTP 200; the body decides ([`response`]):
//! a function failure is that command's `Rejected` with Intacct's `errorno` as the code and its
//! description; a control-level failure (nothing ran) is the outer `Rejected`. A refused sign-in is
//! `Auth` with advice on the credentials to check, in `apply` and `ping` alike, whichever level
//! carries it ([`sign_in`]): the gateway (HTTP 401/403, `XMLGW_JPP0002` "Sign-in information is
//! incorrect"), the control block (`XL03000006`, bad sender) or the authentication block (bad login;
//! an invalid session is first replaced once). HTTP 5xx and timeouts are `Transient`, 429 is
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
//! | `intacct.read-period` | `{"object": "ARINVOICE" \| "ARADJUSTMENT" \| "ARPYMT" \| "ARPYMTDETAIL" \| "GLBATCH" \| "GLENTRY", "from", "to", "fields"?: ["RECORDNO", ..]}` (both days included; all fields when `fields` is left out) | `readByQuery` of the object dated `from`..`to` (below), then `readMore` per further page | `data`: `{"object", "count", "records": [{Intacct's fields, as text}]}`, every page's records |
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
//! **Reading a period.** `intacct.read-period` reads every record of one object whose date falls
//! in `from`..`to`, for a reconciliation to compare with the source systems: invoices, adjustments
//! and payments by WHENCREATED, payment applications (ARPYMTDETAIL) by PAYMENTDATE, GL batches by
//! BATCH_DATE and their lines (GLENTRY, which carry the amounts a GLBATCH does not) by ENTRY_DATE
//! (`commands/read_period.rs`). The first page is a `readByQuery` of `query_page_size` records
//! (setting, default 1000, at most 2000), each further page a `readMore` with the resultId while
//! Intacct says records remain, one request per page. Reads are repeatable: every page's function
//! has a new controlid, so `uniqueid` lets it run; a read answered "already executed" all the same
//! (the connector's storage was reset) is `Transient`, never done. Pages that do not add up are
//! `Transient`; an unknown object, a day not written `YYYY-MM-DD`, `from` after `to` or a field
//! name with other than letters, digits, `_` and `.` is `Rejected`, unsent.
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
mod sign_in;
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
                          batches to Sage Intacct, finds sales orders, and reads a period's \
                          invoices, adjustments, payments and GL batches."
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::serde_json::json;
    use ml_connector_sdk::testing;

    use super::*;

    /// The gateway's answer to a bad sign-in: HTTP 401 and a control failure.
    const GATEWAY_REFUSAL: (u16, &str) = (
        401,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><control><status>failure</status>\
         </control><errormessage><error><errorno>XMLGW_JPP0002</errorno><description>Sign-in \
         information is incorrect. Please check your request.</description></error></errormessage>\
         </response>",
    );
    /// A bad sender: HTTP 200, control failure XL03000006.
    const CONTROL_REFUSAL: (u16, &str) = (
        200,
        "<response><control><status>failure</status><senderid>mlconnector</senderid>\
         <controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control>\
         <errormessage><error><errorno>XL03000006</errorno><description></description>\
         <description2>Incorrect Intacct XML Partner ID or password.</description2><correction>\
         </correction></error></errormessage></response>",
    );
    /// A bad login: HTTP 200, authentication failure XL03000006.
    const AUTHENTICATION_REFUSAL: (u16, &str) = (
        200,
        "<response><control><status>success</status><senderid>mlconnector</senderid>\
         <controlid>c</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control>\
         <operation><authentication><status>failure</status><userid>xml_gateway</userid>\
         <companyid>ml-demo</companyid><locationid></locationid></authentication><errormessage>\
         <error><errorno>XL03000006</errorno><description></description><description2>Sign-in \
         information is incorrect</description2><correction></correction></error></errormessage>\
         </operation></response>",
    );
    const LEVELS: [(&str, (u16, &str)); 3] = [
        ("gateway", GATEWAY_REFUSAL),
        ("control", CONTROL_REFUSAL),
        ("authentication", AUTHENTICATION_REFUSAL),
    ];

    fn session_answer() -> (u16, &'static str) {
        (
            200,
            "<response><control><status>success</status></control><operation><authentication>\
             <status>success</status><userid>xml_gateway</userid><companyid>ml-demo</companyid>\
             </authentication><result><status>success</status><function>getAPISession</function>\
             <controlid>getAPISession</controlid><data><api><sessionid>s1..</sessionid>\
             <endpoint>http://gateway/session</endpoint></api></data></result></operation></response>",
        )
    }

    /// A configured connection whose requests get `answers` in turn; returns the URLs requested.
    fn connection(answers: Vec<(u16, &'static str)>) -> Rc<RefCell<Vec<String>>> {
        testing::reset();
        testing::set_config([
            ("base_url", "http://gateway"),
            ("company_id", "ml-demo"),
            ("user_id", "xml_gateway"),
        ]);
        testing::set_secrets([
            ("sender_id", "mlconnector"),
            ("sender_password", "sender-secret"),
            ("user_password", "user-secret"),
        ]);
        let urls = Rc::new(RefCell::new(Vec::new()));
        let seen = urls.clone();
        let mut answers = VecDeque::from(answers);
        testing::set_http_handler(move |request| {
            seen.borrow_mut().push(request.url.clone());
            let (status, body) = answers.pop_front().expect("an answer left");
            Ok(Response {
                status,
                headers: Vec::new(),
                body: body.as_bytes().to_vec(),
            })
        });
        urls
    }

    fn command() -> Command {
        Command::json(
            "intacct.reverse-invoice",
            "e/0",
            &json!({"invoice_key": "4", "date": "2025-03-01"}),
        )
        .unwrap()
    }

    fn assert_credentials_advice(level: &str, error: PluginError) {
        let PluginError::Auth(message) = error else {
            panic!("{level}: expected auth, got {error:?}");
        };
        assert!(message.contains("Check the"), "{level}: {message}");
        assert!(message.contains("password`"), "{level}: {message}");
        assert!(
            !message.contains("sender-secret") && !message.contains("user-secret"),
            "{level} leaks a secret: {message}"
        );
    }

    #[test]
    fn ping_is_auth_with_advice_whichever_level_refuses_the_sign_in() {
        for (level, refusal) in LEVELS {
            connection(vec![refusal]);
            assert_credentials_advice(level, Intacct::ping().unwrap_err());
        }
    }

    #[test]
    fn apply_is_auth_with_advice_whichever_level_refuses_the_sign_in() {
        for (level, refusal) in LEVELS {
            connection(vec![refusal]);
            assert_credentials_advice(level, Intacct::apply(vec![command()]).unwrap_err());
        }
    }

    #[test]
    fn a_refused_session_at_any_level_signs_in_once_more_then_is_auth() {
        for (level, refusal) in LEVELS {
            let urls = connection(vec![session_answer(), refusal, refusal]);
            assert_credentials_advice(level, Intacct::apply(vec![command()]).unwrap_err());
            assert_eq!(
                *urls.borrow(),
                [
                    "http://gateway/ia/xml/xmlgw.phtml",
                    "http://gateway/session",
                    "http://gateway/ia/xml/xmlgw.phtml"
                ],
                "{level}"
            );
        }
    }
}
