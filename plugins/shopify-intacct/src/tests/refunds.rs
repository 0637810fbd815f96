//! Refunds: the credit memo of exactly what was refunded, on the accounts of the sale, with the
//! refunded tax split over the tax lines to the cent; one that does not add up is held for review.

use super::*;

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

    assert_eq!(
        kinds(&commands),
        ["intacct.upsert-customer", "intacct.create-adjustment"]
    );
    assert_eq!(
        commands[1].key,
        "shopify-intacct/refund/5821001234567890140"
    );
    let memo = body(&commands[1]);
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
        sum(&body(&commands[1])["lines"]),
        money::parse("-13.93").unwrap()
    );
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
        body(&ShopifyIntacct::map(event("refunds/create", "e"), records, &config).unwrap()[1]);
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
    Ok(body(&commands[1])["lines"]
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
