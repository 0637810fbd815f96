//! From the file's text to a checked `Config`: every key, its type, its default and its range,
//! and the references between sections (a flow's connections, duplicate flows).

use std::collections::BTreeMap;
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use toml::{Table, Value};
use url::Url;

use super::duration::{DURATION_FIX, SIZE_FIX, format_duration, parse_duration, parse_size};
use super::secret_ref::{Env, resolve};
use super::table::{Section, segment};
use super::{
    Config, ConfigError, ConnectionConfig, FlowConfig, RecordingPolicy, RetryPolicy, ServerConfig,
};
use crate::{Connection, Origin};

/// The largest `max_body` accepted: the server holds a request body in memory.
const MAX_BODY_LIMIT: u64 = 1 << 30;

/// Reads and checks the file at `path`, taking `{ env = … }` secrets from `env`.
pub(super) fn load(path: &Path, env: Env<'_>) -> Result<Config, ConfigError> {
    let text = fs::read_to_string(path).map_err(|error| {
        ConfigError::new(
            path,
            "file",
            format!("cannot be read: {error}"),
            "check the path of the configuration file",
        )
    })?;
    parse(path, &text, env)
}

/// Checks `text`, the content of the file at `path` (relative paths in it are relative to the
/// file's directory).
pub(super) fn parse(path: &Path, text: &str, env: Env<'_>) -> Result<Config, ConfigError> {
    let table: Table = text
        .parse()
        .map_err(|error| ConfigError::syntax(path, text, &error))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let root = Section::root(
        path,
        &table,
        &[
            "data_dir",
            "workers",
            "server",
            "admin",
            "plugins",
            "retry",
            "recording",
            "store",
            "connections",
            "flows",
        ],
    )?;

    let data_dir = dir.join(
        root.string("data_dir", "\"mlc-data\"")?
            .unwrap_or("mlc-data"),
    );
    let plugins = root.section("plugins", &["dir"])?;
    let plugin_dir = match &plugins {
        Some(plugins) => {
            plugins.required(plugins.string("dir", "\"plugins\"")?, "dir", "\"plugins\"")?
        }
        None => {
            return Err(ConfigError::new(
                path,
                "plugins.dir",
                "missing",
                "add `[plugins]` with `dir = \"plugins\"`: the directory of built plugins, \
                 relative to this file",
            ));
        }
    };
    let admin = root.section("admin", &["token", "listen"])?;
    let admin_token = match &admin {
        Some(admin) if admin.get("token").is_some() => Some(resolve(admin, "token", dir, env)?),
        _ => None,
    };
    let admin_listen = match &admin {
        Some(admin) => socket_address(admin, "listen", "\"127.0.0.1:8081\"")?,
        None => None,
    };
    let connections = connections(&root, dir, env)?;
    let flows = flows(&root, &connections)?;
    Ok(Config {
        path: path.to_owned(),
        data_dir,
        plugin_dir: dir.join(plugin_dir),
        server: server(&root)?,
        admin_token,
        admin_listen,
        workers: root.integer("workers", 1..=256, "64")?.unwrap_or(64) as usize,
        retry: retry(&root)?,
        recording: recording(&root)?,
        store: super::store::store(&root, dir, env)?,
        connections,
        flows,
    })
}

/// A duration at `key`, if present.
fn duration(
    section: &Section<'_>,
    key: &str,
    example: &str,
) -> Result<Option<Duration>, ConfigError> {
    let Some(text) = section.string(key, example)? else {
        return Ok(None);
    };
    parse_duration(text)
        .map(Some)
        .ok_or_else(|| section.error(key, format!("`{text}` is not a duration"), DURATION_FIX))
}

/// An IP address and port at `key`, if present.
fn socket_address(
    section: &Section<'_>,
    key: &str,
    example: &str,
) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(text) = section.string(key, example)? else {
        return Ok(None);
    };
    text.parse().map(Some).map_err(|error| {
        let port = example
            .trim_matches('"')
            .rsplit(':')
            .next()
            .unwrap_or_default();
        section.error(
            key,
            format!("`{text}` is not an IP address and port: {error}"),
            format!("write e.g. `{key} = {example}`, or \"0.0.0.0:{port}\" for every interface"),
        )
    })
}

fn server(root: &Section<'_>) -> Result<ServerConfig, ConfigError> {
    let defaults = ServerConfig::default();
    let keys = [
        "listen",
        "max_body",
        "shutdown_grace",
        "header_timeout",
        "body_timeout",
        "max_connections",
    ];
    let Some(server) = root.section("server", &keys)? else {
        return Ok(defaults);
    };
    let listen =
        socket_address(&server, "listen", "\"127.0.0.1:8080\"")?.unwrap_or(defaults.listen);
    let out_of_range = |size: String| {
        server.error(
            "max_body",
            format!("{size} is out of range"),
            "write a size from 1 byte to 1GiB, e.g. `max_body = \"1MiB\"`",
        )
    };
    let max_body_bytes = match server.get("max_body") {
        None => defaults.max_body_bytes,
        Some(value) => {
            let bytes = match value {
                Value::String(text) => parse_size(text).ok_or_else(|| {
                    server.error("max_body", format!("`{text}` is not a size"), SIZE_FIX)
                })?,
                Value::Integer(bytes) => {
                    u64::try_from(*bytes).map_err(|_| out_of_range(format!("{bytes} bytes")))?
                }
                other => return Err(server.wrong_type("max_body", "a size", other, "\"1MiB\"")),
            };
            if !(1..=MAX_BODY_LIMIT).contains(&bytes) {
                return Err(out_of_range(format!("{bytes} bytes")));
            }
            bytes as usize
        }
    };
    Ok(ServerConfig {
        listen,
        max_body_bytes,
        shutdown_grace: duration(&server, "shutdown_grace", "\"30s\"")?
            .unwrap_or(defaults.shutdown_grace),
        header_timeout: positive_duration(&server, "header_timeout", "\"10s\"")?
            .unwrap_or(defaults.header_timeout),
        body_timeout: positive_duration(&server, "body_timeout", "\"30s\"")?
            .unwrap_or(defaults.body_timeout),
        max_connections: server
            .integer("max_connections", 1..=100_000, "1024")?
            .map_or(defaults.max_connections, |n| n as usize),
    })
}

/// A duration above zero at `key`, if present.
pub(super) fn positive_duration(
    section: &Section<'_>,
    key: &str,
    example: &str,
) -> Result<Option<Duration>, ConfigError> {
    let found = duration(section, key, example)?;
    if found.is_some_and(|duration| duration.is_zero()) {
        return Err(section.error(
            key,
            "must be more than zero",
            format!("write e.g. `{key} = {example}`"),
        ));
    }
    Ok(found)
}

fn retry(root: &Section<'_>) -> Result<RetryPolicy, ConfigError> {
    let defaults = RetryPolicy::default();
    let Some(retry) = root.section("retry", &["max_attempts", "base", "max"])? else {
        return Ok(defaults);
    };
    let policy = RetryPolicy {
        max_attempts: retry
            .integer("max_attempts", 1..=u64::from(u32::MAX), "8")?
            .map_or(defaults.max_attempts, |n| n as u32),
        base: duration(&retry, "base", "\"1s\"")?.unwrap_or(defaults.base),
        max: duration(&retry, "max", "\"1h\"")?.unwrap_or(defaults.max),
    };
    if policy.base.is_zero() {
        return Err(retry.error(
            "base",
            "is zero",
            "write a positive duration, e.g. `base = \"1s\"`",
        ));
    }
    if policy.max < policy.base {
        return Err(retry.error(
            "max",
            format!(
                "{} is shorter than retry.base ({})",
                format_duration(policy.max),
                format_duration(policy.base)
            ),
            "make `max` at least `base`",
        ));
    }
    Ok(policy)
}

fn recording(root: &Section<'_>) -> Result<RecordingPolicy, ConfigError> {
    let defaults = RecordingPolicy::default();
    let Some(recording) = root.section("recording", &["enabled", "keep", "max_size"])? else {
        return Ok(defaults);
    };
    let max_bytes = match recording.string("max_size", "\"1GiB\"")? {
        None => defaults.max_bytes,
        Some(text) => parse_size(text).ok_or_else(|| {
            recording.error("max_size", format!("`{text}` is not a size"), SIZE_FIX)
        })?,
    };
    Ok(RecordingPolicy {
        enabled: recording
            .boolean("enabled", "true")?
            .unwrap_or(defaults.enabled),
        keep: duration(&recording, "keep", "\"30d\"")?.unwrap_or(defaults.keep),
        max_bytes,
    })
}

fn connections(
    root: &Section<'_>,
    dir: &Path,
    env: Env<'_>,
) -> Result<BTreeMap<String, ConnectionConfig>, ConfigError> {
    let Some(connections) = root.map("connections")? else {
        return Ok(BTreeMap::new());
    };
    let entries = connections.entries(&[
        "connector",
        "base_url",
        "allow",
        "settings",
        "secrets",
        "concurrency",
        "batch",
    ])?;
    entries
        .into_iter()
        .map(|(name, section)| {
            if let Err(error) = Connection::new(name) {
                return Err(connections.error(
                    name,
                    error.to_string(),
                    "rename the connection using only ASCII letters, digits, `-` and `_`",
                ));
            }
            Ok((name.to_owned(), connection(name, &section, dir, env)?))
        })
        .collect()
}

fn connection(
    name: &str,
    section: &Section<'_>,
    dir: &Path,
    env: Env<'_>,
) -> Result<ConnectionConfig, ConfigError> {
    let connector = section.required(
        section.string("connector", "\"testkit\"")?,
        "connector",
        "\"<the connector plugin's name>\"",
    )?;
    let base_url = match section.string("base_url", "\"https://api.example.com\"")? {
        None => None,
        Some(text) => Some(base_url(section, text)?),
    };
    let allow = section
        .strings("allow", "[\"https://api.example.com\"]")?
        .unwrap_or_default()
        .into_iter()
        .map(|entry| {
            Origin::parse(entry).map_err(|error| {
                section.error(
                    "allow",
                    error.to_string(),
                    "write each entry as scheme://host[:port], e.g. \
                     `allow = [\"https://api.example.com\"]`",
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let mut settings = BTreeMap::new();
    if let Some(table) = section.map("settings")? {
        for (key, value) in table.values() {
            if key == "base_url" {
                return Err(table.error(
                    key,
                    "`base_url` is not a setting",
                    format!(
                        "set `base_url` in [connections.{}]: it is checked, its origin allowed, \
                         and the plugin receives it as this setting",
                        segment(name)
                    ),
                ));
            }
            let value = match value {
                Value::String(text) => text.clone(),
                Value::Integer(_) | Value::Float(_) | Value::Boolean(_) | Value::Datetime(_) => {
                    value.to_string()
                }
                other => {
                    return Err(table.wrong_type(
                        key,
                        "a string, number or boolean",
                        other,
                        "\"…\"",
                    ));
                }
            };
            settings.insert(key.to_owned(), value);
        }
    }
    let mut secrets = BTreeMap::new();
    if let Some(table) = section.map("secrets")? {
        for key in table.names() {
            secrets.insert(key.to_owned(), resolve(&table, key, dir, env)?);
        }
    }
    Ok(ConnectionConfig {
        name: name.to_owned(),
        connector: connector.to_owned(),
        base_url,
        allow,
        settings,
        secrets,
        concurrency: section.integer("concurrency", 1..=64, "1")?.unwrap_or(1) as usize,
        batch: section.integer("batch", 1..=1000, "50")?.unwrap_or(50) as usize,
    })
}

/// An absolute http(s) URL with a host and no credentials. Errors do not quote it, since a URL
/// may carry a password.
fn base_url(section: &Section<'_>, text: &str) -> Result<Url, ConfigError> {
    let fix = "write an absolute http(s) URL, e.g. `base_url = \"https://api.example.com\"`";
    let url = Url::parse(text)
        .map_err(|error| section.error("base_url", format!("not a URL: {error}"), fix))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(section.error(
            "base_url",
            "carries a user name or password",
            format!(
                "take them out of the URL and reference them in [{}]",
                section.key("secrets")
            ),
        ));
    }
    if Origin::of(&url).is_none() {
        return Err(section.error(
            "base_url",
            format!(
                "`{}:` URLs are not allowed: only http and https with a host",
                url.scheme()
            ),
            fix,
        ));
    }
    Ok(url)
}

/// The error for a flow naming a connection this file does not have.
pub(super) fn unknown_connection<'a>(
    file: &Path,
    key: String,
    name: &str,
    known: impl Iterator<Item = &'a String>,
) -> ConfigError {
    let known: Vec<&str> = known.map(String::as_str).collect();
    let fix = if known.is_empty() {
        format!("add a [connections.{}] section", segment(name))
    } else {
        format!(
            "name one of the connections of this file ({}), or add [connections.{}]",
            known.join(", "),
            segment(name)
        )
    };
    ConfigError::new(file, key, format!("`{name}` is not a connection"), fix)
}

fn flows(
    root: &Section<'_>,
    connections: &BTreeMap<String, ConnectionConfig>,
) -> Result<BTreeMap<String, FlowConfig>, ConfigError> {
    let Some(flows_section) = root.map("flows")? else {
        return Ok(BTreeMap::new());
    };
    let entries = flows_section.entries(&[
        "source",
        "events",
        "mapping",
        "mapping_config",
        "sink",
        "poll_interval",
    ])?;
    let mut flows: BTreeMap<String, FlowConfig> = BTreeMap::new();
    for (name, section) in entries {
        if !ml_connector_wit::is_valid_name(name) {
            return Err(flows_section.error(
                name,
                format!("flow name {name:?} must be {}", ml_connector_wit::NAME_RULE),
                "rename the flow using only ASCII letters, digits, `-` and `_`",
            ));
        }
        let flow = flow(name, &section, connections)?;
        for other in flows.values() {
            let same_route = other.source == flow.source
                && other.mapping == flow.mapping
                && other.sink == flow.sink
                && other.mapping_config == flow.mapping_config;
            if let Some(topic) = flow
                .events
                .iter()
                .find(|topic| same_route && other.takes(topic))
            {
                return Err(section.error(
                    "events",
                    format!(
                        "`{topic}` from `{}` already goes through `{}` to `{}` in flow `{}`: \
                         each event would be applied twice",
                        flow.source, flow.mapping, flow.sink, other.name
                    ),
                    format!("take `{topic}` out of one of the two flows"),
                ));
            }
        }
        flows.insert(name.to_owned(), flow);
    }
    Ok(flows)
}

fn flow(
    name: &str,
    section: &Section<'_>,
    connections: &BTreeMap<String, ConnectionConfig>,
) -> Result<FlowConfig, ConfigError> {
    let connection = |key: &str| -> Result<String, ConfigError> {
        let example = "\"<a connection name>\"";
        let name = section.required(section.string(key, example)?, key, example)?;
        if connections.contains_key(name) {
            Ok(name.to_owned())
        } else {
            Err(unknown_connection(
                section.file(),
                section.key(key),
                name,
                connections.keys(),
            ))
        }
    };
    let source = connection("source")?;
    let events_example = "[\"<a topic of the source>\"]";
    let events = section.required(
        section.strings("events", events_example)?,
        "events",
        events_example,
    )?;
    if events.is_empty() {
        return Err(section.error(
            "events",
            "is empty: the flow would take nothing",
            format!("name at least one topic of the source, e.g. `events = {events_example}`"),
        ));
    }
    for (index, topic) in events.iter().enumerate() {
        if events[..index].contains(topic) {
            return Err(section.error(
                "events",
                format!("`{topic}` is listed twice"),
                "list it once",
            ));
        }
    }
    let mapping_example = "\"<a mapping plugin's name>\"";
    let mapping = section.required(
        section.string("mapping", mapping_example)?,
        "mapping",
        mapping_example,
    )?;
    let mapping_config = match section.get("mapping_config") {
        None => serde_json::Value::Object(serde_json::Map::new()),
        Some(value @ Value::Table(_)) => json(value).ok_or_else(|| {
            section.error(
                "mapping_config",
                "holds a float that is not finite (nan or inf), which JSON cannot carry",
                "write a finite number",
            )
        })?,
        Some(other) => {
            return Err(section.wrong_type(
                "mapping_config",
                "a table",
                other,
                "{ key = \"value\" }",
            ));
        }
    };
    let sink = connection("sink")?;
    let poll_interval = duration(section, "poll_interval", "\"4h\"")?;
    if poll_interval.is_some_and(|interval| interval.is_zero()) {
        return Err(section.error(
            "poll_interval",
            "is zero",
            "write a positive duration, e.g. `poll_interval = \"4h\"`, or leave it out to not poll",
        ));
    }
    Ok(FlowConfig {
        name: name.to_owned(),
        source,
        events: events.into_iter().map(str::to_owned).collect(),
        mapping: mapping.to_owned(),
        mapping_config,
        sink,
        poll_interval,
    })
}

/// A TOML value as JSON: datetimes become their text. `None` for a non-finite float.
fn json(value: &Value) -> Option<serde_json::Value> {
    Some(match value {
        Value::String(text) => serde_json::Value::String(text.clone()),
        Value::Integer(n) => serde_json::Value::from(*n),
        Value::Float(x) => serde_json::Value::Number(serde_json::Number::from_f64(*x)?),
        Value::Boolean(b) => serde_json::Value::Bool(*b),
        Value::Datetime(datetime) => serde_json::Value::String(datetime.to_string()),
        Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(json).collect::<Option<_>>()?)
        }
        Value::Table(table) => serde_json::Value::Object(
            table
                .iter()
                .map(|(key, value)| Some((key.clone(), json(value)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{error, example, key_problem, load, minimal};

    fn pair(key: &str, problem: &str) -> (String, String) {
        (key.to_owned(), problem.to_owned())
    }

    /// A configuration with one connection `shop` holding `keys`.
    fn shop(keys: &str) -> String {
        minimal(&format!(
            "[connections.shop]\nconnector = \"testkit\"\n{keys}\n"
        ))
    }

    /// The example with its flow's `from` replaced by `to`.
    fn example_with(from: &str, to: &str) -> String {
        let example = example();
        assert!(example.contains(from), "{from}");
        example.replace(from, to)
    }

    #[test]
    fn an_unknown_key_is_named_with_the_allowed_ones() {
        assert_eq!(
            error(&minimal(
                "[server]\nlisten = \"127.0.0.1:8080\"\nport = 8080"
            ))
            .to_string(),
            "mlc.toml: server.port: unknown key\n  \
             fix: the keys allowed in [server] are: listen, max_body, shutdown_grace, \
             header_timeout, body_timeout, max_connections"
        );
        assert_eq!(
            error(&minimal("worker = 4")).fix,
            "the keys allowed at the top level are: data_dir, workers, server, admin, plugins, \
             retry, recording, store, connections, flows"
        );
        assert_eq!(
            key_problem(&shop("colour = \"red\"")),
            pair("connections.shop.colour", "unknown key")
        );
        assert_eq!(
            key_problem(&example_with(
                "sink = \"ledger\"",
                "sink = \"ledger\"\nsinks = []"
            )),
            pair("flows.orders.sinks", "unknown key")
        );
    }

    #[test]
    fn the_plugin_directory_is_required() {
        assert_eq!(
            error("workers = 2\n").to_string(),
            "mlc.toml: plugins.dir: missing\n  fix: add `[plugins]` with `dir = \"plugins\"`: \
             the directory of built plugins, relative to this file"
        );
        assert_eq!(key_problem("[plugins]\n"), pair("plugins.dir", "missing"));
    }

    #[test]
    fn types_and_ranges_are_checked() {
        assert_eq!(
            error(&minimal("workers = \"4\"")).to_string(),
            "mlc.toml: workers: expected an integer, found a string\n  fix: write e.g. `workers = 64`"
        );
        assert_eq!(
            error(&minimal("workers = 0")).to_string(),
            "mlc.toml: workers: 0 is out of range\n  \
             fix: write an integer from 1 to 256, e.g. `workers = 64`"
        );
        assert_eq!(
            key_problem(&minimal("workers = 257")),
            pair("workers", "257 is out of range")
        );
        assert_eq!(
            key_problem(&minimal("server = 1")),
            pair("server", "expected a table, found an integer")
        );
        assert_eq!(
            key_problem(&minimal("data_dir = \"\"")),
            pair("data_dir", "is empty")
        );
        assert_eq!(
            key_problem(&shop("concurrency = 65")),
            pair("connections.shop.concurrency", "65 is out of range")
        );
        assert_eq!(
            key_problem(&shop("batch = 0")),
            pair("connections.shop.batch", "0 is out of range")
        );
        assert_eq!(
            key_problem(&minimal("[retry]\nmax_attempts = 0")),
            pair("retry.max_attempts", "0 is out of range")
        );
        assert_eq!(
            key_problem(&minimal("[connections.shop]\nbase_url = \"http://a\"")),
            pair("connections.shop.connector", "missing")
        );
    }

    #[test]
    fn a_bad_url_is_refused_without_quoting_it() {
        assert_eq!(
            error(&shop("base_url = \"api.example.com\"")).to_string(),
            "mlc.toml: connections.shop.base_url: not a URL: relative URL without a base\n  \
             fix: write an absolute http(s) URL, e.g. `base_url = \"https://api.example.com\"`"
        );
        assert_eq!(
            key_problem(&shop("base_url = \"ftp://files.example.com\"")),
            pair(
                "connections.shop.base_url",
                "`ftp:` URLs are not allowed: only http and https with a host"
            )
        );
        let error = error(&shop(
            "base_url = \"https://admin:hunter2@api.example.com\"",
        ));
        assert_eq!(error.problem, "carries a user name or password");
        assert!(!error.to_string().contains("hunter2"));
    }

    #[test]
    fn a_bad_origin_is_refused() {
        assert_eq!(
            error(&shop(
                "allow = [\"https://api.example.com\", \"https://example.com/v1\"]"
            ))
            .to_string(),
            "mlc.toml: connections.shop.allow: allowlist entry `https://example.com/v1` is not \
             an origin: an origin has no path or query: write scheme://host:port\n  \
             fix: write each entry as scheme://host[:port], e.g. \
             `allow = [\"https://api.example.com\"]`"
        );
        assert_eq!(
            key_problem(&shop("allow = \"https://api.example.com\"")),
            pair(
                "connections.shop.allow",
                "expected an array of strings, found a string"
            )
        );
        assert_eq!(
            key_problem(&shop("allow = [1]")),
            pair(
                "connections.shop.allow",
                "expected an array of non-empty strings"
            )
        );
    }

    #[test]
    fn a_bad_duration_or_size_is_refused() {
        assert_eq!(
            error(&example_with("\"4h\"", "\"4 hours\"")).to_string(),
            "mlc.toml: flows.orders.poll_interval: `4 hours` is not a duration\n  \
             fix: write whole numbers with units (ms, s, m, h, d), largest first, e.g. \"250ms\", \
             \"30s\", \"4h\", \"1h30m\""
        );
        assert_eq!(
            key_problem(&example_with("\"4h\"", "\"0s\"")),
            pair("flows.orders.poll_interval", "is zero")
        );
        assert_eq!(
            key_problem(&minimal("[server]\nshutdown_grace = 30")),
            pair(
                "server.shutdown_grace",
                "expected a string, found an integer"
            )
        );
        assert_eq!(
            error(&minimal("[server]\nmax_body = \"2MB\"")).to_string(),
            "mlc.toml: server.max_body: `2MB` is not a size\n  fix: write a whole number of \
             bytes, or one with a unit (B, KiB, MiB, GiB), e.g. \"512KiB\", \"2MiB\""
        );
        assert_eq!(
            key_problem(&minimal("[server]\nmax_body = \"2GiB\"")),
            pair("server.max_body", "2147483648 bytes is out of range")
        );
        assert_eq!(
            key_problem(&minimal("[server]\nmax_body = -1")),
            pair("server.max_body", "-1 bytes is out of range")
        );
        assert_eq!(
            key_problem(&minimal("[retry]\nbase = \"10s\"\nmax = \"5s\"")),
            pair("retry.max", "5s is shorter than retry.base (10s)")
        );
        assert_eq!(
            key_problem(&minimal("[retry]\nbase = \"0ms\"")),
            pair("retry.base", "is zero")
        );
    }

    #[test]
    fn the_server_timeouts_and_the_admin_listener_are_read_and_checked() {
        let config = load(&minimal(
            "[server]\nheader_timeout = \"2s\"\nbody_timeout = \"5s\"\nmax_connections = 8\n\
             [admin]\nlisten = \"127.0.0.1:9090\"",
        ))
        .unwrap();
        assert_eq!(
            config.server.header_timeout,
            std::time::Duration::from_secs(2)
        );
        assert_eq!(
            config.server.body_timeout,
            std::time::Duration::from_secs(5)
        );
        assert_eq!(config.server.max_connections, 8);
        assert_eq!(config.admin_listen, Some("127.0.0.1:9090".parse().unwrap()));
        assert_eq!(
            key_problem(&minimal("[server]\nheader_timeout = \"0s\"")),
            pair("server.header_timeout", "must be more than zero")
        );
        assert_eq!(
            key_problem(&minimal("[server]\nmax_connections = 0")).0,
            "server.max_connections"
        );
        assert_eq!(
            error(&minimal("[admin]\nlisten = \"internal:9090\"")).to_string(),
            "mlc.toml: admin.listen: `internal:9090` is not an IP address and port: invalid \
             socket address syntax\n  fix: write e.g. `listen = \"127.0.0.1:8081\"`, or \
             \"0.0.0.0:8081\" for every interface"
        );
    }

    #[test]
    fn a_bad_listen_address_is_refused() {
        assert_eq!(
            error(&minimal("[server]\nlisten = \"localhost:8080\"")).to_string(),
            "mlc.toml: server.listen: `localhost:8080` is not an IP address and port: invalid \
             socket address syntax\n  fix: write e.g. `listen = \"127.0.0.1:8080\"`, or \
             \"0.0.0.0:8080\" for every interface"
        );
    }

    #[test]
    fn connection_names_settings_and_mapping_config_are_checked() {
        let error = error(&minimal(
            "[connections.\"the shop\"]\nconnector = \"testkit\"",
        ));
        assert_eq!(
            (error.key.as_str(), error.problem.as_str()),
            (
                "connections.\"the shop\"",
                "connection name \"the shop\" must be 1 to 64 ASCII letters, digits, `-` or `_`"
            )
        );
        assert_eq!(
            key_problem(&example_with("[flows.orders]", "[flows.\"../orders\"]")),
            pair(
                "flows.\"../orders\"",
                "flow name \"../orders\" must be 1 to 64 ASCII letters, digits, `-` or `_`"
            )
        );
        assert_eq!(
            key_problem(&shop("settings = { base_url = \"http://x\" }")),
            pair(
                "connections.shop.settings.base_url",
                "`base_url` is not a setting"
            )
        );
        assert_eq!(
            key_problem(&shop("settings = { ids = [1, 2] }")),
            pair(
                "connections.shop.settings.ids",
                "expected a string, number or boolean, found an array"
            )
        );
        assert_eq!(
            key_problem(&example_with(
                "mapping_config = { command = \"post\", prefix = \"orders\" }",
                "mapping_config = 1"
            )),
            pair(
                "flows.orders.mapping_config",
                "expected a table, found an integer"
            )
        );
        assert_eq!(
            key_problem(&example_with("prefix = \"orders\"", "ratio = nan")),
            pair(
                "flows.orders.mapping_config",
                "holds a float that is not finite (nan or inf), which JSON cannot carry"
            )
        );
        let config = load(&example_with(
            "prefix = \"orders\"",
            "nested = { list = [1, 2.5, true], at = 2024-05-06T07:08:09Z }",
        ))
        .unwrap();
        assert_eq!(
            config.flows["orders"].mapping_config,
            serde_json::json!({
                "command": "post",
                "nested": {"list": [1, 2.5, true], "at": "2024-05-06T07:08:09Z"},
            })
        );
    }

    #[test]
    fn a_flow_naming_an_unknown_connection_is_refused() {
        assert_eq!(
            error(&example_with("sink = \"ledger\"", "sink = \"ledgr\"")).to_string(),
            "mlc.toml: flows.orders.sink: `ledgr` is not a connection\n  fix: name one of the \
             connections of this file (ledger, shop), or add [connections.ledgr]"
        );
        assert_eq!(
            key_problem(&example_with("source = \"shop\"", "source = \"shopify\"")),
            pair("flows.orders.source", "`shopify` is not a connection")
        );
        assert_eq!(
            error(&minimal(
                "[flows.a]\nsource = \"s\"\nevents = [\"e\"]\nmapping = \"m\"\nsink = \"s\""
            ))
            .fix,
            "add a [connections.s] section"
        );
        assert_eq!(
            key_problem(&example_with("sink = \"ledger\"\n", "")),
            pair("flows.orders.sink", "missing")
        );
    }

    #[test]
    fn a_flow_takes_at_least_one_event_each_once() {
        assert_eq!(
            error(&example_with("events = [\"testkit.event\"]", "events = []")).to_string(),
            "mlc.toml: flows.orders.events: is empty: the flow would take nothing\n  fix: name at \
             least one topic of the source, e.g. `events = [\"<a topic of the source>\"]`"
        );
        assert_eq!(
            key_problem(&example_with("events = [\"testkit.event\"]", "")),
            pair("flows.orders.events", "missing")
        );
        assert_eq!(
            key_problem(&example_with(
                "[\"testkit.event\"]",
                "[\"a\", \"b\", \"a\"]"
            )),
            pair("flows.orders.events", "`a` is listed twice")
        );
    }

    #[test]
    fn a_duplicate_flow_is_refused() {
        let twice = format!(
            "{}\n[flows.orders-again]\nsource = \"shop\"\nevents = [\"testkit.polled\", \
             \"testkit.event\"]\nmapping = \"testkit-mapping\"\nsink = \"ledger\"\n\
             mapping_config = {{ command = \"post\", prefix = \"orders\" }}\n",
            example()
        );
        assert_eq!(
            error(&twice).to_string(),
            "mlc.toml: flows.orders-again.events: `testkit.event` from `shop` already goes \
             through `testkit-mapping` to `ledger` in flow `orders`: each event would be applied \
             twice\n  fix: take `testkit.event` out of one of the two flows"
        );
        let (first, second) = twice.rsplit_once("\"orders\"").unwrap();
        let configured_apart = format!("{first}\"refunds\"{second}");
        assert_eq!(load(&configured_apart).unwrap().flows.len(), 2);
    }

    #[test]
    fn recording_is_on_for_30_days_and_1_gib_unless_told_otherwise() {
        use std::time::Duration;

        use super::super::RecordingPolicy;

        let loaded = |text: &str| load(&minimal(text)).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(loaded("").recording, RecordingPolicy::default());
        let told =
            loaded("[recording]\nenabled = false\nkeep = \"7d\"\nmax_size = \"200MiB\"").recording;
        assert_eq!(
            told,
            RecordingPolicy {
                enabled: false,
                keep: Duration::from_secs(7 * 24 * 3600),
                max_bytes: 200 << 20,
            }
        );
        let wrong = error(&minimal("[recording]\nenabled = \"no\""));
        assert_eq!(wrong.key, "recording.enabled", "{wrong}");
        let wrong = error(&minimal("[recording]\nmax_size = \"lots\""));
        assert_eq!(wrong.key, "recording.max_size", "{wrong}");
    }
}
