//! The mapping's surface: the crate doc's config is the tested one, a bad config is refused
//! naming the key (by `map` and `check_config` alike), other topics are refused, and what
//! `describe` names.

use super::*;

#[test]
fn the_doc_example_is_the_tested_config() {
    let doc: String = include_str!("../lib.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        doc.contains(&format!("```json\n{DOC_CONFIG}\n```")),
        "the crate doc's example differs from DOC_CONFIG"
    );
    Config::parse(&config()).unwrap();
}

#[test]
fn config_errors_name_the_key() {
    // `check_config` refuses each with the message `map` refuses it with.
    let message = |patch: Value| {
        let config = with(config(), patch);
        let message = config_message(map_with("SHIP_NOTIFY", &shipment(), &config));
        assert_eq!(
            ShipstationIntacct::check_config(&config),
            Err(message.clone())
        );
        message
    };
    assert_eq!(ShipstationIntacct::check_config(&config()), Ok(()));
    assert_eq!(
        config_message(map_with(
            "SHIP_NOTIFY",
            &shipment(),
            &json!({"accounts": {}})
        )),
        "mapping config `journal`: missing; this key is required"
    );
    assert_eq!(
        message(json!({"jurnal": "GJ"})),
        "mapping config `jurnal`: unknown key (known here: journal, accounts, \
         surcharges_in_shipment_cost, dimensions, sales_order, allocation, draft, resolution)"
    );
    assert_eq!(
        message(json!({"accounts": {"freight": {}, "offset": "2100"}})),
        "mapping config `accounts.freight`: names no account: map carrier codes to freight \
         accounts, `*` for the rest"
    );
    assert_eq!(
        message(json!({"accounts": {"freight": {"ups": 61.5}, "offset": "2100"}})),
        "mapping config `accounts.freight.ups`: expected text, found 61.5"
    );
    assert_eq!(
        message(json!({"allocation": {"by": "volume"}})),
        "mapping config `allocation.by`: `volume` is not a basis: use \"value\" or \"weight\""
    );
    assert_eq!(
        message(json!({"dimensions": {"location_id": {"by": "country", "map": {}}}})),
        "mapping config `dimensions.location_id.by`: `country` is not a fact of a shipment: use \
         warehouse, store, carrier"
    );
    assert_eq!(
        message(json!({"sales_order": {"field": "RECORDNO"}})),
        "mapping config `sales_order.field`: `RECORDNO` is not a field sales orders are found \
         by: use \"DOCNO\" or \"PONUMBER\""
    );
    assert_eq!(
        message(json!({"sales_order": {"numbers": ["SO-{id}"]}})),
        "mapping config `sales_order.numbers`: `SO-{id}` must build a number from the \
         shipment with {number}, {order_number}, {custom_field1}, {custom_field2}, \
         {custom_field3} (and hold no other braces)"
    );
    assert_eq!(
        message(json!({"allocation": {"by": "value", "product_lines": [{"class_id": "X"}]}})),
        "mapping config `allocation.product_lines[0].sku_prefixes`: missing; this key is required"
    );
    // A carrier nothing maps: the config is what to fix.
    let no_fallback = with(
        config(),
        json!({"accounts": {"freight": {"fedex": "6110"}, "offset": "2100"}}),
    );
    assert_eq!(
        config_message(map_with("SHIP_NOTIFY", &shipment(), &no_fallback)),
        "mapping config `accounts.freight`: no account for carrier `ups_walleted` (mapped: \
         fedex); add it, its family, or `*`"
    );
}

#[test]
fn other_topics_are_refused_and_describe_names_topics_and_commands() {
    let (code, message) = rejected(map_with("ORDER_NOTIFY", &shipment(), &config()));
    assert_eq!(code.as_deref(), Some("shipstation-intacct.topic"));
    assert_eq!(
        message,
        "shipstation-intacct maps no topic `ORDER_NOTIFY` (it maps SHIP_NOTIFY, \
         ITEM_SHIP_NOTIFY, FULFILLMENT_SHIPPED, SHIPMENT_VOIDED)"
    );
    let info = ShipstationIntacct::describe();
    assert_eq!(info.name, "shipstation-intacct");
    assert_eq!(info.commands, ["intacct.create-gl-batch"]);
    assert_eq!(info.topics.len(), 4);
}
