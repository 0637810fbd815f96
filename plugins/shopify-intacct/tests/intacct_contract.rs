//! The contract with the `intacct` connector: every command this mapping emits goes through the
//! connector's own `apply` (natively, its HTTP answered 503), which checks each body against its
//! kind before sending anything. A body it accepts reaches the gateway (the 503 is the outer
//! `Transient`); a body it refuses comes back as that command's `Rejected`, unsent. Reversals and
//! payments name the invoice by number, which the connector looks up (see the crate doc, "Which
//! invoice?").

use ml_connector_sdk::serde_json::{Value, json};
use ml_connector_sdk::{Command, Entity, Event, Mapping};

use shopify_intacct::ShopifyIntacct;

fn config() -> Value {
    json!({
        "customer": {"id_prefix": "SH"},
        "invoice": {"number_prefix": "SH"},
        "default_order_type": {
            "accounts": {"revenue": "4000", "shipping": "4050", "tax": "2200", "discounts": "4090"},
            "dimensions": {"department_id": "ECOM", "location_id": "US"}
        },
        "gateways": {"*": {"payment_method": "Credit Card", "undeposited_funds_account": "1499"}}
    })
}

fn order(status: &str, cancelled: bool) -> Value {
    let lines = json!([{"id": "11", "sku": "TS-1", "name": "Shirt <Blue> & \u{7}Co", "quantity": 2,
        "unit_price": "25.00", "total_discount": "5.00", "subtotal": "45.00", "total_tax": "3.26",
        "tax_lines": [{"title": "CA State Tax", "rate": "0.0725", "amount": "3.26"}]}]);
    json!({
        "id": "501", "name": "#1001", "created_at": "2025-11-03T15:00:00Z",
        "updated_at": "2025-11-04T15:00:00Z",
        "cancelled_at": if cancelled { json!("2025-11-05T09:00:00Z") } else { Value::Null },
        "currency": "USD", "financial_status": status, "payment_gateways": ["shopify_payments"],
        "total": "53.26", "customer_id": "7012345678901", "lines": lines,
        "shipping_lines": [{"id": "21", "title": "Standard", "price": "5.00",
            "discounted_price": "5.00", "total_tax": "0.00", "tax_lines": []}],
        "tax_lines": [{"title": "CA State Tax", "rate": "0.0725", "amount": "3.26"}],
        "transactions": if status == "PENDING" { json!([]) } else { json!([
            {"id": "701", "kind": "sale", "status": "success", "amount": "20.00",
             "gateway": "shopify_payments", "processed_at": "2025-11-03T15:00:00Z"},
            {"id": "702", "kind": "capture", "status": "success", "amount": "33.26",
             "gateway": "shopify_payments", "processed_at": "2025-11-04T15:00:00Z"}
        ]) }
    })
}

fn customer() -> Value {
    json!({"id": "7012345678901", "email": "ada@example.com", "first_name": "Ada",
           "last_name": "Lovelace", "display_name": "Ada Lovelace", "tags": []})
}

fn refund() -> Value {
    json!({"id": "601", "order_id": "501", "created_at": "2025-11-06T10:00:00Z",
        "lines": [{"line_item_id": "11", "quantity": 1, "subtotal": "22.50", "total_tax": "1.63"}],
        "shipping": [], "adjustments": [], "total": "24.13"})
}

fn map(topic: &str, entities: Vec<Entity>) -> Vec<Command> {
    let event = Event {
        key: "evt".into(),
        topic: topic.into(),
        reference: "501".into(),
        ..Event::default()
    };
    ShopifyIntacct::map(event, entities, &config()).unwrap()
}

fn entities(order: &Value, refund: Option<&Value>) -> Vec<Entity> {
    let mut entities = vec![
        Entity::json("shopify.order", "501", order).unwrap(),
        Entity::json("shopify.customer", "7012345678901", &customer()).unwrap(),
    ];
    if let Some(refund) = refund {
        entities.push(Entity::json("shopify.refund", "601", refund).unwrap());
    }
    entities
}

/// Every kind of command the mapping emits, once.
fn every_command() -> Vec<Command> {
    let mut commands = map("orders/updated", entities(&order("PAID", false), None));
    commands.extend(map(
        "orders/cancelled",
        entities(&order("PENDING", true), None),
    ));
    commands.extend(map(
        "refunds/create",
        entities(&order("PARTIALLY_REFUNDED", false), Some(&refund())),
    ));
    commands
}

#[test]
fn every_command_kind_emitted_fits_the_connector() {
    let commands = every_command();
    for kind in [
        "intacct.upsert-customer",
        "intacct.create-invoice",
        "intacct.create-adjustment",
        "intacct.reverse-invoice",
        "intacct.create-payment",
    ] {
        let emitted: Vec<&Command> = commands
            .iter()
            .filter(|command| command.kind == kind)
            .collect();
        assert!(!emitted.is_empty(), "no {kind} emitted");
        for command in emitted {
            assert_eq!(
                intacct::contract::refusal(command),
                None,
                "{kind}: {}",
                command.body
            );
        }
    }
}
