//! Matching to the Intacct sales order: the numbers tried (templates, custom fields), a
//! shipment with none held for review, and a person's resolution.

use super::*;

#[test]
fn a_resolution_names_the_sales_order_or_posts_without_one() {
    let resolved = |resolution: Value| {
        let config = with(config(), json!({"resolution": resolution}));
        map_with("SHIP_NOTIFY", &shipment(), &config)
    };
    let to_order = resolved(json!({"sales_order": "SO-1001"})).unwrap();
    assert_eq!(to_order[0].key, "shipstation-intacct/shipment/72513480");
    assert_eq!(
        body(&to_order[0])["sales_order"],
        json!({"numbers": ["SO-1001"], "field": "DOCNO", "docpar_id": "Sales Order"})
    );
    let without = resolved(json!({"post_without_order": true})).unwrap();
    assert_eq!(without[0].key, to_order[0].key);
    assert!(body(&without[0]).get("sales_order").is_none());
    assert_eq!(body(&without[0])["entries"], body(&to_order[0])["entries"]);
    let (code, message) = rejected(resolved(json!({"order": "SO-1001"})));
    assert_eq!(code, None);
    assert!(
        message.contains(
            "`order` is not a key this mapping reads; the keys are sales_order, post_without_order"
        ),
        "{message}"
    );
    // Without a `sales_order` config, a resolved order is still matched.
    let unmatched = with(
        config(),
        json!({"sales_order": null, "resolution": {"sales_order": "SO-7"}}),
    );
    let commands = map_with("SHIP_NOTIFY", &shipment(), &unmatched).unwrap();
    assert_eq!(
        body(&commands[0])["sales_order"],
        json!({"numbers": ["SO-7"], "field": "DOCNO"})
    );
}

#[test]
fn a_shipment_without_an_order_number_is_held_unless_resolved() {
    let anonymous = with(shipment(), json!({"order_number": null}));
    match map_with("SHIP_NOTIFY", &anonymous, &config()) {
        Err(PluginError::NeedsReview(message)) => assert_eq!(
            message,
            "shipment 72513480 has no order number to find its sales order by: nothing was \
             posted. Resolve with {\"sales_order\": \"<DOCNO>\"} or {\"post_without_order\": true}"
        ),
        other => panic!("expected NeedsReview, got {other:?}"),
    }
    let resolved = with(
        config(),
        json!({"resolution": {"post_without_order": true}}),
    );
    let commands = map_with("SHIP_NOTIFY", &anonymous, &resolved).unwrap();
    assert_eq!(body(&commands[0])["title"], "ShipStation shipment 72513480");
}

#[test]
fn number_templates_build_the_numbers_tried() {
    let config = with(
        config(),
        json!({"sales_order": {"numbers": ["SO-{number}", "{order_number}", "{number}"]}}),
    );
    let commands = map_with("SHIP_NOTIFY", &shipment(), &config).unwrap();
    assert_eq!(
        body(&commands[0])["sales_order"],
        json!({"numbers": ["SO-1001", "#1001", "1001"], "field": "DOCNO"})
    );
    let plain_number = with(shipment(), json!({"order_number": 1001}));
    let commands = map_with("SHIP_NOTIFY", &plain_number, &config).unwrap();
    assert_eq!(
        body(&commands[0])["sales_order"]["numbers"],
        json!(["SO-1001", "1001"])
    );
}

#[test]
fn the_connector_entity_names_and_custom_fields_are_read() {
    // As the `shipstation` connector writes it: `id`, `created_at`, `custom_fields`, the V1 costs
    // with `total_cost` and `currency` beside them (ignored).
    let connector = json!({
        "id": "100000005", "order_id": "100000001", "order_key": "key-1001",
        "order_number": "1001", "store_id": "301001", "warehouse_id": "401002",
        "carrier_code": "fedex", "service_code": "fedex_ground", "package_code": "package",
        "tracking_number": "794698512345", "batch_number": null, "is_return_label": false,
        "created_at": "2024-11-03T08:30:00Z", "ship_date": "2024-11-03",
        "voided": false, "void_date": null, "currency": "USD",
        "shipment_cost": "9.15", "insurance_cost": "0.00", "total_cost": "9.15",
        "cost_source": "v1", "label_id": null, "custom_fields": ["SO-1001", null, null],
        "items": []
    });
    let by_custom_field = with(
        config(),
        json!({"sales_order": {"numbers": ["{custom_field1}", "{custom_field2}", "{number}"]}}),
    );
    let commands = ShipstationIntacct::map(
        event("SHIP_NOTIFY", "shipment/100000005"),
        vec![Entity::json("shipstation.shipment", "100000005", &connector).unwrap()],
        &by_custom_field,
    )
    .unwrap();
    assert_eq!(commands[0].key, "shipstation-intacct/shipment/100000005");
    assert_eq!(
        body(&commands[0]),
        json!({
            "journal": "GJ", "date": "2024-11-03",
            "title": "ShipStation shipment 100000005, order 1001",
            "entries": [
                {"account_no": "6110", "debit": "9.15",
                 "description": "Freight fedex fedex_ground, tracking 794698512345",
                 "location_id": "WH-WEST", "department_id": "SALES", "class_id": "ONLINE"},
                {"account_no": "2100", "credit": "9.15",
                 "description": "Label cost of shipment 100000005",
                 "location_id": "WH-WEST", "department_id": "SALES", "class_id": "ONLINE"}
            ],
            "sales_order": {"numbers": ["SO-1001", "1001"], "field": "DOCNO"}
        })
    );
    // Only custom fields, all empty: nothing to look for.
    let only_custom = with(
        config(),
        json!({"sales_order": {"numbers": ["{custom_field2}"]}}),
    );
    match map_with("SHIP_NOTIFY", &shipment(), &only_custom) {
        Err(PluginError::NeedsReview(message)) => {
            assert!(
                message.starts_with("shipment 72513480 has no customField2 to find"),
                "{message}"
            )
        }
        other => panic!("expected NeedsReview, got {other:?}"),
    }
}
