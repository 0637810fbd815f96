//! The `intacct` connector through the real host against the simulated Intacct gateway
//! (`simulators::intacct`): ping, one request per batch, exactly once under retries, sessions
//! reused, refreshed after 50 minutes and replaced when the gateway drops them, typed errors,
//! text sanitising, and every command kind checked in the simulator's ledger; last, the
//! `shipstation-intacct` mapping in the sandbox, its batches posted through the connector.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use mlc_host::clock::ManualClock;
use mlc_host::types::{Applied, Command, Entity, Event, InboundRequest, PluginError, VerifyError};
use mlc_host::{CallError, CallReport, Connection, ConnectorCall, Host};
use serde_json::{Value, json};
use simulators::intacct::{
    AdjustmentKind, DEMO_COMPANY_ID, DEMO_SENDER_PASSWORD, DEMO_USER_ID, DEMO_USER_PASSWORD,
    IntacctConfig, IntacctSim, InvoiceState, Ledger, SalesOrder,
};

type Results = Vec<Result<Applied, PluginError>>;

fn connection_with(sim: &IntacctSim, user_password: &str) -> Arc<Connection> {
    Arc::new(support::intacct_connection(
        sim,
        "books",
        DEMO_SENDER_PASSWORD,
        user_password,
    ))
}

async fn start() -> (IntacctSim, Host, ConnectorCall) {
    start_with(Host::builder()).await
}

async fn start_with(builder: mlc_host::HostBuilder) -> (IntacctSim, Host, ConnectorCall) {
    let sim = IntacctSim::start(IntacctConfig::demo())
        .await
        .expect("the simulator starts");
    let host = support::host_with(builder).await;
    let connector = host
        .connector("intacct", connection_with(&sim, DEMO_USER_PASSWORD))
        .unwrap();
    (sim, host, connector)
}

fn command(kind: &str, key: &str, body: Value) -> Command {
    Command {
        kind: format!("intacct.{kind}"),
        key: key.into(),
        body: body.to_string(),
    }
}

fn customer(key: &str, customer_id: &str, name: &str) -> Command {
    command(
        "upsert-customer",
        key,
        json!({"customer_id": customer_id, "name": name, "email": "jane@example.com"}),
    )
}

fn invoice(key: &str, customer_id: &str, amount: &str) -> Command {
    command(
        "create-invoice",
        key,
        json!({
            "customer_id": customer_id,
            "date": "2025-03-01",
            "invoice_no": format!("INV-{key}"),
            "po_number": "PO-1",
            "description": "Order",
            "lines": [{
                "gl_account_no": "4000", "amount": amount, "memo": "goods",
                "location_id": "HQ", "department_id": "SALES", "class_id": "ONLINE"
            }]
        }),
    )
}

fn ledger(sim: &IntacctSim) -> Ledger {
    sim.ledger(DEMO_COMPANY_ID)
}

/// The results of a batch that must have run.
fn results(report: &CallReport<Results>) -> &Results {
    report
        .result
        .as_ref()
        .unwrap_or_else(|error| panic!("the batch failed: {error}"))
}

fn applied(result: &Result<Applied, PluginError>) -> &Applied {
    result
        .as_ref()
        .unwrap_or_else(|error| panic!("the command failed: {error:?}"))
}

/// The external id `name` of a command that must have been applied.
fn id(result: &Result<Applied, PluginError>, name: &str) -> String {
    let applied = applied(result);
    applied
        .external_ids
        .iter()
        .find(|(id_name, _)| id_name == name)
        .map(|(_, id)| id.clone())
        .unwrap_or_else(|| panic!("no external id `{name}` in {applied:?}"))
}

/// The outer error of a batch that must have failed as a whole.
fn batch_error(report: &CallReport<Results>) -> &PluginError {
    match &report.result {
        Err(CallError::Plugin { error, .. }) => error,
        other => panic!("expected the batch to fail, got {other:?}"),
    }
}

async fn apply_one(connector: &ConnectorCall, command: Command) -> Result<Applied, PluginError> {
    let report = connector.apply(&[command]).await;
    results(&report)[0].clone()
}

#[tokio::test]
async fn ping_reports_company_user_and_endpoint_and_a_bad_password_is_auth() {
    let (sim, host, connector) = start().await;
    let report = connector.ping().await;
    assert_eq!(
        report.result.as_deref().unwrap(),
        format!(
            "company {DEMO_COMPANY_ID}, user {DEMO_USER_ID}, endpoint {}",
            sim.session_endpoint_url()
        )
    );
    assert_eq!(report.http.len(), 1);
    assert!(report.http[0].url.ends_with("/ia/xml/xmlgw.phtml"));

    let wrong = host
        .connector("intacct", connection_with(&sim, "not-the-password"))
        .unwrap();
    match wrong.ping().await.result {
        Err(CallError::Plugin {
            error: PluginError::Auth(message),
            ..
        }) => assert!(message.contains("XL03000006"), "{message}"),
        other => panic!("expected an auth error, got {other:?}"),
    }
}

#[tokio::test]
async fn describe_names_the_commands_and_the_source_exports_refuse() {
    let (_sim, _host, connector) = start().await;
    let info = connector.describe().await.result.unwrap();
    assert_eq!(
        (info.name.as_str(), info.version.as_str()),
        ("intacct", "0.1.0")
    );
    assert_eq!(
        info.commands,
        [
            "intacct.upsert-customer",
            "intacct.create-invoice",
            "intacct.reverse-invoice",
            "intacct.create-adjustment",
            "intacct.create-payment",
            "intacct.create-gl-batch",
            "intacct.find-sales-order",
            "intacct.read-period",
        ]
    );
    let request = InboundRequest {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: Vec::new(),
        body: b"{}".to_vec(),
    };
    match connector.verify(&request).await.result {
        Err(CallError::Verify {
            error: VerifyError::Malformed(message),
            ..
        }) => assert!(message.contains("intacct is a sink connector"), "{message}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
    match connector.poll(None).await.result {
        Err(CallError::Plugin {
            error: PluginError::Rejected(rejection),
            ..
        }) => assert!(rejection.message.contains("intacct is a sink connector")),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_customer_and_an_invoice_go_in_one_request_and_a_repeat_posts_nothing() {
    let (sim, _host, connector) = start().await;
    let batch = [
        customer("order-1001/0", "C-1001", "Jane Doe"),
        invoice("order-1001/1", "C-1001", "100.00"),
    ];

    let report = connector.apply(&batch).await;
    let first = results(&report);
    assert_eq!(
        report.http.len(),
        2,
        "a sign-in, then ONE request: {:?}",
        report.http
    );
    assert_eq!(report.http[1].url, sim.session_endpoint_url());
    let body = &report.http[1].request_body;
    assert!(body.contains("<uniqueid>true</uniqueid>"), "{body}");
    assert!(
        body.contains("<function controlid=\"order-1001/0\"><create><CUSTOMER>"),
        "{body}"
    );
    assert!(
        body.contains("<function controlid=\"order-1001/1\"><create_invoice>"),
        "{body}"
    );
    assert_eq!(id(&first[0], "customer"), "C-1001");
    let invoice_key = id(&first[1], "invoice");
    assert!(first.iter().all(|result| !applied(result).already_done));

    let books = ledger(&sim);
    let jane = books.customer("C-1001").expect("the customer exists");
    assert_eq!(jane.name, "Jane Doe");
    assert_eq!(jane.fields["DISPLAYCONTACT.EMAIL1"], "jane@example.com");
    let posted = books.invoice(&invoice_key).expect("the invoice exists");
    assert_eq!(posted.state, InvoiceState::Posted);
    assert_eq!(posted.document.total.to_string(), "100.00");
    assert_eq!(posted.document.controlid, "order-1001/1");
    assert_eq!(posted.document.number.as_deref(), Some("INV-order-1001/1"));
    assert_eq!(books.account_balance("1200").to_string(), "100.00");

    let report = connector.apply(&batch).await;
    let again = results(&report);
    assert_eq!(
        report.http.len(),
        1,
        "the session is reused: {:?}",
        report.http
    );
    assert!(
        again.iter().all(|result| applied(result).already_done),
        "{again:?}"
    );
    let after = ledger(&sim);
    assert_eq!(after.customers.len(), books.customers.len());
    assert_eq!(after.invoices.len(), books.invoices.len());
    assert_eq!(after.postings.len(), books.postings.len());
}

#[tokio::test]
async fn a_batch_of_250_goes_out_as_requests_of_at_most_100_functions_and_posts_each_once() {
    let (sim, _host, connector) = start().await;
    let mut batch = vec![customer("big/customer", "C-BIG", "Big Batch")];
    batch.extend((1..250).map(|n| invoice(&format!("big/{n}"), "C-BIG", "1.00")));

    let before = sim.session_endpoint_request_count();
    let report = connector.apply(&batch).await;
    assert_eq!(sim.session_endpoint_request_count() - before, 3);
    // The audit keeps the start of each body: each request starts with its first command.
    let firsts: Vec<&str> = report.http[1..]
        .iter()
        .map(|call| {
            let body = &call.request_body;
            let at = body.find("<function controlid=\"").expect("a function") + 21;
            &body[at..at + body[at..].find('"').unwrap()]
        })
        .collect();
    assert_eq!(firsts, ["big/customer", "big/100", "big/200"]);
    let first = results(&report);
    assert!(first.iter().all(|result| result.is_ok()), "{first:?}");
    let books = ledger(&sim);
    assert_eq!(books.invoices.len(), 249);
    assert_eq!(books.account_balance("1200").to_string(), "249.00");

    let report = connector.apply(&batch).await;
    assert_eq!(
        report.http.len(),
        3,
        "the session is reused; three requests again"
    );
    assert_eq!(sim.session_endpoint_request_count() - before, 6);
    assert!(
        results(&report)
            .iter()
            .all(|result| applied(result).already_done),
        "every command ran already"
    );
    assert_eq!(ledger(&sim).invoices.len(), 249, "nothing posted twice");
}

#[tokio::test]
async fn an_upsert_of_an_existing_customer_updates_it() {
    let (sim, _host, connector) = start().await;
    let upsert = customer("crm-7/0", "C-DEMO", "Demo Customer Renamed");
    let report = connector.apply(std::slice::from_ref(&upsert)).await;
    assert_eq!(id(&results(&report)[0], "customer"), "C-DEMO");
    assert_eq!(report.http.len(), 3, "sign-in, create (duplicate), update");
    assert!(
        report.http[2]
            .request_body
            .contains("controlid=\"crm-7/0/update\"><update>")
    );
    let books = ledger(&sim);
    assert_eq!(
        books
            .customers
            .iter()
            .filter(|c| c.customer_id == "C-DEMO")
            .count(),
        1
    );
    assert_eq!(
        books.customer("C-DEMO").unwrap().name,
        "Demo Customer Renamed"
    );

    let again = apply_one(&connector, upsert).await;
    assert!(applied(&again).already_done, "{again:?}");
}

#[tokio::test]
async fn the_session_is_reused_then_refreshed_after_fifty_minutes() {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap(),
    ));
    let (sim, _host, connector) = start_with(Host::builder().clock(clock.clone())).await;
    let find = |n: u32| {
        command(
            "find-sales-order",
            &format!("find/{n}"),
            json!({"doc_no": "SO-1001"}),
        )
    };

    let report = connector.apply(&[find(1)]).await;
    results(&report);
    assert_eq!(report.http.len(), 2);
    clock.advance(Duration::from_secs(49 * 60));
    let report = connector.apply(&[find(2)]).await;
    results(&report);
    assert_eq!(report.http.len(), 1, "the stored session is reused");

    clock.advance(Duration::from_secs(2 * 60));
    let report = connector.apply(&[find(3)]).await;
    results(&report);
    assert_eq!(report.http.len(), 2, "51 minutes: a new session first");
    assert!(report.http[0].request_body.contains("<getAPISession>"));
    assert_eq!(sim.request_count(), 5);
    assert_eq!(sim.session_endpoint_request_count(), 3);
}

#[tokio::test]
async fn a_session_the_gateway_dropped_is_replaced_and_the_request_sent_once_more() {
    let (sim, _host, connector) = start().await;
    results(
        &connector
            .apply(&[invoice("e-1/0", "C-DEMO", "10.00")])
            .await,
    );
    sim.expire_sessions();

    let report = connector
        .apply(&[invoice("e-2/0", "C-DEMO", "20.00")])
        .await;
    let applied_invoice = id(&results(&report)[0], "invoice");
    let steps: Vec<_> = report
        .http
        .iter()
        .map(|exchange| {
            (
                exchange.url.clone(),
                exchange.response_body.contains("Invalid session"),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (sim.session_endpoint_url(), true),
            (sim.endpoint_url(), false),
            (sim.session_endpoint_url(), false),
        ]
    );
    assert!(ledger(&sim).invoice(&applied_invoice).is_some());
    assert_eq!(ledger(&sim).invoices.len(), 2);
}

#[tokio::test]
async fn server_errors_and_lost_answers_are_transient_and_the_retry_posts_once() {
    let (sim, _host, connector) = start().await;
    connector.ping().await.result.unwrap();

    sim.faults().fail_next(1);
    let report = connector
        .apply(&[invoice("t-1/0", "C-DEMO", "30.00")])
        .await;
    assert!(
        matches!(batch_error(&report), PluginError::Transient(_)),
        "{:?}",
        report.result
    );
    assert!(ledger(&sim).invoices.is_empty());
    let retried = apply_one(&connector, invoice("t-1/0", "C-DEMO", "30.00")).await;
    assert!(!applied(&retried).already_done);

    sim.faults().drop_next_after_commit(1);
    let report = connector
        .apply(&[invoice("t-2/0", "C-DEMO", "40.00")])
        .await;
    assert!(
        matches!(batch_error(&report), PluginError::Transient(_)),
        "{:?}",
        report.result
    );
    assert_eq!(
        ledger(&sim).invoices.len(),
        2,
        "the write committed before the answer was lost"
    );
    let retried = apply_one(&connector, invoice("t-2/0", "C-DEMO", "40.00")).await;
    assert!(applied(&retried).already_done, "{retried:?}");
    assert_eq!(ledger(&sim).invoices.len(), 2);

    sim.throttle_next(1);
    let report = connector
        .apply(&[invoice("t-3/0", "C-DEMO", "50.00")])
        .await;
    assert!(
        matches!(batch_error(&report), PluginError::RateLimited(_)),
        "{:?}",
        report.result
    );
}

#[tokio::test]
async fn a_business_error_is_rejected_with_its_errorno_and_the_rest_of_the_batch_posts() {
    let (sim, _host, connector) = start().await;
    let mut bad = invoice("b-1/0", "C-DEMO", "10.00");
    bad.body = bad.body.replace("\"4000\"", "\"9999\"");
    let report = connector
        .apply(&[
            bad,
            invoice("b-1/1", "C-DEMO", "15.00"),
            command("create-invoice", "b-1/2", json!({"customer_id": "C-DEMO"})),
        ])
        .await;
    let outcome = results(&report);
    assert_eq!(report.http.len(), 2, "the malformed command is not sent");
    match &outcome[0] {
        Err(PluginError::Rejected(rejection)) => {
            assert_eq!(rejection.code.as_deref(), Some("BL01001973"));
            assert!(
                rejection.message.contains("Invalid GL account 9999"),
                "{}",
                rejection.message
            );
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    id(&outcome[1], "invoice");
    match &outcome[2] {
        Err(PluginError::Rejected(rejection)) => {
            assert_eq!(rejection.code, None);
            assert!(rejection.message.contains("b-1/2"), "{}", rejection.message);
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(ledger(&sim).invoices.len(), 1);
}

#[tokio::test]
async fn control_characters_are_dropped_and_markup_posts_intact() {
    let (sim, _host, connector) = start().await;
    let name = "A\u{1}cme <&> \"Quoted\" 'Single'\u{1b}\u{7f}\tTab";
    let report = connector
        .apply(&[
            customer("c-1/0", "C-\u{0}MARKUP", name),
            command(
                "create-invoice",
                "c-1/1",
                json!({"customer_id": "C-MARKUP", "date": "2025-03-01",
                       "description": "<b>Bold</b> & \u{2}co",
                       "lines": [{"gl_account_no": "4000", "amount": "5", "memo": "it's \"x\"\u{c}"}]}),
            ),
        ])
        .await;
    let outcome = results(&report);
    assert_eq!(id(&outcome[0], "customer"), "C-MARKUP");
    let books = ledger(&sim);
    assert_eq!(
        books.customer("C-MARKUP").unwrap().name,
        "Acme <&> \"Quoted\" 'Single'\u{7f}\tTab"
    );
    let posted = books.invoice(&id(&outcome[1], "invoice")).unwrap();
    assert_eq!(
        posted.document.description.as_deref(),
        Some("<b>Bold</b> & co")
    );
    assert_eq!(posted.document.lines[0].memo.as_deref(), Some("it's \"x\""));
}

#[tokio::test]
async fn a_reversal_undoes_an_invoice() {
    let (sim, _host, connector) = start().await;
    let invoice_key = id(
        &apply_one(&connector, invoice("r-1/0", "C-DEMO", "80.00")).await,
        "invoice",
    );
    let reversal = command(
        "reverse-invoice",
        "r-1/1",
        json!({"invoice_key": invoice_key, "date": "2025-03-05", "description": "Order cancelled"}),
    );
    let reversal_key = id(&apply_one(&connector, reversal.clone()).await, "reversal");
    let books = ledger(&sim);
    assert_eq!(
        books.invoice(&invoice_key).unwrap().state,
        InvoiceState::Reversed
    );
    assert_eq!(books.reversals.len(), 1);
    assert_eq!(books.reversals[0].key, reversal_key);
    assert_eq!(books.reversals[0].total.to_string(), "-80.00");
    assert_eq!(books.account_balance("1200").to_string(), "0.00");
    assert!(applied(&apply_one(&connector, reversal).await).already_done);
}

/// An invoice numbered `number` with the external id `external_id`, for 50.00.
fn numbered_invoice(key: &str, number: &str, external_id: &str) -> Command {
    command(
        "create-invoice",
        key,
        json!({"customer_id": "C-DEMO", "date": "2025-03-01", "invoice_no": number,
               "external_id": external_id,
               "lines": [{"gl_account_no": "4000", "amount": "50.00"}]}),
    )
}

/// A new version `external_id` of the invoice `number`, superseding the others.
fn superseding(key: &str, number: &str, external_id: &str) -> Command {
    let mut command = numbered_invoice(key, number, external_id);
    let mut body: Value = serde_json::from_str(&command.body).unwrap();
    body["supersedes"] = json!({"date": "2025-03-02", "description": "Order edited"});
    command.body = body.to_string();
    command
}

/// A payment of 50.00 applied to the invoice numbered `number` (with `external_id`, if given).
fn payment_of(key: &str, number: &str, external_id: Option<&str>) -> Command {
    let mut application = json!({"invoice_no": number, "amount": "50.00"});
    if let Some(external_id) = external_id {
        application["external_id"] = json!(external_id);
    }
    command(
        "create-payment",
        key,
        json!({"customer_id": "C-DEMO", "amount": "50.00", "date": "2025-03-02",
               "payment_method": "Credit Card", "undeposited_funds_account": "1499",
               "applications": [application]}),
    )
}

#[tokio::test]
async fn a_new_version_supersedes_the_live_one_and_payments_find_their_version() {
    let (sim, _host, connector) = start().await;
    let first = id(
        &apply_one(&connector, numbered_invoice("o-1/v1", "SH1", "o-1-v1")).await,
        "invoice",
    );
    let before = sim.request_count();
    let batch = [
        superseding("o-1/v2", "SH1", "o-1-v2"),
        payment_of("o-1/payment", "SH1", Some("o-1-v2")),
    ];
    let report = connector.apply(&batch).await;
    let outcome = results(&report);
    assert!(
        matches!(&outcome[1], Err(PluginError::Transient(message)) if message.contains("SH1")),
        "the payment looked for the new version before its create ran: {:?}",
        outcome[1]
    );
    let second = id(&outcome[0], "invoice");
    let reversal = id(&outcome[0], "reversal");
    assert_eq!(
        sim.request_count() - before,
        2,
        "the look-ups, then the create with its reversal"
    );
    id(
        &apply_one(&connector, payment_of("o-1/payment", "SH1", Some("o-1-v2"))).await,
        "payment",
    );
    let books = ledger(&sim);
    assert_eq!(books.invoice(&first).unwrap().state, InvoiceState::Reversed);
    assert_eq!(books.invoice(&second).unwrap().state, InvoiceState::Paid);
    assert_eq!(books.reversals.len(), 1);
    assert_eq!(books.reversals[0].key, reversal);
    assert_eq!(books.account_balance("1200").to_string(), "0.00");
    assert_eq!(books.account_balance("1499").to_string(), "50.00");

    let again = connector.apply(&batch).await;
    for result in results(&again) {
        let applied = applied(result);
        assert!(
            applied.already_done || applied.external_ids.is_empty(),
            "{applied:?}"
        );
    }
    let books = ledger(&sim);
    assert_eq!(
        (
            books.invoices.len(),
            books.reversals.len(),
            books.payments.len()
        ),
        (2, 1, 1),
        "the replay posted nothing"
    );

    let after_payment = apply_one(&connector, superseding("o-1/v3", "SH1", "o-1-v3")).await;
    assert!(
        matches!(&after_payment, Err(PluginError::NeedsReview(message)) if message.contains("paid")),
        "{after_payment:?}"
    );
    assert_eq!(ledger(&sim).invoices.len(), 2, "nothing posted");
}

#[tokio::test]
async fn a_payment_needs_exactly_one_live_invoice_with_its_number() {
    let (sim, _host, connector) = start().await;
    let none = apply_one(&connector, payment_of("pay-none", "SH404", None)).await;
    assert!(
        matches!(&none, Err(PluginError::Transient(message)) if message.contains("SH404")),
        "{none:?}"
    );
    for (key, external_id) in [("d/1", "d-1"), ("d/2", "d-2")] {
        id(
            &apply_one(&connector, numbered_invoice(key, "SH2", external_id)).await,
            "invoice",
        );
    }
    let several = apply_one(&connector, payment_of("pay-two", "SH2", None)).await;
    assert!(
        matches!(&several, Err(PluginError::NeedsReview(message)) if message.contains("2 live invoices")),
        "{several:?}"
    );
    assert!(ledger(&sim).payments.is_empty());
}

#[tokio::test]
async fn a_negative_adjustment_is_a_credit_memo() {
    let (sim, _host, connector) = start().await;
    let memo = command(
        "create-adjustment",
        "refund-1/0",
        json!({"customer_id": "C-DEMO", "date": "2025-03-04", "adjustment_no": "CM-1",
               "description": "Refund", "lines": [{"gl_account_no": "4000", "amount": "-25.50"}]}),
    );
    let key = id(&apply_one(&connector, memo).await, "adjustment");
    let books = ledger(&sim);
    assert_eq!(books.adjustments.len(), 1);
    let adjustment = &books.adjustments[0];
    assert_eq!(adjustment.document.key, key);
    assert_eq!(adjustment.kind, AdjustmentKind::CreditMemo);
    assert_eq!(adjustment.document.total.to_string(), "-25.50");
    assert_eq!(adjustment.document.number.as_deref(), Some("CM-1"));
    assert_eq!(books.account_balance("1200").to_string(), "-25.50");
}

#[tokio::test]
async fn payments_settle_invoices_into_undeposited_funds_or_the_bank() {
    let (sim, _host, connector) = start().await;
    let report = connector
        .apply(&[
            invoice("p-1/0", "C-DEMO", "60.00"),
            invoice("p-2/0", "C-DEMO", "40.00"),
        ])
        .await;
    let keys: Vec<String> = results(&report)
        .iter()
        .map(|result| id(result, "invoice"))
        .collect();
    let payment = |key: &str, destination: Value, invoice_key: &str, amount: &str| {
        let mut body = json!({"customer_id": "C-DEMO", "amount": amount, "date": "2025-03-06",
            "payment_method": "Credit Card", "ref_id": "ch_1",
            "applications": [{"invoice_key": invoice_key, "amount": amount}]});
        body.as_object_mut()
            .unwrap()
            .extend(destination.as_object().unwrap().clone());
        command("create-payment", key, body)
    };
    let report = connector
        .apply(&[
            payment(
                "p-1/1",
                json!({"undeposited_funds_account": "1499"}),
                &keys[0],
                "60.00",
            ),
            payment(
                "p-2/1",
                json!({"bank_account_id": "BOA-CHK"}),
                &keys[1],
                "15",
            ),
        ])
        .await;
    let outcome = results(&report);
    let (undeposited, banked) = (id(&outcome[0], "payment"), id(&outcome[1], "payment"));
    let books = ledger(&sim);
    assert_eq!(books.invoice(&keys[0]).unwrap().state, InvoiceState::Paid);
    assert_eq!(
        books.invoice(&keys[1]).unwrap().state,
        InvoiceState::PartiallyPaid
    );
    let paid = |key: &str| books.payments.iter().find(|p| p.key == key).unwrap();
    assert_eq!(paid(&undeposited).account, "1499");
    assert_eq!(paid(&banked).bank_account_id.as_deref(), Some("BOA-CHK"));
    assert_eq!(books.account_balance("1499").to_string(), "60.00");
    assert_eq!(books.account_balance("1010").to_string(), "15.00");
    assert_eq!(books.account_balance("1200").to_string(), "25.00");
}

#[tokio::test]
async fn a_gl_batch_posts_a_balanced_journal_entry() {
    let (sim, _host, connector) = start().await;
    let batch = command(
        "create-gl-batch",
        "label-1/0",
        json!({"journal": "GJ", "date": "2025-03-07", "title": "Shipping labels",
        "entries": [
            {"account_no": "6100", "debit": "12.34", "description": "UPS label",
             "location_id": "WH-EAST", "department_id": "OPS"},
            {"account_no": "2100", "credit": "12.34", "description": "UPS label"}
        ]}),
    );
    let key = id(&apply_one(&connector, batch.clone()).await, "gl_batch");
    let books = ledger(&sim);
    assert_eq!(books.gl_batches.len(), 1);
    let journal = &books.gl_batches[0];
    assert_eq!(
        (journal.key.as_str(), journal.state.as_str()),
        (key.as_str(), "Posted")
    );
    assert_eq!(journal.date.to_string(), "2025-03-07");
    assert_eq!(
        journal.entries[0].dimensions.location.as_deref(),
        Some("WH-EAST")
    );
    assert!(journal.entries[0].debit && !journal.entries[1].debit);
    assert_eq!(books.account_balance("6100").to_string(), "12.34");
    assert!(books.trial_balance.is_balanced());
    assert!(applied(&apply_one(&connector, batch).await).already_done);

    let unbalanced = command(
        "create-gl-batch",
        "label-2/0",
        json!({"journal": "GJ", "date": "2025-03-07", "title": "x", "entries": [
            {"account_no": "6100", "debit": "1"}, {"account_no": "2100", "credit": "2"}]}),
    );
    match apply_one(&connector, unbalanced).await {
        Err(PluginError::Rejected(rejection)) => {
            assert_eq!(rejection.code.as_deref(), Some("BL01001973"));
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn sales_orders_are_found_by_document_or_po_number_on_every_attempt() {
    let (sim, _host, connector) = start().await;
    let record_no = sim.add_sales_order(
        DEMO_COMPANY_ID,
        SalesOrder::new(
            "SO-2001",
            None,
            "C-DEMO",
            "75.00".parse().unwrap(),
            chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        ),
    );
    let find = command(
        "find-sales-order",
        "find-2001/0",
        json!({"doc_no": "SO-2001"}),
    );
    for _ in 0..2 {
        let found = apply_one(&connector, find.clone()).await;
        let found = applied(&found);
        assert!(!found.already_done);
        assert_eq!(
            found.external_ids,
            [("sales_order".to_owned(), record_no.clone())]
        );
        let data: Value = serde_json::from_str(found.data.as_deref().unwrap()).unwrap();
        assert_eq!(data["count"], 1);
        assert_eq!(data["orders"][0]["DOCNO"], "SO-2001");
        assert_eq!(data["orders"][0]["TOTAL"], "75.00");
    }

    let by_po = apply_one(
        &connector,
        command(
            "find-sales-order",
            "find-po/0",
            json!({"po_number": "PO-O'Brien"}),
        ),
    )
    .await;
    let data: Value = serde_json::from_str(applied(&by_po).data.as_deref().unwrap()).unwrap();
    assert_eq!(data["orders"][0]["DOCNO"], "SO-1003");

    let none = apply_one(
        &connector,
        command(
            "find-sales-order",
            "find-none/0",
            json!({"doc_no": "SO-404"}),
        ),
    )
    .await;
    let none = applied(&none);
    assert!(none.external_ids.is_empty());
    assert_eq!(
        none.data.as_deref(),
        Some(r#"{"count":0,"orders":[],"total":0}"#)
    );
}

fn sales_order(doc_no: &str, po_number: Option<&str>) -> SalesOrder {
    SalesOrder::new(
        doc_no,
        po_number,
        "C-DEMO",
        "75.00".parse().unwrap(),
        chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
    )
}

/// A shipment's freight batch (no customer named) matched to the order `field` is one of `numbers`.
fn matched_batch(key: &str, numbers: &[&str], field: &str) -> Command {
    command(
        "create-gl-batch",
        key,
        json!({"journal": "GJ", "date": "2025-03-07", "title": format!("Shipment {key}"),
        "entries": [
            {"account_no": "6100", "debit": "8.45", "description": "UPS ground",
             "location_id": "WH-EAST", "department_id": "OPS"},
            {"account_no": "2100", "credit": "8.45", "location_id": "WH-EAST"}
        ],
        "sales_order": {"numbers": numbers, "field": field}}),
    )
}

#[tokio::test]
async fn a_gl_batch_matched_by_document_number_with_or_without_hash_takes_the_orders_customer() {
    let (sim, _host, connector) = start().await;
    let plain = sim.add_sales_order(DEMO_COMPANY_ID, sales_order("2001", None));
    let hashed = sim.add_sales_order(DEMO_COMPANY_ID, sales_order("#2002", None));

    let batch = matched_batch("shipment/1", &["2001", "#2001"], "DOCNO");
    let report = connector.apply(std::slice::from_ref(&batch)).await;
    assert_eq!(
        report.http.len(),
        4,
        "a sign-in, a look-up per number, then the batch: {:?}",
        report.http
    );
    assert!(
        report.http[1]
            .request_body
            .contains("<query>DOCNO = &apos;2001&apos;</query>")
    );
    assert!(
        report.http[2]
            .request_body
            .contains("<query>DOCNO = &apos;#2001&apos;</query>")
    );
    let posted = &results(&report)[0];
    assert_eq!(id(posted, "sales_order"), plain);
    let key = id(posted, "gl_batch");
    let books = ledger(&sim);
    let journal = books
        .gl_batches
        .iter()
        .find(|journal| journal.key == key)
        .expect("the batch is posted");
    assert_eq!(journal.title, "Shipment shipment/1, sales order 2001");
    assert_eq!(journal.controlid, "shipment/1");
    assert!(
        journal
            .entries
            .iter()
            .all(|entry| entry.customer_id.as_deref() == Some("C-DEMO")),
        "{:?}",
        journal.entries
    );
    assert!(books.trial_balance.is_balanced());

    // A repeat looks the order up again and posts nothing.
    let again = apply_one(&connector, batch).await;
    assert!(applied(&again).already_done);
    assert_eq!(ledger(&sim).gl_batches.len(), books.gl_batches.len());

    let with_hash = apply_one(
        &connector,
        matched_batch("shipment/2", &["2002", "#2002"], "DOCNO"),
    )
    .await;
    assert_eq!(id(&with_hash, "sales_order"), hashed);
    let after = ledger(&sim);
    assert_eq!(
        after.gl_batches.last().unwrap().title,
        "Shipment shipment/2, sales order #2002"
    );
}

#[tokio::test]
async fn a_gl_batch_matched_by_a_po_number_with_a_quote_in_it() {
    let (sim, _host, connector) = start().await;
    let posted = apply_one(
        &connector,
        matched_batch("shipment/3", &["PO-O'Brien"], "PONUMBER"),
    )
    .await;
    let books = ledger(&sim);
    let so_1003 = books
        .sales_orders
        .iter()
        .find(|order| order.doc_no == "SO-1003")
        .unwrap();
    assert_eq!(id(&posted, "sales_order"), so_1003.record_no);
    let journal = books.gl_batches.last().unwrap();
    assert_eq!(journal.title, "Shipment shipment/3, sales order SO-1003");
    assert_eq!(journal.entries[1].customer_id.as_deref(), Some("C-DEMO"));
    assert_eq!(books.account_balance("6100").to_string(), "8.45");
}

#[tokio::test]
async fn a_gl_batch_whose_sales_order_is_missing_or_ambiguous_is_held_and_posts_nothing() {
    let (sim, _host, connector) = start().await;
    let before = ledger(&sim);
    match apply_one(
        &connector,
        matched_batch("shipment/4", &["404", "#404"], "DOCNO"),
    )
    .await
    {
        Err(PluginError::NeedsReview(message)) => assert_eq!(
            message,
            "no sales order has DOCNO '404' or '#404' (Sales Order): the GL batch was not posted"
        ),
        other => panic!("expected NeedsReview, got {other:?}"),
    }

    let first = sim.add_sales_order(DEMO_COMPANY_ID, sales_order("SO-3001", Some("PO-DUP")));
    let second = sim.add_sales_order(DEMO_COMPANY_ID, sales_order("SO-3002", Some("PO-DUP")));
    match apply_one(
        &connector,
        matched_batch("shipment/5", &["PO-DUP"], "PONUMBER"),
    )
    .await
    {
        Err(PluginError::NeedsReview(message)) => assert_eq!(
            message,
            format!(
                "2 sales orders have PONUMBER 'PO-DUP' (Sales Order): SO-3001 (RECORDNO {first}, \
                 customer C-DEMO), SO-3002 (RECORDNO {second}, customer C-DEMO). The GL batch \
                 was not posted"
            )
        ),
        other => panic!("expected NeedsReview, got {other:?}"),
    }
    let after = ledger(&sim);
    assert_eq!(after.gl_batches.len(), before.gl_batches.len());
    assert_eq!(after.postings.len(), before.postings.len());

    // Resolved to one order, the same key posts once.
    let resolved = apply_one(
        &connector,
        matched_batch("shipment/5", &["SO-3002"], "DOCNO"),
    )
    .await;
    assert_eq!(id(&resolved, "sales_order"), second);
    assert_eq!(ledger(&sim).gl_batches.len(), before.gl_batches.len() + 1);
}

/// A ShipStation label for order `#1001` (UPS, 12.34 with 2.10 of surcharges, insurance 1.50),
/// as the `shipstation` connector's `shipstation.shipment`.
fn ups_label(voided: bool) -> Entity {
    let body = json!({
        "id": "72513480", "order_id": "100000001", "order_key": "key-1001",
        "order_number": "#1001", "store_id": "301001", "warehouse_id": "401001",
        "carrier_code": "ups_walleted", "service_code": "ups_ground",
        "tracking_number": "1Z999AA10123456784", "is_return_label": false,
        "created_at": "2025-03-07T17:30:00Z", "ship_date": "2025-03-07",
        "voided": voided, "void_date": if voided { json!("2025-03-09T02:30:00Z") } else { Value::Null },
        "currency": "USD", "shipment_cost": "12.34", "insurance_cost": "1.50",
        "surcharges": "2.10", "total_cost": "13.84", "custom_fields": [null, null, null],
        "items": [{"sku": "SKU-1", "name": "Widget", "quantity": 2, "unit_price": "9.99"}]
    });
    Entity {
        kind: "shipstation.shipment".into(),
        id: "72513480".into(),
        body: body.to_string(),
    }
}

#[tokio::test]
async fn the_shipstation_mapping_posts_label_costs_to_the_matched_order_and_voids_reverse_them() {
    let (sim, host, connector) = start().await;
    let mapping = host
        .mapping("shipstation-intacct", Default::default())
        .unwrap();
    let config = json!({
        "journal": "GJ",
        "accounts": {"freight": {"ups": "6100", "fedex": "6110", "usps": "6120", "*": "6140"},
                     "insurance": "6160", "surcharges": "6170", "offset": "2100"},
        "dimensions": {"location_id": {"by": "warehouse", "map": {"401001": "WH-EAST"}},
                       "department_id": "OPS", "class_id": "ONLINE"},
        "sales_order": {"field": "DOCNO", "numbers": ["SO-{number}"]}
    })
    .to_string();
    let event = |topic: &str, key: &str| Event {
        key: key.into(),
        topic: topic.into(),
        reference: "shipment/72513480".into(),
        occurred_at: None,
        payload: None,
    };
    let map = |topic: &str, key: &str, label: Entity| {
        let mapping = &mapping;
        let config = config.clone();
        let event = event(topic, key);
        async move {
            let report = mapping.map(&event, &[label], &config).await;
            report.result.expect("the mapping maps")
        }
    };

    let commands = map("SHIP_NOTIFY", "/shipments?batchId=1", ups_label(false)).await;
    assert_eq!(commands.len(), 1);
    let posted = apply_one(&connector, commands[0].clone()).await;
    let books = ledger(&sim);
    let so_1001 = books
        .sales_orders
        .iter()
        .find(|order| order.doc_no == "SO-1001")
        .unwrap();
    assert_eq!(id(&posted, "sales_order"), so_1001.record_no);
    let journal = books.gl_batches.last().unwrap();
    assert_eq!(
        journal.title,
        "ShipStation shipment 72513480, order #1001, sales order SO-1001"
    );
    assert_eq!(journal.date.to_string(), "2025-03-07");
    assert!(
        journal
            .entries
            .iter()
            .all(|entry| entry.customer_id.as_deref() == Some("C-DEMO")
                && entry.dimensions.location.as_deref() == Some("WH-EAST"))
    );
    let balance = |books: &Ledger, account: &str| books.account_balance(account).to_string();
    assert_eq!(
        ["6100", "6160", "6170", "2100"].map(|account| balance(&books, account)),
        ["10.24", "1.50", "2.10", "-13.84"]
    );

    // The poll finds the same label: the same key, nothing new.
    let polled = map("SHIP_NOTIFY", "shipment/72513480", ups_label(false)).await;
    assert_eq!(polled, commands);
    assert!(applied(&apply_one(&connector, polled[0].clone()).await).already_done);

    // Voided: the cost batch again (already done) and its reversal, dated the Pacific void date.
    let voided = map("SHIPMENT_VOIDED", "void/72513480", ups_label(true)).await;
    let report = connector.apply(&voided).await;
    let results = results(&report);
    assert!(applied(&results[0]).already_done);
    assert_eq!(id(&results[1], "sales_order"), so_1001.record_no);
    let after = ledger(&sim);
    let reversal = after.gl_batches.last().unwrap();
    assert_eq!(reversal.date.to_string(), "2025-03-08");
    assert_eq!(after.gl_batches.len(), books.gl_batches.len() + 1);
    assert_eq!(
        ["6100", "6160", "6170", "2100"].map(|account| balance(&after, account)),
        ["0.00", "0.00", "0.00", "0.00"]
    );
    assert!(after.trial_balance.is_balanced());

    // A return label maps to nothing, and says so in the call's log.
    let mut returned: Value = serde_json::from_str(&ups_label(false).body).unwrap();
    returned["is_return_label"] = json!(true);
    let report = mapping
        .map(
            &event("SHIP_NOTIFY", "/shipments?batchId=2"),
            &[Entity {
                body: returned.to_string(),
                ..ups_label(false)
            }],
            &config,
        )
        .await;
    assert_eq!(report.result.unwrap(), Vec::<Command>::new());
    assert!(
        report
            .logs
            .iter()
            .any(|record| record.message == "skipped: return label")
    );
}
