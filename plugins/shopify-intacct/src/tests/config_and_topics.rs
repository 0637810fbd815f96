//! The mapping's surface: a bad config refused naming the key (by `map` and `check_config`
//! alike), unknown topics and missing entities refused, and what `describe` names.

use super::*;

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
