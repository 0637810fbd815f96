//! Reading the gateway's answer. Intacct answers business failures with HTTP 200 at three levels,
//! so the body decides:
//!
//! | where | means | becomes |
//! | --- | --- | --- |
//! | `control/status` failure | nothing ran (bad sender, XML parse or schema error) | [`Refusal::Control`] |
//! | `operation/authentication/status` failure | nothing ran (sign-in refused, invalid session) | [`Refusal::Authentication`] |
//! | `result/status` failure or aborted | that one function did not run | [`Outcome::Failure`], [`Outcome::Aborted`] |
//!
//! Each failure carries Intacct's `errormessage/error` records ([`IntacctError`]). Which refusals
//! are a refused sign-in is the `sign_in` module's call.

use ml_connector_sdk::PluginError;

use crate::xml_tree::Element;

/// One `errormessage/error` record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntacctError {
    pub errorno: String,
    pub description: String,
    pub description2: String,
    pub correction: String,
}

impl IntacctError {
    /// The description, the detail and the correction, the empty ones left out.
    pub fn message(&self) -> String {
        let mut message = [self.description.as_str(), self.description2.as_str()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        if !self.correction.is_empty() {
            message.push_str(&format!(" (correction: {})", self.correction));
        }
        message
    }

    /// Whether Intacct refused to run a function because its controlid already completed under
    /// `uniqueid=true`. Intacct does not document the error number, so the description decides,
    /// or the error number the connection names (setting `duplicate_errno`).
    pub fn is_already_executed(&self, duplicate_errno: Option<&str>) -> bool {
        let says = |text: &str| text.to_ascii_lowercase().contains("already executed");
        duplicate_errno == Some(self.errorno.as_str())
            || says(&self.description)
            || says(&self.description2)
    }
}

/// The errors of an `errormessage` as one message: `[errorno] message; [errorno] message`.
pub fn describe(errors: &[IntacctError]) -> String {
    if errors.is_empty() {
        return "Intacct gave no error details".into();
    }
    errors
        .iter()
        .map(|error| format!("[{}] {}", error.errorno, error.message()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A permanent refusal carrying the first error's number and every error's text.
pub fn rejected(errors: &[IntacctError]) -> PluginError {
    let message = errors
        .iter()
        .map(IntacctError::message)
        .filter(|message| !message.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    match errors.first() {
        Some(first) => PluginError::rejected_with_code(first.errorno.clone(), message),
        None => PluginError::rejected("Intacct refused the function without error details"),
    }
}

/// A request that did not run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Control(Vec<IntacctError>),
    Authentication(Vec<IntacctError>),
}

/// Who the operation ran as (the `authentication` block).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: String,
    pub company_id: String,
    pub location_id: String,
}

/// How one function ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `key` for the legacy functions, `data` for generic ones and queries.
    Success {
        key: Option<String>,
        data: Option<Element>,
    },
    Failure(Vec<IntacctError>),
    /// Rolled back or skipped because another function failed.
    Aborted(Vec<IntacctError>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionResult {
    pub controlid: String,
    pub outcome: Outcome,
}

/// An operation that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub signed_in: SignedIn,
    pub results: Vec<FunctionResult>,
}

/// Reads an HTTP 200 body. A body that is not an Intacct response (a proxy's page, a truncated
/// answer) is transient: with `uniqueid=true` the retry cannot post twice.
pub fn parse(body: &str) -> Result<Result<Answer, Refusal>, PluginError> {
    let unexpected = |why: String| {
        PluginError::transient(format!(
            "the gateway's answer is not an Intacct response: {why}"
        ))
    };
    let root = Element::parse(body).map_err(unexpected)?;
    if root.name != "response" {
        return Err(unexpected(format!("its root is <{}>", root.name)));
    }
    let control = root
        .find("control")
        .ok_or_else(|| unexpected("it has no <control>".into()))?;
    if control.text_of("status") != Some("success") {
        return Ok(Err(Refusal::Control(errors(root.find("errormessage")))));
    }
    let operation = root
        .find("operation")
        .ok_or_else(|| unexpected("it has no <operation>".into()))?;
    let authentication = operation
        .find("authentication")
        .ok_or_else(|| unexpected("it has no <authentication>".into()))?;
    if authentication.text_of("status") != Some("success") {
        let errors = errors(operation.find("errormessage"));
        return Ok(Err(Refusal::Authentication(errors)));
    }
    let signed_in = SignedIn {
        user_id: authentication.text_or_empty("userid").to_owned(),
        company_id: authentication.text_or_empty("companyid").to_owned(),
        location_id: authentication.text_or_empty("locationid").to_owned(),
    };
    let results = operation.all("result").map(function_result).collect();
    Ok(Ok(Answer { signed_in, results }))
}

fn function_result(result: &Element) -> FunctionResult {
    let outcome = match result.text_of("status") {
        Some("success") => Outcome::Success {
            key: result.text_of("key").map(str::to_owned),
            data: result.find("data").cloned(),
        },
        Some("aborted") => Outcome::Aborted(errors(result.find("errormessage"))),
        _ => Outcome::Failure(errors(result.find("errormessage"))),
    };
    FunctionResult {
        controlid: result.text_or_empty("controlid").to_owned(),
        outcome,
    }
}

fn errors(errormessage: Option<&Element>) -> Vec<IntacctError> {
    errormessage
        .map(|list| {
            list.all("error")
                .map(|error| IntacctError {
                    errorno: error.text_or_empty("errorno").to_owned(),
                    description: error.text_or_empty("description").to_owned(),
                    description2: error.text_or_empty("description2").to_owned(),
                    correction: error.text_or_empty("correction").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign_in::AUTHENTICATION_FAILED;

    const CONTROL_OK: &str = "<control><status>success</status><senderid>s</senderid>\
        <controlid>c</controlid><uniqueid>true</uniqueid><dtdversion>3.0</dtdversion></control>";

    fn error(errorno: &str, description2: &str) -> String {
        format!(
            "<errormessage><error><errorno>{errorno}</errorno><description></description>\
             <description2>{description2}</description2><correction></correction></error></errormessage>"
        )
    }

    fn operation(inner: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>{CONTROL_OK}<operation>\
             <authentication><status>success</status><userid>xml_gateway</userid>\
             <companyid>ml-demo</companyid><locationid></locationid></authentication>{inner}\
             </operation></response>"
        )
    }

    #[test]
    fn a_control_failure_is_a_refusal_with_its_errors() {
        let body = format!(
            "<response><control><status>failure</status><senderid></senderid><controlid></controlid>\
             <uniqueid></uniqueid><dtdversion></dtdversion></control>{}</response>",
            error(
                "XL03000003",
                "XML Parse schema error: Fatal Error 9: PCDATA invalid Char value 1"
            )
        );
        let Ok(Err(Refusal::Control(errors))) = parse(&body) else {
            panic!("expected a control refusal");
        };
        assert_eq!(errors[0].errorno, "XL03000003");
        assert_eq!(
            rejected(&errors),
            PluginError::rejected_with_code(
                "XL03000003",
                "XML Parse schema error: Fatal Error 9: PCDATA invalid Char value 1"
            )
        );
    }

    #[test]
    fn an_authentication_failure_is_a_refusal_with_its_errors() {
        let body = format!(
            "<response>{CONTROL_OK}<operation><authentication><status>failure</status>\
             <userid></userid><companyid></companyid><locationid></locationid></authentication>{}\
             </operation></response>",
            error(
                AUTHENTICATION_FAILED,
                "Invalid session: the session ID is unknown or expired."
            )
        );
        let Ok(Err(Refusal::Authentication(errors))) = parse(&body) else {
            panic!("expected an authentication refusal");
        };
        assert_eq!(
            describe(&errors),
            "[XL03000006] Invalid session: the session ID is unknown or expired."
        );
    }

    #[test]
    fn a_gateway_sign_in_error_is_a_control_refusal() {
        // The body Intacct's gateway sends with HTTP 401 (as in the official SDKs' fixtures): a
        // control block with only a status, and an error without description2 or correction.
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n    <control>\n        \
            <status>failure</status>\n    </control>\n    <errormessage>\n        <error>\n            \
            <errorno>XMLGW_JPP0002</errorno>\n            <description>Sign-in information is \
            incorrect. Please check your request.</description>\n        </error>\n    \
            </errormessage>\n</response>";
        let Ok(Err(Refusal::Control(errors))) = parse(body) else {
            panic!("expected a control refusal");
        };
        assert_eq!(
            describe(&errors),
            "[XMLGW_JPP0002] Sign-in information is incorrect. Please check your request."
        );
    }

    #[test]
    fn a_refused_login_is_an_authentication_refusal() {
        let body = format!(
            "<response>{CONTROL_OK}<operation><authentication><status>failure</status>\
             <userid>xml_gateway</userid><companyid>ml-demo</companyid><locationid></locationid>\
             </authentication>{}</operation></response>",
            error(AUTHENTICATION_FAILED, "Sign-in information is incorrect")
        );
        assert_eq!(
            parse(&body),
            Ok(Err(Refusal::Authentication(vec![IntacctError {
                errorno: AUTHENTICATION_FAILED.into(),
                description2: "Sign-in information is incorrect".into(),
                ..IntacctError::default()
            }])))
        );
    }

    #[test]
    fn function_results_carry_keys_data_and_errors() {
        let body = operation(&format!(
            "<result><status>success</status><function>create_invoice</function>\
             <controlid>evt-1/0</controlid><key>42</key></result>\
             <result><status>success</status><function>readByQuery</function><controlid>q</controlid>\
             <data listtype=\"sodocument\" count=\"1\"><sodocument><DOCNO>SO-1</DOCNO></sodocument></data></result>\
             <result><status>failure</status><function>create_invoice</function><controlid>evt-1/1</controlid>\
             {}</result>\
             <result><status>aborted</status><function>create</function><controlid>evt-1/2</controlid>\
             {}</result>",
            error("BL01001973", "Invalid account 9999 [Support ID: SIM1%7E2]"),
            error(
                "XL03000009",
                "The entire transaction in this operation has been rolled back due to an error."
            )
        ));
        let answer = parse(&body).unwrap().unwrap();
        assert_eq!(answer.signed_in.company_id, "ml-demo");
        assert_eq!(answer.signed_in.user_id, "xml_gateway");
        assert_eq!(answer.results.len(), 4);
        assert_eq!(
            answer.results[0].outcome,
            Outcome::Success {
                key: Some("42".into()),
                data: None
            }
        );
        let Outcome::Success {
            data: Some(data), ..
        } = &answer.results[1].outcome
        else {
            panic!("expected data");
        };
        assert_eq!(data.attribute("count"), Some("1"));
        assert_eq!(answer.results[2].controlid, "evt-1/1");
        let Outcome::Failure(errors) = &answer.results[2].outcome else {
            panic!("expected a failure");
        };
        assert_eq!(
            rejected(errors),
            PluginError::rejected_with_code(
                "BL01001973",
                "Invalid account 9999 [Support ID: SIM1%7E2]"
            )
        );
        assert!(matches!(answer.results[3].outcome, Outcome::Aborted(_)));
    }

    #[test]
    fn already_executed_is_recognised_by_its_text_or_the_configured_number() {
        let body = operation(&format!(
            "<result><status>failure</status><function>create_invoice</function>\
             <controlid>evt-1/0</controlid>{}</result>",
            error(
                "XL03000050",
                "The function with controlid evt-1/0 was already executed and has not been run again."
            )
        ));
        let answer = parse(&body).unwrap().unwrap();
        let Outcome::Failure(errors) = &answer.results[0].outcome else {
            panic!("expected a failure");
        };
        assert!(errors[0].is_already_executed(None));
        let coded = IntacctError {
            errorno: "XL99".into(),
            description2: "Duplicate request".into(),
            ..IntacctError::default()
        };
        assert!(coded.is_already_executed(Some("XL99")));
        assert!(!coded.is_already_executed(None));
    }

    #[test]
    fn messages_join_the_non_empty_parts() {
        let error = IntacctError {
            errorno: "BL34000061".into(),
            description: "Could not create Customer record!".into(),
            description2: "Another Customer with the given value(s) C-1 already exists".into(),
            correction: "Use a unique value instead.".into(),
        };
        assert_eq!(
            error.message(),
            "Could not create Customer record!: Another Customer with the given value(s) C-1 \
             already exists (correction: Use a unique value instead.)"
        );
        assert_eq!(
            describe(&[error]),
            "[BL34000061] Could not create Customer record!: Another Customer with the given \
             value(s) C-1 already exists (correction: Use a unique value instead.)"
        );
    }

    #[test]
    fn a_page_that_is_not_intacct_xml_is_transient() {
        assert!(matches!(
            parse("<html><body>502 Bad Gateway</body></html>"),
            Err(PluginError::Transient(_))
        ));
        assert!(matches!(parse("oops <"), Err(PluginError::Transient(_))));
    }
}
