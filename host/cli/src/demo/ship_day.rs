//! The demo's shipping day in the simulated ShipStation, on the same Intacct company: a UPS label
//! with insurance for goods of two product lines from WH-EAST, a FedEx label from WH-WEST, a USPS
//! label, a return label, a DHL label whose webhook is lost, a label voided, and a label for an
//! order number Intacct has no sales order for (held for review, then resolved by a person).

use rust_decimal::Decimal;
use serde_json::json;
use simulators::shipstation::{Item, ShipmentSpec};

use super::shipping::{Warehouse, Webhook};

/// ShipStation's warehouse ids, which the mapping config turns into Intacct locations.
const WH_EAST: u64 = 401_001;
const WH_WEST: u64 = 401_002;

/// Runs the day in `warehouse`.
pub async fn run(warehouse: &mut Warehouse<'_>) -> anyhow::Result<()> {
    warehouse
        .label(
            ShipmentSpec {
                order_number: "SO-1001".into(),
                carrier_code: "ups".into(),
                service_code: "ups_ground".into(),
                shipment_cost: money(1_840),
                insurance_cost: money(250),
                warehouse_id: WH_EAST,
                items: vec![
                    item("TR-100", "Trail Runner", 1, 12_900),
                    item("WS-SOCK-50", "Wool Socks, bale of 50", 1, 31_000),
                ],
                tracking_number: "1Z999AA10123456784".into(),
                ..ShipmentSpec::default()
            },
            "WH-EAST, web and wholesale goods",
            Webhook::Sent,
        )
        .await?;
    warehouse
        .label(
            ShipmentSpec {
                order_number: "SO-1002".into(),
                carrier_code: "fedex".into(),
                service_code: "fedex_2day".into(),
                shipment_cost: money(2_475),
                warehouse_id: WH_WEST,
                items: vec![item("TENT-2", "Two-Person Tent", 1, 24_900)],
                tracking_number: "794698260123".into(),
                ..ShipmentSpec::default()
            },
            "WH-WEST",
            Webhook::Sent,
        )
        .await?;
    warehouse
        .label(
            ShipmentSpec {
                order_number: "SO-1003".into(),
                shipment_cost: money(845),
                warehouse_id: WH_EAST,
                items: vec![item("WS-TR-100", "Trail Runner, case of 12", 4, 98_000)],
                ..ShipmentSpec::default()
            },
            "WH-EAST, wholesale",
            Webhook::Sent,
        )
        .await?;
    warehouse
        .label(
            ShipmentSpec {
                order_number: "SO-1001".into(),
                carrier_code: "ups".into(),
                service_code: "ups_ground".into(),
                shipment_cost: money(1_210),
                warehouse_id: WH_EAST,
                is_return_label: true,
                tracking_number: "1Z999AA10123456795".into(),
                ..ShipmentSpec::default()
            },
            "the customer sends shoes back",
            Webhook::Sent,
        )
        .await?;
    warehouse
        .label(
            ShipmentSpec {
                order_number: "SO-1003".into(),
                carrier_code: "dhl_express".into(),
                service_code: "dhl_express_worldwide".into(),
                shipment_cost: money(4_230),
                warehouse_id: WH_WEST,
                items: vec![item("POS-CAP-1", "Trucker Cap", 10, 2_200)],
                tracking_number: "1234567890".into(),
                ..ShipmentSpec::default()
            },
            "its webhook is lost",
            Webhook::Lost,
        )
        .await?;
    let (twice, _) = warehouse
        .label(
            ShipmentSpec {
                order_number: "SO-1002".into(),
                carrier_code: "fedex".into(),
                service_code: "fedex_ground".into(),
                shipment_cost: money(1_615),
                warehouse_id: WH_WEST,
                items: vec![item("TENT-2", "Two-Person Tent", 1, 24_900)],
                tracking_number: "794698260456".into(),
                ..ShipmentSpec::default()
            },
            "bought twice by mistake",
            Webhook::Sent,
        )
        .await?;
    warehouse
        .void(&twice, "no webhook: the poll finds it")
        .await?;
    let (_, held) = warehouse
        .label(
            ShipmentSpec {
                order_number: "1002".into(),
                shipment_cost: money(695),
                warehouse_id: WH_WEST,
                items: vec![item("LAMP-1", "Camp Lantern", 2, 3_450)],
                ..ShipmentSpec::default()
            },
            "no sales order 1002 in Intacct",
            Webhook::Sent,
        )
        .await?;
    warehouse
        .resolve(&held, json!({"sales_order": "SO-1002"}))
        .await?;
    Ok(())
}

fn item(sku: &str, name: &str, quantity: u32, cents: i64) -> Item {
    Item {
        sku: sku.into(),
        name: name.into(),
        quantity,
        unit_price: money(cents),
        ..Item::default()
    }
}

/// An amount in cents as a decimal.
fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}
