//! The journal entry of one shipment's label cost: a debit per cost on its account, in this order,
//! each rounded to the cent and left out when zero, and one credit of their sum on the offset
//! account:
//!
//! | line | amount | account | description |
//! | --- | --- | --- | --- |
//! | freight | `shipment_cost`, less `surcharges` when `surcharges_in_shipment_cost` (the default) | the carrier's (`accounts.freight`) | `Freight <carrier> <service>, tracking <number>` |
//! | insurance | `insurance_cost` | `accounts.insurance`, else the carrier's | `Insurance, tracking <number>` |
//! | surcharges | `surcharges` | `accounts.surcharges`, else the carrier's | `Surcharges, tracking <number>` |
//! | offset (credit) | the sum | `accounts.offset` | `Label cost of shipment <id>` |
//!
//! A fulfillment (an order shipped without a ShipStation label) has one debit, its
//! `fulfillment_fee` on `accounts.fulfillment` (`Fulfillment fee <provider>, tracking <number>`),
//! and the offset (`Fee of fulfillment <id>`); without `accounts.fulfillment` it posts nothing.
//!
//! Every line carries the shipment's dimensions; with an `allocation` each debit is split over the
//! items' classes ([`crate::allocation`]) and the offset keeps the shipment's class. A void is the
//! same entry with every side swapped. A negative cost, or surcharges larger than the
//! `shipment_cost` that includes them, is `Rejected`.

use ml_connector_sdk::PluginError;
use ml_connector_sdk::money::{self, Decimal};
use ml_connector_sdk::serde_json::{Map, Value, json};

use crate::allocation;
use crate::config::Config;
use crate::entities::{Kind, Shipment};
use crate::rules::{self, Dimensions};

/// One line of the journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub account: String,
    pub debit: bool,
    pub amount: Decimal,
    pub description: String,
    pub dimensions: Dimensions,
}

impl Entry {
    /// The line as the connector's body has it.
    pub fn to_json(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("account_no".into(), json!(self.account));
        let side = if self.debit { "debit" } else { "credit" };
        entry.insert(side.into(), json!(money::cents_text(self.amount)));
        entry.insert("description".into(), json!(self.description));
        let dimensions = [
            ("location_id", &self.dimensions.location_id),
            ("department_id", &self.dimensions.department_id),
            ("class_id", &self.dimensions.class_id),
        ];
        for (name, value) in dimensions {
            if let Some(value) = value {
                entry.insert(name.into(), json!(value));
            }
        }
        Value::Object(entry)
    }

    /// The same line on the other side.
    pub fn reversed(&self) -> Entry {
        Entry {
            debit: !self.debit,
            ..self.clone()
        }
    }
}

/// A cost to debit: amount (cents), account, description.
type Cost<'a> = (Decimal, &'a str, String);

/// The entries of `shipment`'s label cost (or fulfillment fee); empty when it cost nothing.
pub fn entries(config: &Config, shipment: &Shipment) -> Result<Vec<Entry>, PluginError> {
    let costs = match shipment.kind {
        Kind::Label => label_costs(config, shipment)?,
        Kind::Fulfillment => fulfillment_costs(config, shipment)?,
    };
    if costs.iter().all(|(cost, _, _)| cost.is_zero()) {
        return Ok(Vec::new());
    }
    let dimensions = rules::dimensions(config, shipment);
    let classes = match (&config.allocation, shipment.kind) {
        (Some(allocation), Kind::Label) => {
            allocation::classes(allocation, shipment, dimensions.class_id.as_deref())
        }
        _ => None,
    };
    let mut entries = Vec::new();
    let mut total = Decimal::ZERO;
    for (cost, account, description) in costs {
        if cost.is_zero() {
            continue;
        }
        total += cost;
        let line = |amount: Decimal, class_id: Option<String>| Entry {
            account: account.to_owned(),
            debit: true,
            amount,
            description: description.clone(),
            dimensions: Dimensions {
                class_id,
                ..dimensions.clone()
            },
        };
        match &classes {
            None => entries.push(line(cost, dimensions.class_id.clone())),
            Some(classes) => {
                let weights: Vec<Decimal> = classes.iter().map(|(_, weight)| *weight).collect();
                for ((class_id, _), share) in classes.iter().zip(money::allocate(cost, &weights)?) {
                    if !share.is_zero() {
                        entries.push(line(share, class_id.clone()));
                    }
                }
            }
        }
    }
    entries.push(Entry {
        account: config.accounts.offset.clone(),
        debit: false,
        amount: total,
        description: match shipment.kind {
            Kind::Label => format!("Label cost of shipment {}", shipment.shipment_id),
            Kind::Fulfillment => format!("Fee of fulfillment {}", shipment.shipment_id),
        },
        dimensions,
    });
    Ok(entries)
}

/// The refusal of a shipment's costs.
fn refuse(shipment: &Shipment, why: String) -> PluginError {
    PluginError::rejected(format!(
        "shipment {}: {why}; nothing was posted",
        shipment.shipment_id
    ))
}

/// `, tracking <number>`, or nothing.
fn tracking(shipment: &Shipment) -> String {
    match &shipment.tracking_number {
        Some(number) => format!(", tracking {number}"),
        None => String::new(),
    }
}

/// A label's freight, insurance and surcharges (see the module doc).
fn label_costs<'a>(config: &'a Config, shipment: &Shipment) -> Result<Vec<Cost<'a>>, PluginError> {
    for (name, cost) in [
        ("shipment_cost", shipment.shipment_cost),
        ("insurance_cost", shipment.insurance_cost),
        ("surcharges", shipment.surcharges),
    ] {
        if cost.is_sign_negative() && !cost.is_zero() {
            return Err(refuse(shipment, format!("`{name}` is negative ({cost})")));
        }
    }
    let surcharges = money::round_cents(shipment.surcharges);
    let mut freight = money::round_cents(shipment.shipment_cost);
    if config.surcharges_in_shipment_cost {
        freight -= surcharges;
        if freight.is_sign_negative() && !freight.is_zero() {
            return Err(refuse(
                shipment,
                format!(
                    "`surcharges` ({}) exceed the `shipment_cost` ({}) that includes them",
                    shipment.surcharges, shipment.shipment_cost
                ),
            ));
        }
    }
    let insurance = money::round_cents(shipment.insurance_cost);
    if freight.is_zero() && insurance.is_zero() && surcharges.is_zero() {
        return Ok(Vec::new());
    }
    let carrier = rules::freight_account(&config.accounts, shipment)?;
    let tracking = tracking(shipment);
    let service = shipment
        .service_code
        .as_ref()
        .map(|service| format!(" {service}"))
        .unwrap_or_default();
    Ok(vec![
        (
            freight,
            carrier,
            format!("Freight {}{service}{tracking}", shipment.carrier_code),
        ),
        (
            insurance,
            config.accounts.insurance.as_deref().unwrap_or(carrier),
            format!("Insurance{tracking}"),
        ),
        (
            surcharges,
            config.accounts.surcharges.as_deref().unwrap_or(carrier),
            format!("Surcharges{tracking}"),
        ),
    ])
}

/// A fulfillment's fee, on `accounts.fulfillment` (none configured: nothing).
fn fulfillment_costs<'a>(
    config: &'a Config,
    shipment: &Shipment,
) -> Result<Vec<Cost<'a>>, PluginError> {
    let fee = shipment.fulfillment_fee;
    if fee.is_sign_negative() && !fee.is_zero() {
        return Err(refuse(
            shipment,
            format!("`fulfillment_fee` is negative ({fee})"),
        ));
    }
    let Some(account) = config.accounts.fulfillment.as_deref() else {
        return Ok(Vec::new());
    };
    let provider = shipment
        .fulfillment_provider
        .as_ref()
        .map(|provider| format!(" {provider}"))
        .unwrap_or_default();
    Ok(vec![(
        money::round_cents(fee),
        account,
        format!("Fulfillment fee{provider}{}", tracking(shipment)),
    )])
}
