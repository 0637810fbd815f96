//! One round trip: POST a request document, read the answer. HTTP errors are typed by the SDK's
//! checked helper (5xx and 408 → `Transient`, 429 → `RateLimited`, 401/403 → `Auth`, other 4xx →
//! `Rejected`, never retried); a control-level refusal becomes `Auth` for bad sender credentials
//! and `Rejected` with Intacct's error number otherwise. What is left is the operation: it ran,
//! or its sign-in was refused.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::http::{self, Request};

use crate::response::{self, AUTHENTICATION_FAILED, Answer, IntacctError, Refusal};

/// Intacct's gateway can take a while for a batch of functions.
const TIMEOUT_MS: u32 = 30_000;

/// POSTs `document` to `url`; `Err(errors)` inside is a refused sign-in.
pub fn exchange(
    url: &str,
    document: String,
) -> Result<Result<Answer, Vec<IntacctError>>, PluginError> {
    let request = Request::post(url).xml(document).timeout_ms(TIMEOUT_MS);
    let body = http::send_xml(request)?;
    match response::parse(&body)? {
        Ok(answer) => Ok(Ok(answer)),
        Err(Refusal::Authentication(errors)) => Ok(Err(errors)),
        Err(Refusal::Control(errors)) => Err(control_error(&errors)),
    }
}

fn control_error(errors: &[IntacctError]) -> PluginError {
    match errors
        .iter()
        .any(|error| error.errorno == AUTHENTICATION_FAILED)
    {
        true => PluginError::auth(format!(
            "Intacct refused the sender credentials: {}",
            response::describe(errors)
        )),
        false => response::rejected(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_refusals_are_auth_for_the_sender_else_rejected() {
        let sender = IntacctError {
            errorno: AUTHENTICATION_FAILED.into(),
            description2: "Incorrect Intacct XML Partner ID or password.".into(),
            ..IntacctError::default()
        };
        assert!(matches!(control_error(&[sender]), PluginError::Auth(_)));
        let parse = IntacctError {
            errorno: "XL03000003".into(),
            description2: "XML Parse schema error".into(),
            ..IntacctError::default()
        };
        assert_eq!(
            control_error(&[parse]),
            PluginError::rejected_with_code("XL03000003", "XML Parse schema error")
        );
    }
}
