//! `shipstation-intacct`: the mapping from the `shipstation` connector's label shipments to the
//! `intacct` connector's GL journal entries. Pure: no HTTP, no secrets, no clock; the same event,
//! entities and config always give the same commands.
//!
//! | topic | commands |
//! | --- | --- |
//! | `SHIP_NOTIFY`, `ITEM_SHIP_NOTIFY` (webhooks, and the connector's poll of new labels) | per `shipstation.shipment`: one balanced `intacct.create-gl-batch` of its label cost (debit the carrier's freight, insurance and surcharges, credit the offset), matched to its sales order; a voided one also its reversal |
//! | `FULFILLMENT_SHIPPED` (webhook) | per `shipstation.fulfillment` (an order shipped without a ShipStation label: no postage): nothing, logged; with `accounts.fulfillment`, a batch of its `fulfillment_fee`, like a label's cost |
//! | `SHIPMENT_VOIDED` (found by the poll: voids fire no webhook) | per shipment: the cost batch (Intacct answers "already executed" when it was posted) and its reversal |
//!
//! Per shipment ([`shipment`]): a return label maps to nothing (logged `skipped: return label`,
//! which the audit trail's map step shows; the event ends done); so does a label that cost
//! nothing (`skipped: zero cost`). Entities of other kinds are ignored. Another topic is `Rejected`
//! (code `shipstation-intacct.topic`). Each call logs one `mapped` line with the topic, the
//! shipments and the command count. An event's shipments map together: one refused or held
//! (below) holds back the commands of all of them.
//!
//! **Dates** ([`dates`]): a batch is dated the `ship_date` (the Pacific calendar date ShipStation
//! shows; else the Pacific date of `created_at`), a reversal the Pacific date of `void_date` (else
//! of the event, else the ship date).
//!
//! ## Config
//!
//! The flow's `mapping_config`. Every key is checked before anything is mapped; a bad one is
//! `Rejected` with code `shipstation-intacct.config` and a message naming the key
//! (``mapping config `allocation.by`: `volume` is not a basis: use "value" or "weight"``). A
//! full example, for the Intacct simulator's demo chart:
//!
//! ```json
//! {
//!   "journal": "GJ",
//!   "accounts": {
//!     "freight": { "ups": "6100", "fedex": "6110", "usps": "6120", "dhl": "6130", "*": "6140" },
//!     "insurance": "6160",
//!     "surcharges": "6170",
//!     "offset": "2100"
//!   },
//!   "surcharges_in_shipment_cost": true,
//!   "dimensions": {
//!     "location_id": { "by": "warehouse", "map": { "401001": "WH-EAST", "401002": "WH-WEST", "*": "HQ" } },
//!     "department_id": { "by": "store", "map": { "301001": "SALES", "*": "OPS" } },
//!     "class_id": "ONLINE"
//!   },
//!   "sales_order": { "field": "PONUMBER", "numbers": ["{number}", "#{number}"], "docpar_id": "Sales Order" },
//!   "allocation": {
//!     "by": "value",
//!     "product_lines": [
//!       { "sku_prefixes": ["WS-"], "class_id": "WHOLESALE" },
//!       { "sku_prefixes": ["POS-"], "class_id": "RETAIL" }
//!     ],
//!     "default_class_id": "ONLINE"
//!   },
//!   "draft": false
//! }
//! ```
//!
//! | key | meaning |
//! | --- | --- |
//! | `journal` | required: the GL journal symbol the batches go to |
//! | `accounts.freight` | required: freight expense account by carrier code (`ups_walleted`), carrier family (`ups`, `fedex`, `usps`, `dhl`: [`rules`]) or `*` for the rest (other and third-party carriers); codes compare in lower case. A carrier with none is `Rejected` naming it |
//! | `accounts.insurance`, `accounts.surcharges` | where `insurance_cost` and `surcharges` go; unset: the carrier's freight account |
//! | `accounts.offset` | required: the account every batch credits (accrued freight, AP clearing) |
//! | `accounts.fulfillment` | where a fulfillment provider's `fulfillment_fee` goes; unset: fulfillments post nothing |
//! | `surcharges_in_shipment_cost` | default `true`: `shipment_cost` is the label's whole charge and includes the `surcharges` the entity lists, so freight posts the difference; `false`: surcharges come on top |
//! | `dimensions.location_id`, `department_id`, `class_id` | each a fixed value, or `{"by": "warehouse" \| "store" \| "carrier", "map": {id: value, "*": value}}`; unset, or no entry and no `*`: the lines go without it |
//! | `sales_order` | match each batch to an Intacct sales order: `field` `"DOCNO"` (default) or `"PONUMBER"`; `numbers`, templates tried in order (default `["{number}", "#{number}"]`: `{number}` is the order number without a leading `#`, `{order_number}` as ShipStation has it, `{custom_field1}`…`{custom_field3}` the shipment's custom fields; `"SO-{number}"` finds `SO-1001` for order `#1001`; a template whose value the shipment lacks is left out: [`matching`]); `docpar_id`, the transaction definition (default `Sales Order`). Unset: batches post without an order or a customer |
//! | `allocation` | split each cost over the items' product lines, to the class dimension: `by` `"value"` or `"weight"`; `product_lines`, `{sku_prefixes, class_id}` tried in order; `default_class_id` for the other items (else `dimensions.class_id`). See [`allocation`] |
//! | `draft` | default `false`: `true` saves the batches as drafts |
//!
//! ## Keys and replays
//!
//! Keys come from the shipment id ([`keys`]): `shipstation-intacct/shipment/<id>` and
//! `…/<id>/void` (a fulfillment: `shipstation-intacct/fulfillment/<id>`), never from the event,
//! so the webhook and the poll of one label (and any replay) post once. The entities are read
//! tolerantly ([`entities`]): ids as numbers or text, missing amounts as zero.
//!
//! ## Amounts
//!
//! Decimal, never f64, rounded to the cent per cost; a batch always balances: the offset credits
//! the sum of the debits. With an `allocation`, each cost is split over the classes to the cent
//! and the shares sum to the cost exactly, by the SDK's one split rule ([`money::allocate`]: each
//! share is its exact share cut down to the cent, and the cents left over go to the largest
//! remainders, ties to the class with the larger value or weight). Costs are in the ShipStation
//! account's currency, which the batch does not name: the company's base currency. A negative
//! cost, or surcharges above the `shipment_cost` that includes them, is `Rejected` ([`journal`]).
//!
//! [`money::allocate`]: ml_connector_sdk::money::allocate
//!
//! ## Sales orders and review
//!
//! With `sales_order` set, each batch carries `"sales_order": {"numbers", "field", "docpar_id"?}`
//! and the intacct connector looks the order up before posting (one query per number): exactly one
//! order found, the batch posts with that order's customer on every line and its DOCNO in the
//! title and reference; none or several, the command is `NeedsReview` and nothing is posted. A
//! shipment that has none of the values the templates need (no order number) is held by the
//! mapping itself. A person resolves the event with ([`review`]):
//!
//! - `{"sales_order": "SO-1001"}`: matched to the order with that DOCNO (the batch's `sales_order`
//!   becomes `{"numbers": ["SO-1001"], "field": "DOCNO"}`);
//! - `{"post_without_order": true}`: posted with no `sales_order`, so with no customer.
//!
//! Any other key is `Rejected`, naming the two. The batch's key does not change: nothing was posted
//! under it while held, so the resolved batch posts once.
//!
//! **Voids.** The reversal is matched like the cost batch (the same numbers, or the event's
//! resolution), so it normally carries the same customer. The void event is a new event: when the
//! cost batch needed a person, the void is held too and wants the same resolution. Resolved
//! otherwise (say `post_without_order` where the cost batch had an order), the reversal's lines
//! differ from the cost's by customer only; accounts and dimensions still net to zero.

mod allocation;
mod config;
mod dates;
mod entities;
mod journal;
mod keys;
mod matching;
mod review;
mod rules;
mod shipment;

use ml_connector_sdk::serde_json::Value;
use ml_connector_sdk::{Command, Entity, Event, Mapping, PluginError, PluginInfo, log};

use crate::config::Config;
use crate::review::Resolution;

/// The topics this mapping maps.
pub const TOPICS: &[&str] = &[
    "SHIP_NOTIFY",
    "ITEM_SHIP_NOTIFY",
    "FULFILLMENT_SHIPPED",
    shipment::VOIDED,
];

/// The command kinds it emits.
pub const COMMANDS: &[&str] = &[shipment::KIND];

pub struct ShipstationIntacct;

impl Mapping for ShipstationIntacct {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "shipstation-intacct".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Maps ShipStation label costs (freight, insurance, surcharges) to Sage \
                          Intacct GL journal entries matched to the sales order, and reverses \
                          voided labels."
                .into(),
            topics: TOPICS.iter().map(|topic| topic.to_string()).collect(),
            commands: COMMANDS.iter().map(|kind| kind.to_string()).collect(),
        }
    }

    fn map(
        event: Event,
        records: Vec<Entity>,
        config: &Value,
    ) -> Result<Vec<Command>, PluginError> {
        let config_parsed = Config::parse(config)?;
        let resolution = Resolution::read(config)?;
        let topic = event.topic.as_str();
        if !TOPICS.contains(&topic) {
            return Err(PluginError::rejected_with_code(
                "shipstation-intacct.topic",
                format!(
                    "shipstation-intacct maps no topic `{topic}` (it maps {})",
                    TOPICS.join(", ")
                ),
            ));
        }
        let shipments = entities::shipments(&records)?;
        let mut commands = Vec::new();
        for shipment in &shipments {
            commands.extend(shipment::commands(
                &event,
                &config_parsed,
                &resolution,
                shipment,
            )?);
        }
        let ids: Vec<&str> = shipments
            .iter()
            .map(|shipment| shipment.shipment_id.as_str())
            .collect();
        log::info(
            "mapped",
            &[
                ("topic", topic),
                ("shipments", &ids.join(",")),
                ("commands", &commands.len().to_string()),
            ],
        );
        Ok(commands)
    }

    /// Runs the config parsing `map` runs, so the host refuses a bad `mapping_config` at start.
    fn check_config(config: &Value) -> Result<(), String> {
        Config::parse(config)
            .map(drop)
            .map_err(|error| error.message().to_owned())
    }
}

ml_connector_sdk::export_mapping!(ShipstationIntacct);

#[cfg(test)]
mod tests;
