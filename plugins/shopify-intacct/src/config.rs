//! The mapping config (the flow's `mapping_config`), read and checked whole before anything is
//! mapped: a bad value is `Rejected` with code `shopify-intacct.config` and the key's path
//! ([`ml_connector_sdk::mapping_config`]). The crate doc shows a full example and what each key
//! means.

use std::collections::BTreeMap;

use ml_connector_sdk::PluginError;
use ml_connector_sdk::serde_json::Value;

use ml_connector_sdk::mapping_config::{self, Node};

/// The error code of every config refusal.
pub const CONFIG_CODE: &str = "shopify-intacct.config";

/// A refusal of the config key at `path` (empty: the whole config), with this mapping's code.
pub fn config_error(path: &str, message: impl std::fmt::Display) -> PluginError {
    mapping_config::config_error(CONFIG_CODE, path, message)
}

/// Intacct's CUSTOMERID holds at most 20 characters.
pub const MAX_CUSTOMER_ID: usize = 20;
/// The longest decimal Shopify id the `shopify_id` scheme must fit (ids are 13 digits today).
const SHOPIFY_ID_DIGITS: usize = 13;
/// A u64 in base 36 is at most 13 characters.
const BASE36_DIGITS: usize = 13;
/// The fewest hex digits of the email hash the `email` scheme keeps.
const MIN_EMAIL_HASH: usize = 10;
/// The payment methods `create_arpayment` takes.
pub const PAYMENT_METHODS: &[&str] = &[
    "Printed Check",
    "Cash",
    "EFT",
    "Credit Card",
    "Online Charge Card",
    "Online ACH Debit",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub customer: CustomerConfig,
    pub invoice: InvoiceConfig,
    /// First match wins; `default_order_type` when none matches (its accounts are also the base
    /// every order type overrides).
    pub order_types: Vec<OrderType>,
    pub default_order_type: OrderType,
    pub regions: Vec<Region>,
    pub default_region: Option<Region>,
    pub product_lines: Vec<ProductLine>,
    pub default_product_line: Option<ProductLine>,
    /// By gateway name, lower-cased; `*` is the fallback.
    pub gateways: BTreeMap<String, Gateway>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdScheme {
    /// `prefix` + the Shopify customer id in decimal.
    ShopifyId,
    /// `prefix` + the Shopify customer id in base 36, upper case (at most 13 characters).
    ShopifyIdBase36,
    /// `prefix` + hex digits of SHA-256 of the lower-cased email, filling 20 characters.
    Email,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerConfig {
    pub scheme: IdScheme,
    pub prefix: String,
    /// The Intacct customer of orders without a customer (or, for `email`, without an email).
    pub guest_customer_id: Option<String>,
    pub guest_customer_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceConfig {
    /// `invoice_no` = this + the order name without its leading `#`.
    pub number_prefix: String,
    pub due: Due,
    pub skip_test_orders: bool,
}

/// When an invoice is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// `date_due` this many days after the invoice date (0: on receipt).
    Days(u64),
    /// Intacct's terms.
    Term(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dimensions {
    pub location_id: Option<String>,
    pub department_id: Option<String>,
    pub class_id: Option<String>,
}

impl Dimensions {
    /// These dimensions, each unset one taken from `base`.
    pub fn over(&self, base: &Dimensions) -> Dimensions {
        Dimensions {
            location_id: self.location_id.clone().or(base.location_id.clone()),
            department_id: self.department_id.clone().or(base.department_id.clone()),
            class_id: self.class_id.clone().or(base.class_id.clone()),
        }
    }
}

/// The GL accounts of an order type; unset ones come from `default_order_type`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    pub revenue: Option<String>,
    pub shipping: Option<String>,
    pub tax: Option<String>,
    /// Discounts as their own negative lines; unset: lines are posted net of discounts.
    pub discounts: Option<String>,
    /// Refund adjustments (e.g. a refund discrepancy); unset: the revenue account.
    pub adjustments: Option<String>,
    /// Revenue by product line name, before the product line's own `revenue_account`.
    pub revenue_by_product_line: BTreeMap<String, String>,
    /// Tax by the tax line's title (`"GST"`), before `tax`.
    pub tax_by_title: BTreeMap<String, String>,
}

impl Accounts {
    /// These accounts, each unset one taken from `base`.
    pub fn over(&self, base: &Accounts) -> Accounts {
        let mut by_line = base.revenue_by_product_line.clone();
        by_line.extend(self.revenue_by_product_line.clone());
        let mut by_title = base.tax_by_title.clone();
        by_title.extend(self.tax_by_title.clone());
        Accounts {
            revenue: self.revenue.clone().or(base.revenue.clone()),
            shipping: self.shipping.clone().or(base.shipping.clone()),
            tax: self.tax.clone().or(base.tax.clone()),
            discounts: self.discounts.clone().or(base.discounts.clone()),
            adjustments: self.adjustments.clone().or(base.adjustments.clone()),
            revenue_by_product_line: by_line,
            tax_by_title: by_title,
        }
    }
}

/// Matches an order: every condition given must hold; within one, any value listed will do.
/// Tags, source names and gateways compare case-insensitively, currencies by their code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderMatch {
    pub order_tags: Vec<String>,
    pub customer_tags: Vec<String>,
    pub source_names: Vec<String>,
    pub currencies: Vec<String>,
    pub gateways: Vec<String>,
}

/// Matches an order line: SKU prefixes compare exactly, vendors and product types
/// case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineMatch {
    pub sku_prefixes: Vec<String>,
    pub vendors: Vec<String>,
    pub product_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderType {
    pub name: String,
    pub when: OrderMatch,
    pub accounts: Accounts,
    pub dimensions: Dimensions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub when: OrderMatch,
    pub dimensions: Dimensions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLine {
    pub name: String,
    pub when: LineMatch,
    pub revenue_account: Option<String>,
    pub dimensions: Dimensions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    pub payment_method: String,
    pub destination: Destination,
}

/// Where a gateway's payments are received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    BankAccount(String),
    UndepositedFunds(String),
}

impl Config {
    /// Reads the flow's mapping config (the whole JSON `config` of `map`; a `resolution` key, which
    /// the flow engine adds after a review, is left to [`crate::review`]).
    pub fn parse(config: &Value) -> Result<Self, PluginError> {
        let root = Node::root(config, CONFIG_CODE);
        root.object(&[
            "customer",
            "invoice",
            "order_types",
            "default_order_type",
            "regions",
            "default_region",
            "product_lines",
            "default_product_line",
            "gateways",
            "resolution",
        ])?;
        let default_order_type = match root.field("default_order_type") {
            Some(node) => order_type(&node, false)?,
            None => {
                return Err(config_error(
                    "default_order_type",
                    "missing; it names the GL accounts every order falls back to \
                     (at least `accounts.revenue`, `accounts.shipping`, `accounts.tax`)",
                ));
            }
        };
        let accounts = root.required("default_order_type")?.required("accounts")?;
        for key in ["revenue", "shipping", "tax"] {
            accounts.required(key)?;
        }
        let config = Config {
            customer: customer(root.field("customer"))?,
            invoice: invoice(root.field("invoice"))?,
            order_types: list(&root, "order_types", |node| order_type(node, true))?,
            default_order_type,
            regions: list(&root, "regions", |node| region(node, true))?,
            default_region: root
                .field("default_region")
                .map(|node| region(&node, false))
                .transpose()?,
            product_lines: list(&root, "product_lines", |node| product_line(node, true))?,
            default_product_line: root
                .field("default_product_line")
                .map(|node| product_line(&node, false))
                .transpose()?,
            gateways: gateways(root.field("gateways"))?,
        };
        config.check_product_line_names()?;
        Ok(config)
    }

    /// Every `revenue_by_product_line` key names a product line.
    fn check_product_line_names(&self) -> Result<(), PluginError> {
        let known: Vec<&str> = self
            .product_lines
            .iter()
            .chain(&self.default_product_line)
            .map(|line| line.name.as_str())
            .collect();
        let types = std::iter::once(("default_order_type".to_owned(), &self.default_order_type))
            .chain(
                self.order_types
                    .iter()
                    .enumerate()
                    .map(|(index, kind)| (format!("order_types[{index}]"), kind)),
            );
        for (path, kind) in types {
            if let Some(name) = kind
                .accounts
                .revenue_by_product_line
                .keys()
                .find(|name| !known.contains(&name.as_str()))
            {
                return Err(config_error(
                    &format!("{path}.accounts.revenue_by_product_line.{name}"),
                    format!(
                        "no product line is named `{name}` (product lines: {})",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The gateway settings of `name` (case-insensitive), else the `*` fallback.
    pub fn gateway(&self, name: &str) -> Option<&Gateway> {
        self.gateways
            .get(&name.to_lowercase())
            .or_else(|| self.gateways.get("*"))
    }
}

fn list<T>(
    root: &Node,
    key: &str,
    read: impl Fn(&Node) -> Result<T, PluginError>,
) -> Result<Vec<T>, PluginError> {
    match root.field(key) {
        None => Ok(Vec::new()),
        Some(node) => node.items()?.iter().map(read).collect(),
    }
}

fn opt_text(node: &Node, key: &str) -> Result<Option<String>, PluginError> {
    node.field(key).map(|field| field.text()).transpose()
}

fn customer(node: Option<Node>) -> Result<CustomerConfig, PluginError> {
    let Some(node) = node else {
        return Ok(CustomerConfig {
            scheme: IdScheme::ShopifyId,
            prefix: "SH".into(),
            guest_customer_id: None,
            guest_customer_name: "Shopify guest checkout".into(),
        });
    };
    node.object(&[
        "id_scheme",
        "id_prefix",
        "guest_customer_id",
        "guest_customer_name",
    ])?;
    let scheme = match node.field("id_scheme") {
        None => IdScheme::ShopifyId,
        Some(field) => match field.text()?.as_str() {
            "shopify_id" => IdScheme::ShopifyId,
            "shopify_id_base36" => IdScheme::ShopifyIdBase36,
            "email" => IdScheme::Email,
            other => {
                return Err(field.error(format!(
                    "`{other}` is not a scheme: use \"shopify_id\", \"shopify_id_base36\" or \"email\""
                )));
            }
        },
    };
    let prefix = match node.field("id_prefix") {
        None => "SH".to_owned(),
        Some(field) => field.text_or_empty()?,
    };
    let room = match scheme {
        IdScheme::ShopifyId => SHOPIFY_ID_DIGITS,
        IdScheme::ShopifyIdBase36 => BASE36_DIGITS,
        IdScheme::Email => MIN_EMAIL_HASH,
    };
    if prefix.chars().count() + room > MAX_CUSTOMER_ID {
        return Err(config_error(
            "customer.id_prefix",
            format!(
                "`{prefix}` is too long: Intacct customer ids hold {MAX_CUSTOMER_ID} characters \
                 and this scheme needs {room} of them, so the prefix may have {} at most",
                MAX_CUSTOMER_ID - room
            ),
        ));
    }
    let guest_customer_id = opt_text(&node, "guest_customer_id")?;
    if let Some(guest) = &guest_customer_id
        && guest.chars().count() > MAX_CUSTOMER_ID
    {
        return Err(node.required("guest_customer_id")?.error(format!(
            "`{guest}` is longer than Intacct's {MAX_CUSTOMER_ID} characters"
        )));
    }
    Ok(CustomerConfig {
        scheme,
        prefix,
        guest_customer_id,
        guest_customer_name: opt_text(&node, "guest_customer_name")?
            .unwrap_or_else(|| "Shopify guest checkout".into()),
    })
}

fn invoice(node: Option<Node>) -> Result<InvoiceConfig, PluginError> {
    let Some(node) = node else {
        return Ok(InvoiceConfig {
            number_prefix: String::new(),
            due: Due::Days(0),
            skip_test_orders: true,
        });
    };
    node.object(&["number_prefix", "term_name", "due_days", "skip_test_orders"])?;
    let due = match (node.field("term_name"), node.field("due_days")) {
        (Some(_), Some(days)) => {
            return Err(days.error("give `term_name` or `due_days`, not both"));
        }
        (Some(term), None) => Due::Term(term.text()?),
        (None, Some(days)) => Due::Days(days.unsigned()?),
        (None, None) => Due::Days(0),
    };
    Ok(InvoiceConfig {
        number_prefix: node
            .field("number_prefix")
            .map(|field| field.text_or_empty())
            .transpose()?
            .unwrap_or_default(),
        due,
        skip_test_orders: node
            .field("skip_test_orders")
            .map(|field| field.boolean())
            .transpose()?
            .unwrap_or(true),
    })
}

fn dimensions(node: Option<Node>) -> Result<Dimensions, PluginError> {
    let Some(node) = node else {
        return Ok(Dimensions::default());
    };
    node.object(&["location_id", "department_id", "class_id"])?;
    Ok(Dimensions {
        location_id: opt_text(&node, "location_id")?,
        department_id: opt_text(&node, "department_id")?,
        class_id: opt_text(&node, "class_id")?,
    })
}

fn accounts(node: Option<Node>) -> Result<Accounts, PluginError> {
    let Some(node) = node else {
        return Ok(Accounts::default());
    };
    node.object(&[
        "revenue",
        "shipping",
        "tax",
        "discounts",
        "adjustments",
        "revenue_by_product_line",
        "tax_by_title",
    ])?;
    let map = |key: &str| -> Result<BTreeMap<String, String>, PluginError> {
        match node.field(key) {
            None => Ok(BTreeMap::new()),
            Some(field) => field
                .entries()?
                .into_iter()
                .map(|(name, account)| Ok((name, account.text()?)))
                .collect(),
        }
    };
    Ok(Accounts {
        revenue: opt_text(&node, "revenue")?,
        shipping: opt_text(&node, "shipping")?,
        tax: opt_text(&node, "tax")?,
        discounts: opt_text(&node, "discounts")?,
        adjustments: opt_text(&node, "adjustments")?,
        revenue_by_product_line: map("revenue_by_product_line")?,
        tax_by_title: map("tax_by_title")?,
    })
}

fn order_match(node: &Node) -> Result<OrderMatch, PluginError> {
    node.object(&[
        "order_tags",
        "customer_tags",
        "source_names",
        "currencies",
        "gateways",
    ])?;
    let texts = |key: &str| {
        node.field(key)
            .map(|field| field.texts())
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(OrderMatch {
        order_tags: texts("order_tags")?,
        customer_tags: texts("customer_tags")?,
        source_names: texts("source_names")?,
        currencies: texts("currencies")?,
        gateways: texts("gateways")?,
    })
}

fn line_match(node: &Node) -> Result<LineMatch, PluginError> {
    node.object(&["sku_prefixes", "vendors", "product_types"])?;
    let texts = |key: &str| {
        node.field(key)
            .map(|field| field.texts())
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(LineMatch {
        sku_prefixes: texts("sku_prefixes")?,
        vendors: texts("vendors")?,
        product_types: texts("product_types")?,
    })
}

/// The name, and the `when` a rule of a list must have and a default must not.
fn rule_head<'a>(
    node: &Node<'a>,
    in_list: bool,
) -> Result<(String, Option<Node<'a>>), PluginError> {
    let name = match (node.field("name"), in_list) {
        (Some(name), _) => name.text()?,
        (None, true) => node.required("name")?.text()?,
        (None, false) => "default".to_owned(),
    };
    let when = node.field("when");
    match (when, in_list) {
        (None, true) => Err(config_error(
            &format!("{}.when", node.path()),
            "missing; a rule of a list needs one (the catch-all is the `default_…` key)",
        )),
        (Some(when), false) => {
            Err(when.error("a default applies when no rule matches; it takes no `when`"))
        }
        (when, _) => Ok((name, when)),
    }
}

fn order_type(node: &Node, in_list: bool) -> Result<OrderType, PluginError> {
    node.object(&["name", "when", "accounts", "dimensions"])?;
    let (name, when) = rule_head(node, in_list)?;
    Ok(OrderType {
        name,
        when: when
            .map(|when| order_match(&when))
            .transpose()?
            .unwrap_or_default(),
        accounts: accounts(node.field("accounts"))?,
        dimensions: dimensions(node.field("dimensions"))?,
    })
}

fn region(node: &Node, in_list: bool) -> Result<Region, PluginError> {
    node.object(&["name", "when", "dimensions"])?;
    let (name, when) = rule_head(node, in_list)?;
    Ok(Region {
        name,
        when: when
            .map(|when| order_match(&when))
            .transpose()?
            .unwrap_or_default(),
        dimensions: dimensions(node.field("dimensions"))?,
    })
}

fn product_line(node: &Node, in_list: bool) -> Result<ProductLine, PluginError> {
    node.object(&["name", "when", "revenue_account", "dimensions"])?;
    let (name, when) = rule_head(node, in_list)?;
    Ok(ProductLine {
        name,
        when: when
            .map(|when| line_match(&when))
            .transpose()?
            .unwrap_or_default(),
        revenue_account: opt_text(node, "revenue_account")?,
        dimensions: dimensions(node.field("dimensions"))?,
    })
}

fn gateways(node: Option<Node>) -> Result<BTreeMap<String, Gateway>, PluginError> {
    let Some(node) = node else {
        return Ok(BTreeMap::new());
    };
    let mut gateways = BTreeMap::new();
    for (name, settings) in node.entries()? {
        settings.object(&[
            "payment_method",
            "bank_account_id",
            "undeposited_funds_account",
        ])?;
        let method = settings.required("payment_method")?;
        let payment_method = method.text()?;
        if !PAYMENT_METHODS.contains(&payment_method.as_str()) {
            return Err(method.error(format!(
                "`{payment_method}` is not an Intacct payment method (one of: {})",
                PAYMENT_METHODS.join(", ")
            )));
        }
        let destination = match (
            opt_text(&settings, "bank_account_id")?,
            opt_text(&settings, "undeposited_funds_account")?,
        ) {
            (Some(bank), None) => Destination::BankAccount(bank),
            (None, Some(account)) => Destination::UndepositedFunds(account),
            _ => {
                return Err(settings.error(
                    "give exactly one of `bank_account_id` and `undeposited_funds_account`",
                ));
            }
        };
        gateways.insert(
            name.to_lowercase(),
            Gateway {
                payment_method,
                destination,
            },
        );
    }
    Ok(gateways)
}
