//! The access token, kept in storage (key `token`) with its expiry and refresh token.
//!
//! The first call seeds it from the secrets `access_token` (expiry unknown) and `refresh_token`
//! (with only a refresh token, it refreshes at once). A token is renewed through [`crate::oauth`]
//! a minute before it expires on the host clock, and when Shopify refuses it (401). The answer is
//! stored before the new access token is used, so the rotated refresh token is never lost to a
//! crash; the old one no longer works. A refresh Shopify refuses because another call spent the
//! same refresh token first is settled by taking that call's stored token. A token without a
//! refresh token (non-expiring) that Shopify refuses is `Auth`: a person must reinstall the app.
//!
//! A stored token belongs to the shop, client id and seeding secrets it came from
//! ([`Settings::token_origin`]): new secrets (a reinstall) seed a new one.

use ml_connector_sdk::chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use ml_connector_sdk::{PluginError, clock, log, secrets, storage};
use serde::{Deserialize, Serialize};

use crate::oauth::{self, Refresh};
use crate::settings::Settings;

/// The storage key of the token.
const STORAGE_KEY: &str = "token";
/// A token is renewed this long before it expires.
const MARGIN_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub access_token: String,
    /// `None`: unknown (seeded from a secret) or never.
    expires_at: Option<DateTime<Utc>>,
    refresh_token: Option<String>,
    /// [`Settings::token_origin`] of the connection that seeded it.
    origin: String,
}

impl Token {
    fn fresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at
            .is_none_or(|expires| now + TimeDelta::seconds(MARGIN_SECONDS) < expires)
    }
}

/// The token to send now: the stored one while it is fresh, else a renewed or seeded one.
pub fn current(settings: &Settings) -> Result<Token, PluginError> {
    match stored(settings)? {
        Some(token) if token.fresh(clock::now()) => Ok(token),
        Some(token) => renew(settings, &token),
        None => seed(settings),
    }
}

/// The token to send after Shopify refused `refused`: one another call renewed meanwhile, else
/// the newest one renewed.
pub fn after_refusal(settings: &Settings, refused: &Token) -> Result<Token, PluginError> {
    match stored(settings)? {
        Some(token) if token.access_token != refused.access_token && token.fresh(clock::now()) => {
            Ok(token)
        }
        Some(token) => renew(settings, &token),
        None => renew(settings, refused),
    }
}

fn stored(settings: &Settings) -> Result<Option<Token>, PluginError> {
    let origin = settings.token_origin();
    Ok(storage::get_json::<Token>(STORAGE_KEY)?.filter(|token| token.origin == origin))
}

fn seed(settings: &Settings) -> Result<Token, PluginError> {
    let secret = |name: &str| secrets::get(name).filter(|value| !value.trim().is_empty());
    let token = Token {
        access_token: secret("access_token").unwrap_or_default(),
        expires_at: None,
        refresh_token: secret("refresh_token"),
        origin: settings.token_origin(),
    };
    match (token.access_token.is_empty(), &token.refresh_token) {
        (false, _) => {
            storage::set_json(STORAGE_KEY, &token)?;
            Ok(token)
        }
        (true, Some(_)) => renew(settings, &token),
        (true, None) => Err(PluginError::auth(
            "neither secret `access_token` nor `refresh_token` is configured",
        )),
    }
}

/// Refreshes `old` and stores the answer before returning it.
fn renew(settings: &Settings, old: &Token) -> Result<Token, PluginError> {
    let Some(refresh_token) = &old.refresh_token else {
        return Err(PluginError::auth(
            "Shopify refused the access token and there is no refresh token to renew it: \
             reinstall the app or configure new tokens",
        ));
    };
    let asked_at = clock::now();
    let issued = match oauth::refresh(settings, refresh_token)? {
        Refresh::Issued(issued) => issued,
        Refresh::Refused(reason) => {
            return match stored(settings)? {
                Some(token)
                    if token.refresh_token != old.refresh_token && token.fresh(clock::now()) =>
                {
                    Ok(token)
                }
                _ => Err(PluginError::auth(format!(
                    "Shopify refused the refresh token ({reason}): authorise the app again"
                ))),
            };
        }
    };
    let token = Token {
        access_token: issued.access_token,
        expires_at: issued
            .expires_in
            .map(|seconds| asked_at + TimeDelta::seconds(seconds)),
        refresh_token: issued.refresh_token.or_else(|| old.refresh_token.clone()),
        origin: old.origin.clone(),
    };
    storage::set_json(STORAGE_KEY, &token)?;
    let expires = token.expires_at.map_or_else(
        || "never".to_owned(),
        |at| at.to_rfc3339_opts(SecondsFormat::Secs, true),
    );
    log::info(
        "refreshed the Shopify access token",
        &[("expires_at", &expires)],
    );
    Ok(token)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;
    use serde_json::{Value, json};

    use super::*;

    fn start() -> Settings {
        testing::reset();
        testing::set_now("2025-11-03T15:00:00Z".parse().unwrap());
        testing::set_config([("base_url", "http://shop"), ("client_id", "app")]);
        testing::set_secrets([
            ("client_secret", "s"),
            ("access_token", "a1"),
            ("refresh_token", "r1"),
        ]);
        Settings::load().unwrap()
    }

    /// Issues `a{n}`/`r{n}` for the refresh token `r{n-1}`, else `invalid_grant`; records the
    /// refresh tokens sent.
    fn serve_refreshes() -> Rc<RefCell<Vec<String>>> {
        let sent = Rc::new(RefCell::new(Vec::new()));
        let log = sent.clone();
        let mut current = 1;
        testing::set_http_handler(move |request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let used = body["refresh_token"].as_str().unwrap().to_owned();
            log.borrow_mut().push(used.clone());
            let (status, answer) = if used == format!("r{current}") {
                current += 1;
                let issued = json!({"access_token": format!("a{current}"), "expires_in": 3600,
                    "refresh_token": format!("r{current}")});
                (200, issued)
            } else {
                (400, json!({"error": "invalid_grant"}))
            };
            Ok(Response {
                status,
                headers: Vec::new(),
                body: answer.to_string().into_bytes(),
            })
        });
        sent
    }

    fn stored_refresh_token() -> Option<String> {
        let stored: Token = serde_json::from_slice(&testing::storage()[STORAGE_KEY]).unwrap();
        stored.refresh_token
    }

    #[test]
    fn seeded_from_the_secrets_then_refreshed_when_refused_and_before_expiry() {
        let settings = start();
        let sent = serve_refreshes();
        let first = current(&settings).unwrap();
        assert_eq!(first.access_token, "a1");
        assert!(sent.borrow().is_empty());

        let second = after_refusal(&settings, &first).unwrap();
        assert_eq!(second.access_token, "a2");
        assert_eq!(stored_refresh_token().as_deref(), Some("r2"));
        assert_eq!(current(&settings).unwrap(), second);

        testing::set_now("2025-11-03T15:59:30Z".parse().unwrap());
        let third = current(&settings).unwrap();
        assert_eq!(third.access_token, "a3");
        assert_eq!(stored_refresh_token().as_deref(), Some("r3"));
        assert_eq!(*sent.borrow(), ["r1", "r2"]);
    }

    #[test]
    fn a_token_another_call_renewed_is_used_and_a_spent_refresh_token_is_auth() {
        let settings = start();
        serve_refreshes();
        let first = current(&settings).unwrap();
        let renewed = after_refusal(&settings, &first).unwrap();
        assert_eq!(after_refusal(&settings, &first).unwrap(), renewed);

        let stale = Token {
            access_token: "a0".into(),
            ..first
        };
        storage::delete(STORAGE_KEY).unwrap();
        assert!(matches!(
            after_refusal(&settings, &stale),
            Err(PluginError::Auth(_))
        ));
    }

    #[test]
    fn new_secrets_seed_a_new_token_and_none_is_auth() {
        let settings = start();
        serve_refreshes();
        let first = current(&settings).unwrap();
        after_refusal(&settings, &first).unwrap();
        testing::set_secrets([("access_token", "fresh-install")]);
        let reseeded = current(&settings).unwrap();
        assert_eq!(reseeded.access_token, "fresh-install");
        assert!(matches!(
            after_refusal(&settings, &reseeded),
            Err(PluginError::Auth(_))
        ));
        testing::set_secrets::<&str, &str>([]);
        assert!(matches!(current(&settings), Err(PluginError::Auth(_))));
    }
}
