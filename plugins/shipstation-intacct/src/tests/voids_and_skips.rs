//! Voided labels (the cost and its reversal, dated the Pacific void date) and the labels that
//! post nothing (returns, zero cost), logged.

use ml_connector_sdk::chrono::{TimeZone, Utc};

use super::*;

#[test]
fn a_voided_label_posts_its_cost_and_the_reversal_dated_the_pacific_void_date() {
    // Voided at 02:30 UTC on 9 March: 18:30 on the 8th in California (PST).
    let voided = with(
        shipment(),
        json!({"voided": true, "void_date": "2025-03-09T02:30:00Z"}),
    );
    let cost = map("SHIP_NOTIFY", &shipment()).remove(0);
    for topic in ["SHIPMENT_VOIDED", "SHIP_NOTIFY"] {
        let commands = map(topic, &voided);
        assert_eq!(commands.len(), 2, "{topic}");
        assert_eq!(commands[0], cost, "the cost batch first, unchanged");
        let void = &commands[1];
        assert_eq!(void.key, "shipstation-intacct/shipment/72513480/void");
        let void = body(void);
        assert_eq!(void["date"], "2025-03-08");
        assert_eq!(
            void["title"],
            "Void of ShipStation shipment 72513480, order #1001"
        );
        assert_eq!(void["sales_order"], body(&cost)["sales_order"]);
        let swapped: Vec<(String, String, String)> = lines(&body(&cost))
            .into_iter()
            .map(|(account, side, amount)| {
                let side = match side.strip_prefix("debit") {
                    Some(class) => format!("credit{class}"),
                    None => side.replacen("credit", "debit", 1),
                };
                (account, side, amount)
            })
            .collect();
        assert_eq!(lines(&void), swapped);
        assert_eq!(sum(&void, "debit"), sum(&void, "credit"));
    }
    // No void date: the day the event occurred (Pacific), else the ship date.
    let undated = with(shipment(), json!({"voided": true}));
    let mut late = event("SHIPMENT_VOIDED", "void-poll");
    late.occurred_at = Some(Utc.with_ymd_and_hms(2025, 3, 12, 6, 0, 0).unwrap());
    let commands = ShipstationIntacct::map(late, vec![entity(&undated)], &config()).unwrap();
    assert_eq!(body(&commands[1])["date"], "2025-03-11");
    assert_eq!(
        body(&map("SHIPMENT_VOIDED", &undated)[1])["date"],
        "2025-03-07"
    );
}

#[test]
fn return_labels_and_free_labels_map_to_nothing_with_a_log_line() {
    testing::reset();
    let returned = with(shipment(), json!({"is_return_label": true, "voided": true}));
    assert!(map("SHIP_NOTIFY", &returned).is_empty());
    let logs = testing::take_logs();
    let skipped = logs
        .iter()
        .find(|record| record.message == "skipped: return label")
        .expect("the skip is logged");
    assert_eq!(skipped.field("shipment"), Some(SHIPMENT_ID));
    assert_eq!(skipped.field("order"), Some("#1001"));

    let free = with(
        shipment(),
        json!({"shipment_cost": "0.00", "insurance_cost": 0, "surcharges": "0.004",
               "carrier_code": "unknown_carrier"}),
    );
    assert!(
        map_with("SHIPMENT_VOIDED", &free, &plain_config())
            .unwrap()
            .is_empty()
    );
    assert!(
        testing::take_logs()
            .iter()
            .any(|record| record.message == "skipped: zero cost")
    );
}
