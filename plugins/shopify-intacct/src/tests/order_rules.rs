//! The config's rules over an order: order type, region and product line pick accounts and
//! dimensions; test orders are skipped.

use super::*;

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
