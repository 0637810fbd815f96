//! Customers: the Intacct customer of an order or a customer event, guests, the email scheme,
//! and an order with no customer to name held for review.

use super::*;

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
