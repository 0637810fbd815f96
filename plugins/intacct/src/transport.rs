//! One round trip: POST a request document, read the answer. A refused sign-in comes back as
//! [`Refused`] whichever level carries it ([`crate::sign_in`]): HTTP 401/403 (with or without an
//! Intacct body), any status whose body is a control failure with a sign-in error number, or an
//! authentication failure. Other HTTP errors are typed by the SDK (5xx and 408 → `Transient`, 429 →
//! `RateLimited`, other 4xx → `Rejected`, never retried); another control-level refusal is
//! `Rejected` with Intacct's error number. What is left is the operation that ran.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::http::{self, Request, Response};

use crate::response::{self, Answer, Refusal};
use crate::sign_in::{self, Level, Refused};

/// Intacct's gateway can take a while for a batch of functions.
const TIMEOUT_MS: u32 = 30_000;

/// POSTs `document` to `url`; `Err(refused)` inside is a refused sign-in.
pub fn exchange(url: &str, document: String) -> Result<Result<Answer, Refused>, PluginError> {
    let request = Request::post(url)
        .xml(document)
        .header("accept", "application/xml")
        .timeout_ms(TIMEOUT_MS);
    read(http::send(&request)?)
}

/// Classifies one HTTP answer.
fn read(answer: Response) -> Result<Result<Answer, Refused>, PluginError> {
    let body = answer.text();
    if !answer.is_success() {
        let errors = match response::parse(&body) {
            Ok(Err(Refusal::Control(errors) | Refusal::Authentication(errors))) => errors,
            _ => Vec::new(),
        };
        let refused = Refused {
            level: Level::Gateway(answer.status),
            errors,
        };
        return match matches!(answer.status, 401 | 403) || sign_in::is_refusal(&refused.errors) {
            true => Ok(Err(refused)),
            false => Err(answer
                .error_for_status()
                .expect_err("a status that is not 2xx is an error")),
        };
    }
    match response::parse(&body)? {
        Ok(answer) => Ok(Ok(answer)),
        Err(Refusal::Authentication(errors)) => Ok(Err(Refused {
            level: Level::Authentication,
            errors,
        })),
        Err(Refusal::Control(errors)) if sign_in::is_refusal(&errors) => Ok(Err(Refused {
            level: Level::Control,
            errors,
        })),
        Err(Refusal::Control(errors)) => Err(response::rejected(&errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::IntacctError;

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "text/xml; encoding=\"UTF-8\"".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    fn control_failure(errorno: &str, description: &str, description2: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><control><status>failure</status>\
             </control><errormessage><error><errorno>{errorno}</errorno><description>{description}\
             </description><description2>{description2}</description2><correction></correction>\
             </error></errormessage></response>"
        )
    }

    fn refused_at(result: Result<Result<Answer, Refused>, PluginError>) -> (Level, Vec<String>) {
        match result {
            Ok(Err(refused)) => (
                refused.level,
                refused
                    .errors
                    .iter()
                    .map(|error: &IntacctError| error.errorno.clone())
                    .collect(),
            ),
            other => panic!("expected a refused sign-in, got {other:?}"),
        }
    }

    #[test]
    fn a_gateway_401_is_a_refused_sign_in_with_or_without_an_intacct_body() {
        let body = control_failure(
            sign_in::GATEWAY_SIGN_IN_INCORRECT,
            "Sign-in information is incorrect. Please check your request.",
            "",
        );
        assert_eq!(
            refused_at(read(answer(401, &body))),
            (Level::Gateway(401), vec!["XMLGW_JPP0002".to_owned()])
        );
        assert_eq!(
            refused_at(read(answer(403, "<html>Forbidden</html>"))),
            (Level::Gateway(403), Vec::new())
        );
        assert_eq!(
            refused_at(read(answer(400, &body))),
            (Level::Gateway(400), vec!["XMLGW_JPP0002".to_owned()])
        );
    }

    #[test]
    fn control_and_authentication_refusals_at_http_200_are_refused_sign_ins() {
        let sender = control_failure(
            sign_in::AUTHENTICATION_FAILED,
            "",
            "Incorrect Intacct XML Partner ID or password.",
        );
        assert_eq!(
            refused_at(read(answer(200, &sender))),
            (Level::Control, vec!["XL03000006".to_owned()])
        );
        let gateway = control_failure(
            sign_in::GATEWAY_SIGN_IN_INCORRECT,
            "Sign-in information is incorrect. Please check your request.",
            "",
        );
        assert_eq!(
            refused_at(read(answer(200, &gateway))),
            (Level::Control, vec!["XMLGW_JPP0002".to_owned()])
        );
        let login = "<response><control><status>success</status></control><operation>\
            <authentication><status>failure</status><userid>xml_gateway</userid>\
            <companyid>ml-demo</companyid></authentication><errormessage><error>\
            <errorno>XL03000006</errorno><description2>Sign-in information is incorrect\
            </description2></error></errormessage></operation></response>";
        assert_eq!(
            refused_at(read(answer(200, login))),
            (Level::Authentication, vec!["XL03000006".to_owned()])
        );
    }

    #[test]
    fn other_failures_keep_their_own_types() {
        let parse = control_failure("XL03000003", "", "XML Parse schema error");
        assert_eq!(
            read(answer(200, &parse)).unwrap_err(),
            PluginError::rejected_with_code("XL03000003", "XML Parse schema error")
        );
        assert!(matches!(
            read(answer(400, &parse)),
            Err(PluginError::Rejected { code: Some(code), .. }) if code == "400"
        ));
        assert!(matches!(
            read(answer(502, "<html>Bad Gateway</html>")),
            Err(PluginError::Transient(_))
        ));
        assert!(matches!(
            read(answer(
                429,
                &control_failure("XL03000429", "Too many requests", "")
            )),
            Err(PluginError::RateLimited { .. })
        ));
    }
}
