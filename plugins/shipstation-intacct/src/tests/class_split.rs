//! The split of a cost over the items' classes: by weight (units converted) or value, the
//! cents by the SDK's rule, no zero lines, and no split when nothing weighs.

use super::*;

#[test]
fn allocation_by_weight_converts_units_and_falls_back_to_value() {
    let by_weight = with(
        config(),
        json!({"allocation": {"by": "weight", "product_lines": [
            {"sku_prefixes": ["WS-"], "class_id": "WHOLESALE"}]}}),
    );
    // Mugs 2 × 1 lb = 907.18474 g, shirt 8 oz = 226.796185 g, tote 500 g; the shirt and the tote
    // fall to the shipment's class ONLINE (no default_class_id): 907.18474 : 726.796185.
    let weighed = with(
        shipment(),
        json!({"surcharges": "0", "insurance_cost": "0", "shipment_cost": "10.00",
            "items": [
            {"sku": "WS-MUG", "quantity": 2, "unit_price": "25.00",
             "weight": {"value": "1", "units": "pounds"}},
            {"sku": "TS-001", "quantity": 1, "unit_price": "12.99",
             "weight": {"value": 8, "units": "ounces"}},
            {"sku": "POS-BAG", "quantity": 1, "unit_price": "10.00",
             "weight": {"value": 500, "units": "grams"}}
        ]}),
    );
    let commands = map_with("SHIP_NOTIFY", &weighed, &by_weight).unwrap();
    // 1000 cents × 907.18474 / 1633.980925 = 555.20 → 555; × 726.796185 / … = 444.80 → 444;
    // the cent left over goes to the larger remainder, ONLINE's.
    assert_eq!(
        lines(&body(&commands[0])),
        [
            ("6100".into(), "debit WHOLESALE".into(), "5.55".into()),
            ("6100".into(), "debit ONLINE".into(), "4.45".into()),
            ("2100".into(), "credit ONLINE".into(), "10.00".into()),
        ]
    );
    let weightless = with(
        weighed.clone(),
        json!({"items": [
            {"sku": "WS-MUG", "quantity": 1, "unit_price": "30.00"},
            {"sku": "TS-001", "quantity": 1, "unit_price": "10.00", "weight": {"value": 3, "units": "stone"}}
        ]}),
    );
    let commands = map_with("SHIP_NOTIFY", &weightless, &by_weight).unwrap();
    assert_eq!(
        lines(&body(&commands[0]))[..2],
        [
            ("6100".into(), "debit WHOLESALE".into(), "7.50".into()),
            ("6100".into(), "debit ONLINE".into(), "2.50".into()),
        ]
    );
    // No items at all: one line on the shipment's class.
    let empty = with(weighed, json!({"items": []}));
    let commands = map_with("SHIP_NOTIFY", &empty, &by_weight).unwrap();
    assert_eq!(
        lines(&body(&commands[0]))[0],
        ("6100".into(), "debit ONLINE".into(), "10.00".into())
    );
}

#[test]
fn a_small_cost_over_many_lines_leaves_no_zero_lines_and_still_balances() {
    let tiny = with(
        shipment(),
        json!({"shipment_cost": "0.02", "insurance_cost": "0", "surcharges": "0"}),
    );
    let commands = map("SHIP_NOTIFY", &tiny);
    // 2 cents by 50 : 12.99 : 10 → 1.37, 0.36, 0.27: floors 1, 0, 0; the cent left over to the
    // largest remainder, WHOLESALE's; the classes with nothing get no line.
    assert_eq!(
        lines(&body(&commands[0])),
        [
            ("6100".into(), "debit WHOLESALE".into(), "0.02".into()),
            ("2100".into(), "credit ONLINE".into(), "0.02".into()),
        ]
    );
}
