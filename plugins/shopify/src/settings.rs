//! The connection's settings and secrets for the Admin API (webhook secrets: see [`crate::webhook`]).
//!
//! | name | where | what |
//! | --- | --- | --- |
//! | `base_url` | setting | the shop's origin, `https://{shop}.myshopify.com` |
//! | `api_version` | setting, optional | the Admin API version (default `2025-10`) |
//! | `client_id` | setting | the app's client id (needed to refresh the access token) |
//! | `client_secret` | secret | the app's client secret (refreshes the token; signs webhooks) |
//! | `access_token` | secret, optional | the offline access token the app was installed with |
//! | `refresh_token` | secret, optional | its refresh token (expiring offline tokens) |
//!
//! One of `access_token` and `refresh_token` is needed. They only seed the token kept in storage
//! (the `token` module); after a refresh the stored pair is newer than the secrets.

use ml_connector_sdk::{PluginError, config, secrets};
use sha2::{Digest, Sha256};

/// The Admin API version used without an `api_version` setting.
const DEFAULT_API_VERSION: &str = "2025-10";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The shop's origin, without a trailing slash.
    pub base_url: String,
    pub api_version: String,
}

impl Settings {
    /// Reads the settings; a missing `base_url` is `Rejected`.
    pub fn load() -> Result<Self, PluginError> {
        let api_version = config::get("api_version")
            .map(|version| version.trim().to_owned())
            .filter(|version| !version.is_empty())
            .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned());
        Ok(Self {
            base_url: config::require("base_url")?
                .trim()
                .trim_end_matches('/')
                .to_owned(),
            api_version,
        })
    }

    /// The GraphQL Admin endpoint.
    pub fn graphql_url(&self) -> String {
        format!(
            "{}/admin/api/{}/graphql.json",
            self.base_url, self.api_version
        )
    }

    /// Where tokens are refreshed.
    pub fn token_url(&self) -> String {
        format!("{}/admin/oauth/access_token", self.base_url)
    }

    /// A fingerprint of the shop, the app and the seeding tokens: a stored token is used only
    /// while these are unchanged (new secrets mean a new installation).
    pub fn token_origin(&self) -> String {
        let mut digest = Sha256::new();
        for part in [
            Some(self.base_url.clone()),
            config::get("client_id"),
            secrets::get("access_token"),
            secrets::get("refresh_token"),
        ] {
            digest.update(part.unwrap_or_default().as_bytes());
            digest.update([0]);
        }
        digest
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn reads_the_shop_and_the_version() {
        testing::reset();
        assert!(matches!(
            Settings::load(),
            Err(PluginError::Rejected { .. })
        ));
        testing::set_config([("base_url", "http://127.0.0.1:9/")]);
        let settings = Settings::load().unwrap();
        assert_eq!(
            settings.graphql_url(),
            "http://127.0.0.1:9/admin/api/2025-10/graphql.json"
        );
        assert_eq!(
            settings.token_url(),
            "http://127.0.0.1:9/admin/oauth/access_token"
        );
        let before = settings.token_origin();
        testing::set_secrets([("refresh_token", "shprt_new")]);
        assert_ne!(settings.token_origin(), before);
    }
}
