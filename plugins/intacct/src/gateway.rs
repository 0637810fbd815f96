//! Runs functions in one request under the API session, with `uniqueid=true`. When Intacct refuses
//! the session (at any level [`crate::sign_in`] knows: "Invalid session", an expired or restarted
//! session, a gateway 401), a new session is opened and the request sent once more; nothing ran
//! the first time, so the retry is safe. A second refusal is `Auth`. The results must answer the functions one by one, in order
//! (by controlid); an answer that does not is `Transient`, which `uniqueid` makes safe to retry.

use ml_connector_sdk::{PluginError, clock, log};

use crate::envelope::{self, Authentication, Control, Function};
use crate::response::{self, FunctionResult};
use crate::session::{self, Session};
use crate::settings::Settings;
use crate::sign_in::Refused;
use crate::transport;

/// One result per function, in order.
pub fn run(
    settings: &Settings,
    functions: &[&Function],
) -> Result<Vec<FunctionResult>, PluginError> {
    let session = session::current(settings)?;
    let refused = match send(settings, &session, functions)? {
        Ok(results) => return Ok(results),
        Err(refused) => refused,
    };
    let reason = response::describe(&refused.errors);
    log::info(
        "Intacct refused the session; signing in again",
        &[("reason", &reason)],
    );
    session::forget()?;
    let (session, _) = session::open(settings)?;
    send(settings, &session, functions)?.map_err(|refused| refused.to_error(settings))
}

/// One request; `Err(refused)` inside is a refused session.
fn send(
    settings: &Settings,
    session: &Session,
    functions: &[&Function],
) -> Result<Result<Vec<FunctionResult>, Refused>, PluginError> {
    let controlid = format!("mlc-{}", clock::now().timestamp_millis());
    let control = Control {
        controlid: &controlid,
        unique: true,
    };
    let document = envelope::request(
        settings,
        control,
        Authentication::Session(&session.id),
        functions,
    );
    let answer = match transport::exchange(&session.endpoint, document)? {
        Ok(answer) => answer,
        Err(refused) => return Ok(Err(refused)),
    };
    let in_order = answer.results.len() == functions.len()
        && answer
            .results
            .iter()
            .zip(functions)
            .all(|(result, function)| result.controlid == function.controlid.trim());
    match in_order {
        true => Ok(Ok(answer.results)),
        false => {
            let answered: Vec<&str> = answer
                .results
                .iter()
                .map(|r| r.controlid.as_str())
                .collect();
            Err(PluginError::transient(format!(
                "Intacct's results ({}) do not match the {} functions sent",
                answered.join(", "),
                functions.len()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;

    use super::*;
    use crate::response::Outcome;
    use crate::text::Xml;

    const CONTROL: &str = "<control><status>success</status></control>";

    fn settings() -> Settings {
        Settings {
            login_url: "http://gateway/login".into(),
            ..crate::settings::sample()
        }
    }

    fn signed_in(inner: &str) -> String {
        format!(
            "<response>{CONTROL}<operation><authentication><status>success</status>\
             </authentication>{inner}</operation></response>"
        )
    }

    fn session(n: usize) -> String {
        signed_in(&format!(
            "<result><status>success</status><function>getAPISession</function>\
             <controlid>getAPISession</controlid><data><api><sessionid>s{n}</sessionid>\
             <endpoint>http://gateway/session</endpoint></api></data></result>"
        ))
    }

    fn invalid_session() -> String {
        format!(
            "<response>{CONTROL}<operation><authentication><status>failure</status>\
             </authentication><errormessage><error><errorno>XL03000006</errorno>\
             <description2>Invalid session</description2></error></errormessage></operation>\
             </response>"
        )
    }

    /// Answers with `answers` in turn and records (url, body) of each request.
    fn serve(answers: Vec<String>) -> Rc<RefCell<Vec<(String, String)>>> {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        let mut answers = VecDeque::from(answers);
        testing::set_http_handler(move |request| {
            log.borrow_mut().push((
                request.url.clone(),
                String::from_utf8_lossy(&request.body).into_owned(),
            ));
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: answers.pop_front().expect("an answer left").into_bytes(),
            })
        });
        seen
    }

    fn function() -> Function {
        Function {
            controlid: "evt/0".into(),
            body: Xml::new().node("create_invoice", Xml::new()),
        }
    }

    #[test]
    fn a_refused_session_is_replaced_and_the_request_sent_once_more() {
        testing::reset();
        let done = signed_in(
            "<result><status>success</status><function>create_invoice</function>\
             <controlid>evt/0</controlid><key>7</key></result>",
        );
        let requests = serve(vec![session(1), invalid_session(), session(2), done]);
        let results = run(&settings(), &[&function()]).unwrap();
        assert!(
            matches!(&results[0].outcome, Outcome::Success { key: Some(key), .. } if key == "7")
        );
        let requests = requests.borrow();
        let urls: Vec<&str> = requests.iter().map(|(url, _)| url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "http://gateway/login",
                "http://gateway/session",
                "http://gateway/login",
                "http://gateway/session"
            ]
        );
        assert!(requests[1].1.contains("<sessionid>s1</sessionid>"));
        assert!(requests[3].1.contains("<sessionid>s2</sessionid>"));
        assert!(requests[3].1.contains("<uniqueid>true</uniqueid>"));
    }

    #[test]
    fn a_second_refusal_is_auth() {
        testing::reset();
        serve(vec![
            session(1),
            invalid_session(),
            session(2),
            invalid_session(),
        ]);
        assert!(matches!(
            run(&settings(), &[&function()]),
            Err(PluginError::Auth(_))
        ));
    }

    #[test]
    fn a_missing_result_is_transient() {
        testing::reset();
        serve(vec![session(1), signed_in("")]);
        assert!(matches!(
            run(&settings(), &[&function()]),
            Err(PluginError::Transient(_))
        ));
    }
}
