//! One shipment's commands: the `intacct.create-gl-batch` of its label cost and, once the label is
//! voided, the batch that reverses it.
//!
//! - A return label maps to nothing: it is logged `skipped: return label` (the audit trail's map
//!   step shows the line, and the event ends done).
//! - A label that cost nothing (every cost zero to the cent) maps to nothing, logged
//!   `skipped: zero cost`.
//! - A fulfillment (`shipstation.fulfillment`: an order shipped without a ShipStation label, so
//!   with no postage) maps to nothing, logged, unless `accounts.fulfillment` is set: then its
//!   `fulfillment_fee` posts like a label's cost, keyed `shipstation-intacct/fulfillment/<id>`.
//! - Otherwise the cost batch ([`crate::journal`]), keyed `shipstation-intacct/shipment/<id>`,
//!   dated the `ship_date` (else the Pacific date of `created_at`), matched to the sales order
//!   ([`crate::matching`]).
//! - A voided label (`voided: true`, or the event's topic is `SHIPMENT_VOIDED`) maps to the cost
//!   batch too, then its reversal keyed `…/void`: the same entries with debits and credits
//!   swapped, dated the `void_date` (else the day the event occurred, else the ship date), matched
//!   the same way. The cost batch is there so that a label first seen voided still nets to zero;
//!   when it was posted before, Intacct answers its key "already executed".

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::serde_json::{Value, json};
use ml_connector_sdk::{Command, Event, PluginError, log};

use crate::config::Config;
use crate::dates;
use crate::entities::{Kind, Shipment};
use crate::journal::{self, Entry};
use crate::keys;
use crate::matching;
use crate::review::Resolution;

/// The command kind this mapping emits.
pub const KIND: &str = "intacct.create-gl-batch";
/// The topic of a voided label's event.
pub const VOIDED: &str = "SHIPMENT_VOIDED";

pub fn commands(
    event: &Event,
    config: &Config,
    resolution: &Resolution,
    shipment: &Shipment,
) -> Result<Vec<Command>, PluginError> {
    let order = shipment.order_number.as_deref().unwrap_or_default();
    let subject = [
        ("shipment", shipment.shipment_id.as_str()),
        ("order", order),
    ];
    if shipment.is_return_label {
        log::info("skipped: return label", &subject);
        return Ok(Vec::new());
    }
    if shipment.kind == Kind::Fulfillment && config.accounts.fulfillment.is_none() {
        log::info(
            "skipped: fulfillment without a ShipStation label (no `accounts.fulfillment`)",
            &subject,
        );
        return Ok(Vec::new());
    }
    let entries = journal::entries(config, shipment)?;
    if entries.is_empty() {
        log::info("skipped: zero cost", &subject);
        return Ok(Vec::new());
    }
    let sales_order = matching::sales_order(config, resolution, shipment)?;
    let date = posting_date(shipment)?;
    let (what, key) = match shipment.kind {
        Kind::Label => ("shipment", keys::shipment(&shipment.shipment_id)),
        Kind::Fulfillment => ("fulfillment", keys::fulfillment(&shipment.shipment_id)),
    };
    let title = match order {
        "" => format!("ShipStation {what} {}", shipment.shipment_id),
        order => format!("ShipStation {what} {}, order {order}", shipment.shipment_id),
    };
    let batch = Batch {
        config,
        sales_order: sales_order.as_ref(),
    };
    let mut commands = vec![batch.command(&key, date, &title, &entries)?];
    if shipment.voided || event.topic == VOIDED {
        let void_date = shipment
            .void_date
            .as_deref()
            .and_then(dates::pacific_date)
            .or_else(|| event.occurred_at.map(dates::pacific_date_of))
            .unwrap_or(date);
        let reversed: Vec<Entry> = entries.iter().map(Entry::reversed).collect();
        commands.push(batch.command(
            &keys::void(&key),
            void_date,
            &format!("Void of {title}"),
            &reversed,
        )?);
    }
    Ok(commands)
}

/// The date the cost posts on.
fn posting_date(shipment: &Shipment) -> Result<NaiveDate, PluginError> {
    [&shipment.ship_date, &shipment.created_at]
        .into_iter()
        .flatten()
        .find_map(|text| dates::pacific_date(text))
        .ok_or_else(|| {
            PluginError::rejected(format!(
                "shipment {}: no `ship_date` or `created_at` to post on (ship_date {:?}, \
                 created_at {:?})",
                shipment.shipment_id, shipment.ship_date, shipment.created_at
            ))
        })
}

/// What every batch of the shipment shares.
struct Batch<'a> {
    config: &'a Config,
    sales_order: Option<&'a Value>,
}

impl Batch<'_> {
    fn command(
        &self,
        key: &str,
        date: NaiveDate,
        title: &str,
        entries: &[Entry],
    ) -> Result<Command, PluginError> {
        let mut body = json!({
            "journal": self.config.journal,
            "date": date.format("%Y-%m-%d").to_string(),
            "title": title,
            "entries": entries.iter().map(Entry::to_json).collect::<Vec<_>>(),
        });
        if self.config.draft {
            body["draft"] = json!(true);
        }
        if let Some(sales_order) = self.sales_order {
            body["sales_order"] = sales_order.clone();
        }
        Command::json(KIND, key, &body)
    }
}
