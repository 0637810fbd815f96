//! A refused sign-in, whichever level of Intacct's answer carries it, and the one `Auth` error it
//! becomes, with advice on which credentials to check:
//!
//! | level | looks like | suspects |
//! | --- | --- | --- |
//! | [`Level::Gateway`] | HTTP 401/403, usually with a control failure such as `XMLGW_JPP0002` "Sign-in information is incorrect" | every credential |
//! | [`Level::Control`] | HTTP 200, `control/status` failure with `XL03000006` (or a gateway sign-in number) | the sender (`XL03000006`), else every credential |
//! | [`Level::Authentication`] | HTTP 200, `operation/authentication/status` failure (bad login, invalid session) | the user's login |
//!
//! The advice names settings and secrets by their keys, never their values.

use ml_connector_sdk::PluginError;

use crate::response::{self, IntacctError};
use crate::settings::Settings;

/// Intacct's answer to bad sender or sign-in credentials (also to an invalid session).
pub const AUTHENTICATION_FAILED: &str = "XL03000006";
/// The gateway's answer to sign-in information it cannot accept ("Sign-in information is
/// incorrect. Please check your request."), sent with HTTP 401.
pub const GATEWAY_SIGN_IN_INCORRECT: &str = "XMLGW_JPP0002";

/// Where Intacct said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The gateway in front of Intacct, with this HTTP status.
    Gateway(u16),
    /// The `control` block: the request was not taken.
    Control,
    /// The `operation/authentication` block: the login or the session was refused.
    Authentication,
}

/// A request that did not run because its sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub level: Level,
    pub errors: Vec<IntacctError>,
}

/// Whether one of `errors` is one of Intacct's sign-in refusals.
pub fn is_refusal(errors: &[IntacctError]) -> bool {
    errors.iter().any(|error| {
        let errorno = error.errorno.trim();
        errorno == AUTHENTICATION_FAILED || errorno == GATEWAY_SIGN_IN_INCORRECT
    })
}

/// Which credentials a refusal puts in doubt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suspects {
    Sender,
    Login,
    All,
}

impl Refused {
    /// The `Auth` error: who was refused, at which level, Intacct's errors, and what to check.
    pub fn to_error(&self, settings: &Settings) -> PluginError {
        let level = match self.level {
            Level::Gateway(status) => format!("the gateway answered HTTP {status}"),
            Level::Control => "the request's control block was refused".into(),
            Level::Authentication => "the sign-in was refused".into(),
        };
        PluginError::auth(format!(
            "Intacct refused the sign-in of user {} to company {} ({level}): {}. {}",
            settings.user_id,
            settings.company_id,
            response::describe(&self.errors),
            advice(self.suspects())
        ))
    }

    fn suspects(&self) -> Suspects {
        let only_sender = self
            .errors
            .iter()
            .all(|error| error.errorno.trim() == AUTHENTICATION_FAILED);
        match self.level {
            Level::Control if only_sender && !self.errors.is_empty() => Suspects::Sender,
            Level::Authentication => Suspects::Login,
            Level::Gateway(_) | Level::Control => Suspects::All,
        }
    }
}

fn advice(suspects: Suspects) -> String {
    const SENDER: &str = "the secrets `sender_id` and `sender_password` (the Web Services sender; \
                          the company must list the sender ID among its Web Services authorizations)";
    const LOGIN: &str = "the settings `company_id`, `user_id` and `location_id` and the secret \
                         `user_password` (the Web Services user's login)";
    match suspects {
        Suspects::Sender => format!("Check {SENDER}."),
        Suspects::Login => format!("Check {LOGIN}."),
        Suspects::All => format!("Check {SENDER}, and {LOGIN}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(errorno: &str, description: &str) -> IntacctError {
        IntacctError {
            errorno: errorno.into(),
            description: description.into(),
            ..IntacctError::default()
        }
    }

    fn message(refused: Refused) -> String {
        match refused.to_error(&crate::settings::sample()) {
            PluginError::Auth(message) => message,
            other => panic!("expected auth, got {other:?}"),
        }
    }

    #[test]
    fn sign_in_refusals_are_recognised_by_their_numbers() {
        assert!(is_refusal(&[error(AUTHENTICATION_FAILED, "")]));
        assert!(is_refusal(&[
            error("XL03000003", "parse"),
            error(" XMLGW_JPP0002 ", "Sign-in information is incorrect.")
        ]));
        assert!(!is_refusal(&[error(
            "XL03000003",
            "XML Parse schema error"
        )]));
        assert!(!is_refusal(&[]));
    }

    #[test]
    fn each_level_advises_the_credentials_it_puts_in_doubt() {
        let sender = message(Refused {
            level: Level::Control,
            errors: vec![error(
                AUTHENTICATION_FAILED,
                "Incorrect Intacct XML Partner ID",
            )],
        });
        assert!(sender.contains("control block"), "{sender}");
        assert!(sender.contains("`sender_password`"), "{sender}");
        assert!(!sender.contains("`user_password`"), "{sender}");

        let login = message(Refused {
            level: Level::Authentication,
            errors: vec![error(
                AUTHENTICATION_FAILED,
                "Sign-in information is incorrect",
            )],
        });
        assert!(login.contains("`user_password`"), "{login}");
        assert!(!login.contains("`sender_password`"), "{login}");

        let gateway = message(Refused {
            level: Level::Gateway(401),
            errors: vec![error(
                GATEWAY_SIGN_IN_INCORRECT,
                "Sign-in information is incorrect.",
            )],
        });
        assert!(gateway.contains("HTTP 401"), "{gateway}");
        assert!(gateway.contains("[XMLGW_JPP0002]"), "{gateway}");
        assert!(gateway.contains("`sender_password`") && gateway.contains("`user_password`"));

        let unexplained = message(Refused {
            level: Level::Control,
            errors: Vec::new(),
        });
        assert!(
            unexplained.contains("`sender_password`") && unexplained.contains("`user_password`")
        );
    }

    #[test]
    fn the_error_names_the_user_and_company_but_no_secret() {
        let settings = Settings {
            sender_id: "sender-id-value".into(),
            sender_password: "sender-password-value".into(),
            user_password: "user-password-value".into(),
            ..crate::settings::sample()
        };
        let refused = Refused {
            level: Level::Gateway(401),
            errors: Vec::new(),
        };
        let PluginError::Auth(text) = refused.to_error(&settings) else {
            panic!("expected auth");
        };
        assert!(text.contains(&settings.user_id) && text.contains(&settings.company_id));
        for secret in [
            &settings.sender_id,
            &settings.sender_password,
            &settings.user_password,
        ] {
            assert!(!text.contains(secret.as_str()), "{text} leaks {secret}");
        }
    }
}
