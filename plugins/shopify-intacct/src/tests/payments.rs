//! Payments: one per transaction that received money, on the gateway's account, dated never
//! before the invoice; more received than invoiced is held for review.

use super::*;

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
