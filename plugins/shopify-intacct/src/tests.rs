//! The mapping end to end, natively: entities shaped as the `shopify` connector documents them
//! (amounts as decimal strings, ids as numeric strings), through `ShopifyIntacct::map`, checked
//! command by command, to the cent.

use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::serde_json::{self, Value, json};
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, testing};

use super::*;
use crate::config::CONFIG_CODE;

const ORDER_ID: &str = "5821001234567890130";
const CUSTOMER_ID: &str = "7012345678901";

/// The crate doc's example config, verbatim.
const DOC_CONFIG: &str = r#"{
  "customer": {
    "id_scheme": "shopify_id",
    "id_prefix": "SH",
    "guest_customer_id": "SH-GUEST",
    "guest_customer_name": "Shopify guest checkout"
  },
  "invoice": { "number_prefix": "SH", "due_days": 0, "skip_test_orders": true },
  "default_order_type": {
    "name": "web",
    "accounts": {
      "revenue": "4000", "shipping": "4050", "tax": "2200", "discounts": "4090",
      "adjustments": "4095",
      "revenue_by_product_line": { "gift-cards": "2450" },
      "tax_by_title": { "GST": "2210" }
    },
    "dimensions": { "department_id": "ECOM" }
  },
  "order_types": [
    { "name": "wholesale", "when": { "customer_tags": ["wholesale"] },
      "accounts": { "revenue": "4100" }, "dimensions": { "department_id": "WHSL" } },
    { "name": "pos", "when": { "source_names": ["pos"] },
      "dimensions": { "department_id": "RETAIL" } }
  ],
  "regions": [
    { "name": "eu", "when": { "currencies": ["EUR"] }, "dimensions": { "location_id": "EU" } },
    { "name": "canada", "when": { "customer_tags": ["region:ca"] },
      "dimensions": { "location_id": "CA" } }
  ],
  "default_region": { "dimensions": { "location_id": "US" } },
  "product_lines": [
    { "name": "gift-cards", "when": { "sku_prefixes": ["GC-"] },
      "dimensions": { "class_id": "GIFT" } },
    { "name": "apparel", "when": { "sku_prefixes": ["TS-", "HD-"] },
      "revenue_account": "4010", "dimensions": { "class_id": "APPAREL" } }
  ],
  "default_product_line": { "dimensions": { "class_id": "GENERAL" } },
  "gateways": {
    "shopify_payments": { "payment_method": "Credit Card", "undeposited_funds_account": "1499" },
    "paypal": { "payment_method": "EFT", "bank_account_id": "PAYPAL" },
    "*": { "payment_method": "Cash", "undeposited_funds_account": "1498" }
  }
}"#;

fn config() -> Value {
    serde_json::from_str(DOC_CONFIG).unwrap()
}

fn with(mut value: Value, patch: Value) -> Value {
    let Value::Object(patch) = patch else {
        panic!("a patch is an object")
    };
    value.as_object_mut().unwrap().extend(patch);
    value
}

fn event(topic: &str, key: &str) -> Event {
    Event {
        key: key.into(),
        topic: topic.into(),
        reference: ORDER_ID.into(),
        ..Event::default()
    }
}

fn tax(title: &str, rate: &str, amount: &str) -> Value {
    json!({"title": title, "rate": rate, "amount": amount})
}

/// A USD order as the connector's `shopify.order` (taxes on top, a shipping discount):
/// 2 shirts at 25.00 less 5.00, a 50.00 gift card, 3 mugs at 12.99, shipping 10.00 discounted to
/// 8.00, CA tax 6.09: 148.06.
fn order() -> Value {
    let lines = json!([
        {"id": "11", "sku": "TS-001", "name": "T-Shirt - Blue", "title": "T-Shirt",
         "variant_title": "Blue", "quantity": 2, "vendor": "Acme", "taxable": true,
         "unit_price": "25.00", "total_discount": "5.00", "subtotal": "45.00",
         "total_tax": "3.26", "tax_lines": [tax("CA State Tax", "0.0725", "3.26")]},
        {"id": "12", "sku": "GC-50", "name": "Gift card", "title": "Gift card",
         "variant_title": null, "quantity": 1, "vendor": null, "taxable": false,
         "unit_price": "50.00", "total_discount": "0.00", "subtotal": "50.00",
         "total_tax": "0.00", "tax_lines": []},
        {"id": "13", "sku": "MUG-1", "name": "Mug", "title": "Mug", "variant_title": null,
         "quantity": 3, "vendor": null, "taxable": true, "unit_price": "12.99",
         "total_discount": "0.00", "subtotal": "38.97", "total_tax": "2.83",
         "tax_lines": [tax("CA State Tax", "0.0725", "2.83")]}
    ]);
    let shipping = json!([{"id": "21", "title": "Standard", "code": "Standard",
        "price": "10.00", "discounted_price": "8.00", "total_tax": "0.00", "tax_lines": []}]);
    let header = json!({
        "id": ORDER_ID, "gid": format!("gid://shopify/Order/{ORDER_ID}"), "name": "#1001",
        "email": "ada@example.com",
        "created_at": "2025-11-03T15:00:00Z", "updated_at": "2025-11-03T15:00:01Z",
        "processed_at": "2025-11-03T15:00:00Z", "cancelled_at": null, "cancel_reason": null,
        "currency": "USD", "presentment_currency": "USD", "financial_status": "PENDING",
        "test": false, "taxes_included": false, "tags": [], "source_name": "web",
        "payment_gateways": ["shopify_payments"]
    });
    with(
        header,
        json!({
            "subtotal": "133.97", "total_discounts": "7.00", "total_shipping": "8.00",
            "total_tax": "6.09", "total": "148.06", "total_refunded": "0.00",
            "current_total": "148.06", "customer_id": CUSTOMER_ID,
            "lines": lines, "shipping_lines": shipping,
            "tax_lines": [tax("CA State Tax", "0.0725", "6.09")], "refunds": []
        }),
    )
}

fn customer() -> Value {
    json!({"id": CUSTOMER_ID, "gid": format!("gid://shopify/Customer/{CUSTOMER_ID}"),
        "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace",
        "display_name": "Ada Lovelace", "tags": ["vip"],
        "created_at": "2025-11-01T09:00:00Z", "updated_at": "2025-11-01T09:00:00Z"})
}

fn entities(order: &Value, customer: Option<&Value>) -> Vec<Entity> {
    let mut entities = vec![Entity::json("shopify.order", ORDER_ID, order).unwrap()];
    if let Some(customer) = customer {
        entities.push(Entity::json("shopify.customer", CUSTOMER_ID, customer).unwrap());
    }
    entities
}

fn map(topic: &str, order: &Value, config: &Value) -> Result<Vec<Command>, PluginError> {
    ShopifyIntacct::map(
        event(topic, "evt-1"),
        entities(order, Some(&customer())),
        config,
    )
}

fn body(command: &Command) -> Value {
    command.body_json().unwrap()
}

fn kinds(commands: &[Command]) -> Vec<&str> {
    commands
        .iter()
        .map(|command| command.kind.as_str())
        .collect()
}

fn sum(lines: &Value) -> Decimal {
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|line| money::from_json(&line["amount"]).unwrap())
        .sum()
}

fn config_message(error: PluginError) -> String {
    match error {
        PluginError::Rejected {
            code: Some(code),
            message,
        } if code == CONFIG_CODE => message,
        other => panic!("not a config refusal: {other:?}"),
    }
}

#[test]
fn a_new_order_is_one_customer_and_one_invoice_to_the_cent() {
    testing::reset();
    let commands = map("orders/create", &order(), &config()).unwrap();

    assert_eq!(
        kinds(&commands),
        ["intacct.upsert-customer", "intacct.create-invoice"]
    );
    let customer = body(&commands[0]);
    assert_eq!(
        customer,
        json!({"customer_id": "SH7012345678901", "name": "Ada Lovelace", "first_name": "Ada",
               "last_name": "Lovelace", "email": "ada@example.com"})
    );
    assert!(
        commands[0]
            .key
            .starts_with("shopify-intacct/customer/SH7012345678901/")
    );

    let invoice = body(&commands[1]);
    let version = invoice::version(&serde_json::from_value(order()).unwrap());
    assert_eq!(
        commands[1].key,
        format!("shopify-intacct/order/{ORDER_ID}/invoice/{version}")
    );
    let line = |account: &str, amount: &str, memo: &str, class: Option<&str>| {
        let mut line = json!({"gl_account_no": account, "amount": amount, "memo": memo,
            "location_id": "US", "department_id": "ECOM"});
        if let Some(class) = class {
            line["class_id"] = json!(class);
        }
        line
    };
    assert_eq!(
        invoice,
        json!({
            "customer_id": "SH7012345678901", "date": "2025-11-03", "date_due": "2025-11-03",
            "invoice_no": "SH1001", "description": "Shopify order #1001",
            "external_id": format!("{ORDER_ID}-{version}"), "currency": "USD",
            "lines": [
                line("4010", "50.00", "2 × T-Shirt - Blue", Some("APPAREL")),
                line("4090", "-5.00", "Discount: T-Shirt - Blue", Some("APPAREL")),
                line("2450", "50.00", "1 × Gift card", Some("GIFT")),
                line("4000", "38.97", "3 × Mug", Some("GENERAL")),
                line("4050", "10.00", "Shipping: Standard", None),
                line("4090", "-2.00", "Discount: shipping Standard", None),
                line("2200", "6.09", "CA State Tax 7.25%", None),
            ]
        })
    );
    assert_eq!(sum(&invoice["lines"]), money::parse("148.06").unwrap());

    let logs = testing::take_logs();
    let mapped = logs.iter().find(|log| log.message == "mapped").unwrap();
    assert_eq!(mapped.field("commands"), Some("2"));
    assert_eq!(mapped.field("subject"), Some("#1001"));
}

#[test]
fn without_a_discounts_account_lines_post_net() {
    testing::reset();
    let mut config = config();
    config["default_order_type"]["accounts"]
        .as_object_mut()
        .unwrap()
        .remove("discounts");
    let commands = map("orders/create", &order(), &config).unwrap();
    let lines = body(&commands[1])["lines"].clone();
    let amounts: Vec<&str> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["45.00", "50.00", "38.97", "8.00", "6.09"]);
}

#[test]
fn same_input_gives_same_commands_whatever_the_event_key() {
    testing::reset();
    let once = map("orders/create", &order(), &config()).unwrap();
    let again = map("orders/create", &order(), &config()).unwrap();
    assert_eq!(once, again);

    // A webhook and a poll of one change are two events with two keys: same commands.
    let polled = ShopifyIntacct::map(
        event(
            "orders/updated",
            &format!("order/{ORDER_ID}/2025-11-03T15:00:01Z"),
        ),
        entities(&order(), Some(&customer())),
        &config(),
    )
    .unwrap();
    let hooked = ShopifyIntacct::map(
        event("orders/updated", "b7c0c4f2-webhook-event-id"),
        entities(&order(), Some(&customer())),
        &config(),
    )
    .unwrap();
    assert_eq!(polled, hooked);
    // The update of an unchanged order has the create's keys (Intacct: already executed); its
    // invoice supersedes, and finds nothing else to reverse.
    let keys = |commands: &[Command]| -> Vec<String> {
        commands.iter().map(|command| command.key.clone()).collect()
    };
    assert_eq!(keys(&polled), keys(&once));
    assert!(body(&polled[1])["supersedes"].is_object());
}

#[test]
fn an_update_that_changes_the_lines_is_a_new_version_superseding_the_old() {
    testing::reset();
    let created = map("orders/create", &order(), &config()).unwrap();

    // Tags and fulfillment change nothing the invoice is made of.
    let mut tagged = order();
    tagged["tags"] = json!(["fulfilled", "gift"]);
    tagged["updated_at"] = json!("2025-11-04T08:00:00Z");
    let unchanged = map("orders/updated", &tagged, &config()).unwrap();
    assert_eq!(unchanged[1].key, created[1].key);

    // An edit adds a mug: a new invoice version under the same number.
    let mut edited = order();
    edited["updated_at"] = json!("2025-11-05T10:30:00Z");
    edited["lines"][2]["quantity"] = json!(4);
    edited["lines"][2]["subtotal"] = json!("51.96");
    edited["lines"][2]["total_tax"] = json!("3.77");
    edited["lines"][2]["tax_lines"] = json!([tax("CA State Tax", "0.0725", "3.77")]);
    edited["tax_lines"] = json!([tax("CA State Tax", "0.0725", "7.03")]);
    edited["total"] = json!("161.99");
    let commands = map("orders/updated", &edited, &config()).unwrap();
    assert_eq!(
        kinds(&commands),
        ["intacct.upsert-customer", "intacct.create-invoice"]
    );
    assert_ne!(commands[1].key, created[1].key);
    let invoice = body(&commands[1]);
    assert_eq!(invoice["invoice_no"], "SH1001");
    assert_eq!(sum(&invoice["lines"]), money::parse("161.99").unwrap());
    let version = invoice::version(&serde_json::from_value(edited.clone()).unwrap());
    assert_eq!(
        commands[1].key,
        format!("shopify-intacct/order/{ORDER_ID}/invoice/{version}")
    );
    assert_eq!(invoice["external_id"], format!("{ORDER_ID}-{version}"));
    assert_eq!(
        invoice["supersedes"],
        json!({"date": "2025-11-05",
               "description": format!("Shopify order #1001 changed: superseded by version {version}")})
    );
    // A replay of the edit maps to the same keys.
    assert_eq!(map("orders/updated", &edited, &config()).unwrap(), commands);
}

/// A transaction of the order as the connector gives it.
fn transaction(id: &str, kind: &str, status: &str, amount: &str, gateway: &str, at: &str) -> Value {
    json!({"id": id, "kind": kind, "status": status, "amount": amount, "gateway": gateway,
           "processed_at": at})
}

/// The order paid with `transactions`, at `status`.
fn paid_with(status: &str, transactions: Value) -> Value {
    let mut paid = order();
    paid["financial_status"] = json!(status);
    paid["transactions"] = transactions;
    paid
}

const SALE_ID: &str = "5821001234567890150";
const CAPTURE_ID: &str = "5821001234567890151";

#[test]
fn a_paid_order_pays_its_invoice_into_the_gateways_account() {
    testing::reset();
    let paid = paid_with(
        "PAID",
        json!([transaction(
            SALE_ID,
            "sale",
            "success",
            "148.06",
            "shopify_payments",
            "2025-11-03T15:00:02Z"
        )]),
    );
    let commands = map("orders/updated", &paid, &config()).unwrap();
    assert_eq!(
        kinds(&commands),
        [
            "intacct.upsert-customer",
            "intacct.create-invoice",
            "intacct.create-payment"
        ]
    );
    let payment = &commands[2];
    assert_eq!(
        payment.key,
        format!("shopify-intacct/order/{ORDER_ID}/payment/{SALE_ID}")
    );
    let invoice_external_id = body(&commands[1])["external_id"].clone();
    assert_eq!(
        body(payment),
        json!({"customer_id": "SH7012345678901", "amount": "148.06", "date": "2025-11-03",
               "payment_method": "Credit Card", "undeposited_funds_account": "1499",
               "ref_id": format!("#1001/{SALE_ID}"), "currency": "USD",
               "applications": [{"invoice_no": "SH1001", "external_id": invoice_external_id,
                                 "amount": "148.06"}]})
    );
    // Every orders/* event of the order maps its payment to the same key.
    for topic in ["orders/create", "orders/paid"] {
        assert_eq!(map(topic, &paid, &config()).unwrap()[2], commands[2]);
    }

    // PayPal goes to its bank account, whatever the case of its name.
    let paypal = paid_with(
        "PAID",
        json!([transaction(
            SALE_ID,
            "SALE",
            "SUCCESS",
            "148.06",
            "PayPal",
            "2025-11-04T09:30:00Z"
        )]),
    );
    let commands = map("orders/paid", &paypal, &config()).unwrap();
    assert_eq!(
        body(&commands[2]),
        json!({"customer_id": "SH7012345678901", "amount": "148.06", "date": "2025-11-04",
               "payment_method": "EFT", "bank_account_id": "PAYPAL",
               "ref_id": format!("#1001/{SALE_ID}"), "currency": "USD",
               "applications": [{"invoice_no": "SH1001", "external_id": invoice_external_id,
                                 "amount": "148.06"}]})
    );

    // A gateway the config lacks, or none named, falls back to "*".
    for gateway in [json!("Cash on Delivery (COD)"), Value::Null] {
        let mut cash = paid_with(
            "PAID",
            json!([transaction(
                SALE_ID,
                "sale",
                "success",
                "148.06",
                "x",
                "2025-11-03T15:00:00Z"
            )]),
        );
        cash["transactions"][0]["gateway"] = gateway;
        let commands = map("orders/paid", &cash, &config()).unwrap();
        assert_eq!(body(&commands[2])["payment_method"], "Cash");
        assert_eq!(body(&commands[2])["undeposited_funds_account"], "1498");
    }
}

#[test]
fn a_partly_paid_order_posts_what_it_received_and_each_capture_after() {
    testing::reset();
    // 50.00 at checkout; an authorization and a failed capture are not money received.
    let checkout = json!([
        transaction(
            SALE_ID,
            "sale",
            "success",
            "50.00",
            "shopify_payments",
            "2025-11-03T15:00:00Z"
        ),
        transaction(
            "5821001234567890149",
            "authorization",
            "success",
            "98.06",
            "shopify_payments",
            "2025-11-03T15:00:00Z"
        ),
        transaction(
            "5821001234567890152",
            "capture",
            "failure",
            "98.06",
            "shopify_payments",
            "2025-11-04T10:00:00Z"
        ),
        transaction(
            "5821001234567890153",
            "capture",
            "pending",
            "98.06",
            "shopify_payments",
            "2025-11-04T10:00:00Z"
        )
    ]);
    let partial = paid_with("PARTIALLY_PAID", checkout.clone());
    let commands = map("orders/create", &partial, &config()).unwrap();
    assert_eq!(
        kinds(&commands),
        [
            "intacct.upsert-customer",
            "intacct.create-invoice",
            "intacct.create-payment"
        ]
    );
    let external_id = body(&commands[1])["external_id"].clone();
    let expected = |id: &str, amount: &str, date: &str, method: &str, account: (&str, &str)| {
        let mut body = json!({"customer_id": "SH7012345678901", "amount": amount, "date": date,
            "payment_method": method, "ref_id": format!("#1001/{id}"), "currency": "USD",
            "applications": [{"invoice_no": "SH1001", "external_id": external_id,
                              "amount": amount}]});
        body[account.0] = json!(account.1);
        body
    };
    let card = ("undeposited_funds_account", "1499");
    assert_eq!(
        commands[2].key,
        format!("shopify-intacct/order/{ORDER_ID}/payment/{SALE_ID}")
    );
    assert_eq!(
        body(&commands[2]),
        expected(SALE_ID, "50.00", "2025-11-03", "Credit Card", card)
    );

    // The rest is captured the next day through PayPal: the update posts that capture alone,
    // beside the sale's payment already run (same key, same body).
    let mut rest = checkout.as_array().unwrap().clone();
    rest.push(transaction(
        CAPTURE_ID,
        "capture",
        "success",
        "98.06",
        "paypal",
        "2025-11-04T10:05:00Z",
    ));
    let paid = paid_with("PAID", json!(rest));
    let commands = map("orders/updated", &paid, &config()).unwrap();
    assert_eq!(
        kinds(&commands),
        [
            "intacct.upsert-customer",
            "intacct.create-invoice",
            "intacct.create-payment",
            "intacct.create-payment"
        ]
    );
    let keys: Vec<&str> = commands[2..].iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            format!("shopify-intacct/order/{ORDER_ID}/payment/{SALE_ID}"),
            format!("shopify-intacct/order/{ORDER_ID}/payment/{CAPTURE_ID}")
        ]
    );
    assert_eq!(
        body(&commands[2]),
        expected(SALE_ID, "50.00", "2025-11-03", "Credit Card", card)
    );
    assert_eq!(
        body(&commands[3]),
        expected(
            CAPTURE_ID,
            "98.06",
            "2025-11-04",
            "EFT",
            ("bank_account_id", "PAYPAL")
        )
    );
    // The orders/paid that came with it maps to the same payments, a replay to the same commands.
    assert_eq!(
        map("orders/paid", &paid, &config()).unwrap()[2..],
        commands[2..]
    );
    assert_eq!(map("orders/updated", &paid, &config()).unwrap(), commands);
}

#[test]
fn a_payment_is_never_dated_before_its_invoice() {
    testing::reset();
    // The sale went through a minute before midnight; Shopify processed the order after it.
    let mut early = paid_with(
        "PAID",
        json!([transaction(
            SALE_ID,
            "sale",
            "success",
            "148.06",
            "shopify_payments",
            "2025-11-02T23:59:00Z"
        )]),
    );
    early["processed_at"] = json!("2025-11-03T00:00:30Z");
    let commands = map("orders/create", &early, &config()).unwrap();
    assert_eq!(body(&commands[1])["date"], "2025-11-03");
    assert_eq!(body(&commands[2])["date"], "2025-11-03");
}

#[test]
fn a_paid_status_without_money_received_posts_no_payment() {
    testing::reset();
    let paid = paid_with("PAID", json!([]));
    let commands = map("orders/paid", &paid, &config()).unwrap();
    assert_eq!(
        kinds(&commands),
        ["intacct.upsert-customer", "intacct.create-invoice"]
    );
    let logs = testing::take_logs();
    let warning = logs
        .iter()
        .find(|log| log.message.starts_with("the status says paid"))
        .expect("a warning");
    assert_eq!(warning.field("financial_status"), Some("PAID"));
}

#[test]
fn more_received_than_invoiced_is_reviewed() {
    testing::reset();
    let over = paid_with(
        "PAID",
        json!([
            transaction(
                SALE_ID,
                "sale",
                "success",
                "148.06",
                "shopify_payments",
                "2025-11-03T15:00:00Z"
            ),
            transaction(
                CAPTURE_ID,
                "capture",
                "success",
                "20.00",
                "paypal",
                "2025-11-05T15:00:00Z"
            )
        ]),
    );
    let review = map("orders/updated", &over, &config());
    assert_eq!(
        review,
        Err(PluginError::NeedsReview(
            "order #1001: 168.06 USD was received but the invoice is 148.06; applied in full \
             the payments would exceed it. Settle it in Intacct and skip, or resolve with \
             {\"accept_totals\": true} to apply them up to the invoice and leave the rest \
             unapplied on the customer's account"
                .into()
        ))
    );

    // Accepted: each payment is applied up to what the invoice has left; the rest is unapplied.
    let accepted = with(config(), json!({"resolution": {"accept_totals": true}}));
    let commands = map("orders/updated", &over, &accepted).unwrap();
    let external_id = body(&commands[1])["external_id"].clone();
    assert_eq!(
        body(&commands[2])["applications"],
        json!([{"invoice_no": "SH1001", "external_id": external_id, "amount": "148.06"}])
    );
    assert_eq!(
        body(&commands[3]),
        json!({"customer_id": "SH7012345678901", "amount": "20.00", "date": "2025-11-05",
               "payment_method": "EFT", "bank_account_id": "PAYPAL",
               "ref_id": format!("#1001/{CAPTURE_ID}"), "currency": "USD",
               "applications": []})
    );
}

#[test]
fn a_gateway_without_an_entry_is_a_config_refusal() {
    testing::reset();
    // No entry and no "*": a config refusal naming the key to add.
    let mut config = config();
    config["gateways"].as_object_mut().unwrap().remove("*");
    let manual = paid_with(
        "PAID",
        json!([transaction(
            SALE_ID,
            "sale",
            "success",
            "148.06",
            "Manual",
            "2025-11-03T15:00:00Z"
        )]),
    );
    let message = config_message(map("orders/create", &manual, &config).unwrap_err());
    assert!(message.contains("`gateways.\"manual\"`"), "{message}");
    assert!(
        message.contains("order #1001 was paid through `Manual`"),
        "{message}"
    );
}

#[test]
fn a_partial_refund_credits_exactly_what_was_refunded() {
    testing::reset();
    let mut refunded = order();
    refunded["financial_status"] = json!("PARTIALLY_REFUNDED");
    // One of the two shirts back (22.50 after its share of the discount, 1.63 tax) and the
    // shipping, with a refund discrepancy of 0.50 more: 24.13 + 8.00 + 0.50 = 32.63.
    let refund = json!({
        "id": "5821001234567890140", "gid": "gid://shopify/Refund/5821001234567890140",
        "order_id": ORDER_ID, "created_at": "2025-11-06T10:00:00Z",
        "processed_at": "2025-11-06T10:00:00Z", "note": "too small",
        "lines": [{"id": "31", "line_item_id": "11", "quantity": 1, "sku": "TS-001",
                   "name": "T-Shirt - Blue", "subtotal": "22.50", "total_tax": "1.63"}],
        "shipping": [{"id": "32", "shipping_line_id": "21", "amount": "8.00", "tax": "0.00"}],
        "adjustments": [{"id": "33", "kind": "refund_discrepancy", "reason": "Refund discrepancy",
                         "amount": "-0.50", "tax": "0.00"}],
        "transactions": [{"id": "34", "kind": "refund", "status": "success", "amount": "32.63",
                          "currency": "USD", "gateway": "shopify_payments",
                          "created_at": "2025-11-06T10:00:00Z"}],
        "subtotal": "22.50", "total_tax": "1.63", "total_shipping": "8.00", "total": "32.63"
    });
    let mut records = entities(&refunded, Some(&customer()));
    records.push(Entity::json("shopify.refund", "5821001234567890140", &refund).unwrap());
    let commands =
        ShopifyIntacct::map(event("refunds/create", "evt-r"), records.clone(), &config()).unwrap();

    assert_eq!(kinds(&commands), ["intacct.create-adjustment"]);
    assert_eq!(
        commands[0].key,
        "shopify-intacct/refund/5821001234567890140"
    );
    let memo = body(&commands[0]);
    let dims = |class: Option<&str>| {
        let mut dims = json!({"location_id": "US", "department_id": "ECOM"});
        if let Some(class) = class {
            dims["class_id"] = json!(class);
        }
        dims
    };
    let line = |account: &str, amount: &str, memo: &str, class: Option<&str>| {
        with(
            json!({"gl_account_no": account, "amount": amount, "memo": memo}),
            dims(class),
        )
    };
    assert_eq!(
        memo,
        json!({
            "customer_id": "SH7012345678901", "date": "2025-11-06", "invoice_no": "SH1001",
            "description": "Refund 5821001234567890140 of Shopify order #1001: too small",
            "external_id": "5821001234567890140", "currency": "USD",
            "lines": [
                line("4010", "-25.00", "1 × T-Shirt - Blue", Some("APPAREL")),
                line("4090", "2.50", "Discount: T-Shirt - Blue", Some("APPAREL")),
                line("4050", "-8.00", "Shipping: Standard", None),
                line("4095", "-0.50", "Refund discrepancy", None),
                line("2200", "-1.63", "CA State Tax 7.25%", None),
            ]
        })
    );
    assert_eq!(sum(&memo["lines"]), money::parse("-32.63").unwrap());

    // The same refund again (a duplicate webhook): the same command.
    assert_eq!(
        ShopifyIntacct::map(event("refunds/create", "evt-r2"), records, &config()).unwrap(),
        commands
    );
}

#[test]
fn a_refund_that_does_not_add_up_is_reviewed() {
    testing::reset();
    let refund = json!({
        "id": "41", "order_id": ORDER_ID,
        "lines": [{"id": "31", "line_item_id": "13", "quantity": 1, "subtotal": "12.99",
                   "total_tax": "0.94"}],
        "shipping": [], "adjustments": [], "transactions": [], "total": "20.00"
    });
    let mut records = entities(&order(), Some(&customer()));
    records.push(Entity::json("shopify.refund", "41", &refund).unwrap());
    let review = ShopifyIntacct::map(event("refunds/create", "e"), records.clone(), &config());
    assert!(matches!(review, Err(PluginError::NeedsReview(message)) if message.contains("13.93")));

    let accepted = with(config(), json!({"resolution": {"accept_totals": true}}));
    let commands = ShopifyIntacct::map(event("refunds/create", "e"), records, &accepted).unwrap();
    assert_eq!(
        sum(&body(&commands[0])["lines"]),
        money::parse("-13.93").unwrap()
    );
}

#[test]
fn a_cancelled_unpaid_order_is_reversed() {
    testing::reset();
    // Authorized, never captured: the authorization was voided.
    let mut cancelled = paid_with(
        "VOIDED",
        json!([
            transaction(
                "5821001234567890149",
                "authorization",
                "success",
                "148.06",
                "shopify_payments",
                "2025-11-03T15:00:00Z"
            ),
            transaction(
                "5821001234567890152",
                "void",
                "success",
                "148.06",
                "shopify_payments",
                "2025-11-07T12:00:00Z"
            )
        ]),
    );
    cancelled["cancelled_at"] = json!("2025-11-07T12:00:00Z");
    cancelled["cancel_reason"] = json!("CUSTOMER");
    let commands = map("orders/cancelled", &cancelled, &config()).unwrap();
    assert_eq!(kinds(&commands), ["intacct.reverse-invoice"]);
    assert_eq!(
        commands[0].key,
        format!("shopify-intacct/order/{ORDER_ID}/reverse")
    );
    assert_eq!(
        body(&commands[0]),
        json!({"invoice_no": "SH1001", "date": "2025-11-07",
               "description": "Shopify order #1001 cancelled (customer)"})
    );
    // The orders/updated that Shopify sends with the cancellation maps to the same reversal.
    assert_eq!(
        map("orders/updated", &cancelled, &config()).unwrap(),
        commands
    );

    // Cancelled after payment, in full or in part: the refunds credit it; the invoice and the
    // payments stay.
    for (status, received) in [("REFUNDED", "148.06"), ("PARTIALLY_PAID", "50.00")] {
        cancelled["financial_status"] = json!(status);
        cancelled["transactions"] = json!([transaction(
            SALE_ID,
            "sale",
            "success",
            received,
            "shopify_payments",
            "2025-11-03T15:00:00Z"
        )]);
        let kept = map("orders/cancelled", &cancelled, &config()).unwrap();
        assert_eq!(
            kinds(&kept),
            [
                "intacct.upsert-customer",
                "intacct.create-invoice",
                "intacct.create-payment"
            ],
            "{status}"
        );
        assert_eq!(body(&kept[2])["amount"], received);
    }
}

#[test]
fn an_order_in_eur_posts_in_eur() {
    testing::reset();
    // A German shop: prices include 19 % VAT. 119.00 + shipping 5.95 = 124.95.
    let eur = json!({
        "id": "9001", "name": "#EU1002", "created_at": "2025-11-03T23:30:00+01:00",
        "updated_at": "2025-11-03T23:30:00+01:00", "currency": "EUR",
        "financial_status": "PAID", "taxes_included": true, "tags": [],
        "payment_gateways": ["shopify_payments"], "total": "124.95", "customer_id": CUSTOMER_ID,
        "transactions": [transaction("9101", "sale", "success", "124.95", "shopify_payments",
                                     "2025-11-03T22:30:05Z")],
        "lines": [{"id": "1", "sku": "W-1", "name": "Widget", "quantity": 1,
                   "unit_price": "119.00", "total_discount": "0.00", "subtotal": "119.00",
                   "total_tax": "19.00", "tax_lines": [tax("MwSt", "0.19", "19.00")]}],
        "shipping_lines": [{"title": "DHL", "price": "5.95", "discounted_price": "5.95",
                            "total_tax": "0.95", "tax_lines": [tax("MwSt", "0.19", "0.95")]}],
        "tax_lines": [tax("MwSt", "0.19", "19.95")]
    });
    let commands = ShopifyIntacct::map(
        event("orders/create", "e"),
        vec![
            Entity::json("shopify.order", "9001", &eur).unwrap(),
            Entity::json("shopify.customer", CUSTOMER_ID, &customer()).unwrap(),
        ],
        &config(),
    )
    .unwrap();
    let invoice = body(&commands[1]);
    assert_eq!(invoice["currency"], "EUR");
    assert_eq!(invoice["invoice_no"], "SHEU1002");
    assert_eq!(invoice["date"], "2025-11-03");
    let lines: Vec<(&str, &str, &str)> = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["gl_account_no"].as_str().unwrap(),
                line["amount"].as_str().unwrap(),
                line["location_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("4000", "100.00", "EU"),
            ("4050", "5.00", "EU"),
            ("2200", "19.95", "EU")
        ]
    );
    let payment = body(&commands[2]);
    assert_eq!(payment["currency"], "EUR");
    assert_eq!(payment["amount"], "124.95");
}

#[test]
fn an_order_of_250_lines_posts_every_line() {
    testing::reset();
    let mut big = order();
    let mut total = Decimal::ZERO;
    let lines: Vec<Value> = (0..250)
        .map(|index| {
            let price = Decimal::new(101 + index, 2);
            total += price;
            json!({"id": format!("{}", 1000 + index), "sku": format!("MUG-{index}"),
                   "name": format!("Mug {index}"), "quantity": 1,
                   "unit_price": price.to_string(), "total_discount": "0.00",
                   "subtotal": price.to_string(), "total_tax": "0.00", "tax_lines": []})
        })
        .collect();
    big["lines"] = json!(lines);
    big["shipping_lines"] = json!([]);
    big["tax_lines"] = json!([]);
    big["total"] = json!(total.to_string());
    let commands = map("orders/create", &big, &config()).unwrap();
    let invoice = body(&commands[1]);
    assert_eq!(invoice["lines"].as_array().unwrap().len(), 250);
    assert_eq!(sum(&invoice["lines"]), total);
    assert_eq!(invoice["lines"][249]["amount"], "3.50");
    assert_eq!(map("orders/create", &big, &config()).unwrap(), commands);
}

#[test]
fn lines_that_do_not_add_up_to_the_total_are_reviewed() {
    testing::reset();
    let mut off = order();
    off["total"] = json!("140.00");
    let review = map("orders/create", &off, &config());
    assert!(
        matches!(review, Err(PluginError::NeedsReview(message)) if message.contains("148.06") && message.contains("140.00"))
    );
    let accepted = with(config(), json!({"resolution": {"accept_totals": true}}));
    assert_eq!(map("orders/create", &off, &accepted).unwrap().len(), 2);
}

#[test]
fn rules_pick_the_order_type_region_and_product_line() {
    testing::reset();
    let mut wholesale = customer();
    wholesale["tags"] = json!(["Wholesale", "region:CA"]);
    let commands = ShopifyIntacct::map(
        event("orders/create", "e"),
        entities(&order(), Some(&wholesale)),
        &config(),
    )
    .unwrap();
    let lines = body(&commands[1])["lines"].clone();
    // Apparel keeps its product-line account; the mug takes the wholesale revenue account.
    assert_eq!(lines[0]["gl_account_no"], "4010");
    assert_eq!(lines[3]["gl_account_no"], "4100");
    assert_eq!(lines[3]["department_id"], "WHSL");
    assert_eq!(lines[3]["location_id"], "CA");
    assert_eq!(lines[2]["gl_account_no"], "2450");
    assert_eq!(lines[6]["department_id"], "WHSL");

    let mut pos = order();
    pos["source_name"] = json!("pos");
    let commands = map("orders/create", &pos, &config()).unwrap();
    assert_eq!(body(&commands[1])["lines"][0]["department_id"], "RETAIL");
}

#[test]
fn guests_go_to_the_guest_customer_or_to_review() {
    testing::reset();
    let mut guest = order();
    guest["customer_id"] = Value::Null;
    let commands = ShopifyIntacct::map(
        event("orders/create", "e"),
        entities(&guest, None),
        &config(),
    )
    .unwrap();
    assert_eq!(
        body(&commands[0]),
        json!({"customer_id": "SH-GUEST", "name": "Shopify guest checkout"})
    );
    assert_eq!(body(&commands[1])["customer_id"], "SH-GUEST");

    let mut config = config();
    config["customer"]
        .as_object_mut()
        .unwrap()
        .remove("guest_customer_id");
    let review = ShopifyIntacct::map(event("orders/create", "e"), entities(&guest, None), &config);
    assert!(matches!(review, Err(PluginError::NeedsReview(_))));
    let resolved = with(config, json!({"resolution": {"customer_id": "C-0042"}}));
    let commands = ShopifyIntacct::map(
        event("orders/create", "e"),
        entities(&guest, None),
        &resolved,
    )
    .unwrap();
    assert_eq!(kinds(&commands), ["intacct.create-invoice"]);
    assert_eq!(body(&commands[0])["customer_id"], "C-0042");
}

#[test]
fn the_email_scheme_names_one_customer_per_email() {
    testing::reset();
    let config = with(
        config(),
        json!({"customer": {"id_scheme": "email", "id_prefix": "E-"}}),
    );
    let member = map("orders/create", &order(), &config).unwrap();
    let mut guest = order();
    guest["customer_id"] = Value::Null;
    guest["email"] = json!("ADA@example.com");
    let guest =
        ShopifyIntacct::map(event("orders/create", "e"), entities(&guest, None), &config).unwrap();
    let id = body(&member[1])["customer_id"].clone();
    assert_eq!(id.as_str().unwrap().len(), 20);
    assert!(id.as_str().unwrap().starts_with("E-"));
    assert_eq!(body(&guest[1])["customer_id"], id);
}

#[test]
fn customer_events_upsert_the_customer() {
    testing::reset();
    let commands = ShopifyIntacct::map(
        event("customers/update", "e"),
        vec![Entity::json("shopify.customer", CUSTOMER_ID, &customer()).unwrap()],
        &config(),
    )
    .unwrap();
    assert_eq!(kinds(&commands), ["intacct.upsert-customer"]);
    assert_eq!(body(&commands[0])["name"], "Ada Lovelace");
    // The order's upsert of the same customer is the same command.
    assert_eq!(
        commands[0],
        map("orders/create", &order(), &config()).unwrap()[0]
    );
}

#[test]
fn test_orders_are_skipped() {
    testing::reset();
    let mut test = order();
    test["test"] = json!(true);
    assert!(map("orders/create", &test, &config()).unwrap().is_empty());
    let keep = with(
        config(),
        json!({"invoice": {"number_prefix": "SH", "skip_test_orders": false}}),
    );
    assert_eq!(map("orders/create", &test, &keep).unwrap().len(), 2);
}

#[test]
fn bad_config_is_rejected_naming_the_key() {
    testing::reset();
    let cases: Vec<(Value, &str)> = vec![
        (
            Value::Null,
            "mapping config: expected an object, found null",
        ),
        (json!({}), "`default_order_type`"),
        (
            {
                let mut config = config();
                config["default_order_type"]["accounts"]
                    .as_object_mut()
                    .unwrap()
                    .remove("tax");
                config
            },
            "`default_order_type.accounts.tax`: missing",
        ),
        (
            {
                let mut config = config();
                config["gateways"]["paypal"]["payment_method"] = json!("Paypal");
                config
            },
            "`gateways.paypal.payment_method`",
        ),
        (
            {
                let mut config = config();
                config["order_types"][0]["acounts"] = json!({});
                config
            },
            "`order_types[0].acounts`: unknown key",
        ),
        (
            {
                let mut config = config();
                config["order_types"][1]["accounts"] = json!({"revenue": 41.5});
                config
            },
            "`order_types[1].accounts.revenue`: expected text",
        ),
        (
            with(config(), json!({"customer": {"id_prefix": "SHOPIFY-CUST"}})),
            "`customer.id_prefix`",
        ),
        (
            {
                let mut config = config();
                config["order_types"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("when");
                config
            },
            "`order_types[0].when`: missing",
        ),
        (
            {
                let mut config = config();
                config["default_order_type"]["accounts"]["revenue_by_product_line"] =
                    json!({"gift-card": "2450"});
                config
            },
            "`default_order_type.accounts.revenue_by_product_line.gift-card`",
        ),
        (
            {
                let mut config = config();
                config["gateways"]["paypal"]["undeposited_funds_account"] = json!("1499");
                config
            },
            "`gateways.paypal`: give exactly one",
        ),
    ];
    for (config, expected) in cases {
        let message = config_message(map("orders/create", &order(), &config).unwrap_err());
        assert!(
            message.contains(expected),
            "{message}\n  expected: {expected}"
        );
        assert_eq!(ShopifyIntacct::check_config(&config), Err(message));
    }
    assert_eq!(ShopifyIntacct::check_config(&config()), Ok(()));
}

#[test]
fn unknown_topics_and_missing_entities_are_rejected() {
    testing::reset();
    let unknown = map("products/create", &order(), &config());
    assert!(matches!(
        unknown,
        Err(PluginError::Rejected { code: Some(code), .. }) if code == "shopify-intacct.topic"
    ));
    let no_order = ShopifyIntacct::map(event("orders/create", "e"), vec![], &config());
    assert!(matches!(no_order, Err(PluginError::Rejected { .. })));
    let bad_amount = {
        let mut bad = order();
        bad["total"] = json!("twelve");
        map("orders/create", &bad, &config())
    };
    assert!(
        matches!(bad_amount, Err(PluginError::Rejected { message, .. }) if message.contains("shopify.order"))
    );
}

#[test]
fn describe_names_the_topics_and_commands() {
    let info = ShopifyIntacct::describe();
    assert_eq!(info.name, "shopify-intacct");
    assert_eq!(info.version, "0.1.0");
    assert_eq!(info.topics, TOPICS);
    assert_eq!(
        info.commands,
        [
            "intacct.upsert-customer",
            "intacct.create-invoice",
            "intacct.reverse-invoice",
            "intacct.create-payment",
            "intacct.create-adjustment"
        ]
    );
}

#[test]
fn a_cancelled_guest_order_reverses_without_a_customer() {
    testing::reset();
    let mut config = config();
    config["customer"]
        .as_object_mut()
        .unwrap()
        .remove("guest_customer_id");
    let mut guest = order();
    guest["customer_id"] = Value::Null;
    guest["cancelled_at"] = json!("2025-11-07T12:00:00Z");
    let commands = ShopifyIntacct::map(
        event("orders/cancelled", "e"),
        entities(&guest, None),
        &config,
    )
    .unwrap();
    assert_eq!(kinds(&commands), ["intacct.reverse-invoice"]);
}

#[test]
fn refunded_tax_splits_over_the_lines_tax_titles_to_the_cent() {
    testing::reset();
    // A mug with state and county tax (2.00 + 0.83 on 38.97); one of three mugs back: 0.94 tax,
    // split 2.00 : 0.83 → 0.66 + 0.28 to their own accounts.
    let mut taxed = order();
    taxed["lines"][2]["tax_lines"] = json!([
        tax("CA State Tax", "0.0513", "2.00"),
        tax("LA County Tax", "0.0213", "0.83")
    ]);
    taxed["tax_lines"] = json!([
        tax("CA State Tax", "0.0725", "5.26"),
        tax("LA County Tax", "0.0213", "0.83")
    ]);
    let config = {
        let mut config = config();
        config["default_order_type"]["accounts"]["tax_by_title"] = json!({"LA County Tax": "2230"});
        config
    };
    let invoice = body(&map("orders/create", &taxed, &config).unwrap()[1]);
    let taxes: Vec<(&str, &str)> = invoice["lines"].as_array().unwrap()[6..]
        .iter()
        .map(|line| {
            (
                line["gl_account_no"].as_str().unwrap(),
                line["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(taxes, [("2200", "5.26"), ("2230", "0.83")]);

    let refund = json!({"id": "77", "order_id": ORDER_ID, "created_at": "2025-11-06T10:00:00Z",
        "lines": [{"id": "1", "line_item_id": "13", "quantity": 1, "subtotal": "12.99",
                   "total_tax": "0.94"}],
        "shipping": [], "adjustments": [], "total": "13.93"});
    let mut records = entities(&taxed, Some(&customer()));
    records.push(Entity::json("shopify.refund", "77", &refund).unwrap());
    let memo =
        body(&ShopifyIntacct::map(event("refunds/create", "e"), records, &config).unwrap()[0]);
    let lines: Vec<(&str, &str)> = memo["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["gl_account_no"].as_str().unwrap(),
                line["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [("4000", "-12.99"), ("2200", "-0.66"), ("2230", "-0.28")]
    );
    assert_eq!(memo["lines"][1]["memo"], "CA State Tax 5.13%");
}

/// The credit memo's (account, amount) lines of refunding one of the three mugs with 0.94 tax,
/// its order line taxed as `tax_lines`; or the refusal.
fn one_mug_back(tax_lines: Value) -> Result<Vec<(String, String)>, PluginError> {
    let mut taxed = order();
    taxed["lines"][2]["tax_lines"] = tax_lines;
    let config = {
        let mut config = config();
        config["default_order_type"]["accounts"]["tax_by_title"] = json!({"LA County Tax": "2230"});
        config
    };
    let refund = json!({"id": "78", "order_id": ORDER_ID, "created_at": "2025-11-06T10:00:00Z",
        "lines": [{"id": "1", "line_item_id": "13", "quantity": 1, "subtotal": "12.99",
                   "total_tax": "0.94"}],
        "shipping": [], "adjustments": [], "total": "13.93"});
    let mut records = entities(&taxed, Some(&customer()));
    records.push(Entity::json("shopify.refund", "78", &refund).unwrap());
    let commands = ShopifyIntacct::map(event("refunds/create", "e"), records, &config)?;
    Ok(body(&commands[0])["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            (
                line["gl_account_no"].as_str().unwrap().to_owned(),
                line["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect())
}

#[test]
fn refunded_tax_over_tax_lines_of_no_amount_splits_evenly() {
    testing::reset();
    // Shopify stated both taxes as 0.00 on the line, yet 0.94 of tax was refunded: with no
    // amounts to go by, each title gets half.
    let lines = one_mug_back(json!([
        tax("CA State Tax", "0.0513", "0.00"),
        tax("LA County Tax", "0.0213", "0.00")
    ]))
    .unwrap();
    let lines: Vec<(&str, &str)> = lines
        .iter()
        .map(|(account, amount)| (account.as_str(), amount.as_str()))
        .collect();
    assert_eq!(
        lines,
        [("4000", "-12.99"), ("2200", "-0.47"), ("2230", "-0.47")]
    );
}

#[test]
fn refunded_tax_over_a_negative_tax_line_is_refused() {
    testing::reset();
    let refused = one_mug_back(json!([
        tax("CA State Tax", "0.0513", "2.00"),
        tax("LA County Tax", "0.0213", "-0.83")
    ]));
    assert_eq!(
        refused,
        Err(PluginError::rejected(
            "the tax of 0.94 over its tax lines: cannot split an amount by a negative weight: \
             weight number 2 is -0.83"
        ))
    );
}
