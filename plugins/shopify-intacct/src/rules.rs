//! The rules of the config applied to one order: its order type (accounts, dimensions), its
//! customer's region (dimensions) and each line's product line (revenue account, dimensions).
//! Each list is tried in order, the first match wins, and the default applies when none does.
//!
//! Precedence:
//! - accounts: the matched order type's, each one it leaves unset from `default_order_type`;
//!   product revenue is `revenue_by_product_line[<product line>]`, else the product line's
//!   `revenue_account`, else `revenue`; tax is `tax_by_title[<tax title>]`, else `tax`;
//! - dimensions of a product line: the product line's, then the region's, then the order type's
//!   (each unset one from the next); of shipping, tax, discounts on shipping and refund
//!   adjustments: the region's, then the order type's.

use crate::config::{Config, Dimensions, LineMatch, OrderMatch, ProductLine, Region};
use crate::entities::{Customer, Line, Order};

/// What a rule matches an order by.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts<'a> {
    pub order_tags: &'a [String],
    pub customer_tags: &'a [String],
    pub source_name: Option<&'a str>,
    pub currency: &'a str,
    pub gateways: &'a [String],
}

impl<'a> OrderFacts<'a> {
    pub fn of(order: &'a Order, customer: Option<&'a Customer>) -> Self {
        Self {
            order_tags: &order.tags,
            customer_tags: customer.map_or(&[], |customer| &customer.tags),
            source_name: order.source_name.as_deref(),
            currency: &order.currency,
            gateways: &order.payment_gateways,
        }
    }
}

impl OrderMatch {
    pub fn matches(&self, facts: &OrderFacts) -> bool {
        let any_of = |wanted: &[String], have: &[String]| {
            wanted.is_empty()
                || wanted.iter().any(|want| {
                    have.iter()
                        .any(|have| have.trim().eq_ignore_ascii_case(want))
                })
        };
        let source: Vec<String> = facts.source_name.map(str::to_owned).into_iter().collect();
        any_of(&self.order_tags, facts.order_tags)
            && any_of(&self.customer_tags, facts.customer_tags)
            && any_of(&self.source_names, &source)
            && any_of(&self.currencies, &[facts.currency.to_owned()])
            && any_of(&self.gateways, facts.gateways)
    }
}

impl LineMatch {
    pub fn matches(&self, line: &Line) -> bool {
        let sku = line.sku.as_deref().unwrap_or_default();
        let same = |wanted: &[String], have: Option<&str>| {
            wanted.is_empty()
                || have
                    .is_some_and(|have| wanted.iter().any(|want| have.eq_ignore_ascii_case(want)))
        };
        (self.sku_prefixes.is_empty()
            || self
                .sku_prefixes
                .iter()
                .any(|prefix| !sku.is_empty() && sku.starts_with(prefix.as_str())))
            && same(&self.vendors, line.vendor.as_deref())
            && same(&self.product_types, line.product_type.as_deref())
    }
}

/// Where one posting goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub account: String,
    pub dimensions: Dimensions,
}

/// The rules resolved for one order.
#[derive(Debug, Clone)]
pub struct OrderRules<'a> {
    config: &'a Config,
    pub order_type: &'a str,
    pub region: Option<&'a str>,
    accounts: crate::config::Accounts,
    /// The region's dimensions over the order type's.
    order_dimensions: Dimensions,
}

impl<'a> OrderRules<'a> {
    pub fn resolve(config: &'a Config, facts: &OrderFacts) -> Self {
        let default = &config.default_order_type;
        let order_type = config
            .order_types
            .iter()
            .find(|kind| kind.when.matches(facts))
            .unwrap_or(default);
        let region: Option<&Region> = config
            .regions
            .iter()
            .find(|region| region.when.matches(facts))
            .or(config.default_region.as_ref());
        let type_dimensions = order_type.dimensions.over(&default.dimensions);
        let order_dimensions = match region {
            Some(region) => region.dimensions.over(&type_dimensions),
            None => type_dimensions,
        };
        Self {
            config,
            order_type: &order_type.name,
            region: region.map(|region| region.name.as_str()),
            accounts: order_type.accounts.over(&default.accounts),
            order_dimensions,
        }
    }

    /// The product line of `line`, if any rule (or the default) names one.
    pub fn product_line(&self, line: &Line) -> Option<&'a ProductLine> {
        self.config
            .product_lines
            .iter()
            .find(|product_line| product_line.when.matches(line))
            .or(self.config.default_product_line.as_ref())
    }

    /// The revenue of `line`.
    pub fn revenue(&self, line: &Line) -> Target {
        let product_line = self.product_line(line);
        let account = product_line
            .and_then(|product_line| {
                self.accounts
                    .revenue_by_product_line
                    .get(&product_line.name)
                    .or(product_line.revenue_account.as_ref())
            })
            .or(self.accounts.revenue.as_ref())
            .expect("the config check requires default_order_type.accounts.revenue")
            .clone();
        Target {
            account,
            dimensions: self.line_dimensions(product_line),
        }
    }

    /// The discount of `line`, when discounts are posted on their own lines.
    pub fn line_discount(&self, line: &Line) -> Option<Target> {
        let account = self.accounts.discounts.clone()?;
        Some(Target {
            account,
            dimensions: self.line_dimensions(self.product_line(line)),
        })
    }

    pub fn shipping(&self) -> Target {
        self.order_level(self.accounts.shipping.as_ref())
    }

    pub fn shipping_discount(&self) -> Option<Target> {
        self.accounts
            .discounts
            .as_ref()
            .map(|account| self.order_level(Some(account)))
    }

    pub fn tax(&self, title: &str) -> Target {
        let by_title = self.accounts.tax_by_title.get(title);
        self.order_level(by_title.or(self.accounts.tax.as_ref()))
    }

    /// A refund adjustment (a discrepancy): `adjustments`, else revenue.
    pub fn adjustment(&self) -> Target {
        self.order_level(
            self.accounts
                .adjustments
                .as_ref()
                .or(self.accounts.revenue.as_ref()),
        )
    }

    fn order_level(&self, account: Option<&String>) -> Target {
        Target {
            account: account
                .expect("the config check requires the default order type's accounts")
                .clone(),
            dimensions: self.order_dimensions.clone(),
        }
    }

    fn line_dimensions(&self, product_line: Option<&ProductLine>) -> Dimensions {
        match product_line {
            Some(product_line) => product_line.dimensions.over(&self.order_dimensions),
            None => self.order_dimensions.clone(),
        }
    }
}
