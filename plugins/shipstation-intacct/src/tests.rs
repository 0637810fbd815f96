//! The mapping end to end, natively: entities shaped as the `shipstation` connector documents
//! `shipstation.shipment` (ids as numbers or text, amounts as decimal strings), through
//! `ShipstationIntacct::map`, checked command by command, to the cent.

use ml_connector_sdk::chrono::{TimeZone, Utc};
use ml_connector_sdk::money::Decimal;
use ml_connector_sdk::serde_json::{self, Value, json};
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, testing};

use super::*;
use crate::config::CONFIG_CODE;

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

#[test]
fn the_doc_example_is_the_tested_config() {
    let doc: String = include_str!("lib.rs")
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
fn a_shipment_is_one_balanced_batch_split_over_product_lines_to_the_cent() {
    testing::reset();
    let commands = map("SHIP_NOTIFY", &shipment());
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0].kind, "intacct.create-gl-batch");
    assert_eq!(commands[0].key, "shipstation-intacct/shipment/72513480");
    // Split by value 50.00 (WHOLESALE) : 12.99 (ONLINE) : 10.00 (RETAIL), each share cut down to
    // the cent and the cents left over to the largest remainders (after `|`: the hundredths of a
    // cent cut off):
    // - freight 12.34 − 2.10 surcharges = 10.24 → 7.01|46 + 1.82|24 + 1.40|29: 1 cent, to
    //   WHOLESALE;
    // - insurance 1.50 → 1.02|75 + 0.26|70 + 0.20|55: 2 cents, to WHOLESALE and ONLINE;
    // - surcharges 2.10 → 1.43|86 + 0.37|37 + 0.28|77: 2 cents, to WHOLESALE and RETAIL.
    let on = |account: &str, side: &str, amount: &str, class: &str, description: &str| {
        json!({"account_no": account, side: amount, "description": description,
               "location_id": "WH-EAST", "department_id": "SALES", "class_id": class})
    };
    let freight = "Freight ups_walleted ups_ground, tracking 1Z999AA10123456784";
    let insurance = "Insurance, tracking 1Z999AA10123456784";
    let surcharges = "Surcharges, tracking 1Z999AA10123456784";
    assert_eq!(
        body(&commands[0]),
        json!({
            "journal": "GJ",
            "date": "2025-03-07",
            "title": "ShipStation shipment 72513480, order #1001",
            "entries": [
                on("6100", "debit", "7.02", "WHOLESALE", freight),
                on("6100", "debit", "1.82", "ONLINE", freight),
                on("6100", "debit", "1.40", "RETAIL", freight),
                on("6160", "debit", "1.03", "WHOLESALE", insurance),
                on("6160", "debit", "0.27", "ONLINE", insurance),
                on("6160", "debit", "0.20", "RETAIL", insurance),
                on("6170", "debit", "1.44", "WHOLESALE", surcharges),
                on("6170", "debit", "0.37", "ONLINE", surcharges),
                on("6170", "debit", "0.29", "RETAIL", surcharges),
                on("2100", "credit", "13.84", "ONLINE", "Label cost of shipment 72513480")
            ],
            "sales_order": {"numbers": ["1001", "#1001"], "field": "PONUMBER",
                            "docpar_id": "Sales Order"}
        })
    );
    let logs = testing::take_logs();
    let mapped = logs
        .iter()
        .find(|record| record.message == "mapped")
        .unwrap();
    assert_eq!(mapped.field("topic"), Some("SHIP_NOTIFY"));
    assert_eq!(mapped.field("shipments"), Some("72513480"));
    assert_eq!(mapped.field("commands"), Some("1"));
}

#[test]
fn without_allocation_each_cost_is_one_line_and_the_carrier_family_finds_its_account() {
    let config = with(config(), json!({"allocation": null, "sales_order": null}));
    let usps = with(
        shipment(),
        json!({"carrier_code": "stamps_com", "service_code": "usps_priority_mail",
               "shipment_cost": 8.45, "insurance_cost": "0.00", "surcharges": null,
               "tracking_number": null, "warehouse_id": 401002, "store_id": null}),
    );
    let commands = map_with("SHIP_NOTIFY", &usps, &config).unwrap();
    assert_eq!(
        body(&commands[0]),
        json!({
            "journal": "GJ", "date": "2025-03-07",
            "title": "ShipStation shipment 72513480, order #1001",
            "entries": [
                {"account_no": "6120", "debit": "8.45",
                 "description": "Freight stamps_com usps_priority_mail",
                 "location_id": "WH-WEST", "department_id": "OPS", "class_id": "ONLINE"},
                {"account_no": "2100", "credit": "8.45",
                 "description": "Label cost of shipment 72513480",
                 "location_id": "WH-WEST", "department_id": "OPS", "class_id": "ONLINE"}
            ]
        })
    );
    // An unlisted carrier falls to `*`; the plain config has no dimensions at all.
    let ontrac = with(
        shipment(),
        json!({"carrier_code": "ontrac", "surcharges": "0"}),
    );
    let plain = map_with("SHIP_NOTIFY", &ontrac, &plain_config()).unwrap();
    assert_eq!(
        body(&plain[0])["entries"],
        json!([
            {"account_no": "6140", "debit": "12.34",
             "description": "Freight ontrac ups_ground, tracking 1Z999AA10123456784"},
            {"account_no": "6140", "debit": "1.50",
             "description": "Insurance, tracking 1Z999AA10123456784"},
            {"account_no": "2100", "credit": "13.84",
             "description": "Label cost of shipment 72513480"}
        ])
    );
}

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

#[test]
fn surcharges_on_top_or_inside_and_bad_costs_are_refused() {
    let on_top = with(
        config(),
        json!({"surcharges_in_shipment_cost": false, "allocation": null}),
    );
    let commands = map_with("SHIP_NOTIFY", &shipment(), &on_top).unwrap();
    let batch = body(&commands[0]);
    assert_eq!(batch["entries"][0]["debit"], "12.34");
    assert_eq!(batch["entries"][2]["debit"], "2.10");
    assert_eq!(batch["entries"][3]["credit"], "15.94");

    let negative = with(shipment(), json!({"insurance_cost": "-1.00"}));
    assert_eq!(
        rejected(map_with("SHIP_NOTIFY", &negative, &config())).1,
        "shipment 72513480: `insurance_cost` is negative (-1.00); nothing was posted"
    );
    let too_much = with(shipment(), json!({"surcharges": "20.00"}));
    assert_eq!(
        rejected(map_with("SHIP_NOTIFY", &too_much, &config())).1,
        "shipment 72513480: `surcharges` (20.00) exceed the `shipment_cost` (12.34) that \
         includes them; nothing was posted"
    );
    let undated = with(shipment(), json!({"ship_date": null, "created_at": "soon"}));
    assert!(
        rejected(map_with("SHIP_NOTIFY", &undated, &config()))
            .1
            .contains("no `ship_date`")
    );
    // A ship date missing: the Pacific date of created_at (17:30 UTC is 09:30 PST on the 7th).
    let created = with(shipment(), json!({"ship_date": null}));
    assert_eq!(body(&map("SHIP_NOTIFY", &created)[0])["date"], "2025-03-07");
}

#[test]
fn dimensions_by_carrier_fixed_or_missing_and_drafts() {
    let config = json!({
        "journal": "GJ", "draft": true,
        "accounts": {"freight": {"UPS": "6100"}, "offset": "2100"},
        "dimensions": {
            "location_id": {"by": "warehouse", "map": {"999": "HQ"}},
            "department_id": {"by": "carrier", "map": {"ups_walleted": "OPS"}},
            "class_id": "RETAIL"
        }
    });
    let commands = map_with("SHIP_NOTIFY", &shipment(), &config).unwrap();
    let batch = body(&commands[0]);
    assert_eq!(batch["draft"], true);
    assert_eq!(
        batch["entries"][0],
        json!({"account_no": "6100", "debit": "10.24",
               "description": "Freight ups_walleted ups_ground, tracking 1Z999AA10123456784",
               "department_id": "OPS", "class_id": "RETAIL"})
    );
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

#[test]
fn a_fulfillment_posts_its_fee_only_when_an_account_is_configured() {
    testing::reset();
    let fulfillment = json!({
        "id": "100000009", "order_id": "100000001", "order_number": "4001",
        "customer_email": null, "tracking_number": "1Z999", "carrier_code": "ups",
        "fulfillment_provider_code": "acme_3pl", "fulfillment_service_code": null,
        "created_at": "2024-03-10T09:30:00Z", "ship_date": "2024-03-10",
        "voided": false, "void_date": null, "currency": "USD",
        "fulfillment_fee": "3.25", "ship_to": null
    });
    let entities =
        || vec![Entity::json("shipstation.fulfillment", "100000009", &fulfillment).unwrap()];
    let fulfilled = |config: &Value| {
        ShipstationIntacct::map(event("FULFILLMENT_SHIPPED", "f-1"), entities(), config)
    };
    assert!(fulfilled(&config()).unwrap().is_empty());
    assert!(testing::take_logs().iter().any(|record| {
        record
            .message
            .starts_with("skipped: fulfillment without a ShipStation label")
            && record.field("shipment") == Some("100000009")
    }));
    let with_fees = with(
        config(),
        json!({"accounts": {"freight": {"*": "6140"}, "offset": "2100", "fulfillment": "6150"}}),
    );
    let commands = fulfilled(&with_fees).unwrap();
    assert_eq!(commands[0].key, "shipstation-intacct/fulfillment/100000009");
    assert_eq!(
        body(&commands[0]),
        json!({
            "journal": "GJ", "date": "2024-03-10",
            "title": "ShipStation fulfillment 100000009, order 4001",
            "entries": [
                {"account_no": "6150", "debit": "3.25",
                 "description": "Fulfillment fee acme_3pl, tracking 1Z999",
                 "location_id": "HQ", "department_id": "OPS", "class_id": "ONLINE"},
                {"account_no": "2100", "credit": "3.25",
                 "description": "Fee of fulfillment 100000009",
                 "location_id": "HQ", "department_id": "OPS", "class_id": "ONLINE"}
            ],
            "sales_order": {"numbers": ["4001", "#4001"], "field": "PONUMBER",
                            "docpar_id": "Sales Order"}
        })
    );
}
