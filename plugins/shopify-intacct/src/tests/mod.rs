//! The mapping end to end, natively: entities shaped as the `shopify` connector documents them
//! (amounts as decimal strings, ids as numeric strings), through `ShopifyIntacct::map`, checked
//! command by command, to the cent. This module holds the shared fixtures (the crate doc's
//! config, an order, its customer, transactions); each submodule one topic.

use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::serde_json::{self, Value, json};
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, testing};

use super::*;
use crate::config::CONFIG_CODE;

mod cancellations;
mod config_and_topics;
mod customers;
mod invoices;
mod order_rules;
mod payments;
mod refunds;

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
