//! The mapping config (the flow's `mapping_config`), read and checked whole before anything is
//! mapped: a bad value is `Rejected` with code `shipstation-intacct.config` and the key's path
//! ([`ml_connector_sdk::mapping_config`]). The crate doc shows a full example and what each key
//! means; how the rules apply to a shipment is the job of the `rules` module.

use std::collections::BTreeMap;

use ml_connector_sdk::PluginError;
use ml_connector_sdk::serde_json::Value;

use ml_connector_sdk::mapping_config::{self, Node};

/// The error code of every config refusal.
pub const CONFIG_CODE: &str = "shipstation-intacct.config";

/// A refusal of the config key at `path` (empty: the whole config), with this mapping's code.
pub fn config_error(path: &str, message: impl std::fmt::Display) -> PluginError {
    mapping_config::config_error(CONFIG_CODE, path, message)
}

/// The fallback key of a map.
pub const ANY: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The GL journal symbol, e.g. `GJ`.
    pub journal: String,
    pub accounts: Accounts,
    /// `shipment_cost` includes the `surcharges` the entity lists (so freight is the difference);
    /// `false`: the surcharges come on top of it.
    pub surcharges_in_shipment_cost: bool,
    pub dimensions: Dimensions,
    /// How a shipment's sales order is found; `None`: batches post without one.
    pub sales_order: Option<SalesOrderConfig>,
    /// Split each cost over the items' product lines (class); `None`: one line per cost.
    pub allocation: Option<Allocation>,
    /// Save the batches as drafts instead of posting them.
    pub draft: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accounts {
    /// Freight expense by carrier code or carrier family (lower case), `*` for the rest.
    pub freight: BTreeMap<String, String>,
    /// Insurance; `None`: the carrier's freight account.
    pub insurance: Option<String>,
    /// Surcharges; `None`: the carrier's freight account.
    pub surcharges: Option<String>,
    /// What every batch credits (accrued freight, AP clearing).
    pub offset: String,
    /// A fulfillment provider's fee (an order shipped without a ShipStation label); `None`:
    /// fulfillments post nothing.
    pub fulfillment: Option<String>,
}

/// A dimension of every entry of a shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The same value for every shipment.
    Fixed(String),
    /// Looked up by a fact of the shipment (`*` for the rest; neither: no value).
    By {
        facet: Facet,
        map: BTreeMap<String, String>,
    },
}

/// What a dimension rule looks a shipment up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Warehouse,
    Store,
    Carrier,
}

impl Facet {
    pub const NAMES: &[&str] = &["warehouse", "store", "carrier"];
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dimensions {
    pub location_id: Option<Rule>,
    pub department_id: Option<Rule>,
    pub class_id: Option<Rule>,
}

/// The Intacct field a sales order is found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    DocNo,
    PoNumber,
}

impl OrderField {
    pub fn name(self) -> &'static str {
        match self {
            Self::DocNo => "DOCNO",
            Self::PoNumber => "PONUMBER",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOrderConfig {
    pub field: OrderField,
    /// Templates of the numbers tried ([`PLACEHOLDERS`]), in order.
    pub numbers: Vec<String>,
    /// The transaction definition; `None`: the connector's default, `Sales Order`.
    pub docpar_id: Option<String>,
}

/// The placeholders a number template may hold.
pub const PLACEHOLDERS: &[&str] = &[
    "{number}",
    "{order_number}",
    "{custom_field1}",
    "{custom_field2}",
    "{custom_field3}",
];
/// The default templates: the order number without and with a leading `#`.
pub const DEFAULT_NUMBERS: &[&str] = &["{number}", "#{number}"];

/// What a cost is split over the items by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// `quantity × unit_price`.
    Value,
    /// `quantity × weight`.
    Weight,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub basis: Basis,
    /// First match wins.
    pub product_lines: Vec<ProductLine>,
    /// The class of items no product line matches; `None`: the shipment's `class_id`.
    pub default_class_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLine {
    pub sku_prefixes: Vec<String>,
    pub class_id: String,
}

impl Config {
    /// Reads the flow's mapping config (the whole JSON `config` of `map`; a `resolution` key, which
    /// the flow engine adds after a review, is left to [`crate::review`]).
    pub fn parse(config: &Value) -> Result<Self, PluginError> {
        let root = Node::root(config, CONFIG_CODE);
        root.object(&[
            "journal",
            "accounts",
            "surcharges_in_shipment_cost",
            "dimensions",
            "sales_order",
            "allocation",
            "draft",
            "resolution",
        ])?;
        Ok(Config {
            journal: root.required("journal")?.text()?,
            accounts: accounts(&root.required("accounts")?)?,
            surcharges_in_shipment_cost: flag(&root, "surcharges_in_shipment_cost", true)?,
            dimensions: dimensions(root.field("dimensions"))?,
            sales_order: root
                .field("sales_order")
                .map(|node| sales_order(&node))
                .transpose()?,
            allocation: root
                .field("allocation")
                .map(|node| allocation(&node))
                .transpose()?,
            draft: flag(&root, "draft", false)?,
        })
    }
}

fn flag(node: &Node, key: &str, default: bool) -> Result<bool, PluginError> {
    node.field(key)
        .map(|field| field.boolean())
        .transpose()
        .map(|value| value.unwrap_or(default))
}

fn opt_text(node: &Node, key: &str) -> Result<Option<String>, PluginError> {
    node.field(key).map(|field| field.text()).transpose()
}

/// An object used as a map of texts; keys lower-cased when `lower`.
fn text_map(node: &Node, lower: bool) -> Result<BTreeMap<String, String>, PluginError> {
    node.entries()?
        .into_iter()
        .map(|(key, value)| {
            let key = match lower {
                true => key.trim().to_lowercase(),
                false => key.trim().to_owned(),
            };
            Ok((key, value.text()?))
        })
        .collect()
}

fn accounts(node: &Node) -> Result<Accounts, PluginError> {
    node.object(&[
        "freight",
        "insurance",
        "surcharges",
        "offset",
        "fulfillment",
    ])?;
    let freight_node = node.required("freight")?;
    let freight = text_map(&freight_node, true)?;
    if freight.is_empty() {
        return Err(freight_node
            .error("names no account: map carrier codes to freight accounts, `*` for the rest"));
    }
    Ok(Accounts {
        freight,
        insurance: opt_text(node, "insurance")?,
        surcharges: opt_text(node, "surcharges")?,
        offset: node.required("offset")?.text()?,
        fulfillment: opt_text(node, "fulfillment")?,
    })
}

fn dimensions(node: Option<Node>) -> Result<Dimensions, PluginError> {
    let Some(node) = node else {
        return Ok(Dimensions::default());
    };
    node.object(&["location_id", "department_id", "class_id"])?;
    let rule_of = |key: &str| node.field(key).map(|field| rule(&field)).transpose();
    Ok(Dimensions {
        location_id: rule_of("location_id")?,
        department_id: rule_of("department_id")?,
        class_id: rule_of("class_id")?,
    })
}

/// A text, or `{"by": "warehouse" | "store" | "carrier", "map": {...}}`.
fn rule(node: &Node) -> Result<Rule, PluginError> {
    if !node.value.is_object() {
        return Ok(Rule::Fixed(node.text()?));
    }
    node.object(&["by", "map"])?;
    let by = node.required("by")?;
    let facet = match by.text()?.as_str() {
        "warehouse" => Facet::Warehouse,
        "store" => Facet::Store,
        "carrier" => Facet::Carrier,
        other => {
            return Err(by.error(format!(
                "`{other}` is not a fact of a shipment: use {}",
                Facet::NAMES.join(", ")
            )));
        }
    };
    Ok(Rule::By {
        facet,
        map: text_map(&node.required("map")?, facet == Facet::Carrier)?,
    })
}

fn sales_order(node: &Node) -> Result<SalesOrderConfig, PluginError> {
    node.object(&["field", "numbers", "docpar_id"])?;
    let field = match node.field("field") {
        None => OrderField::DocNo,
        Some(field) => match field.text()?.to_uppercase().as_str() {
            "DOCNO" => OrderField::DocNo,
            "PONUMBER" => OrderField::PoNumber,
            other => {
                return Err(field.error(format!(
                    "`{other}` is not a field sales orders are found by: use \"DOCNO\" or \
                     \"PONUMBER\""
                )));
            }
        },
    };
    let numbers = match node.field("numbers") {
        None => DEFAULT_NUMBERS
            .iter()
            .map(|text| text.to_string())
            .collect(),
        Some(list) => {
            let templates = list.texts()?;
            if templates.is_empty() {
                return Err(list.error("lists no number to try"));
            }
            for template in &templates {
                check_template(&list, template)?;
            }
            templates
        }
    };
    Ok(SalesOrderConfig {
        field,
        numbers,
        docpar_id: opt_text(node, "docpar_id")?,
    })
}

/// A template holds at least one placeholder, and no brace that is not one.
fn check_template(node: &Node, template: &str) -> Result<(), PluginError> {
    let rest = PLACEHOLDERS
        .iter()
        .fold(template.to_owned(), |rest, placeholder| {
            rest.replace(placeholder, "")
        });
    if rest.contains(['{', '}']) || rest == template {
        return Err(node.error(format!(
            "`{template}` must build a number from the shipment with {} (and hold no other \
             braces)",
            PLACEHOLDERS.join(", ")
        )));
    }
    Ok(())
}

fn allocation(node: &Node) -> Result<Allocation, PluginError> {
    node.object(&["by", "product_lines", "default_class_id"])?;
    let by = node.required("by")?;
    let basis = match by.text()?.as_str() {
        "value" => Basis::Value,
        "weight" => Basis::Weight,
        other => {
            return Err(by.error(format!(
                "`{other}` is not a basis: use \"value\" or \"weight\""
            )));
        }
    };
    let product_lines = match node.field("product_lines") {
        None => Vec::new(),
        Some(list) => list
            .items()?
            .iter()
            .map(|line| {
                line.object(&["sku_prefixes", "class_id"])?;
                Ok(ProductLine {
                    sku_prefixes: line.required("sku_prefixes")?.texts()?,
                    class_id: line.required("class_id")?.text()?,
                })
            })
            .collect::<Result<_, PluginError>>()?,
    };
    Ok(Allocation {
        basis,
        product_lines,
        default_class_id: opt_text(node, "default_class_id")?,
    })
}

/// The refusal of a carrier no freight account is configured for.
pub fn no_freight_account(carrier: &str, config: &Accounts) -> PluginError {
    config_error(
        "accounts.freight",
        format!(
            "no account for carrier `{carrier}` (mapped: {}); add it, its family, or `*`",
            config
                .freight
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}
