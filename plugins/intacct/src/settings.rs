//! The connection's settings and secrets, read once per call.
//!
//! | name | where | what |
//! | --- | --- | --- |
//! | `base_url` | setting | the gateway: an origin (`https://api.intacct.com`), to which `/ia/xml/xmlgw.phtml` is added, or the full `….phtml` URL |
//! | `company_id` | setting | the company to sign in to |
//! | `user_id` | setting | the Web Services user |
//! | `location_id` (or `entity`) | setting, optional | the entity to sign in to, in a multi-entity company |
//! | `duplicate_errno` | setting, optional | the error number Intacct answers for an already executed controlid (the text "already executed" is recognised without it) |
//! | `functions_per_request` | setting, optional | at most this many functions in one request, 1 to 100 (default 100, Intacct's cap): a bigger batch goes out as several requests, one after the other |
//! | `query_page_size` | setting, optional | at most this many records in one page of a period's read (`readByQuery`, then `readMore` for each further page), 1 to 2000 (default 1000; 2000 is Intacct's cap) |
//! | `sender_id`, `sender_password` | secrets | the Web Services sender (integration partner) credentials |
//! | `user_password` | secret | the Web Services user's password |

use ml_connector_sdk::{PluginError, config, secrets};

/// The most functions Intacct takes in one request, and the default of `functions_per_request`.
pub const MAX_FUNCTIONS_PER_REQUEST: usize = 100;
/// The most records Intacct answers in one page of a query.
pub const MAX_QUERY_PAGE_SIZE: usize = 2000;
/// The default of `query_page_size`: half Intacct's cap keeps each answer moderate.
pub const DEFAULT_QUERY_PAGE_SIZE: usize = 1000;

/// Where clients sign in on an Intacct gateway.
const GATEWAY_PATH: &str = "/ia/xml/xmlgw.phtml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where login requests go (later calls go to the endpoint `getAPISession` returned).
    pub login_url: String,
    pub company_id: String,
    pub user_id: String,
    pub location_id: Option<String>,
    pub duplicate_errno: Option<String>,
    pub sender_id: String,
    pub sender_password: String,
    pub user_password: String,
}

impl Settings {
    /// Reads the settings (a missing one is `Rejected`) and secrets (a missing one is `Auth`).
    pub fn load() -> Result<Self, PluginError> {
        let optional = |key: &str| config::get(key).filter(|value| !value.trim().is_empty());
        Ok(Self {
            login_url: login_url(&config::require("base_url")?),
            company_id: config::require("company_id")?,
            user_id: config::require("user_id")?,
            location_id: optional("location_id").or_else(|| optional("entity")),
            duplicate_errno: optional("duplicate_errno"),
            sender_id: secrets::require("sender_id")?,
            sender_password: secrets::require("sender_password")?,
            user_password: secrets::require("user_password")?,
        })
    }

    /// Who a stored session belongs to: a session is reused only under the same identity.
    pub fn identity(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.login_url,
            self.sender_id,
            self.company_id,
            self.user_id,
            self.location_id.as_deref().unwrap_or_default()
        )
    }
}

/// The `functions_per_request` setting: a whole number from 1 to 100, 100 when unset.
pub fn functions_per_request() -> Result<usize, PluginError> {
    whole_number(
        "functions_per_request",
        MAX_FUNCTIONS_PER_REQUEST,
        MAX_FUNCTIONS_PER_REQUEST,
        "the most functions Intacct takes in one request",
    )
}

/// The `query_page_size` setting: a whole number from 1 to 2000, 1000 when unset.
pub fn query_page_size() -> Result<usize, PluginError> {
    whole_number(
        "query_page_size",
        DEFAULT_QUERY_PAGE_SIZE,
        MAX_QUERY_PAGE_SIZE,
        "the most records Intacct answers in one page",
    )
}

/// The setting `name`: a whole number from 1 to `max` (`max_is` says why), `default` when unset.
fn whole_number(
    name: &str,
    default: usize,
    max: usize,
    max_is: &str,
) -> Result<usize, PluginError> {
    let Some(text) = config::get(name).filter(|text| !text.trim().is_empty()) else {
        return Ok(default);
    };
    match text.trim().parse::<usize>() {
        Ok(value) if (1..=max).contains(&value) => Ok(value),
        _ => Err(PluginError::rejected(format!(
            "the setting {name} is `{text}`: write a whole number from 1 to {max}, {max_is}"
        ))),
    }
}

fn login_url(base_url: &str) -> String {
    let base_url = base_url.trim().trim_end_matches('/');
    match base_url.ends_with(".phtml") {
        true => base_url.to_owned(),
        false => format!("{base_url}{GATEWAY_PATH}"),
    }
}

/// Settings for unit tests: the simulator's demo company, passwords `p` and `u`.
#[cfg(test)]
pub fn sample() -> Settings {
    Settings {
        login_url: "http://gateway/ia/xml/xmlgw.phtml".into(),
        company_id: "ml-demo".into(),
        user_id: "xml_gateway".into(),
        location_id: None,
        duplicate_errno: None,
        sender_id: "mlconnector".into(),
        sender_password: "p".into(),
        user_password: "u".into(),
    }
}

#[cfg(test)]
mod tests {
    use ml_connector_sdk::testing;

    use super::*;

    #[test]
    fn reads_settings_and_secrets() {
        testing::reset();
        testing::set_config([
            ("base_url", "http://127.0.0.1:9/"),
            ("company_id", "ml-demo"),
            ("user_id", "xml_gateway"),
            ("entity", "HQ"),
        ]);
        assert!(matches!(Settings::load(), Err(PluginError::Auth(_))));
        testing::set_secrets([
            ("sender_id", "mlconnector"),
            ("sender_password", "s"),
            ("user_password", "u"),
        ]);
        let settings = Settings::load().unwrap();
        assert_eq!(settings.login_url, "http://127.0.0.1:9/ia/xml/xmlgw.phtml");
        assert_eq!(settings.location_id.as_deref(), Some("HQ"));
        assert_eq!(functions_per_request(), Ok(MAX_FUNCTIONS_PER_REQUEST));
        assert_eq!(
            login_url("https://api.intacct.com/ia/xml/xmlgw.phtml"),
            "https://api.intacct.com/ia/xml/xmlgw.phtml"
        );
    }

    #[test]
    fn query_page_size_is_1_to_2000_and_1000_unless_set() {
        testing::reset();
        assert_eq!(query_page_size(), Ok(DEFAULT_QUERY_PAGE_SIZE));
        testing::set_config([("query_page_size", "2000")]);
        assert_eq!(query_page_size(), Ok(2000));
        testing::set_config([("query_page_size", "2001")]);
        assert_eq!(
            query_page_size().unwrap_err().message(),
            "the setting query_page_size is `2001`: write a whole number from 1 to 2000, the most \
             records Intacct answers in one page"
        );
    }

    #[test]
    fn functions_per_request_is_1_to_100() {
        testing::reset();
        testing::set_config([("functions_per_request", " 7 ")]);
        assert_eq!(functions_per_request(), Ok(7));
        for bad in ["0", "101", "ten", "-3"] {
            testing::set_config([("functions_per_request", bad)]);
            let error = functions_per_request().unwrap_err();
            assert!(
                matches!(&error, PluginError::Rejected { .. })
                    && error.message().contains(&format!("`{bad}`"))
                    && error.message().contains("from 1 to 100"),
                "{error:?}"
            );
        }
    }
}
