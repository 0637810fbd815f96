//! The mapping end to end, natively: entities shaped as the `shipstation` connector documents
//! `shipstation.shipment` (ids as numbers or text, amounts as decimal strings), through
//! `ShipstationIntacct::map`, checked command by command, to the cent. This module holds the
//! shared fixtures (the crate doc's config, a shipment, readers of a batch); each submodule one
//! topic.

use ml_connector_sdk::money::Decimal;
use ml_connector_sdk::serde_json::{self, Value, json};
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, testing};

use super::*;
use crate::config::CONFIG_CODE;

mod batches;
mod class_split;
mod config_and_topics;
mod idempotency;
mod sales_orders;
mod voids_and_skips;

const SHIPMENT_ID: &str = "72513480";

/// The crate doc's example config, verbatim (checked by `the_doc_example_is_the_tested_config`).
const DOC_CONFIG: &str = r##"{
  "journal": "GJ",
  "accounts": {
    "freight": { "ups": "6100", "fedex": "6110", "usps": "6120", "dhl": "6130", "*": "6140" },
    "insurance": "6160",
    "surcharges": "6170",
    "offset": "2100"
  },
  "surcharges_in_shipment_cost": true,
  "dimensions": {
    "location_id": { "by": "warehouse", "map": { "401001": "WH-EAST", "401002": "WH-WEST", "*": "HQ" } },
    "department_id": { "by": "store", "map": { "301001": "SALES", "*": "OPS" } },
    "class_id": "ONLINE"
  },
  "sales_order": { "field": "PONUMBER", "numbers": ["{number}", "#{number}"], "docpar_id": "Sales Order" },
  "allocation": {
    "by": "value",
    "product_lines": [
      { "sku_prefixes": ["WS-"], "class_id": "WHOLESALE" },
      { "sku_prefixes": ["POS-"], "class_id": "RETAIL" }
    ],
    "default_class_id": "ONLINE"
  },
  "draft": false
}"##;

fn config() -> Value {
    serde_json::from_str(DOC_CONFIG).unwrap()
}

/// The smallest config: every carrier on one account, no dimensions, no match, no split.
fn plain_config() -> Value {
    json!({"journal": "GJ", "accounts": {"freight": {"*": "6140"}, "offset": "2100"}})
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
        reference: format!("shipments?shipmentId={SHIPMENT_ID}"),
        ..Event::default()
    }
}

/// A UPS (walleted) label for order `#1001` from warehouse 401001, store 301001: 12.34 of which
/// 2.10 surcharges, insurance 1.50; a case of mugs (wholesale), a T-shirt, a tote (retail).
fn shipment() -> Value {
    let ounces = |value: u32| json!({"value": value, "units": "ounces"});
    json!({
        "id": 72513480, "order_id": 5001, "order_key": "ok-1001", "order_number": "#1001",
        "created_at": "2025-03-07T17:30:00Z", "ship_date": "2025-03-07",
        "carrier_code": "ups_walleted", "service_code": "ups_ground",
        "shipment_cost": "12.34", "insurance_cost": "1.50", "surcharges": "2.10",
        "tracking_number": "1Z999AA10123456784", "is_return_label": false,
        "voided": false, "void_date": null, "warehouse_id": 401001, "store_id": 301001,
        "weight": ounces(48),
        "items": [
            {"sku": "WS-MUG", "name": "Mugs (case)", "quantity": 2, "unit_price": "25.00",
             "weight": ounces(16)},
            {"sku": "TS-001", "name": "T-Shirt", "quantity": 1, "unit_price": "12.99",
             "weight": ounces(8)},
            {"sku": "POS-BAG", "name": "Tote", "quantity": 1, "unit_price": "10.00",
             "weight": null}
        ]
    })
}

fn entity(body: &Value) -> Entity {
    let id = match &body["id"] {
        Value::String(id) => id.clone(),
        other => other.to_string(),
    };
    Entity::json("shipstation.shipment", id, body).unwrap()
}

fn map_with(topic: &str, body: &Value, config: &Value) -> Result<Vec<Command>, PluginError> {
    ShipstationIntacct::map(event(topic, "evt-1"), vec![entity(body)], config)
}

fn map(topic: &str, body: &Value) -> Vec<Command> {
    map_with(topic, body, &config()).unwrap()
}

fn body(command: &Command) -> Value {
    serde_json::from_str(&command.body).unwrap()
}

fn rejected(result: Result<Vec<Command>, PluginError>) -> (Option<String>, String) {
    match result {
        Err(PluginError::Rejected { code, message }) => (code, message),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

fn config_message(result: Result<Vec<Command>, PluginError>) -> String {
    let (code, message) = rejected(result);
    assert_eq!(code.as_deref(), Some(CONFIG_CODE), "{message}");
    message
}

/// The debits (account, class, amount) and the credits of a batch, in order.
fn lines(body: &Value) -> Vec<(String, String, String)> {
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let (side, amount) = match entry.get("debit") {
                Some(amount) => ("debit", amount),
                None => ("credit", &entry["credit"]),
            };
            (
                entry["account_no"].as_str().unwrap().to_owned(),
                format!("{side} {}", entry["class_id"].as_str().unwrap_or("-")),
                amount.as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn sum(body: &Value, side: &str) -> Decimal {
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry.get(side))
        .map(|amount| amount.as_str().unwrap().parse::<Decimal>().unwrap())
        .sum()
}
