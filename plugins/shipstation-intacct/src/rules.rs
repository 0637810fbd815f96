//! The config's rules applied to one shipment: its carrier's freight account, its dimensions, and
//! the product line (class) of each item.
//!
//! **Carriers.** A carrier code (`ups_walleted`, compared in lower case) finds its freight account
//! by the code itself, then by its family, then `*`:
//!
//! | codes | family |
//! | --- | --- |
//! | `stamps_com`, `endicia`, `usps…` | `usps` |
//! | anything else with an `_` (`ups_walleted`, `fedex_walleted`, `dhl_express`, `dhl_global_mail`) | what comes before the first `_` (`ups`, `fedex`, `dhl`) |
//!
//! **Dimensions.** `location_id`, `department_id` and `class_id` are each a fixed value or
//! looked up by the shipment's warehouse id, store id or carrier code (`*` for the rest; neither,
//! or a shipment without that fact: the entries go without that dimension).
//!
//! **Product lines.** With an `allocation`, an item's class is that of the first product line one of
//! whose `sku_prefixes` its SKU starts with (case-sensitive), else `default_class_id`, else the
//! shipment's `class_id`.

use crate::config::{ANY, Accounts, Allocation, Config, Facet, Rule, no_freight_account};
use crate::entities::{Item, Shipment};
use ml_connector_sdk::PluginError;

/// The dimensions of a shipment's entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dimensions {
    pub location_id: Option<String>,
    pub department_id: Option<String>,
    pub class_id: Option<String>,
}

/// The family of a carrier code (see the module doc).
pub fn family(code: &str) -> &str {
    if matches!(code, "stamps_com" | "endicia") || code.starts_with("usps") {
        return "usps";
    }
    code.split('_').next().unwrap_or(code)
}

/// The freight account of the shipment's carrier.
pub fn freight_account<'a>(
    accounts: &'a Accounts,
    shipment: &Shipment,
) -> Result<&'a str, PluginError> {
    let code = shipment.carrier_code.to_lowercase();
    [code.as_str(), family(&code), ANY]
        .iter()
        .find_map(|key| accounts.freight.get(*key))
        .map(String::as_str)
        .ok_or_else(|| no_freight_account(&code, accounts))
}

/// The shipment's dimensions.
pub fn dimensions(config: &Config, shipment: &Shipment) -> Dimensions {
    let apply = |rule: &Option<Rule>| rule.as_ref().and_then(|rule| lookup(rule, shipment));
    Dimensions {
        location_id: apply(&config.dimensions.location_id),
        department_id: apply(&config.dimensions.department_id),
        class_id: apply(&config.dimensions.class_id),
    }
}

fn lookup(rule: &Rule, shipment: &Shipment) -> Option<String> {
    match rule {
        Rule::Fixed(value) => Some(value.clone()),
        Rule::By { facet, map } => {
            let fact = match facet {
                Facet::Warehouse => shipment.warehouse_id.clone(),
                Facet::Store => shipment.store_id.clone(),
                Facet::Carrier => Some(shipment.carrier_code.to_lowercase()),
            };
            fact.and_then(|fact| map.get(&fact))
                .or_else(|| map.get(ANY))
                .cloned()
        }
    }
}

/// The class of `item` under `allocation`; `shipment_class` when no rule names one.
pub fn item_class(
    allocation: &Allocation,
    item: &Item,
    shipment_class: Option<&str>,
) -> Option<String> {
    let sku = item.sku.as_deref().unwrap_or_default();
    allocation
        .product_lines
        .iter()
        .find(|line| {
            !sku.is_empty()
                && line
                    .sku_prefixes
                    .iter()
                    .any(|prefix| sku.starts_with(prefix.as_str()))
        })
        .map(|line| line.class_id.clone())
        .or_else(|| allocation.default_class_id.clone())
        .or_else(|| shipment_class.map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_families() {
        assert_eq!(family("stamps_com"), "usps");
        assert_eq!(family("endicia"), "usps");
        assert_eq!(family("usps"), "usps");
        assert_eq!(family("ups_walleted"), "ups");
        assert_eq!(family("dhl_express"), "dhl");
        assert_eq!(family("fedex"), "fedex");
        assert_eq!(family("ontrac"), "ontrac");
    }
}
