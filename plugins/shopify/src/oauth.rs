//! One token refresh: `POST {shop}/admin/oauth/access_token` with the app's client id and secret
//! and `grant_type=refresh_token`. Shopify answers a new access token, its lifetime and a new
//! refresh token (the old one stops working).
//!
//! | answer | result |
//! | --- | --- |
//! | 200 | [`Refresh::Issued`] |
//! | 400 `invalid_grant` | [`Refresh::Refused`]: the refresh token is spent or expired |
//! | 401 `invalid_client` | `Auth`: the client id or secret is wrong |
//! | others | as the SDK's checked helper types them (5xx `Transient`, 429 `RateLimited`, …) |

use ml_connector_sdk::http::{self, Request};
use ml_connector_sdk::{PluginError, config, secrets};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::settings::Settings;

/// What Shopify issued.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Issued {
    pub access_token: String,
    /// Seconds; `None` for a non-expiring token.
    pub expires_in: Option<i64>,
    /// The refresh token that replaces the one used.
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    Issued(Issued),
    /// Shopify's error text.
    Refused(String),
}

/// Trades `refresh_token` for new tokens.
pub fn refresh(settings: &Settings, refresh_token: &str) -> Result<Refresh, PluginError> {
    let client_id = config::get("client_id")
        .ok_or_else(|| PluginError::auth("setting `client_id` is needed to refresh the token"))?;
    let client_secret = secrets::require("client_secret")?;
    let request = Request::post(settings.token_url())
        .header("accept", "application/json")
        .json(&json!({
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
            "grant_type": "refresh_token",
        }))?;
    let response = http::send(&request)?;
    let error = || {
        response
            .json::<Value>()
            .ok()
            .and_then(|body| body.get("error").and_then(Value::as_str).map(String::from))
            .unwrap_or_default()
    };
    match response.status {
        400 if error() == "invalid_grant" => Ok(Refresh::Refused(error())),
        401 => Err(PluginError::auth(format!(
            "Shopify refused the app's client id or secret ({})",
            error()
        ))),
        _ => Ok(Refresh::Issued(response.error_for_status()?.json()?)),
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::http::Response;
    use ml_connector_sdk::testing;

    use super::*;

    fn settings() -> Settings {
        Settings {
            base_url: "http://shop".into(),
            api_version: "2025-10".into(),
        }
    }

    fn answer(status: u16, body: Value) {
        testing::set_http_handler(move |request| {
            assert_eq!(request.url, "http://shop/admin/oauth/access_token");
            let sent: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(sent["grant_type"], "refresh_token");
            assert_eq!(sent["client_id"], "app");
            Ok(Response {
                status,
                headers: Vec::new(),
                body: body.to_string().into_bytes(),
            })
        });
    }

    #[test]
    fn issued_refused_and_bad_client() {
        testing::reset();
        testing::set_config([("client_id", "app")]);
        testing::set_secrets([("client_secret", "s")]);
        answer(
            200,
            json!({"access_token": "a2", "expires_in": 3600, "refresh_token": "r2", "scope": "read_orders"}),
        );
        assert_eq!(
            refresh(&settings(), "r1").unwrap(),
            Refresh::Issued(Issued {
                access_token: "a2".into(),
                expires_in: Some(3600),
                refresh_token: Some("r2".into()),
            })
        );
        answer(400, json!({"error": "invalid_grant"}));
        assert_eq!(
            refresh(&settings(), "r1").unwrap(),
            Refresh::Refused("invalid_grant".into())
        );
        answer(401, json!({"error": "invalid_client"}));
        assert!(matches!(
            refresh(&settings(), "r1"),
            Err(PluginError::Auth(_))
        ));
    }
}
