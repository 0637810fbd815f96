//! The split of a shipment's costs over its items' product lines (the class dimension), when the
//! config has an `allocation`. Each item weighs `quantity × unit_price` (`by: "value"`) or
//! `quantity × weight` in grams (`by: "weight"`; an item without a weight, or in units the mapping
//! does not know, weighs nothing); items of one class add up. When every item weighs nothing by
//! weight, the split goes by value; when nothing is left to go by (no items, all free), there is no
//! split and the cost posts on one line with the shipment's class. Each cost is then split to the
//! cent by the SDK's one rule ([`money::allocate`]): the shares sum to the cost exactly, each
//! within a cent of its exact share (the cents left over go to the largest remainders, ties to
//! the larger weight). A class whose share is zero gets no line.
//!
//! [`money::allocate`]: ml_connector_sdk::money::allocate

use ml_connector_sdk::log;
use ml_connector_sdk::money::Decimal;

use crate::config::{Allocation, Basis};
use crate::entities::{Item, Shipment};
use crate::rules;

/// The classes a shipment's costs are split over, each with its weight, in the order the items
/// name them; `None`: no split.
pub fn classes(
    allocation: &Allocation,
    shipment: &Shipment,
    shipment_class: Option<&str>,
) -> Option<Vec<(Option<String>, Decimal)>> {
    let by_value = |item: &Item| item.quantity * item.unit_price;
    let by_weight = |item: &Item| {
        item.weight
            .as_ref()
            .and_then(|weight| weight.grams())
            .map_or(Decimal::ZERO, |grams| item.quantity * grams)
    };
    let weigh = |weight: &dyn Fn(&Item) -> Decimal| {
        let mut classes: Vec<(Option<String>, Decimal)> = Vec::new();
        for item in &shipment.items {
            let class = rules::item_class(allocation, item, shipment_class);
            let weight = weight(item).max(Decimal::ZERO);
            match classes.iter_mut().find(|(known, _)| *known == class) {
                Some((_, sum)) => *sum += weight,
                None => classes.push((class, weight)),
            }
        }
        Some(classes).filter(|classes| classes.iter().any(|(_, weight)| !weight.is_zero()))
    };
    let classes = match allocation.basis {
        Basis::Value => weigh(&by_value),
        Basis::Weight => weigh(&by_weight).or_else(|| {
            log::info(
                "allocation by value: no item has a weight",
                &[("shipment", &shipment.shipment_id)],
            );
            weigh(&by_value)
        }),
    };
    if classes.is_none() {
        log::info(
            "allocation skipped: no item value or weight to go by",
            &[("shipment", &shipment.shipment_id)],
        );
    }
    classes
}
