//! A connection: one account in one external system, as a connector sees it. Its settings, its
//! secrets (only connectors receive them, and they are redacted everywhere the host writes text),
//! and the origins (`scheme://host:port`) its connector may reach.

use std::collections::BTreeMap;
use std::fmt;

use url::Url;

/// `scheme://host:port`, the unit of the outbound allowlist. The port is always explicit, so
/// `https://example.com` and `https://example.com:443` are the same origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses an allowlist entry: `scheme://host[:port]`, nothing after the authority but an
    /// optional `/`.
    pub fn parse(text: &str) -> Result<Self, ConnectionError> {
        let bad = |why: &str| ConnectionError::BadOrigin {
            origin: text.to_owned(),
            why: why.to_owned(),
        };
        let url = Url::parse(text).map_err(|error| bad(&error.to_string()))?;
        if !url.path().is_empty() && url.path() != "/" || url.query().is_some() {
            return Err(bad(
                "an origin has no path or query: write scheme://host:port",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("an origin carries no credentials"));
        }
        Self::of(&url).ok_or_else(|| bad("only http and https origins with a host are allowed"))
    }

    /// The origin a URL points at, if it is http(s) with a host.
    pub fn of(url: &Url) -> Option<Self> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        Some(Self {
            scheme: scheme.to_owned(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// A secret value. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// A fresh random secret: 32 bytes from the OS-seeded generator, hex (64 characters). Fit
    /// for an admin token, a session id or a CSRF token.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self(hex::encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this secret, compared in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// What a connector call runs with.
#[derive(Debug, Clone)]
pub struct Connection {
    name: String,
    allowlist: Vec<Origin>,
    settings: BTreeMap<String, String>,
    secrets: BTreeMap<String, Secret>,
}

impl Connection {
    /// A connection with no settings, no secrets and an empty allowlist (no outbound HTTP).
    pub fn new(name: impl Into<String>) -> Result<Self, ConnectionError> {
        let name = name.into();
        if !ml_connector_wit::is_valid_name(&name) {
            return Err(ConnectionError::BadName(name));
        }
        Ok(Self {
            name,
            allowlist: Vec::new(),
            settings: BTreeMap::new(),
            secrets: BTreeMap::new(),
        })
    }

    /// Allows outbound HTTP to `origin` (`scheme://host[:port]`).
    pub fn allow(mut self, origin: &str) -> Result<Self, ConnectionError> {
        self.allowlist.push(Origin::parse(origin)?);
        Ok(self)
    }

    pub fn setting(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.insert(key.into(), value.into());
        self
    }

    pub fn secret(mut self, name: impl Into<String>, value: Secret) -> Self {
        self.secrets.insert(name.into(), value);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn allowlist(&self) -> &[Origin] {
        &self.allowlist
    }

    pub fn allows(&self, origin: &Origin) -> bool {
        self.allowlist.contains(origin)
    }

    pub fn settings(&self) -> &BTreeMap<String, String> {
        &self.settings
    }

    pub(crate) fn secret_value(&self, name: &str) -> Option<&Secret> {
        self.secrets.get(name)
    }

    /// Each secret's name and value.
    pub(crate) fn secret_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.secrets
            .iter()
            .map(|(name, secret)| (name.as_str(), secret.expose()))
    }
}

/// A connection that cannot be built as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    #[error("connection name {0:?} must be {rule}", rule = ml_connector_wit::NAME_RULE)]
    BadName(String),
    #[error("allowlist entry `{origin}` is not an origin: {why}")]
    BadOrigin { origin: String, why: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_normalise_the_default_port_and_refuse_paths() {
        assert_eq!(
            Origin::parse("https://API.example.com").unwrap(),
            Origin::parse("https://api.example.com:443/").unwrap()
        );
        assert_eq!(
            Origin::parse("http://127.0.0.1:8080").unwrap().to_string(),
            "http://127.0.0.1:8080"
        );
        assert!(Origin::parse("https://example.com/path").is_err());
        assert!(Origin::parse("ftp://example.com").is_err());
        assert!(Origin::parse("example.com").is_err());
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let connection = Connection::new("shop")
            .unwrap()
            .secret("token", Secret::new("shpat_very_secret"));
        assert!(!format!("{connection:?}").contains("shpat_very_secret"));
        assert!(Connection::new("bad name").is_err());
    }
}
