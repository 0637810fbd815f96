//! Cost batches: one balanced GL batch per label, a debit per cost on its carrier's account
//! (split over product lines with an allocation), surcharges on top or inside, dimensions, drafts,
//! fulfillment fees, and costs refused.

use super::*;

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
