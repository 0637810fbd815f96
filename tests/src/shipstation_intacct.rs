//! The ShipStation → Sage Intacct part of the simulators' setup, shared by the end-to-end tests,
//! the `mlc demo` and the playground: the TOML of the `shipstation` connection and of the freight
//! flow into the `intacct` connection that [`crate::shopify_intacct`]'s config defines (append it as that
//! config's `extra`), its secrets in files, the mapping config for the demo chart, and the webhook
//! subscriptions (the token rides in the receiver URL: ShipStation's V1 webhooks are unsigned).

use std::path::Path;

use serde_json::{Value, json};

use crate::shipstation::ShipStationSim;
use crate::shopify_intacct::{INTACCT_CONNECTION, toml_inline};

/// The connection name of the ShipStation account.
pub const SHIPSTATION_CONNECTION: &str = "shipstation";
/// The flow's name.
pub const FLOW: &str = "freight-to-gl";
/// The token in the webhook receiver URL (`/webhooks/shipstation/<token>`).
pub const WEBHOOK_TOKEN: &str = "whk-3f9c2a71d8e04b56";
/// The events the flow takes: the webhooks subscribed, and the poll's voids.
pub const EVENTS: &[&str] = &[
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    "SHIPMENT_VOIDED",
];
/// The webhooks subscribed by [`subscribe`].
pub const WEBHOOKS: &[&str] = &["SHIP_NOTIFY", "ITEM_SHIP_NOTIFY", "FULFILLMENT_SHIPPED"];

/// The config text of the ShipStation connection and the freight flow, polling every
/// `poll_interval` (`"4h"`); writes its secrets into `dir/secrets`.
pub fn config_section(
    sim: &ShipStationSim,
    dir: &Path,
    poll_interval: &str,
) -> anyhow::Result<String> {
    Ok(connection_section(sim, dir)? + &flow_section(poll_interval))
}

/// The config text of the ShipStation connection alone; writes its secrets into `dir/secrets`.
pub fn connection_section(sim: &ShipStationSim, dir: &Path) -> anyhow::Result<String> {
    let config = sim.config();
    crate::secret_files::write(
        dir,
        &[
            ("shipstation-api-key", &config.api_key),
            ("shipstation-api-secret", &config.api_secret),
            ("shipstation-v2-api-key", &config.v2_api_key),
            ("shipstation-webhook-token", WEBHOOK_TOKEN),
        ],
    )?;
    Ok(format!(
        r#"
[connections.{SHIPSTATION_CONNECTION}]
connector = "shipstation"
base_url = "{base_url}"
settings = {{ v2_base_url = "{v2_base_url}" }}
secrets = {{ api_key = {{ file = "secrets/shipstation-api-key" }}, api_secret = {{ file = "secrets/shipstation-api-secret" }}, v2_api_key = {{ file = "secrets/shipstation-v2-api-key" }}, webhook_token = {{ file = "secrets/shipstation-webhook-token" }} }}
"#,
        base_url = sim.base_url(),
        v2_base_url = sim.v2_base_url(),
    ))
}

/// The config text of the freight flow from the ShipStation connection into the Intacct one,
/// polling every `poll_interval` (`"4h"`).
pub fn flow_section(poll_interval: &str) -> String {
    flow_section_into(INTACCT_CONNECTION, poll_interval)
}

/// The config text of the freight flow from the ShipStation connection into Intacct connection
/// `sink`, polling every `poll_interval` (`"4h"`).
pub fn flow_section_into(sink: &str, poll_interval: &str) -> String {
    format!(
        r#"
[flows.{FLOW}]
source = "{SHIPSTATION_CONNECTION}"
events = {events}
mapping = "shipstation-intacct"
sink = "{sink}"
poll_interval = "{poll_interval}"
mapping_config = {mapping}
"#,
        events = toml_inline(&json!(EVENTS)),
        mapping = toml_inline(&mapping_config()),
    )
}

/// Subscribes the flow's webhooks to the host at `host_base_url` (`http://127.0.0.1:PORT`); an
/// event already subscribed to that host is left as it is.
pub fn subscribe(sim: &ShipStationSim, host_base_url: &str) {
    let target = format!(
        "{}/webhooks/{SHIPSTATION_CONNECTION}/{WEBHOOK_TOKEN}",
        host_base_url.trim_end_matches('/')
    );
    let existing = sim.subscriptions();
    for event in WEBHOOKS {
        let subscribed = existing
            .iter()
            .any(|sub| sub.event == *event && sub.target_url == target);
        if !subscribed {
            sim.subscribe(event, &target, None);
        }
    }
}

/// The mapping config for the demo chart (`CompanyConfig::demo`): freight by carrier to 6100 UPS,
/// 6110 FedEx, 6120 USPS, 6130 DHL, 6140 the rest; insurance 6160, surcharges 6170, credited to
/// 2100 Accrued Freight in journal GJ; warehouse 401001 → location WH-EAST, 401002 → WH-WEST,
/// else HQ; store 301001 → department SALES, else OPS; each cost split over the items' product
/// lines by value (`WS-` → WHOLESALE, `POS-` → RETAIL, else ONLINE); matched to the Intacct sales
/// order whose DOCNO is the order number, with or without `#`.
pub fn mapping_config() -> Value {
    json!({
        "journal": "GJ",
        "accounts": {
            "freight": { "ups": "6100", "fedex": "6110", "usps": "6120", "dhl": "6130", "*": "6140" },
            "insurance": "6160",
            "surcharges": "6170",
            "offset": "2100"
        },
        "dimensions": {
            "location_id": { "by": "warehouse", "map": { "401001": "WH-EAST", "401002": "WH-WEST", "*": "HQ" } },
            "department_id": { "by": "store", "map": { "301001": "SALES", "*": "OPS" } }
        },
        "sales_order": { "field": "DOCNO", "numbers": ["{number}", "#{number}"] },
        "allocation": {
            "by": "value",
            "product_lines": [
                { "sku_prefixes": ["WS-"], "class_id": "WHOLESALE" },
                { "sku_prefixes": ["POS-"], "class_id": "RETAIL" }
            ],
            "default_class_id": "ONLINE"
        }
    })
}
