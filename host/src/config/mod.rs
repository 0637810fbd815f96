//! The TOML configuration of `mlc run`: its types, and [`Config::load`], which reads, parses and
//! checks the file (syntax, keys, types, ranges, URLs, origins, durations, sizes, secrets, the
//! references between sections), so a running host never meets a bad setting. Each error is a
//! [`ConfigError`] naming the key, the problem and the fix. [`Config::check_plugins`] adds the
//! checks that need the loaded plugins.
//!
//! Paths (`data_dir`, `[plugins] dir`, secret files) are relative to the directory of the file.
//! Secrets are never written in the file: each is `{ env = "NAME" }` or `{ file = "path" }`.
//!
//! Every key, its default and its range, with an example that this module's tests load, is in
//! the configuration reference, `docs/configuration.md`.

mod duration;
mod error;
mod parse;
#[cfg(test)]
mod properties;
mod secret_ref;
mod store;
mod table;
#[cfg(test)]
mod testing;
mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

pub use duration::parse_duration;
pub use error::ConfigError;
pub use store::{DEFAULT_LEASE, PostgresUrl, StoreConfig};

use crate::{Connection, ConnectionError, Origin, PluginSummary, Secret};

/// A checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// `data_dir`, relative to the file's directory; default `<config dir>/mlc-data`.
    pub data_dir: PathBuf,
    /// `[plugins] dir`, relative to the file's directory.
    pub plugin_dir: PathBuf,
    pub server: ServerConfig,
    /// `[admin] token`.
    pub admin_token: Option<Secret>,
    /// `[admin] listen`: the admin API on a listener of its own (an internal address); by default
    /// it shares `[server] listen` with the webhooks.
    pub admin_listen: Option<SocketAddr>,
    /// `workers`, 1 to 256; default 4.
    pub workers: usize,
    pub retry: RetryPolicy,
    pub recording: RecordingPolicy,
    /// `[store]`: where the state several hosts share lives.
    pub store: StoreConfig,
    pub connections: BTreeMap<String, ConnectionConfig>,
    pub flows: BTreeMap<String, FlowConfig>,
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// `listen`; default 127.0.0.1:8080.
    pub listen: SocketAddr,
    /// `max_body`; default 1 MiB, at most 1 GiB.
    pub max_body_bytes: usize,
    /// `shutdown_grace`; default 30 s. Running attempts and open connections get this long.
    pub shutdown_grace: Duration,
    /// `header_timeout`; default 10 s: a request's head must arrive within it, and a keep-alive
    /// connection that sends no new request within it is closed.
    pub header_timeout: Duration,
    /// `body_timeout`; default 30 s: a webhook's body must arrive whole within it, and no pause
    /// in an admin request's body may last longer.
    pub body_timeout: Duration,
    /// `max_connections`, 1 to 100000; default 1024: connections served at once (the listeners
    /// of `[server]` and `[admin]` each); the next wait to be accepted.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1 << 20,
            shutdown_grace: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// `[retry]`: how often and how far apart a failed apply is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// At least 1; default 8.
    pub max_attempts: u32,
    /// More than zero; default 1 s.
    pub base: Duration,
    /// At least `base`; default 1 h.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(1),
            max: Duration::from_secs(3600),
        }
    }
}

/// `[recording]`: whether each attempt's fetch tape and mapping input are kept (for dry-runs and
/// deterministic replay), and how long and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingPolicy {
    /// `enabled`; default true. Off, new attempts are not recorded; those recorded are still
    /// pruned.
    pub enabled: bool,
    /// `keep`; default 30 days: recordings older than this go.
    pub keep: Duration,
    /// `max_size`; default 1 GiB: past it, the oldest recordings go (compressed bytes).
    pub max_bytes: u64,
}

impl Default for RecordingPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            keep: Duration::from_secs(30 * 24 * 3600),
            max_bytes: 1 << 30,
        }
    }
}

/// `[connections.<name>]`: one account in one external system.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionConfig {
    pub name: String,
    /// The connector plugin's name.
    pub connector: String,
    /// An http(s) URL without credentials. Its origin is allowed, and the plugin receives it as
    /// the setting `base_url` (without a trailing `/`).
    pub base_url: Option<Url>,
    /// Origins allowed besides the `base_url`'s.
    pub allow: Vec<Origin>,
    /// Numbers, booleans and datetimes are given as their TOML text.
    pub settings: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, Secret>,
    /// As a sink: apply calls at once, 1 to 64; default 1.
    pub concurrency: usize,
    /// As a sink: most commands per apply call, 1 to 1000; default 50.
    pub batch: usize,
}

impl ConnectionConfig {
    /// What the connector's calls run with: the allowlist (the `base_url`'s origin, then `allow`),
    /// the settings with `base_url`, and the secrets.
    pub fn connection(&self) -> Result<Connection, ConnectionError> {
        let mut origins: Vec<&Origin> = Vec::new();
        let base_origin = self.base_url.as_ref().and_then(Origin::of);
        for origin in base_origin.iter().chain(&self.allow) {
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        let mut connection = Connection::new(&self.name)?;
        for origin in origins {
            connection = connection.allow(&origin.to_string())?;
        }
        if let Some(url) = &self.base_url {
            connection = connection.setting("base_url", url.as_str().trim_end_matches('/'));
        }
        for (key, value) in &self.settings {
            connection = connection.setting(key, value);
        }
        for (name, secret) in &self.secrets {
            connection = connection.secret(name, secret.clone());
        }
        Ok(connection)
    }
}

/// `[flows.<name>]`: events of one connection, mapped, applied to another.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowConfig {
    pub name: String,
    /// A connection name.
    pub source: String,
    /// The topics taken from the source; at least one.
    pub events: Vec<String>,
    /// A mapping plugin's name.
    pub mapping: String,
    /// `[flows.<name>.mapping_config]` as a JSON object (`{}` when absent).
    pub mapping_config: serde_json::Value,
    /// A connection name.
    pub sink: String,
    /// How often the source is polled; `None`: never.
    pub poll_interval: Option<Duration>,
}

impl FlowConfig {
    pub fn takes(&self, topic: &str) -> bool {
        self.events.iter().any(|event| event == topic)
    }

    /// The dotted key of this flow's `leaf` in the file (`flows.orders.mapping_config`).
    pub fn key(&self, leaf: &str) -> String {
        format!("flows.{}.{leaf}", table::segment(&self.name))
    }

    /// What the mapping's `config::get(key)` reads: each top-level key of mapping_config → that
    /// value as JSON text.
    pub fn mapping_settings(&self) -> BTreeMap<String, String> {
        self.mapping_config
            .as_object()
            .into_iter()
            .flatten()
            .map(|(key, value)| (key.clone(), value.to_string()))
            .collect()
    }
}

impl Config {
    /// Reads, parses and checks the file, resolving its secrets from the environment and from
    /// files now.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        parse::load(path, &|name| std::env::var(name))
    }

    /// The flow named `name`, or an error that names the file and its flows.
    pub fn flow(&self, name: &str) -> anyhow::Result<&FlowConfig> {
        self.flows.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.flows.keys().map(String::as_str).collect();
            anyhow::anyhow!(
                "no flow {name:?} in {}; its flows: {}",
                self.path.display(),
                known.join(", ")
            )
        })
    }

    /// The checks that need the loaded plugins: each connection's connector is a loaded
    /// connector, each flow's mapping a loaded mapping; a flow's events are topics of its source's
    /// connector and of its mapping; the sink's connector applies every command kind the mapping
    /// emits.
    pub fn check_plugins(&self, plugins: &[PluginSummary]) -> Result<(), ConfigError> {
        validate::check_plugins(self, plugins)
    }

    /// The flows whose source is `connection` and that take `topic`.
    pub fn flows_for<'a>(
        &'a self,
        connection: &'a str,
        topic: &'a str,
    ) -> impl Iterator<Item = &'a FlowConfig> {
        self.flows
            .values()
            .filter(move |flow| flow.source == connection && flow.takes(topic))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{example, load, minimal};
    use super::*;

    #[test]
    fn the_documented_example_parses_to_its_values() {
        let config = load(&example()).unwrap();
        let dir = config.path.parent().unwrap().to_owned();
        assert_eq!(config.data_dir, dir.join("state"));
        assert_eq!(config.plugin_dir, dir.join("plugins"));
        assert_eq!(config.workers, 4);
        assert_eq!(config.server, ServerConfig::default());
        assert_eq!(config.admin_token, Some(Secret::new("admin-secret")));
        assert_eq!(
            config.retry,
            RetryPolicy {
                max_attempts: 8,
                base: Duration::from_secs(1),
                max: Duration::from_secs(3600),
            }
        );

        let shop = &config.connections["shop"];
        assert_eq!(shop.name, "shop");
        assert_eq!(shop.connector, "testkit");
        assert_eq!(
            shop.base_url.as_ref().unwrap().as_str(),
            "http://127.0.0.1:9001/"
        );
        assert!(shop.allow.is_empty());
        assert_eq!(
            shop.settings,
            BTreeMap::from([("account".to_owned(), "acme".to_owned())])
        );
        assert_eq!(
            shop.secrets,
            BTreeMap::from([("webhook-token".to_owned(), Secret::new("webhook-secret"))])
        );
        assert_eq!((shop.concurrency, shop.batch), (1, 50));
        let ledger = &config.connections["ledger"];
        assert_eq!((ledger.concurrency, ledger.batch), (1, 20));
        assert!(ledger.secrets.is_empty() && ledger.settings.is_empty());

        let orders = &config.flows["orders"];
        assert_eq!(
            orders,
            &FlowConfig {
                name: "orders".to_owned(),
                source: "shop".to_owned(),
                events: vec!["testkit.event".to_owned()],
                mapping: "testkit-mapping".to_owned(),
                mapping_config: serde_json::json!({"command": "post", "prefix": "orders"}),
                sink: "ledger".to_owned(),
                poll_interval: Some(Duration::from_secs(4 * 3600)),
            }
        );
        assert_eq!(config.connections.len(), 2);
        assert_eq!(config.flows.len(), 1);
    }

    #[test]
    fn a_minimal_file_takes_every_default() {
        let config = load(&minimal("")).unwrap();
        let dir = config.path.parent().unwrap().to_owned();
        assert_eq!(config.data_dir, dir.join("mlc-data"));
        assert_eq!(config.workers, 64);
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.server.max_body_bytes, 1024 * 1024);
        assert_eq!(config.server.shutdown_grace, Duration::from_secs(30));
        assert_eq!(config.retry, RetryPolicy::default());
        assert_eq!(config.admin_token, None);
        assert!(config.connections.is_empty() && config.flows.is_empty());
    }

    #[test]
    fn values_are_read_in_each_accepted_form() {
        let config = load(&minimal(
            "data_dir = \"/var/lib/mlc\"\nworkers = 256\n\
             [server]\nlisten = \"[::1]:9000\"\nmax_body = 4096\nshutdown_grace = \"1m30s\"\n\
             [retry]\nmax_attempts = 1\nbase = \"250ms\"\nmax = \"250ms\"\n\
             [connections.a]\nconnector = \"c\"\nallow = [\"https://API.example.com\", \"http://10.0.0.1:81\"]\n\
             [connections.a.settings]\nlimit = 5\nratio = 0.5\nlive = true\nsince = 2024-01-02\n",
        ))
        .unwrap();
        assert_eq!(config.data_dir, Path::new("/var/lib/mlc"));
        assert_eq!(config.workers, 256);
        assert_eq!(config.server.listen.to_string(), "[::1]:9000");
        assert_eq!(config.server.max_body_bytes, 4096);
        assert_eq!(config.server.shutdown_grace, Duration::from_secs(90));
        assert_eq!(config.retry.max_attempts, 1);
        assert_eq!(config.retry.base, Duration::from_millis(250));
        let a = &config.connections["a"];
        let allow: Vec<String> = a.allow.iter().map(Origin::to_string).collect();
        assert_eq!(allow, ["https://api.example.com:443", "http://10.0.0.1:81"]);
        let settings: Vec<(&str, &str)> = a
            .settings
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            settings,
            [
                ("limit", "5"),
                ("live", "true"),
                ("ratio", "0.5"),
                ("since", "2024-01-02")
            ]
        );
        assert_eq!((a.base_url.as_ref(), a.concurrency, a.batch), (None, 1, 50));
    }

    #[test]
    fn a_connection_carries_its_allowlist_settings_and_secrets() {
        let config = load(&example()).unwrap();
        let mut shop = config.connections["shop"].clone();
        shop.allow = vec![
            Origin::parse("http://127.0.0.1:9001").unwrap(),
            Origin::parse("https://cdn.example.com").unwrap(),
        ];
        let connection = shop.connection().unwrap();
        assert_eq!(connection.name(), "shop");
        let allowlist: Vec<String> = connection
            .allowlist()
            .iter()
            .map(Origin::to_string)
            .collect();
        assert_eq!(
            allowlist,
            ["http://127.0.0.1:9001", "https://cdn.example.com:443"]
        );
        assert_eq!(connection.settings()["base_url"], "http://127.0.0.1:9001");
        assert_eq!(connection.settings()["account"], "acme");
        assert_eq!(
            connection.secret_value("webhook-token").map(Secret::expose),
            Some("webhook-secret")
        );
    }

    #[test]
    fn flows_are_found_by_source_and_topic_and_read_their_mapping_settings() {
        let config = load(&example()).unwrap();
        let names = |connection, topic| -> Vec<&str> {
            config
                .flows_for(connection, topic)
                .map(|flow| flow.name.as_str())
                .collect()
        };
        assert_eq!(names("shop", "testkit.event"), ["orders"]);
        assert!(names("shop", "testkit.polled").is_empty());
        assert!(names("ledger", "testkit.event").is_empty());
        let orders = &config.flows["orders"];
        assert!(orders.takes("testkit.event") && !orders.takes("testkit"));
        assert_eq!(
            orders.mapping_settings(),
            BTreeMap::from([
                ("command".to_owned(), "\"post\"".to_owned()),
                ("prefix".to_owned(), "\"orders\"".to_owned()),
            ])
        );
    }
}
