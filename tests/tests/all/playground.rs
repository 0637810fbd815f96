//! The playground driven through its control server over real HTTP: each route's effect seen in the
//! simulators, the config and files it writes, and requests refused with nothing changed.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use simulators::intacct::{
    DEMO_COMPANY_ID, DEMO_SENDER_ID, DEMO_SENDER_PASSWORD, DEMO_USER_ID, DEMO_USER_PASSWORD,
};
use simulators::playground::{
    LABEL_ORDER, Playground, PlaygroundOptions, SHIPSTATION_POLL, URL_FILE,
};
use simulators::shopify::FinancialStatus;
use simulators::webhook_receiver::Receiver;

/// A playground in its own directory, removed at the end.
struct Harness {
    playground: Playground,
    dir: PathBuf,
    client: reqwest::Client,
}

impl Harness {
    async fn start(name: &str, flows: bool) -> Self {
        let dir = std::env::temp_dir().join(format!("playground-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let playground = Playground::start(PlaygroundOptions {
            dir: dir.clone(),
            plugin_dir: dir.join("plugins"),
            flows,
            listen: "127.0.0.1:43123".into(),
            admin_token: Some("admin-s3cret".into()),
        })
        .await
        .expect("the playground starts");
        Self {
            playground,
            dir,
            client: reqwest::Client::new(),
        }
    }

    /// POSTs `body` as it is (none when empty) to `path`; the status and the JSON answer.
    async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let request = self
            .client
            .post(format!("{}{path}", self.playground.control_url()));
        let request = match body.is_empty() {
            true => request,
            false => request
                .header("content-type", "application/json")
                .body(body.to_owned()),
        };
        answer(request.send().await.expect("an answer")).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.playground.control_url()))
            .send()
            .await
            .expect("an answer");
        answer(response).await
    }

    fn order_count(&self) -> usize {
        self.playground.shopify().orders().len()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON, not {text:?}"));
    (status, body)
}

fn d(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// The error sentence of a refusal with `status`.
fn refused(answer: (u16, Value), status: u16) -> String {
    assert_eq!(answer.0, status, "{}", answer.1);
    let error = answer.1["error"].as_str().expect("an error sentence");
    assert!(error.ends_with('.') && error.len() > 20, "{error}");
    error.to_owned()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_config_names_the_simulators_and_the_flows() {
    let harness = Harness::start("config-flows", true).await;
    let playground = &harness.playground;
    assert_eq!(playground.config_path(), harness.dir.join("mlc.toml"));
    let text = std::fs::read_to_string(playground.config_path()).unwrap();
    let config: toml::Table = text
        .parse()
        .unwrap_or_else(|error| panic!("{error}\n{text}"));
    assert_eq!(config["server"]["listen"].as_str(), Some("127.0.0.1:43123"));
    let connections: Vec<&String> = config["connections"].as_table().unwrap().keys().collect();
    assert_eq!(connections, ["intacct", "shipstation", "shopify"]);
    assert_eq!(
        config["connections"]["shopify"]["base_url"].as_str(),
        Some(playground.shopify().base_url().as_str())
    );
    assert_eq!(
        config["connections"]["shipstation"]["base_url"].as_str(),
        Some(playground.shipstation().base_url().as_str())
    );
    let flows = config["flows"].as_table().expect("[flows]");
    assert_eq!(
        flows.keys().collect::<Vec<_>>(),
        ["freight-to-gl", "orders-to-ar"]
    );
    assert_eq!(
        flows["freight-to-gl"]["poll_interval"].as_str(),
        Some(SHIPSTATION_POLL)
    );
    assert_eq!(
        config["plugins"]["dir"].as_str(),
        Some(harness.dir.join("plugins").to_str().unwrap())
    );

    let url = std::fs::read_to_string(harness.dir.join(URL_FILE)).unwrap();
    assert_eq!(url, format!("{}\n", playground.control_url()));
    assert_eq!(mode(&harness.dir.join("secrets")), 0o700);
    let secrets: Vec<PathBuf> = std::fs::read_dir(harness.dir.join("secrets"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(secrets.len(), 11, "{secrets:?}");
    for secret in &secrets {
        assert_eq!(mode(secret), 0o600, "{}", secret.display());
    }

    let (status, overview) = harness.get("/").await;
    assert_eq!(status, 200);
    assert_eq!(
        overview,
        json!({
            "shopify": {
                "base_url": playground.shopify().base_url(),
                "shop_domain": "demo-shop.myshopify.com",
            },
            "shipstation": { "base_url": playground.shipstation().base_url() },
            "intacct": {
                "base_url": playground.intacct().base_url(),
                "company_id": DEMO_COMPANY_ID,
            },
            "config": playground.config_path().display().to_string(),
        })
    );

    let described = playground.describe().join("\n");
    for shown in [
        playground.control_url(),
        playground.config_path().display().to_string(),
        playground.shopify().base_url(),
        playground.shipstation().base_url(),
        playground.intacct().base_url(),
        DEMO_COMPANY_ID.to_owned(),
        DEMO_USER_ID.to_owned(),
        DEMO_SENDER_ID.to_owned(),
    ] {
        assert!(described.contains(&shown), "{shown} in {described}");
    }
    for secret in [DEMO_SENDER_PASSWORD, DEMO_USER_PASSWORD, "admin-s3cret"] {
        assert!(!described.contains(secret), "{described}");
    }
}

#[tokio::test]
async fn without_flows_the_config_has_the_connections_only() {
    let harness = Harness::start("config-connections", false).await;
    let text = std::fs::read_to_string(harness.playground.config_path()).unwrap();
    let config: toml::Table = text
        .parse()
        .unwrap_or_else(|error| panic!("{error}\n{text}"));
    assert!(!config.contains_key("flows"), "{text}");
    let connections: Vec<&String> = config["connections"].as_table().unwrap().keys().collect();
    assert_eq!(connections, ["intacct", "shipstation", "shopify"]);
    assert_eq!(
        config["admin"]["token"]["file"].as_str(),
        Some("secrets/admin-token")
    );
}

#[tokio::test]
async fn the_default_order_is_the_guides_paid() {
    let harness = Harness::start("default-order", true).await;
    let (status, placed) = harness.post("/shopify/orders", "").await;
    assert_eq!(status, 201, "{placed}");
    let id: u64 = placed["id"].as_str().expect("a string id").parse().unwrap();
    let order = harness.playground.shopify().order(id).expect("the order");
    assert_eq!(placed["name"], "#1001");
    assert_eq!(placed["order_number"], 1001);
    assert_eq!(placed["financial_status"], "paid");
    assert_eq!(placed["total"], "104.49");
    assert_eq!(
        placed["created_at"],
        order
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    assert_eq!(
        placed["lines"],
        json!([
            { "id": order.line_items[0].id.to_string(), "sku": "TS-001", "quantity": 2 },
            { "id": order.line_items[1].id.to_string(), "sku": "MUG-1", "quantity": 3 },
        ])
    );

    let customer = order.customer.as_ref().expect("a customer");
    assert_eq!(customer.email.as_deref(), Some("ada@example.com"));
    assert_eq!(
        (
            customer.first_name.as_deref(),
            customer.last_name.as_deref()
        ),
        (Some("Ada"), Some("Lovelace"))
    );
    let lines: Vec<_> = order
        .line_items
        .iter()
        .map(|line| {
            let tax = &line.tax_lines[0];
            (
                line.sku.as_deref().unwrap(),
                line.title.as_str(),
                line.variant_title.as_deref(),
                line.quantity,
                line.price,
                line.discount,
                (tax.title.as_str(), tax.rate, tax.price),
            )
        })
        .collect();
    let ca = |price| ("CA State Tax", d("0.0725"), d(price));
    assert_eq!(
        lines,
        [
            (
                "TS-001",
                "T-Shirt",
                Some("Blue"),
                2,
                d("25.00"),
                d("5.00"),
                ca("3.26")
            ),
            ("MUG-1", "Mug", None, 3, d("14.99"), d("0"), ca("3.26")),
        ]
    );
    assert_eq!(order.shipping_lines.len(), 1);
    assert_eq!(order.shipping_lines[0].title, "Standard");
    assert_eq!(order.shipping_lines[0].price, d("8.00"));
    assert!(order.shipping_lines[0].tax_lines.is_empty());
    assert_eq!(order.subtotal_price(), d("89.97"));
    assert_eq!(order.total_tax(), d("6.52"));
    assert_eq!(order.total_price(), d("104.49"));
    assert_eq!(order.financial_status, FinancialStatus::Paid);
    assert_eq!(order.total_received(), d("104.49"));

    let (status, again) = harness.post("/shopify/orders", "{}").await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(
        (again["name"].clone(), again["total"].clone()),
        (json!("#1002"), json!("104.49"))
    );
    assert_eq!(harness.order_count(), 2);

    let path = format!("/shopify/orders/{id}/refunds");
    let (status, refund) = harness.post(&path, "").await;
    assert_eq!(status, 201, "{refund}");
    assert_eq!(refund["amount"], "104.49");
    assert_eq!(refund["order_id"], id.to_string());
    let order = harness.playground.shopify().order(id).unwrap();
    assert_eq!(order.financial_status, FinancialStatus::Refunded);
    assert_eq!(
        order.refunds[0].id.to_string(),
        refund["id"].as_str().unwrap()
    );
    let error = refused(harness.post(&path, "").await, 409);
    assert!(error.contains("#1001"), "{error}");
    assert_eq!(
        harness
            .playground
            .shopify()
            .order(id)
            .unwrap()
            .refunds
            .len(),
        1
    );
}

#[tokio::test]
async fn an_unpaid_order_is_paid_refunded_in_part_and_cancelled() {
    let harness = Harness::start("order-life", true).await;
    let body = json!({
        "lines": [{ "sku": "WS-1", "title": "Crate", "quantity": 2, "price": "10.00" }],
        "shipping": "4.00",
        "tax_rate": "0",
        "paid": false,
        "customer": { "email": "grace@example.com", "first_name": "Grace", "tags": ["wholesale"] },
        "tags": ["playground"],
    });
    let (status, placed) = harness.post("/shopify/orders", &body.to_string()).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["financial_status"], "pending");
    assert_eq!(placed["total"], "24.00");
    let id = placed["id"].as_str().unwrap().to_owned();
    let shop = harness.playground.shopify();
    let order = shop.order(id.parse().unwrap()).unwrap();
    assert!(order.transactions.is_empty());
    assert_eq!(order.tags, ["playground"]);
    assert_eq!(order.customer.unwrap().tags, ["wholesale"]);
    assert!(order.line_items[0].tax_lines.is_empty());

    let refund_path = format!("/shopify/orders/{id}/refunds");
    refused(harness.post(&refund_path, "").await, 409);

    let (status, paid) = harness.post(&format!("/shopify/orders/{id}/pay"), "").await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid, json!({ "id": id, "financial_status": "paid" }));
    let order = shop.order(id.parse().unwrap()).unwrap();
    assert_eq!(order.financial_status, FinancialStatus::Paid);
    assert_eq!(order.total_received(), d("24.00"));
    refused(
        harness.post(&format!("/shopify/orders/{id}/pay"), "").await,
        409,
    );

    let one = json!({ "lines": [{ "sku": "WS-1", "quantity": 1 }] }).to_string();
    let (status, refund) = harness.post(&refund_path, &one).await;
    assert_eq!(status, 201, "{refund}");
    assert_eq!(refund["amount"], "10.00");
    let error = refused(
        harness
            .post(
                &refund_path,
                &json!({ "lines": [{ "sku": "WS-1", "quantity": 2 }] }).to_string(),
            )
            .await,
        409,
    );
    assert!(error.contains("1 left"), "{error}");
    let (status, rest) = harness.post(&refund_path, "{}").await;
    assert_eq!(status, 201, "{rest}");
    assert_eq!(rest["amount"], "14.00", "the other crate and the shipping");
    let order = shop.order(id.parse().unwrap()).unwrap();
    assert_eq!(order.financial_status, FinancialStatus::Refunded);
    assert_eq!(order.total_refunded(), d("24.00"));

    let cancel_path = format!("/shopify/orders/{id}/cancel");
    let (status, cancelled) = harness
        .post(&cancel_path, r#"{"reason": "inventory"}"#)
        .await;
    assert_eq!(status, 200, "{cancelled}");
    let order = shop.order(id.parse().unwrap()).unwrap();
    let at = order.cancelled_at.expect("cancelled");
    assert_eq!(order.cancel_reason.as_deref(), Some("inventory"));
    assert_eq!(
        cancelled,
        json!({ "id": id, "cancelled_at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) })
    );
    refused(harness.post(&cancel_path, "").await, 409);
    refused(
        harness.post(&format!("/shopify/orders/{id}/pay"), "").await,
        409,
    );
    let updated = shop.order(id.parse().unwrap()).unwrap().updated_at;
    assert_eq!(updated, order.updated_at, "the refusals changed nothing");
}

#[tokio::test]
async fn webhooks_subscribe_the_host_once_and_labels_are_announced_and_voided() {
    let harness = Harness::start("labels", true).await;
    let host = Receiver::start(0).await.unwrap();
    let body = json!({ "url": host.url() }).to_string();
    let (status, topics) = harness.post("/webhooks", &body).await;
    assert_eq!(status, 200, "{topics}");
    assert_eq!(
        topics,
        json!({
            "shopify": simulators::shopify_intacct::TOPICS,
            "shipstation": ["SHIP_NOTIFY", "ITEM_SHIP_NOTIFY", "FULFILLMENT_SHIPPED"],
        })
    );
    assert_eq!(harness.post("/webhooks", &body).await.0, 200);
    let shop_subscriptions = harness.playground.shopify().subscriptions();
    assert_eq!(
        shop_subscriptions.len(),
        7,
        "subscribed once: {shop_subscriptions:?}"
    );
    let shop_target = format!("{}/webhooks/shopify", host.url());
    assert!(shop_subscriptions.iter().all(|sub| sub.url == shop_target));
    let ship = harness.playground.shipstation();
    let ship_subscriptions = ship.subscriptions();
    assert_eq!(ship_subscriptions.len(), 3, "{ship_subscriptions:?}");
    let ship_target = format!(
        "{}/webhooks/shipstation/{}",
        host.url(),
        simulators::shipstation_intacct::WEBHOOK_TOKEN
    );
    assert!(
        ship_subscriptions
            .iter()
            .all(|sub| sub.target_url == ship_target)
    );

    let (status, label) = harness.post("/shipstation/labels", "").await;
    assert_eq!(status, 201, "{label}");
    let id: u64 = label["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(label["carrier"], "stamps_com");
    assert_eq!(label["cost"], "8.45");
    assert_eq!(label["order_number"], LABEL_ORDER);
    let shipment = ship.shipment(id).expect("the shipment");
    assert_eq!(shipment.spec.tracking_number, label["tracking_number"]);
    assert!(shipment.notify_batch.is_some(), "announced");
    ship.wait_idle().await;
    let announced: Vec<String> = ship
        .deliveries()
        .iter()
        .filter(|attempt| attempt.succeeded())
        .map(|attempt| serde_json::from_slice::<Value>(&attempt.outgoing.body).unwrap())
        .map(|body| body["resource_type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(announced, ["SHIP_NOTIFY", "ITEM_SHIP_NOTIFY"]);

    let ups = json!({
        "order_number": "1002", "carrier": "ups", "cost": "12.30", "insurance": "1.50"
    });
    let (status, second) = harness.post("/shipstation/labels", &ups.to_string()).await;
    assert_eq!(status, 201, "{second}");
    assert_ne!(second["tracking_number"], label["tracking_number"]);
    let second = ship
        .shipment(second["id"].as_str().unwrap().parse().unwrap())
        .unwrap();
    assert_eq!(
        (
            second.spec.carrier_code.as_str(),
            second.spec.service_code.as_str(),
            second.spec.shipment_cost,
            second.spec.insurance_cost
        ),
        ("ups", "ups_ground", d("12.30"), d("1.50"))
    );

    let (status, voided) = harness
        .post(&format!("/shipstation/labels/{id}/void"), "")
        .await;
    assert_eq!(status, 200, "{voided}");
    assert_eq!(voided, json!({ "id": id.to_string(), "voided": true }));
    assert!(ship.shipment(id).unwrap().voided_at.is_some());
    refused(
        harness
            .post(&format!("/shipstation/labels/{id}/void"), "")
            .await,
        409,
    );

    let (status, _) = harness.post("/shopify/orders", "").await;
    assert_eq!(status, 201);
    harness.playground.shopify().wait_idle().await;
    let topics: Vec<String> = harness
        .playground
        .shopify()
        .deliveries()
        .into_iter()
        .filter(|delivery| delivery.status == Some(200) && delivery.url == shop_target)
        .map(|delivery| delivery.topic)
        .collect();
    assert_eq!(topics, ["customers/create", "orders/create"]);
}

/// A posted GL batch of 12.50 from the new account 4050 in department MKT to accrued freight.
fn gl_batch_request() -> String {
    let entry = |account: &str, tr_type: i8, department: &str| {
        format!(
            "<GLENTRY><ACCOUNTNO>{account}</ACCOUNTNO><TR_TYPE>{tr_type}</TR_TYPE><TRX_AMOUNT>12.50</TRX_AMOUNT>\
             <DESCRIPTION>gift cards</DESCRIPTION><DEPARTMENT>{department}</DEPARTMENT></GLENTRY>"
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<request><control><senderid>{DEMO_SENDER_ID}</senderid>\
         <password>{DEMO_SENDER_PASSWORD}</password><controlid>req-1</controlid><uniqueid>false</uniqueid>\
         <dtdversion>3.0</dtdversion><includewhitespace>false</includewhitespace></control>\
         <operation transaction=\"false\"><authentication><login><userid>{DEMO_USER_ID}</userid>\
         <companyid>{DEMO_COMPANY_ID}</companyid><password>{DEMO_USER_PASSWORD}</password></login>\
         </authentication><content><function controlid=\"gl\"><create><GLBATCH><JOURNAL>GJ</JOURNAL>\
         <BATCH_DATE>03/01/2025</BATCH_DATE><BATCH_TITLE>Gift cards sold</BATCH_TITLE><STATE>Posted</STATE>\
         <ENTRIES>{}{}</ENTRIES></GLBATCH></create></function></content></operation></request>",
        entry("4050", 1, "MKT"),
        entry("2100", -1, "OPS"),
    )
}

#[tokio::test]
async fn an_added_account_and_department_take_postings_and_show_in_the_ledger() {
    let harness = Harness::start("accounts", true).await;
    let intacct = harness.playground.intacct();
    let post_batch = || async {
        let response = reqwest::Client::new()
            .post(intacct.endpoint_url())
            .header("content-type", "application/xml")
            .body(gl_batch_request())
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status().as_u16(), 200);
        response.text().await.unwrap()
    };

    let (status, empty) = harness.get("/intacct/ledger").await;
    assert_eq!(status, 200);
    assert_eq!(
        empty,
        json!({
            "company_id": DEMO_COMPANY_ID,
            "invoices": [],
            "adjustments": [],
            "reversals": [],
            "payments": [],
            "gl_batches": [],
            "balances": {},
        })
    );
    let refused_batch = post_batch().await;
    assert!(refused_batch.contains("4050"), "{refused_batch}");
    assert!(intacct.ledger(DEMO_COMPANY_ID).gl_batches.is_empty());

    let account = json!({ "account_no": "4050", "title": "Gift cards" });
    let (status, added) = harness
        .post("/intacct/accounts", &account.to_string())
        .await;
    assert_eq!((status, added), (201, account.clone()));
    let refused_batch = post_batch().await;
    assert!(
        refused_batch.contains("MKT"),
        "the department next: {refused_batch}"
    );
    assert!(intacct.ledger(DEMO_COMPANY_ID).gl_batches.is_empty());
    let dimension = json!({ "dimension": "department", "id": "MKT" });
    let (status, added) = harness
        .post("/intacct/dimensions", &dimension.to_string())
        .await;
    assert_eq!((status, added), (201, dimension.clone()));
    let accepted = post_batch().await;
    assert_eq!(
        intacct.ledger(DEMO_COMPANY_ID).gl_batches.len(),
        1,
        "{accepted}"
    );

    let error = refused(
        harness
            .post("/intacct/accounts", &account.to_string())
            .await,
        409,
    );
    assert!(error.contains("4050"), "{error}");
    refused(
        harness
            .post("/intacct/dimensions", &dimension.to_string())
            .await,
        409,
    );

    let (status, ledger) = harness.get("/intacct/ledger").await;
    assert_eq!(status, 200);
    let batch = &ledger["gl_batches"][0];
    assert_eq!(batch["journal"], "GJ");
    assert_eq!(batch["date"], "2025-03-01");
    assert_eq!(batch["description"], "Gift cards sold");
    assert_eq!(
        batch["lines"],
        json!([
            { "account": "4050", "amount": "12.50", "memo": "gift cards",
              "department": "MKT", "location": null, "class": null },
            { "account": "2100", "amount": "-12.50", "memo": "gift cards",
              "department": "OPS", "location": null, "class": null },
        ])
    );
    assert_eq!(
        ledger["balances"],
        json!({ "2100": "-12.50", "4050": "12.50" })
    );
}

#[tokio::test]
async fn bad_requests_are_refused_and_change_nothing() {
    let harness = Harness::start("refusals", true).await;
    let shop = harness.playground.shopify();

    let error = refused(harness.post("/shopify/orders", "{\"lines\": [").await, 400);
    assert!(error.contains("not valid JSON"), "{error}");
    let error = refused(
        harness
            .post("/shopify/orders", r#"{"colour": "red"}"#)
            .await,
        400,
    );
    assert!(error.contains("unknown field `colour`"), "{error}");
    let error = refused(
        harness
            .post("/shopify/orders", r#"{"shipping": "eight"}"#)
            .await,
        400,
    );
    assert!(error.contains("`eight` is not a decimal"), "{error}");
    let error = refused(
        harness.post("/shopify/orders", r#"{"shipping": 8}"#).await,
        400,
    );
    assert!(error.contains("string"), "{error}");
    refused(
        harness.post("/shopify/orders", r#"{"lines": []}"#).await,
        400,
    );
    let zero = r#"{"lines": [{"sku": "A", "price": "1.00", "quantity": 0}]}"#;
    refused(harness.post("/shopify/orders", zero).await, 400);
    assert_eq!(harness.order_count(), 0);

    for path in [
        "/shopify/orders/5821001234567890999/pay",
        "/shopify/orders/abc/refunds",
        "/shopify/orders/12/cancel",
    ] {
        let error = refused(harness.post(path, "").await, 404);
        assert!(error.contains("no order"), "{error}");
    }
    let (status, placed) = harness.post("/shopify/orders", "").await;
    assert_eq!(status, 201);
    let id = placed["id"].as_str().unwrap();
    let order = shop.order(id.parse().unwrap()).unwrap();
    let unknown_sku = r#"{"lines": [{"sku": "NOPE"}]}"#;
    let error = refused(
        harness
            .post(&format!("/shopify/orders/{id}/refunds"), unknown_sku)
            .await,
        400,
    );
    assert!(error.contains("NOPE"), "{error}");
    refused(
        harness
            .post(
                &format!("/shopify/orders/{id}/cancel"),
                r#"{"reason": "bored"}"#,
            )
            .await,
        400,
    );
    assert_eq!(shop.order(order.id), Some(order), "the order is unchanged");
    assert_eq!(harness.order_count(), 1);

    let ship = harness.playground.shipstation();
    refused(
        harness
            .post("/shipstation/labels", r#"{"cost": "-1"}"#)
            .await,
        400,
    );
    refused(
        harness
            .post("/shipstation/labels", r#"{"weight": "2"}"#)
            .await,
        400,
    );
    refused(
        harness.post("/shipstation/labels/100000001/void", "").await,
        404,
    );
    assert!(ship.shipments().is_empty());

    let error = refused(
        harness
            .post(
                "/intacct/accounts",
                r#"{"account_no": "4000", "title": "Other"}"#,
            )
            .await,
        409,
    );
    assert!(error.contains("4000"), "{error}");
    refused(harness.post("/intacct/accounts", "").await, 400);
    let error = refused(
        harness
            .post("/intacct/dimensions", r#"{"dimension": "team", "id": "X"}"#)
            .await,
        400,
    );
    assert!(error.contains("unknown variant `team`"), "{error}");

    refused(
        harness.post("/webhooks", r#"{"url": "ftp://host"}"#).await,
        400,
    );
    refused(harness.post("/webhooks", "{}").await, 400);
    assert!(shop.subscriptions().is_empty());
    assert!(ship.subscriptions().is_empty());

    let (status, ledger) = harness.get("/intacct/ledger").await;
    assert_eq!(status, 200);
    assert_eq!(ledger["balances"], json!({}));
    refused(harness.get("/no/such/route").await, 404);
}
