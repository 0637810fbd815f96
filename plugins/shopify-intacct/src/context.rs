//! An order as the flow's config and a person's review make of it ([`OrderContext`]): who the
//! customer is, which rules apply, the invoice number and date. The invoice, its payments and the
//! credit memos of its refunds are all built from it; so is the decision to skip a test order.

use ml_connector_sdk::chrono::NaiveDate;
use ml_connector_sdk::{PluginError, log};

use crate::config::Config;
use crate::customer::{self, Party};
use crate::dates::date;
use crate::entities::{Customer, Order};
use crate::review::Resolution;
use crate::rules::{OrderFacts, OrderRules};

/// An order with what the config and the review made of it.
#[derive(Debug, Clone)]
pub struct OrderContext<'a> {
    pub config: &'a Config,
    pub order: &'a Order,
    pub party: Party,
    pub rules: OrderRules<'a>,
    /// Intacct's invoice number of this order: the same for every version.
    pub invoice_no: String,
    /// The invoice date: the day the order was processed (else created), as Shopify states it.
    pub date: NaiveDate,
    pub resolution: &'a Resolution,
}

impl<'a> OrderContext<'a> {
    pub fn new(
        config: &'a Config,
        order: &'a Order,
        customer: Option<&'a Customer>,
        resolution: &'a Resolution,
    ) -> Result<Self, PluginError> {
        Ok(Self {
            config,
            order,
            party: customer::of_order(&config.customer, order, customer, resolution)?,
            rules: OrderRules::resolve(config, &OrderFacts::of(order, customer)),
            invoice_no: invoice_no(config, order),
            date: date(order.processed_at.as_deref().unwrap_or(&order.created_at))?,
            resolution,
        })
    }
}

/// The order's invoice number: the prefix and the order name without its `#` (`#1001` → `SH1001`).
pub fn invoice_no(config: &Config, order: &Order) -> String {
    format!(
        "{}{}",
        config.invoice.number_prefix,
        order.name.trim().trim_start_matches('#')
    )
}

/// A test order the config skips.
pub fn skipped(config: &Config, order: &Order) -> bool {
    let skip = order.test && config.invoice.skip_test_orders;
    if skip {
        log::info("test order skipped", &[("order", &order.name)]);
    }
    skip
}
