//! `[store]`: where the state that several hosts share lives. Without the section, everything is
//! in files under `data_dir`; with `url`, the inbox, the plugin store, plugin storage and the sink
//! lanes are in that PostgreSQL database, its password a secret reference like every other, and
//! `lease` says how long a host's claim on an event (or on polling a flow) holds without news.

use std::path::Path;
use std::time::Duration;

use url::Url;

use super::ConfigError;
use super::parse::positive_duration;
use super::secret_ref::{Env, resolve};
use super::table::Section;
use crate::Secret;

/// Where the shared state lives.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum StoreConfig {
    /// No `[store]`: files under `data_dir`, for one host.
    #[default]
    Local,
    /// `[store] url`: a PostgreSQL database that several hosts share.
    Postgres(PostgresUrl),
}

/// A PostgreSQL database: its URL without a password, and the password apart.
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresUrl {
    /// `postgresql://user@host:port/database`.
    pub url: String,
    /// `password`, when the server asks for one.
    pub password: Option<Secret>,
    /// `lease`; default 30 s. How long a host's claim on an event, or on polling a flow, holds
    /// without news from it; the host renews it every third of that. A host that dies has its
    /// events run by the others after at most this (and a third more).
    pub lease: Duration,
}

/// `lease` when the section does not set it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// The shortest `lease`: renewing it more often than every third of a second would be the
/// database's main work.
const SHORTEST_LEASE: Duration = Duration::from_secs(1);

const EXAMPLE: &str = "\"postgresql://mlc@db.internal:5432/mlc\"";

/// Reads `[store]` of `root`.
pub(super) fn store(
    root: &Section<'_>,
    dir: &Path,
    env: Env<'_>,
) -> Result<StoreConfig, ConfigError> {
    let Some(store) = root.section("store", &["url", "password", "lease"])? else {
        return Ok(StoreConfig::Local);
    };
    let text = store.required(store.string("url", EXAMPLE)?, "url", EXAMPLE)?;
    let fix = format!("write a PostgreSQL URL, e.g. `url = {EXAMPLE}`");
    let url = Url::parse(text)
        .map_err(|error| store.error("url", format!("not a URL: {error}"), &fix))?;
    if url.password().is_some() {
        return Err(store.error(
            "url",
            "carries a password: the configuration file would hold it",
            "take it out of the URL and write `password = { env = \"NAME\" }` or \
             `password = { file = \"path\" }`",
        ));
    }
    if !matches!(url.scheme(), "postgresql" | "postgres") {
        return Err(store.error(
            "url",
            format!(
                "`{}:` URLs are not a store: only PostgreSQL (postgresql://)",
                url.scheme()
            ),
            fix,
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(store.error("url", "names no server", fix));
    }
    let password = match store.get("password") {
        Some(_) => Some(resolve(&store, "password", dir, env)?),
        None => None,
    };
    let lease = positive_duration(&store, "lease", "\"30s\"")?.unwrap_or(DEFAULT_LEASE);
    if lease < SHORTEST_LEASE {
        return Err(store.error(
            "lease",
            "is shorter than a second",
            "write e.g. `lease = \"30s\"`: hosts renew their leases every third of it",
        ));
    }
    Ok(StoreConfig::Postgres(PostgresUrl {
        url: text.to_owned(),
        password,
        lease,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{error, key_problem, load, minimal};

    #[test]
    fn without_a_store_section_the_state_is_local() {
        assert_eq!(load(&minimal("")).unwrap().store, StoreConfig::Local);
    }

    #[test]
    fn a_postgresql_url_and_its_password_by_reference_are_read() {
        let config = load(&minimal(
            "[store]\nurl = \"postgresql://mlc@db.internal:5432/mlc\"\n\
             password = { env = \"MLC_ADMIN_TOKEN\" }",
        ))
        .unwrap();
        let StoreConfig::Postgres(postgres) = config.store else {
            panic!("{:?}", config.store);
        };
        assert_eq!(postgres.url, "postgresql://mlc@db.internal:5432/mlc");
        assert_eq!(postgres.password.unwrap().expose(), "admin-secret");
        assert_eq!(postgres.lease, DEFAULT_LEASE);
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_quoting_it() {
        let error = error(&minimal(
            "[store]\nurl = \"postgresql://mlc:hunter2@db.internal/mlc\"",
        ));
        assert_eq!(
            error.to_string(),
            "mlc.toml: store.url: carries a password: the configuration file would hold it\n  \
             fix: take it out of the URL and write `password = { env = \"NAME\" }` or \
             `password = { file = \"path\" }`"
        );
    }

    #[test]
    fn a_bad_store_is_refused_naming_the_key() {
        let case = |store: &str| key_problem(&minimal(&format!("[store]\n{store}")));
        assert_eq!(
            case("url = \"db.internal/mlc\""),
            (
                "store.url".to_owned(),
                "not a URL: relative URL without a base".to_owned()
            )
        );
        assert_eq!(
            case("url = \"mysql://db.internal/mlc\""),
            (
                "store.url".to_owned(),
                "`mysql:` URLs are not a store: only PostgreSQL (postgresql://)".to_owned()
            )
        );
        assert_eq!(
            case("url = \"postgresql:///mlc\""),
            ("store.url".to_owned(), "names no server".to_owned())
        );
        let url = "url = \"postgresql://mlc@db.internal/mlc\"";
        assert_eq!(
            case(&format!("{url}\nlease = \"500ms\"")),
            (
                "store.lease".to_owned(),
                "is shorter than a second".to_owned()
            )
        );
        assert_eq!(
            case(&format!("{url}\nlease = \"soon\"")),
            (
                "store.lease".to_owned(),
                "`soon` is not a duration".to_owned()
            )
        );
        assert_eq!(
            case("password = { env = \"MLC_ADMIN_TOKEN\" }"),
            ("store.url".to_owned(), "missing".to_owned())
        );
        assert_eq!(
            case("url = \"postgresql://db/mlc\"\npassword = \"hunter2\""),
            (
                "store.password".to_owned(),
                "a secret written inline is refused: the configuration file would hold it"
                    .to_owned()
            )
        );
        assert_eq!(
            case("url = \"postgresql://db/mlc\"\npassword = { env = \"NOT_SET_ANYWHERE\" }"),
            (
                "store.password".to_owned(),
                "environment variable `NOT_SET_ANYWHERE` is not set".to_owned()
            )
        );
    }
}
