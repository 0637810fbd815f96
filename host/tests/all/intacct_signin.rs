//! A refused Intacct sign-in through the real host against the simulated gateway, at each level
//! Intacct reports it: the gateway in front (HTTP 401, `XMLGW_JPP0002`), the control block (bad
//! sender, `XL03000006`) and the authentication block (bad login, `XL03000006`). Each is an `auth`
//! error with advice on the credentials to check, in `ping` and in `apply`, and nothing posts.

use std::sync::Arc;

use mlc_host::types::{Command, PluginError};
use mlc_host::{CallError, ConnectorCall, Host};
use serde_json::json;
use simulators::intacct::{
    DEMO_COMPANY_ID, DEMO_SENDER_PASSWORD, DEMO_USER_PASSWORD, GATEWAY_SIGN_IN_INCORRECT,
    IntacctConfig, IntacctSim,
};

/// How a level is provoked: the sender and user passwords to sign in with, and whether the
/// simulator's gateway refuses logins itself.
struct Level {
    name: &'static str,
    sender_password: &'static str,
    user_password: &'static str,
    at_gateway: bool,
    /// The error number the refusal carries.
    errorno: &'static str,
    /// A secret key the advice must name.
    advises: &'static str,
}

const LEVELS: [Level; 3] = [
    Level {
        name: "gateway",
        sender_password: DEMO_SENDER_PASSWORD,
        user_password: "not-the-user-password",
        at_gateway: true,
        errorno: GATEWAY_SIGN_IN_INCORRECT,
        advises: "`user_password`",
    },
    Level {
        name: "control",
        sender_password: "not-the-sender-password",
        user_password: DEMO_USER_PASSWORD,
        at_gateway: false,
        errorno: "XL03000006",
        advises: "`sender_password`",
    },
    Level {
        name: "authentication",
        sender_password: DEMO_SENDER_PASSWORD,
        user_password: "not-the-user-password",
        at_gateway: false,
        errorno: "XL03000006",
        advises: "`user_password`",
    },
];

async fn connector(sim: &IntacctSim, host: &Host, level: &Level) -> ConnectorCall {
    sim.refuse_logins_at_gateway(level.at_gateway);
    let connection =
        support::intacct_connection(sim, "books", level.sender_password, level.user_password);
    host.connector("intacct", Arc::new(connection)).unwrap()
}

fn assert_auth_with_advice<T: std::fmt::Debug>(
    level: &Level,
    call: &str,
    result: Result<T, CallError>,
) {
    let message = match result {
        Err(CallError::Plugin {
            error: PluginError::Auth(message),
            ..
        }) => message,
        other => panic!("{} level, {call}: expected auth, got {other:?}", level.name),
    };
    let context = format!("{} level, {call}: {message}", level.name);
    assert!(message.contains(level.errorno), "{context}");
    assert!(message.contains("Check the"), "{context}");
    assert!(message.contains(level.advises), "{context}");
    assert!(
        !message.contains(level.sender_password) && !message.contains(level.user_password),
        "{context} leaks a password"
    );
}

#[tokio::test]
async fn a_refused_sign_in_is_auth_with_advice_at_every_level_in_ping_and_apply() {
    let sim = IntacctSim::start(IntacctConfig::demo())
        .await
        .expect("the simulator starts");
    let host = support::host().await;
    let invoice = Command {
        kind: "intacct.create-invoice".into(),
        key: "signin/0".into(),
        body: json!({
            "customer_id": "C-DEMO",
            "date": "2025-03-01",
            "lines": [{"gl_account_no": "4000", "amount": "10.00"}]
        })
        .to_string(),
    };
    for level in &LEVELS {
        let connector = connector(&sim, &host, level).await;
        let ping = connector.ping().await;
        assert_eq!(ping.http.len(), 1, "{} level: one sign-in", level.name);
        let status = if level.at_gateway { 401 } else { 200 };
        assert_eq!(ping.http[0].status, Some(status), "{} level", level.name);
        assert_auth_with_advice(level, "ping", ping.result);

        let apply = connector.apply(std::slice::from_ref(&invoice)).await;
        assert_auth_with_advice(level, "apply", apply.result);
    }
    assert!(sim.ledger(DEMO_COMPANY_ID).invoices.is_empty());
}
