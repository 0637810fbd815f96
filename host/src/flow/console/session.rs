//! Who may use the console, and proof that a POST came from its own pages.
//!
//! A login presents the admin token and a name (which the audit trail records); it starts a
//! session kept in memory (a restart signs everyone out) and sets its id in an HttpOnly,
//! SameSite=Strict cookie scoped to the console's path. Each session has a CSRF token that every
//! form posts back. A POST whose `Origin` names another site is refused before anything reads it,
//! and a login must carry its `Origin` (browsers send it with every form POST).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::{Form, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::{Base, Failure, render};
use crate::connection::Secret;

const SESSION_COOKIE: &str = "mlc_session";
/// How long a session lasts from its login.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The most sessions kept; the oldest goes first.
const MAX_SESSIONS: usize = 1000;
/// A refused login answers no sooner than this, so guessing the token is slow.
const REFUSAL_DELAY: Duration = Duration::from_millis(400);
/// The longest name a login may give.
const MAX_NAME_CHARS: usize = 60;

/// The signed-in sessions and the token a login must present.
pub(super) struct Sessions {
    token: Secret,
    open: Mutex<HashMap<String, Session>>,
}

struct Session {
    who: String,
    csrf: String,
    started: Instant,
}

/// The person behind a request, and what every page needs to link and post back.
#[derive(Debug, Clone)]
pub(super) struct Operator {
    /// The name given at login.
    pub who: String,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    /// Where the console's routes are mounted (empty at the root).
    pub base: String,
}

impl Operator {
    /// `Ok` when `presented` is this session's CSRF token.
    pub fn check(&self, presented: &str) -> Result<(), Failure> {
        match Secret::new(self.csrf.clone()).matches(presented) {
            true => Ok(()),
            false => Err(self.fail(
                StatusCode::FORBIDDEN,
                "this form is stale or did not come from the console (CSRF check); reload the \
                 page and try again; nothing was changed",
            )),
        }
    }

    /// An error page for this operator.
    pub fn fail(&self, status: StatusCode, message: impl Into<String>) -> Failure {
        Failure::new(&self.base, status, message)
    }

    /// The audit trail's name for this operator.
    pub fn actor(&self) -> String {
        format!("{} (console)", self.who)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Operator>().cloned().ok_or_else(|| {
            Failure::new("", StatusCode::UNAUTHORIZED, "sign in to the console first")
        })
    }
}

impl Sessions {
    pub fn new(token: Secret) -> Self {
        Self {
            token,
            open: Mutex::new(HashMap::new()),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn start(&self, who: String) -> String {
        let id = random_token();
        let mut open = self.sessions();
        open.retain(|_, session| session.started.elapsed() < SESSION_LIFETIME);
        if open.len() >= MAX_SESSIONS
            && let Some(oldest) = open
                .iter()
                .min_by_key(|(_, session)| session.started)
                .map(|(id, _)| id.clone())
        {
            open.remove(&oldest);
        }
        open.insert(
            id.clone(),
            Session {
                who,
                csrf: random_token(),
                started: Instant::now(),
            },
        );
        id
    }

    fn find(&self, id: &str, base: &str) -> Option<Operator> {
        let open = self.sessions();
        let session = open.get(id)?;
        (session.started.elapsed() < SESSION_LIFETIME).then(|| Operator {
            who: session.who.clone(),
            csrf: session.csrf.clone(),
            base: base.to_owned(),
        })
    }

    fn end(&self, id: &str) {
        self.sessions().remove(id);
    }
}

/// A fresh random token (see [`Secret::generate`]).
fn random_token() -> String {
    Secret::generate().expose().to_owned()
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn set_cookie(name: &str, value: &str, path: &str, lifetime: Duration) -> HeaderValue {
    let cookie = format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={}",
        lifetime.as_secs()
    );
    HeaderValue::from_str(&cookie).expect("cookie values are hex and paths are URL paths")
}

/// Lets signed-in requests through with their [`Operator`]; sends the others to the login page
/// (a GET) or refuses them (anything else).
pub(super) async fn require(
    Extension(sessions): Extension<Arc<Sessions>>,
    Base(base): Base,
    mut request: Request,
    next: Next,
) -> Response {
    let operator =
        cookie(request.headers(), SESSION_COOKIE).and_then(|id| sessions.find(id, &base));
    match operator {
        Some(operator) => {
            request.extensions_mut().insert(operator);
            next.run(request).await
        }
        None if request.method() == Method::GET => {
            Redirect::to(&format!("{base}/ui/login")).into_response()
        }
        None => Failure::new(
            &base,
            StatusCode::UNAUTHORIZED,
            "your session has ended: sign in again; nothing was changed",
        )
        .into_response(),
    }
}

/// Refuses a POST whose `Origin` is not this host (a cross-site form), before it is read.
pub(super) async fn same_origin_posts(Base(base): Base, request: Request, next: Next) -> Response {
    if request.method() == Method::POST {
        let origin_host = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|origin| origin.to_str().ok())
            .map(|origin| origin.split_once("://").map_or(origin, |(_, host)| host));
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|host| host.to_str().ok());
        if let Some(origin_host) = origin_host
            && Some(origin_host) != host
        {
            return Failure::new(
                &base,
                StatusCode::FORBIDDEN,
                "this form was posted from another site; nothing was changed",
            )
            .into_response();
        }
    }
    next.run(request).await
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    base: String,
    name: String,
    problem: Option<String>,
}

/// The login form.
pub(super) async fn login_form(Base(base): Base) -> Response {
    login_page(base, String::new(), None, StatusCode::OK)
}

fn login_page(base: String, name: String, problem: Option<String>, status: StatusCode) -> Response {
    let page = LoginPage {
        base,
        name,
        problem,
    };
    (status, render(&page)).into_response()
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    name: String,
    token: String,
}

/// Starts a session when the token is right and the name usable.
pub(super) async fn login(
    Extension(sessions): Extension<Arc<Sessions>>,
    Base(base): Base,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let name = form.name.trim().to_owned();
    // `same_origin_posts` refused an `Origin` of another site; a login must name its origin.
    if !headers.contains_key(header::ORIGIN) {
        return login_page(
            base,
            name,
            Some(
                "a login must come from the console's own form (its browser sends `Origin`)".into(),
            ),
            StatusCode::FORBIDDEN,
        );
    }
    if !sessions.token.matches(&form.token) {
        tracing::warn!(who = %name, "console: a login gave a wrong admin token");
        tokio::time::sleep(REFUSAL_DELAY).await;
        return login_page(
            base,
            name,
            Some("that is not the admin token (`[admin] token` in mlc.toml)".into()),
            StatusCode::UNAUTHORIZED,
        );
    }
    let name_chars = name.chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return login_page(
            base,
            name,
            Some(format!(
                "give your name, 1 to {MAX_NAME_CHARS} characters: the audit trail records it \
                 with what you do"
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    tracing::info!(who = %name, "console: signed in");
    let id = sessions.start(name);
    let cookie = set_cookie(SESSION_COOKIE, &id, &format!("{base}/ui"), SESSION_LIFETIME);
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&format!("{base}/ui")),
    )
        .into_response()
}

/// A form that posts nothing but its CSRF token (a button).
#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    pub csrf: String,
}

/// Ends the session.
pub(super) async fn logout(
    Extension(sessions): Extension<Arc<Sessions>>,
    operator: Operator,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Failure> {
    operator.check(&form.csrf)?;
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        sessions.end(id);
    }
    let expired = set_cookie(
        SESSION_COOKIE,
        "",
        &format!("{}/ui", operator.base),
        Duration::ZERO,
    );
    Ok((
        [(header::SET_COOKIE, expired)],
        Redirect::to(&format!("{}/ui/login", operator.base)),
    )
        .into_response())
}
