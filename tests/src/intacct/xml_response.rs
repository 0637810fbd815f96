//! Writing response documents: control-level failures, authentication failures, function results
//! (success with key or data, failure, aborted) and the gateway's own HTTP 429 and 401 bodies.

use chrono::{DateTime, Utc};

use super::error::{GATEWAY_SIGN_IN_INCORRECT, IntacctError, RATE_LIMITED};
use super::functions::Outcome;
use super::xml_request::Control;
use super::xml_tree::Element;

/// The `authentication` block of an operation.
#[derive(Clone, Debug, Default)]
pub struct AuthenticationEcho {
    pub user_id: String,
    pub company_id: String,
    pub location_id: Option<String>,
    /// `(sessiontimestamp, sessiontimeout)` when signed in.
    pub session_times: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// How one function ended.
#[derive(Clone, Debug)]
pub enum Status {
    Success(Outcome),
    Failure(IntacctError),
    Aborted,
}

#[derive(Clone, Debug)]
pub struct FunctionResult {
    pub function: String,
    pub controlid: String,
    pub status: Status,
}

/// A refused request: nothing ran.
pub fn control_failure(control: Option<&Control>, error: &IntacctError) -> String {
    Element::new("response")
        .child(control_block(control, "failure"))
        .child(error.to_errormessage())
        .to_document()
}

/// Sign-in refused: no results.
pub fn authentication_failure(
    control: &Control,
    echo: &AuthenticationEcho,
    error: &IntacctError,
) -> String {
    let operation = Element::new("operation")
        .child(authentication_block(echo, "failure"))
        .child(error.to_errormessage());
    Element::new("response")
        .child(control_block(Some(control), "success"))
        .child(operation)
        .to_document()
}

/// A signed-in operation and the results of its functions.
pub fn operation(
    control: &Control,
    echo: &AuthenticationEcho,
    results: Vec<FunctionResult>,
) -> String {
    let operation = results.into_iter().fold(
        Element::new("operation").child(authentication_block(echo, "success")),
        |operation, result| operation.child(result_element(result)),
    );
    Element::new("response")
        .child(control_block(Some(control), "success"))
        .child(operation)
        .to_document()
}

/// The body of an HTTP 429 answer.
pub fn rate_limited() -> String {
    let error = IntacctError::new(
        RATE_LIMITED,
        "Too many requests",
        "The company has exceeded its API request rate. Retry after a pause.",
        "Send fewer requests, or batch several functions in one request.",
    );
    control_failure(None, &error)
}

/// The body of the gateway's HTTP 401 answer to a refused sign-in: a bare control block and an
/// error with only a number and a description, as Intacct's front end writes it.
pub fn gateway_sign_in_refused() -> String {
    let error = Element::new("error")
        .with_leaf("errorno", GATEWAY_SIGN_IN_INCORRECT)
        .with_leaf(
            "description",
            "Sign-in information is incorrect. Please check your request.",
        );
    Element::new("response")
        .child(Element::new("control").with_leaf("status", "failure"))
        .child(Element::new("errormessage").child(error))
        .to_document()
}

/// ISO 8601 with offset, as Intacct writes session times.
fn iso(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn control_block(control: Option<&Control>, status: &str) -> Element {
    let control = control.cloned().unwrap_or_default();
    Element::new("control")
        .with_leaf("status", status)
        .with_leaf("senderid", control.sender_id)
        .with_leaf("controlid", control.controlid)
        .with_leaf("uniqueid", control.uniqueid)
        .with_leaf("dtdversion", control.dtdversion)
}

fn authentication_block(echo: &AuthenticationEcho, status: &str) -> Element {
    let block = Element::new("authentication")
        .with_leaf("status", status)
        .with_leaf("userid", &echo.user_id)
        .with_leaf("companyid", &echo.company_id)
        .with_leaf("locationid", echo.location_id.clone().unwrap_or_default());
    match echo.session_times {
        Some((timestamp, timeout)) => block
            .with_leaf("sessiontimestamp", iso(timestamp))
            .with_leaf("sessiontimeout", iso(timeout)),
        None => block,
    }
}

fn result_element(result: FunctionResult) -> Element {
    let (status, payload) = match result.status {
        Status::Success(Outcome::Key(key)) => ("success", Element::leaf("key", key)),
        Status::Success(Outcome::Data(data)) => ("success", data),
        Status::Failure(error) => ("failure", error.to_errormessage()),
        Status::Aborted => ("aborted", IntacctError::rolled_back().to_errormessage()),
    };
    Element::new("result")
        .with_leaf("status", status)
        .with_leaf("function", result.function)
        .with_leaf("controlid", result.controlid)
        .child(payload)
}
