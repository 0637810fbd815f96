//! The contract with the `intacct` connector: every command this mapping emits goes through the
//! connector's own `apply` (natively, its HTTP answered 503), which checks each body against its
//! kind before sending anything. A body it accepts reaches the gateway (the 503 is the outer
//! `Transient`); a body it refuses comes back as that command's `Rejected`, unsent. Batches
//! matched to a sales order first send the order's look-up, which the 503 answers.

use ml_connector_sdk::serde_json::{Value, json};
use ml_connector_sdk::{Command, Entity, Event, Mapping};

use shipstation_intacct::ShipstationIntacct;

fn config(resolution: Option<Value>) -> Value {
    let mut config = json!({
        "journal": "GJ",
        "accounts": {
            "freight": {"ups": "6100", "fedex": "6110", "usps": "6120", "dhl": "6130", "*": "6140"},
            "insurance": "6160", "surcharges": "6170", "offset": "2100"
        },
        "dimensions": {
            "location_id": {"by": "warehouse", "map": {"401001": "WH-EAST", "*": "HQ"}},
            "department_id": {"by": "store", "map": {"*": "OPS"}},
            "class_id": "ONLINE"
        },
        "sales_order": {"field": "PONUMBER", "numbers": ["PO-{number}", "{order_number}"]},
        "allocation": {"by": "value",
            "product_lines": [{"sku_prefixes": ["WS-"], "class_id": "WHOLESALE"}]}
    });
    if let Some(resolution) = resolution {
        config["resolution"] = resolution;
    }
    config
}

fn shipment(voided: bool) -> Value {
    json!({
        "id": 72513480, "order_id": 5001, "order_key": "ok-1001",
        "order_number": "#1001 <O'Brien & \u{7}Co>",
        "created_at": "2025-03-07T17:30:00Z", "ship_date": "2025-03-07",
        "carrier_code": "dhl_express", "service_code": "dhl_express_worldwide",
        "shipment_cost": 31.07, "insurance_cost": "2.50", "surcharges": "4.10",
        "tracking_number": "JD014600006281230704", "is_return_label": false,
        "voided": voided, "void_date": if voided { json!("2025-03-09T02:30:00Z") } else { Value::Null },
        "warehouse_id": 401001, "store_id": 301001,
        "items": [
            {"sku": "WS-MUG", "name": "Mugs", "quantity": 3, "unit_price": "19.99"},
            {"sku": null, "name": "Sticker", "quantity": 1, "unit_price": 0.5}
        ]
    })
}

fn map(topic: &str, shipment: &Value, config: &Value) -> Vec<Command> {
    let event = Event {
        key: "evt".into(),
        topic: topic.into(),
        reference: "72513480".into(),
        ..Event::default()
    };
    let entity = Entity::json("shipstation.shipment", "72513480", shipment).unwrap();
    ShipstationIntacct::map(event, vec![entity], config).unwrap()
}

/// Every shape of command the mapping emits: matched, resolved to an order, a fulfillment's fee,
/// posted without an order, and the reversals of voids.
fn every_command() -> Vec<Command> {
    let mut commands = map("SHIPMENT_VOIDED", &shipment(true), &config(None));
    commands.extend(map(
        "SHIP_NOTIFY",
        &shipment(false),
        &config(Some(json!({"sales_order": "SO-1001"}))),
    ));
    let mut fees = config(None);
    fees["accounts"]["fulfillment"] = json!("6150");
    let fulfillment = json!({"id": "100000009", "order_number": "4001", "ship_date": "2024-03-10",
        "carrier_code": "ups", "fulfillment_fee": "3.25", "voided": true,
        "void_date": "2024-03-12T16:00:00Z"});
    let event = Event {
        key: "f".into(),
        topic: "FULFILLMENT_SHIPPED".into(),
        ..Event::default()
    };
    let entity = Entity::json("shipstation.fulfillment", "100000009", &fulfillment).unwrap();
    commands.extend(ShipstationIntacct::map(event, vec![entity], &fees).unwrap());
    commands.extend(map(
        "ITEM_SHIP_NOTIFY",
        &shipment(false),
        &config(Some(json!({"post_without_order": true}))),
    ));
    commands
}

#[test]
fn every_command_emitted_fits_the_connector() {
    let commands = every_command();
    assert_eq!(commands.len(), 6);
    assert!(commands[1].key.ends_with("shipment/72513480/void"));
    assert!(commands[4].key.ends_with("fulfillment/100000009/void"));
    assert!(!commands[5].body.contains("sales_order"));
    for command in &commands {
        assert_eq!(command.kind, "intacct.create-gl-batch");
        assert_eq!(
            intacct::contract::refusal(command),
            None,
            "{}: {}",
            command.key,
            command.body
        );
    }
}

#[test]
fn the_connector_refuses_what_the_contract_forbids() {
    // The check above is only worth something if the connector does refuse bad bodies.
    let mut body: Value = ml_connector_sdk::serde_json::from_str(&every_command()[0].body).unwrap();
    body["sales_order"]["field"] = json!("ORDERNO");
    let bad = Command::json("intacct.create-gl-batch", "bad", &body).unwrap();
    assert!(intacct::contract::refusal(&bad).is_some());
}
