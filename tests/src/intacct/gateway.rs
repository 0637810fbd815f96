//! The XML gateway itself: throttling, control checks (sender), authentication (login or session;
//! a refused login answered in the authentication block, or by the gateway in front with HTTP 401
//! and `XMLGW_JPP0002` when a test asks for it),
//! `getAPISession`, and running an operation's functions with uniqueid duplicate guarding and
//! all-or-nothing transactions. Holds every company's books behind one lock, so one request runs at
//! a time, as on Intacct's standard service level.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use axum::http::StatusCode;
use chrono::{DateTime, Utc};

use super::books::Books;
use super::config::{CompanyConfig, IntacctConfig, SalesOrder, SenderCredentials};
use super::error::{AUTHENTICATION_FAILED, FnResult, IntacctError};
use super::functions::{self, Outcome};
use super::ledger::Ledger;
use super::session::SessionStore;
use super::xml_request::{Authentication, Call, FunctionCall, Request, parse_request};
use super::xml_response::{self, AuthenticationEcho, FunctionResult, Status};
use super::xml_tree::Element;
use crate::clock::SimClock;

pub struct Gateway {
    senders: Vec<SenderCredentials>,
    duplicate_controlid_errno: String,
    clock: SimClock,
    state: Mutex<State>,
    requests: AtomicUsize,
    session_endpoint_requests: AtomicUsize,
    throttled: AtomicU32,
    refuse_logins_at_gateway: AtomicBool,
}

struct State {
    companies: BTreeMap<String, Books>,
    sessions: SessionStore,
    support_ids: u64,
}

/// Who a request runs as.
struct SignedIn {
    sender_id: String,
    user_id: String,
    company_id: String,
    location_id: Option<String>,
    /// The session the request used, if it used one.
    session_id: Option<String>,
    expires_at: DateTime<Utc>,
}

impl Gateway {
    pub fn new(config: IntacctConfig) -> Self {
        let companies = config
            .companies
            .into_iter()
            .map(|company| (company.company_id.clone(), Books::new(company)))
            .collect();
        Self {
            senders: config.senders,
            duplicate_controlid_errno: config.duplicate_controlid_errno,
            clock: config.clock,
            state: Mutex::new(State {
                companies,
                sessions: SessionStore::new(config.session_timeout),
                support_ids: 0,
            }),
            requests: AtomicUsize::new(0),
            session_endpoint_requests: AtomicUsize::new(0),
            throttled: AtomicU32::new(0),
            refuse_logins_at_gateway: AtomicBool::new(false),
        }
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn session_endpoint_request_count(&self) -> usize {
        self.session_endpoint_requests.load(Ordering::SeqCst)
    }

    pub fn throttle_next(&self, count: u32) {
        self.throttled.store(count, Ordering::SeqCst);
    }

    pub fn refuse_logins_at_gateway(&self, on: bool) {
        self.refuse_logins_at_gateway.store(on, Ordering::SeqCst);
    }

    pub fn ledger(&self, company_id: &str) -> Option<Ledger> {
        self.lock().companies.get(company_id).map(Books::ledger)
    }

    pub fn invoice_numbers(&self, company_id: &str, from: usize) -> Option<Vec<Option<String>>> {
        self.lock().companies.get(company_id).map(|books| {
            books
                .invoices
                .iter()
                .skip(from)
                .map(|invoice| invoice.document.number.clone())
                .collect()
        })
    }

    pub fn add_sales_order(&self, company_id: &str, order: SalesOrder) -> Option<String> {
        self.lock()
            .companies
            .get_mut(company_id)
            .map(|books| books.add_sales_order(order))
    }

    /// Changes company `company_id`'s config with `edit`; none when there is no such company.
    pub fn edit_company<T>(
        &self,
        company_id: &str,
        edit: impl FnOnce(&mut CompanyConfig) -> T,
    ) -> Option<T> {
        self.lock()
            .companies
            .get_mut(company_id)
            .map(|books| edit(&mut books.config))
    }

    /// Changes company `company_id`'s books with `edit`, as a person would in Intacct's screens:
    /// kept at once, or undone when it fails. None when there is no such company.
    pub fn edit_books<T>(
        &self,
        company_id: &str,
        edit: impl FnOnce(&mut Books) -> FnResult<T>,
    ) -> Option<FnResult<T>> {
        let mut state = self.lock();
        let books = state.companies.get_mut(company_id)?;
        let savepoint = books.savepoint();
        let result = edit(books);
        if result.is_err() {
            books.roll_back(savepoint);
        }
        books.commit();
        Some(result)
    }

    /// The company a request body is addressed to: the one it logs in to, or its session's; none
    /// when the body cannot be read or names an unknown session.
    pub fn company_of(&self, body: &[u8]) -> Option<String> {
        match parse_request(body).ok()?.authentication {
            Authentication::Login { company_id, .. } => Some(company_id),
            Authentication::Session(session_id) => self
                .lock()
                .sessions
                .company_of(&session_id)
                .map(str::to_owned),
        }
    }

    pub fn expire_sessions(&self) {
        self.lock().sessions.clear();
    }

    /// Answers one POSTed body. `session_endpoint` is the URL `getAPISession` hands out.
    pub fn handle(
        &self,
        body: &[u8],
        session_endpoint: &str,
        at_session_endpoint: bool,
    ) -> (StatusCode, String) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if at_session_endpoint {
            self.session_endpoint_requests
                .fetch_add(1, Ordering::SeqCst);
        }
        let throttled = self
            .throttled
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            });
        if throttled.is_ok() {
            return (StatusCode::TOO_MANY_REQUESTS, xml_response::rate_limited());
        }
        self.answer(body, session_endpoint)
    }

    fn answer(&self, body: &[u8], session_endpoint: &str) -> (StatusCode, String) {
        let request = match parse_request(body) {
            Ok(request) => request,
            Err(refused) => {
                let document =
                    xml_response::control_failure(refused.control.as_ref(), &refused.error);
                return (StatusCode::OK, document);
            }
        };
        let control = &request.control;
        if !self.senders.iter().any(|sender| {
            sender.sender_id == control.sender_id && sender.password == control.password
        }) {
            let error = IntacctError::new(
                AUTHENTICATION_FAILED,
                "",
                "Incorrect Intacct XML Partner ID or password.",
                "",
            );
            return (
                StatusCode::OK,
                xml_response::control_failure(Some(control), &error),
            );
        }
        let now = self.clock.now();
        let mut state = self.lock();
        let signed_in = match state.sign_in(&request, now) {
            Ok(signed_in) => signed_in,
            Err(refused) => {
                let login = matches!(request.authentication, Authentication::Login { .. });
                if login && self.refuse_logins_at_gateway.load(Ordering::SeqCst) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        xml_response::gateway_sign_in_refused(),
                    );
                }
                let (echo, error) = *refused;
                return (
                    StatusCode::OK,
                    xml_response::authentication_failure(control, &echo, &error),
                );
            }
        };
        let results = state.run(
            &request,
            &signed_in,
            now,
            session_endpoint,
            &self.duplicate_controlid_errno,
        );
        let echo = AuthenticationEcho {
            user_id: signed_in.user_id,
            company_id: signed_in.company_id,
            location_id: signed_in.location_id,
            session_times: Some((now, signed_in.expires_at)),
        };
        (
            StatusCode::OK,
            xml_response::operation(control, &echo, results),
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("intacct state lock")
    }
}

impl State {
    fn sign_in(
        &mut self,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, Box<(AuthenticationEcho, IntacctError)>> {
        let sender_id = request.control.sender_id.clone();
        match &request.authentication {
            Authentication::Session(session_id) => {
                let session = self
                    .sessions
                    .touch(session_id, &sender_id, now)
                    .ok_or_else(|| {
                        let error = IntacctError::new(
                            AUTHENTICATION_FAILED,
                            "",
                            "Invalid session: the session ID is unknown or expired.",
                            "Sign in again to get a new session.",
                        );
                        Box::new((AuthenticationEcho::default(), error))
                    })?;
                Ok(SignedIn {
                    sender_id,
                    user_id: session.user_id,
                    company_id: session.company_id,
                    location_id: session.location_id,
                    session_id: Some(session.id),
                    expires_at: session.expires_at,
                })
            }
            Authentication::Login {
                user_id,
                company_id,
                password,
                location_id,
            } => {
                let echo = AuthenticationEcho {
                    user_id: user_id.clone(),
                    company_id: company_id.clone(),
                    location_id: location_id.clone(),
                    session_times: None,
                };
                let Some(books) = self.companies.get(company_id) else {
                    return Err(Box::new((echo, sign_in_refused())));
                };
                let user_ok = books
                    .config
                    .users
                    .iter()
                    .any(|user| &user.user_id == user_id && &user.password == password);
                let location_ok = location_id
                    .as_ref()
                    .is_none_or(|location| books.config.locations.contains(location));
                if !user_ok || !location_ok {
                    return Err(Box::new((echo, sign_in_refused())));
                }
                Ok(SignedIn {
                    sender_id,
                    user_id: user_id.clone(),
                    company_id: company_id.clone(),
                    location_id: location_id.clone(),
                    session_id: None,
                    expires_at: now + self.sessions.timeout(),
                })
            }
        }
    }

    /// Runs the functions; with `transaction`, all of them or none.
    fn run(
        &mut self,
        request: &Request,
        signed_in: &SignedIn,
        now: DateTime<Utc>,
        session_endpoint: &str,
        duplicate_errno: &str,
    ) -> Vec<FunctionResult> {
        let Some(mut books) = self.companies.remove(&signed_in.company_id) else {
            return Vec::new();
        };
        let start = books.savepoint();
        let mut statuses = Vec::new();
        for call in &request.functions {
            let status = match call.call {
                Call::GetApiSession => {
                    self.api_session(&books, signed_in, call, now, session_endpoint)
                }
                Call::Books(kind) => run_books_function(
                    &mut books,
                    kind,
                    call,
                    request.control.unique(),
                    duplicate_errno,
                ),
            };
            let failed = matches!(status, Status::Failure(_));
            statuses.push(status);
            if failed && request.transaction {
                break;
            }
        }
        let rolled_back = request.transaction
            && statuses
                .iter()
                .any(|status| matches!(status, Status::Failure(_)));
        if rolled_back {
            books.roll_back(start);
        }
        books.commit();
        self.companies.insert(signed_in.company_id.clone(), books);
        let mut statuses = statuses.into_iter();
        request
            .functions
            .iter()
            .map(|call| {
                let status = match statuses.next() {
                    Some(Status::Failure(error)) => Status::Failure(self.with_support_id(error)),
                    Some(_) if rolled_back => Status::Aborted,
                    Some(status) => status,
                    None => Status::Aborted,
                };
                FunctionResult {
                    function: call.element.name.clone(),
                    controlid: call.controlid.clone(),
                    status,
                }
            })
            .collect()
    }

    /// `getAPISession`: a new session under login, the current one under a session.
    fn api_session(
        &mut self,
        books: &Books,
        signed_in: &SignedIn,
        call: &FunctionCall,
        now: DateTime<Utc>,
        session_endpoint: &str,
    ) -> Status {
        let location_id = call
            .element
            .text_of("locationid")
            .map(str::to_owned)
            .or_else(|| signed_in.location_id.clone());
        if let Some(location) = location_id
            .as_ref()
            .filter(|location| !books.config.locations.contains(location))
        {
            return Status::Failure(IntacctError::business(format!(
                "Invalid location {location}: no such location."
            )));
        }
        let (session_id, location_id) = match &signed_in.session_id {
            Some(session_id) => (session_id.clone(), signed_in.location_id.clone()),
            None => {
                let session = self.sessions.open(
                    &signed_in.sender_id,
                    &signed_in.company_id,
                    &signed_in.user_id,
                    location_id,
                    now,
                );
                (session.id, session.location_id)
            }
        };
        let api = Element::new("api")
            .with_leaf("sessionid", session_id)
            .with_leaf("endpoint", session_endpoint)
            .with_leaf("locationid", location_id.unwrap_or_default());
        Status::Success(Outcome::Data(Element::new("data").child(api)))
    }

    /// Business failures carry a URL-encoded support reference, as Intacct's do.
    fn with_support_id(&mut self, error: IntacctError) -> IntacctError {
        if !error.errorno.starts_with("BL") {
            return error;
        }
        self.support_ids += 1;
        error.with_support_id(&format!(
            "SIM{:08X}%7E{:08X}",
            self.support_ids,
            self.support_ids * 7919
        ))
    }
}

/// Runs one function on `books`, undone unless it succeeded.
fn run_books_function(
    books: &mut Books,
    kind: functions::Kind,
    call: &FunctionCall,
    unique: bool,
    duplicate_errno: &str,
) -> Status {
    if unique && books.controlid_completed(&call.controlid) {
        return Status::Failure(IntacctError::new(
            duplicate_errno,
            "",
            format!(
                "The function with controlid {} was already executed and has not been run again.",
                call.controlid
            ),
            "Send a new controlid to run the function again.",
        ));
    }
    let savepoint = books.savepoint();
    match functions::run(kind, books, &call.element, &call.controlid) {
        Ok(outcome) => {
            books.complete_controlid(&call.controlid);
            Status::Success(outcome)
        }
        Err(error) => {
            books.roll_back(savepoint);
            Status::Failure(error)
        }
    }
}

fn sign_in_refused() -> IntacctError {
    IntacctError::new(
        AUTHENTICATION_FAILED,
        "",
        "Sign-in information is incorrect",
        "",
    )
}
