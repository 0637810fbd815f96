//! The connection's settings and secrets.
//!
//! | name | where | what |
//! | --- | --- | --- |
//! | `base_url` | setting, optional | the V1 API's origin (default `https://ssapi.shipstation.com`) |
//! | `api_key`, `api_secret` | secrets | the V1 key pair (Basic auth) |
//! | `webhook_token` | secret | the token in the webhook URL (`/webhooks/<connection>/<token>`), see [`crate::webhook`] |
//! | `v2_api_key` | secret, optional | a V2 key: label costs come from V2 labels (the `labels` module) |
//! | `v2_base_url` | setting, optional | the V2 API (default `https://api.shipstation.com/v2`) |
//! | `currency` | setting, optional | the account's currency for V1 costs, which name none (default `USD`) |
//! | `poll_overlap_minutes` | setting, optional | how far each poll window reaches back before the last one's end (default 60) |
//! | `poll_lookback_hours` | setting, optional | how far back the first poll looks (default 24) |
//!
//! The connection's allowlist needs the origins of `base_url` and, with a V2 key, `v2_base_url`:
//! resources named by webhooks are always fetched from `base_url` ([`crate::pointer`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ml_connector_sdk::chrono::TimeDelta;
use ml_connector_sdk::{PluginError, config, secrets};

pub const DEFAULT_BASE_URL: &str = "https://ssapi.shipstation.com";
pub const DEFAULT_V2_BASE_URL: &str = "https://api.shipstation.com/v2";
const DEFAULT_CURRENCY: &str = "USD";
const DEFAULT_OVERLAP_MINUTES: i64 = 60;
const DEFAULT_LOOKBACK_HOURS: i64 = 24;

/// The V1 API's base, without a trailing slash (no secrets: `verify` needs only this).
pub fn base_url() -> String {
    text_setting("base_url")
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// What a call that talks to ShipStation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub base_url: String,
    /// `Basic base64(key:secret)`.
    pub authorization: String,
    pub v2: Option<V2>,
    pub currency: String,
}

/// The V2 API, when a V2 key is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2 {
    pub base_url: String,
    pub api_key: String,
}

impl Settings {
    /// Reads the settings and the V1 secrets (a missing one is `Auth`).
    pub fn load() -> Result<Self, PluginError> {
        let key = secrets::require("api_key")?;
        let secret = secrets::require("api_secret")?;
        let v2 = secrets::get("v2_api_key")
            .filter(|key| !key.trim().is_empty())
            .map(|api_key| V2 {
                base_url: text_setting("v2_base_url")
                    .unwrap_or_else(|| DEFAULT_V2_BASE_URL.to_owned())
                    .trim_end_matches('/')
                    .to_owned(),
                api_key,
            });
        Ok(Self {
            base_url: base_url(),
            authorization: format!("Basic {}", B64.encode(format!("{key}:{secret}"))),
            v2,
            currency: text_setting("currency")
                .map(|code| code.to_ascii_uppercase())
                .unwrap_or_else(|| DEFAULT_CURRENCY.to_owned()),
        })
    }
}

/// How far each poll window reaches back before the previous window's end.
pub fn poll_overlap() -> Result<TimeDelta, PluginError> {
    Ok(TimeDelta::minutes(number_setting(
        "poll_overlap_minutes",
        DEFAULT_OVERLAP_MINUTES,
    )?))
}

/// How far back the first poll looks.
pub fn poll_lookback() -> Result<TimeDelta, PluginError> {
    Ok(TimeDelta::hours(number_setting(
        "poll_lookback_hours",
        DEFAULT_LOOKBACK_HOURS,
    )?))
}

fn text_setting(key: &str) -> Option<String> {
    config::get(key)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn number_setting(key: &str, default: i64) -> Result<i64, PluginError> {
    match text_setting(key) {
        None => Ok(default),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|number| (0..=10_000).contains(number))
            .ok_or_else(|| {
                PluginError::rejected(format!(
                    "setting `{key}` must be a whole number from 0 to 10000, not `{text}`"
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn defaults_and_basic_auth() {
        testing::reset();
        assert!(matches!(Settings::load(), Err(PluginError::Auth(_))));
        testing::set_secrets([("api_key", "ss-v1-key"), ("api_secret", "ss-v1-secret")]);
        let settings = Settings::load().unwrap();
        assert_eq!(settings.base_url, "https://ssapi.shipstation.com");
        assert_eq!(
            settings.authorization,
            "Basic c3MtdjEta2V5OnNzLXYxLXNlY3JldA=="
        );
        assert_eq!(settings.v2, None);
        assert_eq!(settings.currency, "USD");
        assert_eq!(poll_overlap().unwrap(), TimeDelta::minutes(60));
        assert_eq!(poll_lookback().unwrap(), TimeDelta::hours(24));
    }

    #[test]
    fn configured_values() {
        testing::reset();
        testing::set_secrets([
            ("api_key", "k"),
            ("api_secret", "s"),
            ("v2_api_key", "ss-v2-key"),
        ]);
        testing::set_config([
            ("base_url", "http://127.0.0.1:9/"),
            ("v2_base_url", "http://127.0.0.1:9/v2/"),
            ("currency", "cad"),
            ("poll_overlap_minutes", "15"),
        ]);
        let settings = Settings::load().unwrap();
        assert_eq!(settings.base_url, "http://127.0.0.1:9");
        assert_eq!(
            settings.v2,
            Some(V2 {
                base_url: "http://127.0.0.1:9/v2".into(),
                api_key: "ss-v2-key".into()
            })
        );
        assert_eq!(settings.currency, "CAD");
        assert_eq!(poll_overlap().unwrap(), TimeDelta::minutes(15));
        testing::set_config([("poll_overlap_minutes", "-5")]);
        assert!(matches!(poll_overlap(), Err(PluginError::Rejected { .. })));
    }
}
