//! The Intacct simulator driven through real HTTP: sessions, uniqueid, transactions, schema and XML
//! character checks, AR documents, payments, GL batches, queries with paging, faults and the ledger.

use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use simulators::clock::SimClock;
use simulators::intacct::{
    CompanyConfig, DEFAULT_DUPLICATE_CONTROLID_ERRNO, DEMO_COMPANY_ID, DEMO_SENDER_ID,
    DEMO_SENDER_PASSWORD, DEMO_USER_ID, DEMO_USER_PASSWORD, IntacctConfig, IntacctSim,
    InvoiceState, Ledger, SalesOrder, SenderCredentials,
};

const OTHER_COMPANY: &str = "ml-other";
const OTHER_SENDER: &str = "other-partner";

async fn start() -> IntacctSim {
    let mut config = IntacctConfig::demo();
    config.clock = SimClock::frozen(Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap());
    config.companies.push(CompanyConfig::demo(OTHER_COMPANY));
    config.senders.push(SenderCredentials {
        sender_id: OTHER_SENDER.into(),
        password: "other-secret".into(),
    });
    IntacctSim::start(config).await.expect("simulator starts")
}

fn money(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// A whole request document.
fn request(
    sender: (&str, &str),
    uniqueid: bool,
    transaction: bool,
    auth: &str,
    functions: &str,
) -> String {
    let (sender_id, password) = sender;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<request><control><senderid>{sender_id}</senderid>\
         <password>{password}</password><controlid>req-1</controlid><uniqueid>{uniqueid}</uniqueid>\
         <dtdversion>3.0</dtdversion><includewhitespace>false</includewhitespace></control>\
         <operation transaction=\"{transaction}\"><authentication>{auth}</authentication>\
         <content>{functions}</content></operation></request>"
    )
}

fn login(company: &str) -> String {
    format!(
        "<login><userid>{DEMO_USER_ID}</userid><companyid>{company}</companyid><password>{DEMO_USER_PASSWORD}</password></login>"
    )
}

fn function(controlid: &str, body: &str) -> String {
    format!("<function controlid=\"{controlid}\">{body}</function>")
}

fn date(tag: &str) -> String {
    format!("<{tag}><year>2025</year><month>3</month><day>1</day></{tag}>")
}

fn invoice(customer: &str, lines: &[(&str, &str)]) -> String {
    let items: String = lines
        .iter()
        .map(|(account, amount)| {
            format!("<lineitem><glaccountno>{account}</glaccountno><amount>{amount}</amount><locationid>HQ</locationid><departmentid>SALES</departmentid><classid>ONLINE</classid></lineitem>")
        })
        .collect();
    format!(
        "<create_invoice><customerid>{customer}</customerid>{}<ponumber>PO-1</ponumber><invoiceitems>{items}</invoiceitems></create_invoice>",
        date("datecreated")
    )
}

fn payment(amount: &str, items: &[(&str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(key, amount)| format!("<arpaymentitem><invoicekey>{key}</invoicekey><amount>{amount}</amount></arpaymentitem>"))
        .collect();
    format!(
        "<create_arpayment><customerid>C-DEMO</customerid><paymentamount>{amount}</paymentamount>\
         <bankaccountid>BOA-CHK</bankaccountid><refid>ch_1</refid>{}<paymentmethod>Credit Card</paymentmethod>{items}</create_arpayment>",
        date("datereceived")
    )
}

fn glbatch(lines: &[(&str, i8, &str)]) -> String {
    let entries: String = lines
        .iter()
        .map(|(account, tr_type, amount)| {
            format!("<GLENTRY><ACCOUNTNO>{account}</ACCOUNTNO><TR_TYPE>{tr_type}</TR_TYPE><TRX_AMOUNT>{amount}</TRX_AMOUNT><DESCRIPTION>freight</DESCRIPTION><LOCATION>WH-EAST</LOCATION><DEPARTMENT>OPS</DEPARTMENT></GLENTRY>")
        })
        .collect();
    format!(
        "<create><GLBATCH><JOURNAL>GJ</JOURNAL><BATCH_DATE>03/01/2025</BATCH_DATE><BATCH_TITLE>Shipping labels</BATCH_TITLE>\
         <STATE>Posted</STATE><ENTRIES>{entries}</ENTRIES></GLBATCH></create>"
    )
}

fn demo_sender() -> (&'static str, &'static str) {
    (DEMO_SENDER_ID, DEMO_SENDER_PASSWORD)
}

/// POSTs `body` and returns the status and the response text.
async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/xml")
        .body(body)
        .send()
        .await
        .expect("answer");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

/// Signs in with login and runs `functions` in the demo company.
async fn run(sim: &IntacctSim, uniqueid: bool, transaction: bool, functions: &str) -> String {
    let body = request(
        demo_sender(),
        uniqueid,
        transaction,
        &login(DEMO_COMPANY_ID),
        functions,
    );
    let (status, text) = post(&sim.endpoint_url(), body).await;
    assert_eq!(status, 200, "{text}");
    text
}

/// The texts of every `<name>` element, in order.
fn texts(body: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    body.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next())
        .map(str::to_owned)
        .collect()
}

fn text(body: &str, name: &str) -> String {
    texts(body, name)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no <{name}> in {body}"))
}

/// The text of `<name>` inside the n-th `<result>`.
fn result_field(body: &str, index: usize, name: &str) -> String {
    let result = body
        .split("<result>")
        .nth(index + 1)
        .unwrap_or_else(|| panic!("no result {index} in {body}"));
    text(result, name)
}

async fn get_session(sim: &IntacctSim, sender: (&str, &str), company: &str) -> (String, String) {
    let body = request(
        sender,
        false,
        false,
        &login(company),
        &function("s1", "<getAPISession/>"),
    );
    let (_, answer) = post(&sim.endpoint_url(), body).await;
    assert_eq!(result_field(&answer, 0, "status"), "success", "{answer}");
    (text(&answer, "sessionid"), text(&answer, "endpoint"))
}

fn customers_named(ledger: &Ledger, customer_id: &str) -> usize {
    ledger
        .customers
        .iter()
        .filter(|customer| customer.customer_id == customer_id)
        .count()
}

#[tokio::test]
async fn get_api_session_returns_an_endpoint_other_than_the_login_url() {
    let sim = start().await;
    let (session, endpoint) = get_session(&sim, demo_sender(), DEMO_COMPANY_ID).await;
    assert_eq!(endpoint, sim.session_endpoint_url());
    assert_ne!(endpoint, sim.endpoint_url());
    let query = function(
        "q",
        "<readByQuery><object>CUSTOMER</object><fields>*</fields><query>CUSTOMERID = 'C-DEMO'</query><pagesize>10</pagesize></readByQuery>",
    );
    let auth = format!("<sessionid>{session}</sessionid>");
    let (_, answer) = post(
        &endpoint,
        request(demo_sender(), false, false, &auth, &query),
    )
    .await;
    assert_eq!(result_field(&answer, 0, "status"), "success", "{answer}");
    assert_eq!(text(&answer, "companyid"), DEMO_COMPANY_ID);
    assert_eq!(text(&answer, "EMAIL1"), "demo@example.com");
    assert!(text(&answer, "sessiontimeout").starts_with("2025-03-01T13:00:00+00:00"));
    assert_eq!(sim.session_endpoint_request_count(), 1);
    assert_eq!(sim.request_count(), 2);

    let (_, other_sender) = post(
        &endpoint,
        request((OTHER_SENDER, "other-secret"), false, false, &auth, &query),
    )
    .await;
    assert!(
        text(&other_sender, "description2").starts_with("Invalid session"),
        "{other_sender}"
    );
}

#[tokio::test]
async fn bad_sender_and_bad_user_are_refused() {
    let sim = start().await;
    let functions = function("s1", "<getAPISession/>");
    let (status, answer) = post(
        &sim.endpoint_url(),
        request(
            ("nobody", "x"),
            false,
            false,
            &login(DEMO_COMPANY_ID),
            &functions,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(text(&answer, "status"), "failure");
    assert_eq!(text(&answer, "errorno"), "XL03000006");
    assert!(!answer.contains("<operation>"));

    let wrong_user = login(DEMO_COMPANY_ID).replace(DEMO_USER_PASSWORD, "wrong");
    let (_, answer) = post(
        &sim.endpoint_url(),
        request(demo_sender(), false, false, &wrong_user, &functions),
    )
    .await;
    let authentication = text(&answer, "authentication");
    assert!(
        authentication.contains("<status>failure</status>"),
        "{answer}"
    );
    assert_eq!(text(&answer, "errorno"), "XL03000006");
    assert!(!answer.contains("<result>"));
}

#[tokio::test]
async fn a_refused_login_can_be_answered_by_the_gateway_with_401() {
    let sim = start().await;
    let functions = function("s1", "<getAPISession/>");
    let wrong_user = login(DEMO_COMPANY_ID).replace(DEMO_USER_PASSWORD, "wrong");
    let refused = request(demo_sender(), false, false, &wrong_user, &functions);
    sim.refuse_logins_at_gateway(true);
    let (status, answer) = post(&sim.endpoint_url(), refused.clone()).await;
    assert_eq!(status, 401);
    assert_eq!(text(&answer, "status"), "failure");
    assert_eq!(
        text(&answer, "errorno"),
        simulators::intacct::GATEWAY_SIGN_IN_INCORRECT
    );
    assert_eq!(
        text(&answer, "description"),
        "Sign-in information is incorrect. Please check your request."
    );
    assert!(!answer.contains("<operation>"));

    let (status, answer) = post(
        &sim.endpoint_url(),
        request(
            demo_sender(),
            false,
            false,
            &login(DEMO_COMPANY_ID),
            &functions,
        ),
    )
    .await;
    assert_eq!(
        (status, result_field(&answer, 0, "status")),
        (200, "success".to_owned()),
        "a good login still signs in"
    );

    sim.refuse_logins_at_gateway(false);
    let (status, answer) = post(&sim.endpoint_url(), refused).await;
    assert_eq!(status, 200);
    assert_eq!(text(&answer, "errorno"), "XL03000006");
}

#[tokio::test]
async fn an_expired_session_is_refused_and_use_slides_the_expiry() {
    let sim = start().await;
    let (session, endpoint) = get_session(&sim, demo_sender(), DEMO_COMPANY_ID).await;
    let auth = format!("<sessionid>{session}</sessionid>");
    let call = || {
        request(
            demo_sender(),
            false,
            false,
            &auth,
            &function(
                "q",
                "<readByQuery><object>CUSTOMER</object><fields>CUSTOMERID</fields><query></query></readByQuery>",
            ),
        )
    };
    for _ in 0..2 {
        sim.clock().advance(Duration::minutes(59));
        let (_, answer) = post(&endpoint, call()).await;
        assert_eq!(result_field(&answer, 0, "status"), "success", "{answer}");
    }
    sim.clock().advance(Duration::minutes(61));
    let (status, answer) = post(&endpoint, call()).await;
    assert_eq!(status, 200);
    assert!(
        text(&answer, "authentication").contains("<status>failure</status>"),
        "{answer}"
    );
    assert!(
        text(&answer, "description2").starts_with("Invalid session"),
        "{answer}"
    );
    assert!(!answer.contains("<result>"));
}

#[tokio::test]
async fn a_repeated_controlid_under_uniqueid_does_not_post_twice() {
    let sim = start().await;
    let create = function(
        "shopify-order-1001",
        &invoice("C-DEMO", &[("4000", "100.00")]),
    );
    let first = run(&sim, true, false, &create).await;
    assert_eq!(result_field(&first, 0, "status"), "success", "{first}");
    let second = run(&sim, true, false, &create).await;
    assert_eq!(result_field(&second, 0, "status"), "failure");
    assert_eq!(
        result_field(&second, 0, "errorno"),
        DEFAULT_DUPLICATE_CONTROLID_ERRNO
    );
    assert!(result_field(&second, 0, "description2").contains("already executed"));
    assert_eq!(sim.ledger(DEMO_COMPANY_ID).invoices.len(), 1);

    let naive = function("sdk-style", &invoice("C-DEMO", &[("4000", "50.00")]));
    for _ in 0..2 {
        let answer = run(&sim, false, false, &naive).await;
        assert_eq!(result_field(&answer, 0, "status"), "success", "{answer}");
    }
    let ledger = sim.ledger(DEMO_COMPANY_ID);
    assert_eq!(ledger.invoices.len(), 3);
    assert_eq!(ledger.account_balance("1200"), money("200.00"));
}

#[tokio::test]
async fn companies_are_isolated() {
    let sim = start().await;
    let create = function("same-controlid", &invoice("C-DEMO", &[("4000", "10.00")]));
    run(&sim, true, false, &create).await;
    let other = request(demo_sender(), true, false, &login(OTHER_COMPANY), &create);
    let (_, answer) = post(&sim.endpoint_url(), other).await;
    assert_eq!(result_field(&answer, 0, "status"), "success", "{answer}");
    assert_eq!(sim.ledger(DEMO_COMPANY_ID).invoices.len(), 1);
    assert_eq!(sim.ledger(OTHER_COMPANY).invoices.len(), 1);
    assert_eq!(
        sim.ledger(OTHER_COMPANY).account_balance("4000"),
        money("-10.00")
    );
}

#[tokio::test]
async fn an_unbalanced_glbatch_is_rejected() {
    let sim = start().await;
    let unbalanced = function(
        "gl-1",
        &glbatch(&[("6100", 1, "12.50"), ("2100", -1, "12.00")]),
    );
    let answer = run(&sim, true, false, &unbalanced).await;
    assert_eq!(result_field(&answer, 0, "status"), "failure");
    assert!(
        result_field(&answer, 0, "description2").contains("unbalanced"),
        "{answer}"
    );
    let single = run(
        &sim,
        true,
        false,
        &function("gl-2", &glbatch(&[("6100", 1, "12.50")])),
    )
    .await;
    assert!(result_field(&single, 0, "description2").contains("at least two lines"));
    assert!(sim.ledger(DEMO_COMPANY_ID).gl_batches.is_empty());

    let balanced = run(
        &sim,
        true,
        false,
        &function(
            "gl-3",
            &glbatch(&[("6100", 1, "12.50"), ("2100", -1, "12.50")]),
        ),
    )
    .await;
    assert_eq!(
        result_field(&balanced, 0, "status"),
        "success",
        "{balanced}"
    );
    assert!(!result_field(&balanced, 0, "RECORDNO").is_empty());
    let ledger = sim.ledger(DEMO_COMPANY_ID);
    assert_eq!(ledger.account_balance("6100"), money("12.50"));
    assert_eq!(ledger.account_balance("2100"), money("-12.50"));
    let freight = ledger
        .trial_balance
        .lines
        .iter()
        .find(|line| line.account == "6100")
        .unwrap();
    assert_eq!(freight.dimensions.location.as_deref(), Some("WH-EAST"));
}

#[tokio::test]
async fn a_control_character_rejects_the_whole_request() {
    let sim = start().await;
    let memo = invoice("C-DEMO", &[("4000", "10.00")])
        .replace("</amount>", "</amount><memo>bad\u{1}memo</memo>");
    let body = request(
        demo_sender(),
        true,
        false,
        &login(DEMO_COMPANY_ID),
        &function("c0", &memo),
    );
    let (status, answer) = post(&sim.endpoint_url(), body).await;
    assert_eq!(status, 200);
    assert_eq!(text(&answer, "status"), "failure");
    assert_eq!(text(&answer, "errorno"), "XL03000003");
    assert!(
        text(&answer, "description2").starts_with("XML Parse schema error: Fatal Error"),
        "{answer}"
    );
    assert!(!answer.contains("<operation>"));

    let (_, malformed) = post(&sim.endpoint_url(), "<request><control></request>").await;
    assert_eq!(text(&malformed, "errorno"), "XL03000003");
    assert!(sim.ledger(DEMO_COMPANY_ID).invoices.is_empty());
}

#[tokio::test]
async fn an_element_order_violation_is_rejected_before_anything_runs() {
    let sim = start().await;
    let swapped = invoice("C-DEMO", &[("4000", "10.00")]).replace(
        &format!("<customerid>C-DEMO</customerid>{}", date("datecreated")),
        &format!("{}<customerid>C-DEMO</customerid>", date("datecreated")),
    );
    let functions =
        function("ok", &invoice("C-DEMO", &[("4000", "10.00")])) + &function("bad", &swapped);
    let answer = run(&sim, true, false, &functions).await;
    assert_eq!(text(&answer, "errorno"), "XL03000003");
    assert!(
        text(&answer, "description2").contains(
            "Element 'datecreated': This element is not expected. Expected is ( customerid )"
        ),
        "{answer}"
    );
    assert!(!answer.contains("<result>"));
    assert!(sim.ledger(DEMO_COMPANY_ID).invoices.is_empty());
}

#[tokio::test]
async fn an_unknown_gl_account_or_dimension_is_rejected() {
    let sim = start().await;
    let functions = function("a", &invoice("C-DEMO", &[("9999", "10.00")]))
        + &function(
            "b",
            &invoice("C-DEMO", &[("4000", "10.00")]).replace(
                "<locationid>HQ</locationid>",
                "<locationid>MOON</locationid>",
            ),
        )
        + &function("c", &invoice("NOBODY", &[("4000", "10.00")]));
    let answer = run(&sim, true, false, &functions).await;
    for (index, needle) in [(0, "9999"), (1, "MOON"), (2, "NOBODY")] {
        assert_eq!(result_field(&answer, index, "status"), "failure");
        assert_eq!(result_field(&answer, index, "errorno"), "BL01001973");
        let description = result_field(&answer, index, "description2");
        assert!(
            description.contains(needle) && description.contains("[Support ID: "),
            "{description}"
        );
    }
    assert!(sim.ledger(DEMO_COMPANY_ID).invoices.is_empty());
}

#[tokio::test]
async fn a_duplicate_customerid_fails_with_bl34000061() {
    let sim = start().await;
    let customer = "<create><CUSTOMER><CUSTOMERID>C-42</CUSTOMERID><NAME>Ada &amp; Co</NAME><DISPLAYCONTACT><PRINTAS>Ada</PRINTAS><EMAIL1>ada@example.com</EMAIL1></DISPLAYCONTACT></CUSTOMER></create>";
    let first = run(&sim, true, false, &function("cust-1", customer)).await;
    assert_eq!(result_field(&first, 0, "CUSTOMERID"), "C-42");
    let second = run(&sim, true, false, &function("cust-2", customer)).await;
    assert_eq!(result_field(&second, 0, "errorno"), "BL34000061");
    assert!(
        result_field(&second, 0, "description2")
            .starts_with("Another Customer with the given value(s) C-42 already exists")
    );

    let update =
        "<update><CUSTOMER><CUSTOMERID>C-42</CUSTOMERID><NAME>Ada Ltd</NAME></CUSTOMER></update>";
    assert_eq!(
        result_field(
            &run(&sim, true, false, &function("cust-3", update)).await,
            0,
            "status"
        ),
        "success"
    );
    let query = r"<readByQuery><object>CUSTOMER</object><fields>CUSTOMERID,NAME,DISPLAYCONTACT.EMAIL1</fields><query>CUSTOMERID = 'C-42'</query></readByQuery>";
    let found = run(&sim, false, false, &function("q", query)).await;
    assert_eq!(text(&found, "NAME"), "Ada Ltd");
    assert_eq!(text(&found, "EMAIL1"), "ada@example.com");
    assert_eq!(customers_named(&sim.ledger(DEMO_COMPANY_ID), "C-42"), 1);
}

#[tokio::test]
async fn a_failing_function_rolls_back_its_transaction() {
    let sim = start().await;
    let customer =
        "<create><CUSTOMER><CUSTOMERID>C-TX</CUSTOMERID><NAME>Tx</NAME></CUSTOMER></create>";
    let functions = function("t1", customer)
        + &function("t2", &invoice("C-DEMO", &[("4000", "10.00")]))
        + &function("t3", &invoice("C-DEMO", &[("9999", "10.00")]));
    let answer = run(&sim, true, true, &functions).await;
    for index in [0, 1] {
        assert_eq!(
            result_field(&answer, index, "status"),
            "aborted",
            "{answer}"
        );
        assert_eq!(result_field(&answer, index, "errorno"), "XL03000009");
        assert_eq!(
            result_field(&answer, index, "description2"),
            "The entire transaction in this operation has been rolled back due to an error."
        );
    }
    assert_eq!(result_field(&answer, 2, "status"), "failure");
    let ledger = sim.ledger(DEMO_COMPANY_ID);
    assert!(ledger.invoices.is_empty() && ledger.postings.is_empty());
    assert_eq!(customers_named(&ledger, "C-TX"), 0);

    let retried = run(
        &sim,
        true,
        true,
        &(function("t1", customer) + &function("t2", &invoice("C-DEMO", &[("4000", "10.00")]))),
    )
    .await;
    assert_eq!(
        texts(&retried, "status")
            .iter()
            .filter(|status| *status == "success")
            .count(),
        4,
        "{retried}"
    );

    let without = run(
        &sim,
        true,
        false,
        &(function("n1", &invoice("C-DEMO", &[("4000", "5.00")]))
            + &function("n2", &invoice("C-DEMO", &[("9999", "5.00")]))),
    )
    .await;
    assert_eq!(result_field(&without, 0, "status"), "success");
    assert_eq!(result_field(&without, 1, "status"), "failure");
    assert_eq!(sim.ledger(DEMO_COMPANY_ID).invoices.len(), 2);
}

#[tokio::test]
async fn payments_make_invoices_partially_paid_then_paid() {
    let sim = start().await;
    let created = run(
        &sim,
        true,
        false,
        &function(
            "inv",
            &invoice("C-DEMO", &[("4000", "90.004"), ("4100", "10.00")]),
        ),
    )
    .await;
    let key = result_field(&created, 0, "key");
    let ledger = sim.ledger(DEMO_COMPANY_ID);
    assert_eq!(
        ledger.invoice(&key).unwrap().document.total,
        money("100.00")
    );

    let partial = run(
        &sim,
        true,
        false,
        &function("pay-1", &payment("40.00", &[(&key, "40.00")])),
    )
    .await;
    assert_eq!(result_field(&partial, 0, "status"), "success", "{partial}");
    assert_eq!(
        sim.ledger(DEMO_COMPANY_ID).invoice(&key).unwrap().state,
        InvoiceState::PartiallyPaid
    );

    let too_much = run(
        &sim,
        true,
        false,
        &function("pay-2", &payment("70.00", &[(&key, "70.00")])),
    )
    .await;
    assert_eq!(result_field(&too_much, 0, "status"), "failure");

    let rest = run(
        &sim,
        true,
        false,
        &function("pay-3", &payment("60.00", &[(&key, "60.00")])),
    )
    .await;
    assert_eq!(result_field(&rest, 0, "status"), "success");
    let ledger = sim.ledger(DEMO_COMPANY_ID);
    let invoice = ledger.invoice(&key).unwrap();
    assert_eq!(
        (invoice.state, invoice.total_paid),
        (InvoiceState::Paid, money("100.00"))
    );
    assert_eq!(ledger.account_balance("1010"), money("100.00"));
    assert_eq!(ledger.account_balance("1200"), Decimal::ZERO);
    assert_eq!(ledger.payments.len(), 2);

    let reverse = format!(
        "<reverse_invoice key=\"{key}\">{}<description>cancel</description></reverse_invoice>",
        date("datereversed")
    );
    let refused = run(&sim, true, false, &function("rev", &reverse)).await;
    assert!(result_field(&refused, 0, "description2").contains("payments applied"));
}

#[tokio::test]
async fn sales_orders_page_with_read_more() {
    let sim = start().await;
    let day = chrono::NaiveDate::from_ymd_opt(2025, 2, 1).unwrap();
    for number in 0..4 {
        sim.add_sales_order(
            DEMO_COMPANY_ID,
            SalesOrder::new(
                &format!("SO-20{number}"),
                None,
                "C-DEMO",
                money("5.00"),
                day,
            ),
        );
    }
    let query = "<readByQuery><object>SODOCUMENT</object><fields>*</fields><query></query><pagesize>3</pagesize><docparid>Sales Order</docparid></readByQuery>";
    let first = run(&sim, false, false, &function("q1", query)).await;
    assert!(
        first.contains("listtype=\"sodocument\" count=\"3\" totalcount=\"7\" numremaining=\"4\""),
        "{first}"
    );
    let mut seen = texts(&first, "DOCNO");
    let result_id = first
        .split("resultId=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let more = format!("<readMore><resultId>{result_id}</resultId></readMore>");
    let second = run(&sim, false, false, &function("q2", &more)).await;
    assert!(
        second.contains("count=\"3\" totalcount=\"7\" numremaining=\"1\""),
        "{second}"
    );
    let third = run(&sim, false, false, &function("q3", &more)).await;
    assert!(
        third.contains("count=\"1\" totalcount=\"7\" numremaining=\"0\" resultId=\"\""),
        "{third}"
    );
    seen.extend(
        texts(&second, "DOCNO")
            .into_iter()
            .chain(texts(&third, "DOCNO")),
    );
    assert_eq!(seen.len(), 7);
    let exhausted = run(&sim, false, false, &function("q4", &more)).await;
    assert_eq!(result_field(&exhausted, 0, "status"), "failure");

    let by_po = r"<readByQuery><object>SODOCUMENT</object><fields>DOCNO,PONUMBER</fields><query>PONUMBER = 'PO-O\'Brien'</query><pagesize>100</pagesize><docparid>Sales Order</docparid></readByQuery>";
    let found = run(&sim, false, false, &function("q5", by_po)).await;
    assert_eq!(texts(&found, "DOCNO"), vec!["SO-1003"]);
    let unknown = run(
        &sim,
        false,
        false,
        &function(
            "q6",
            "<readByQuery><object>FOO</object><fields>*</fields><query></query></readByQuery>",
        ),
    )
    .await;
    assert!(
        result_field(&unknown, 0, "description2").starts_with("Object definition FOO not found")
    );
}

#[tokio::test]
async fn the_trial_balance_balances_and_a_reversal_nets_to_zero() {
    let sim = start().await;
    let created = run(
        &sim,
        true,
        false,
        &function(
            "inv",
            &invoice(
                "C-DEMO",
                &[("4000", "80.00"), ("2200", "8.00"), ("4900", "-5.00")],
            ),
        ),
    )
    .await;
    let key = result_field(&created, 0, "key");
    let credit_memo = format!(
        "<create_aradjustment><customerid>C-DEMO</customerid>{}<adjustmentno>RF-1</adjustmentno><aradjustmentitems><lineitem><glaccountno>4000</glaccountno><amount>-20.00</amount></lineitem></aradjustmentitems></create_aradjustment>",
        date("datecreated")
    );
    let other = run(
        &sim,
        true,
        false,
        &(function("adj", &credit_memo)
            + &function("gl", &glbatch(&[("6110", 1, "7.25"), ("2100", -1, "7.25")]))),
    )
    .await;
    assert_eq!(
        texts(&other, "status")
            .iter()
            .filter(|status| *status == "success")
            .count(),
        4,
        "{other}"
    );
    let ledger = sim.ledger(DEMO_COMPANY_ID);
    assert!(ledger.trial_balance.is_balanced());
    assert_eq!(ledger.account_balance("1200"), money("63.00"));
    assert_eq!(
        ledger.adjustments[0].kind,
        simulators::intacct::AdjustmentKind::CreditMemo
    );

    let reverse = format!(
        "<reverse_invoice key=\"{key}\">{}<description>cancelled</description></reverse_invoice>",
        date("datereversed")
    );
    let reversed = run(&sim, true, false, &function("rev", &reverse)).await;
    assert_eq!(
        result_field(&reversed, 0, "status"),
        "success",
        "{reversed}"
    );
    let ledger = sim.ledger(DEMO_COMPANY_ID);
    assert_eq!(ledger.invoice(&key).unwrap().state, InvoiceState::Reversed);
    assert_eq!(ledger.account_balance("1200"), money("-20.00"));
    assert_eq!(ledger.account_balance("2200"), Decimal::ZERO);
    assert!(ledger.trial_balance.is_balanced());

    let json: serde_json::Value = reqwest::get(sim.ledger_url(DEMO_COMPANY_ID))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["invoices"][0]["state"], "Reversed");
    assert_eq!(
        json["trial_balance"]["total_debit"],
        json["trial_balance"]["total_credit"]
    );
}

#[tokio::test]
async fn a_dropped_answer_after_commit_still_committed_the_write() {
    let sim = start().await;
    sim.faults().drop_next_after_commit(1);
    let body = request(
        demo_sender(),
        true,
        false,
        &login(DEMO_COMPANY_ID),
        &function("drop-1", &invoice("C-DEMO", &[("4000", "33.00")])),
    );
    let sent = reqwest::Client::new()
        .post(sim.endpoint_url())
        .body(body.clone())
        .send()
        .await;
    assert!(sent.is_err(), "the answer should have been dropped");
    assert_eq!(sim.ledger(DEMO_COMPANY_ID).invoices.len(), 1);

    let (_, retried) = post(&sim.endpoint_url(), body).await;
    assert_eq!(
        result_field(&retried, 0, "errorno"),
        DEFAULT_DUPLICATE_CONTROLID_ERRNO
    );
    assert_eq!(sim.ledger(DEMO_COMPANY_ID).invoices.len(), 1);
}

#[tokio::test]
async fn throttling_answers_429_and_server_errors_503() {
    let sim = start().await;
    let body = request(
        demo_sender(),
        false,
        false,
        &login(DEMO_COMPANY_ID),
        &function("s", "<getAPISession/>"),
    );
    sim.throttle_next(1);
    let (status, answer) = post(&sim.endpoint_url(), body.clone()).await;
    assert_eq!(status, 429);
    assert_eq!(text(&answer, "errorno"), simulators::intacct::RATE_LIMITED);
    sim.faults().fail_next(1);
    assert_eq!(post(&sim.endpoint_url(), body.clone()).await.0, 503);
    let (status, answer) = post(&sim.endpoint_url(), body).await;
    assert_eq!(
        (status, result_field(&answer, 0, "status")),
        (200, "success".to_owned())
    );
    assert_eq!(sim.request_count(), 2);
}

#[tokio::test]
async fn drafts_delete_and_generic_payments_settle_invoices() {
    let sim = start().await;
    let draft = invoice("C-DEMO", &[("4000", "15.00")])
        .replace("<ponumber>", "<action>Draft</action><ponumber>");
    let posted = invoice("C-DEMO", &[("4000", "25.00")]);
    let created = run(
        &sim,
        true,
        false,
        &(function("d1", &draft) + &function("p1", &posted)),
    )
    .await;
    let (draft_key, posted_key) = (
        result_field(&created, 0, "key"),
        result_field(&created, 1, "key"),
    );
    assert!(
        sim.ledger(DEMO_COMPANY_ID)
            .postings
            .iter()
            .all(|posting| posting.source != format!("ARINVOICE {draft_key}"))
    );

    let delete = format!("<delete><object>ARINVOICE</object><keys>{draft_key}</keys></delete>");
    assert_eq!(
        result_field(
            &run(&sim, true, false, &function("del", &delete)).await,
            0,
            "status"
        ),
        "success"
    );
    let arpymt = format!(
        "<create><ARPYMT><FINANCIALENTITY>BOA-CHK</FINANCIALENTITY><PAYMENTMETHOD>EFT</PAYMENTMETHOD><CUSTOMERID>C-DEMO</CUSTOMERID>\
         <RECEIPTDATE>03/02/2025</RECEIPTDATE><ARPYMTDETAILS><ARPYMTDETAIL><RECORDKEY>{posted_key}</RECORDKEY>\
         <TRX_PAYMENTAMOUNT>25.00</TRX_PAYMENTAMOUNT></ARPYMTDETAIL></ARPYMTDETAILS></ARPYMT></create>"
    );
    let paid = run(&sim, true, false, &function("gp", &arpymt)).await;
    assert_eq!(result_field(&paid, 0, "status"), "success", "{paid}");
    let query = format!(
        "<readByQuery><object>ARINVOICE</object><fields>RECORDNO,STATE,TOTALDUE</fields><query>RECORDNO = '{posted_key}'</query></readByQuery>"
    );
    let found = run(&sim, false, false, &function("q", &query)).await;
    assert_eq!(
        (text(&found, "STATE"), text(&found, "TOTALDUE")),
        ("Paid".to_owned(), "0.00".to_owned())
    );
    let ledger = sim.ledger(DEMO_COMPANY_ID);
    assert_eq!(ledger.invoices.len(), 1);
    assert_eq!(ledger.account_balance("1010"), money("25.00"));
    assert!(ledger.trial_balance.is_balanced());
}

#[tokio::test]
async fn get_api_session_scopes_a_location_and_refuses_an_unknown_one() {
    let sim = start().await;
    let scoped = function(
        "s1",
        "<getAPISession><locationid>WH-EAST</locationid></getAPISession>",
    );
    let answer = run(&sim, false, false, &scoped).await;
    assert_eq!(texts(&answer, "locationid").last().unwrap(), "WH-EAST");
    let unknown = run(
        &sim,
        false,
        false,
        &function(
            "s2",
            "<getAPISession><locationid>MOON</locationid></getAPISession>",
        ),
    )
    .await;
    assert_eq!(result_field(&unknown, 0, "status"), "failure");

    let session = text(&answer, "sessionid");
    let auth = format!("<sessionid>{session}</sessionid>");
    let (_, again) = post(
        &sim.session_endpoint_url(),
        request(
            demo_sender(),
            false,
            false,
            &auth,
            &function("s3", "<getAPISession/>"),
        ),
    )
    .await;
    assert_eq!(text(&again, "sessionid"), session);
}
