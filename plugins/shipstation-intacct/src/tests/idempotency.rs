//! Keys: every topic and a poll of one shipment map to the same key and body; several
//! shipments of one webhook are one batch each.

use super::*;

#[test]
fn every_topic_and_a_poll_of_the_same_shipment_map_to_the_same_key_and_body() {
    let expected = map("SHIP_NOTIFY", &shipment());
    for topic in ["ITEM_SHIP_NOTIFY", "FULFILLMENT_SHIPPED"] {
        assert_eq!(map(topic, &shipment()), expected, "{topic}");
    }
    // The poll is another event with another key; the shipment id decides the command key.
    let polled = ShipstationIntacct::map(
        event("SHIP_NOTIFY", "poll/2025-03-07T18:00:00Z/72513480"),
        vec![entity(&shipment())],
        &config(),
    )
    .unwrap();
    assert_eq!(polled, expected);
}

#[test]
fn several_shipments_of_one_webhook_are_one_batch_each() {
    let second = with(
        shipment(),
        json!({"id": "72513481", "order_number": "1002"}),
    );
    let commands = ShipstationIntacct::map(
        event("SHIP_NOTIFY", "batch-1"),
        vec![
            entity(&shipment()),
            Entity::json("shipstation.order", "5001", &json!({})).unwrap(),
            entity(&second),
        ],
        &config(),
    )
    .unwrap();
    let keys: Vec<&str> = commands
        .iter()
        .map(|command| command.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "shipstation-intacct/shipment/72513480",
            "shipstation-intacct/shipment/72513481"
        ]
    );
    assert_eq!(
        body(&commands[1])["sales_order"]["numbers"],
        json!(["1002", "#1002"])
    );
    let nothing =
        ShipstationIntacct::map(event("SHIP_NOTIFY", "empty"), Vec::new(), &config()).unwrap();
    assert!(nothing.is_empty());
}
