//! Invoices: an order's lines, discounts, shipping and taxes to the cent, its versions and
//! the update that supersedes them, its currency, and lines that do not add up to the total.

use super::*;

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
