//! The API session: opened with the user's login and `getAPISession`, kept in storage (key
//! `session`) and reused by later calls, which go to the endpoint `getAPISession` returned. A
//! session older than 50 minutes on the host clock, or one that belongs to other credentials, is
//! replaced by a new one before use; [`forget`] drops one Intacct refused. A refused sign-in, at
//! whichever level, is `Auth` ([`crate::sign_in`]).

use ml_connector_sdk::chrono::{DateTime, TimeDelta, Utc};
use ml_connector_sdk::{PluginError, clock, log, storage};
use serde::{Deserialize, Serialize};

use crate::envelope::{self, Authentication, Control, Function};
use crate::response::{self, Outcome, SignedIn};
use crate::settings::Settings;
use crate::text::Xml;
use crate::transport;

/// The storage key of the current session.
const STORAGE_KEY: &str = "session";
/// How long a session is used before a new one is opened.
const LIFETIME_MINUTES: i64 = 50;

/// A session and where to send the requests that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Stored as `sessionid`, a name the host masks in what it records of a plugin's storage
    /// (sessions stored before as `id` still read).
    #[serde(rename = "sessionid", alias = "id")]
    pub id: String,
    pub endpoint: String,
    opened_at: DateTime<Utc>,
    /// [`Settings::identity`] of the credentials that opened it.
    identity: String,
}

/// The stored session if it is fresh and ours, else a new one.
pub fn current(settings: &Settings) -> Result<Session, PluginError> {
    let stored: Option<Session> = storage::get_json(STORAGE_KEY)?;
    let now = clock::now();
    match stored {
        Some(session)
            if session.identity == settings.identity()
                && now - session.opened_at < TimeDelta::minutes(LIFETIME_MINUTES)
                && now >= session.opened_at =>
        {
            Ok(session)
        }
        _ => open(settings).map(|(session, _)| session),
    }
}

/// Signs in with the login, opens a session with `getAPISession` and stores it. Also says who
/// Intacct signed in.
pub fn open(settings: &Settings) -> Result<(Session, SignedIn), PluginError> {
    let opened_at = clock::now();
    let function = Function {
        controlid: "getAPISession".into(),
        body: Xml::new().node("getAPISession", Xml::new()),
    };
    let controlid = format!("mlc-session-{}", opened_at.timestamp_millis());
    let control = Control {
        controlid: &controlid,
        unique: false,
    };
    let document = envelope::request(settings, control, Authentication::Login, &[&function]);
    let answer = transport::exchange(&settings.login_url, document)?
        .map_err(|refused| refused.to_error(settings))?;
    let api = match answer.results.first().map(|result| &result.outcome) {
        Some(Outcome::Success {
            data: Some(data), ..
        }) => data.find("api").cloned(),
        Some(Outcome::Failure(errors) | Outcome::Aborted(errors)) => {
            return Err(response::rejected(errors));
        }
        _ => None,
    };
    let sessionid = api.as_ref().and_then(|api| api.text_of("sessionid"));
    let Some(id) = sessionid else {
        return Err(PluginError::transient(
            "getAPISession answered without a sessionid",
        ));
    };
    let endpoint = api
        .as_ref()
        .and_then(|api| api.text_of("endpoint"))
        .unwrap_or(&settings.login_url);
    let session = Session {
        id: id.to_owned(),
        endpoint: endpoint.to_owned(),
        opened_at,
        identity: settings.identity(),
    };
    storage::set_json(STORAGE_KEY, &session)?;
    log::info(
        "opened an Intacct API session",
        &[
            ("endpoint", &session.endpoint),
            ("company", &answer.signed_in.company_id),
        ],
    );
    Ok((session, answer.signed_in))
}

/// Drops the stored session (Intacct said it is invalid).
pub fn forget() -> Result<(), PluginError> {
    storage::delete(STORAGE_KEY)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;

    use super::*;

    fn settings() -> Settings {
        crate::settings::sample()
    }

    fn session_answer(n: usize) -> String {
        format!(
            "<response><control><status>success</status></control><operation><authentication>\
             <status>success</status><userid>xml_gateway</userid><companyid>ml-demo</companyid>\
             </authentication><result><status>success</status><function>getAPISession</function>\
             <controlid>getAPISession</controlid><data><api><sessionid>s{n}..</sessionid>\
             <endpoint>http://gateway/ia/xml/session/xmlgw.phtml</endpoint><locationid/></api></data>\
             </result></operation></response>"
        )
    }

    /// Answers every request with a new session and counts the requests.
    fn serve_sessions() -> Rc<RefCell<Vec<String>>> {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        testing::set_http_handler(move |request| {
            log.borrow_mut().push(request.url.clone());
            let n = log.borrow().len();
            Ok(Response {
                status: 200,
                headers: Vec::new(),
                body: session_answer(n).into_bytes(),
            })
        });
        seen
    }

    #[test]
    fn a_session_is_reused_for_fifty_minutes_then_replaced() {
        testing::reset();
        let start: DateTime<Utc> = "2025-03-01T12:00:00Z".parse().unwrap();
        testing::set_now(start);
        let requests = serve_sessions();
        let first = current(&settings()).unwrap();
        assert_eq!(first.id, "s1..");
        assert_eq!(first.endpoint, "http://gateway/ia/xml/session/xmlgw.phtml");
        assert_eq!(requests.borrow()[0], "http://gateway/ia/xml/xmlgw.phtml");

        testing::set_now(start + TimeDelta::minutes(49));
        assert_eq!(current(&settings()).unwrap().id, "s1..");
        testing::set_now(start + TimeDelta::minutes(50));
        assert_eq!(current(&settings()).unwrap().id, "s2..");

        let other_user = Settings {
            user_id: "someone-else".into(),
            ..settings()
        };
        assert_eq!(current(&other_user).unwrap().id, "s3..");
        forget().unwrap();
        assert_eq!(current(&other_user).unwrap().id, "s4..");
        assert_eq!(requests.borrow().len(), 4);
    }
}
