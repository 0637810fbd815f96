//! For the contract tests of mappings that feed this connector (native builds only): whether the
//! connector accepts a command's body. The command goes through `apply` with the gateway answering
//! 503, so a body that fits its kind reaches the gateway (the batch's `Transient`) and one that does
//! not comes back as that command's `Rejected`, unsent.

use ml_connector_sdk::http::Response;
use ml_connector_sdk::{Command, Connector, PluginError, testing};

use crate::Intacct;

/// `None` when the connector accepts `command` (and tries to send it); its refusal otherwise.
///
/// # Panics
/// On any other outcome, which would mean the check itself is broken.
pub fn refusal(command: &Command) -> Option<String> {
    testing::reset();
    testing::set_config([
        ("base_url", "http://gateway"),
        ("company_id", "ml-demo"),
        ("user_id", "xml_gateway"),
    ]);
    testing::set_secrets([
        ("sender_id", "s"),
        ("sender_password", "p"),
        ("user_password", "u"),
    ]);
    testing::set_http_handler(|_| {
        Ok(Response {
            status: 503,
            headers: Vec::new(),
            body: b"unavailable".to_vec(),
        })
    });
    match Intacct::apply(vec![command.clone()]) {
        Err(PluginError::Transient(_)) => None,
        Ok(results) => match results.into_iter().next() {
            Some(Err(PluginError::Rejected { message, .. })) => Some(message),
            other => panic!("{}: unexpected {other:?}", command.kind),
        },
        Err(other) => panic!("{}: unexpected {other:?}", command.kind),
    }
}
