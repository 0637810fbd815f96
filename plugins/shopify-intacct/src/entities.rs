//! The `shopify` connector's entities as this mapping reads them (`shopify.order`,
//! `shopify.customer`, `shopify.refund`; the shapes are documented in the shopify crate). Amounts
//! become [`Decimal`] from their text (strings, or numbers read from their JSON text), never f64;
//! fields this mapping does not use are ignored, so the connector may add fields freely.

use ml_connector_sdk::money::{
    Decimal, deserialize as amount, deserialize_optional as optional_amount,
};
use ml_connector_sdk::{Entity, PluginError};
use serde::Deserialize;

pub const ORDER: &str = "shopify.order";
pub const CUSTOMER: &str = "shopify.customer";
pub const REFUND: &str = "shopify.refund";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Order {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub processed_at: Option<String>,
    #[serde(default)]
    pub cancelled_at: Option<String>,
    #[serde(default)]
    pub cancel_reason: Option<String>,
    /// The shop's currency: every amount of the entity is in it.
    pub currency: String,
    #[serde(default)]
    pub financial_status: Option<String>,
    #[serde(default)]
    pub test: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub source_name: Option<String>,
    #[serde(default)]
    pub payment_gateways: Vec<String>,
    #[serde(default)]
    pub taxes_included: bool,
    #[serde(deserialize_with = "amount")]
    pub total: Decimal,
    #[serde(default)]
    pub customer_id: Option<String>,
    pub lines: Vec<Line>,
    #[serde(default)]
    pub shipping_lines: Vec<ShippingLine>,
    #[serde(default)]
    pub tax_lines: Vec<Tax>,
    /// Every payment event, oldest first.
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

impl Order {
    /// The transactions that received money from the customer.
    pub fn payments(&self) -> impl Iterator<Item = &Transaction> {
        self.transactions
            .iter()
            .filter(|transaction| transaction.received())
    }
}

/// A payment event of an order: `kind` `sale`, `capture`, `authorization`, `refund`, …, `status`
/// `success`, `pending`, `failure`, … (compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Transaction {
    pub id: String,
    pub kind: String,
    pub status: String,
    /// In the shop's currency, as every amount of the order.
    #[serde(deserialize_with = "amount")]
    pub amount: Decimal,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub processed_at: Option<String>,
}

impl Transaction {
    /// A successful `sale` or `capture` of more than zero: money received. An authorization only
    /// holds money; refunds are credited by their own event (`refunds/create`).
    pub fn received(&self) -> bool {
        self.status.trim().eq_ignore_ascii_case("success")
            && ["sale", "capture"]
                .iter()
                .any(|kind| self.kind.trim().eq_ignore_ascii_case(kind))
            && self.amount > Decimal::ZERO
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Line {
    pub id: String,
    #[serde(default)]
    pub sku: Option<String>,
    pub name: String,
    pub quantity: u64,
    #[serde(default)]
    pub vendor: Option<String>,
    /// Not in the connector's entity yet; matched when it is there.
    #[serde(default)]
    pub product_type: Option<String>,
    #[serde(deserialize_with = "amount")]
    pub unit_price: Decimal,
    #[serde(deserialize_with = "amount")]
    pub total_discount: Decimal,
    /// `unit_price × quantity − total_discount`; tax included when the order's taxes are.
    #[serde(deserialize_with = "amount")]
    pub subtotal: Decimal,
    #[serde(deserialize_with = "amount")]
    pub total_tax: Decimal,
    #[serde(default)]
    pub tax_lines: Vec<Tax>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShippingLine {
    #[serde(default)]
    pub id: Option<String>,
    pub title: String,
    #[serde(deserialize_with = "amount")]
    pub price: Decimal,
    #[serde(deserialize_with = "amount")]
    pub discounted_price: Decimal,
    #[serde(deserialize_with = "amount")]
    pub total_tax: Decimal,
    #[serde(default)]
    pub tax_lines: Vec<Tax>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tax {
    pub title: String,
    /// `"0.0725"` for 7.25 %.
    #[serde(default, deserialize_with = "optional_amount")]
    pub rate: Option<Decimal>,
    #[serde(deserialize_with = "amount")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Customer {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: String,
    pub order_id: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub processed_at: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub lines: Vec<RefundLine>,
    #[serde(default)]
    pub shipping: Vec<RefundShipping>,
    #[serde(default)]
    pub adjustments: Vec<RefundAdjustment>,
    /// What went back to the customer (successful refund transactions).
    #[serde(deserialize_with = "amount")]
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundLine {
    pub line_item_id: String,
    pub quantity: u64,
    #[serde(deserialize_with = "amount")]
    pub subtotal: Decimal,
    #[serde(deserialize_with = "amount")]
    pub total_tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundShipping {
    #[serde(default)]
    pub shipping_line_id: Option<String>,
    #[serde(deserialize_with = "amount")]
    pub amount: Decimal,
    #[serde(deserialize_with = "amount")]
    pub tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundAdjustment {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Negative when more was refunded than the lines.
    #[serde(deserialize_with = "amount")]
    pub amount: Decimal,
    #[serde(deserialize_with = "amount")]
    pub tax: Decimal,
}

/// The entities of one event, by kind.
#[derive(Debug, Default)]
pub struct Records {
    pub order: Option<Order>,
    pub customer: Option<Customer>,
    pub refund: Option<Refund>,
}

impl Records {
    /// Reads the entities this mapping knows; others are ignored. Two of one kind is `Rejected`.
    pub fn read(entities: &[Entity]) -> Result<Self, PluginError> {
        let mut records = Records::default();
        for entity in entities {
            let context = |error: PluginError| match error {
                PluginError::Rejected { code, message } => PluginError::Rejected {
                    code,
                    message: format!("{} {}: {message}", entity.kind, entity.id),
                },
                other => other,
            };
            match entity.kind.as_str() {
                ORDER => set(
                    &mut records.order,
                    entity.body_json().map_err(context)?,
                    entity,
                )?,
                CUSTOMER => set(
                    &mut records.customer,
                    entity.body_json().map_err(context)?,
                    entity,
                )?,
                REFUND => set(
                    &mut records.refund,
                    entity.body_json().map_err(context)?,
                    entity,
                )?,
                _ => {}
            }
        }
        Ok(records)
    }
}

fn set<T>(slot: &mut Option<T>, value: T, entity: &Entity) -> Result<(), PluginError> {
    if slot.is_some() {
        return Err(PluginError::rejected(format!(
            "the event has more than one `{}` entity",
            entity.kind
        )));
    }
    *slot = Some(value);
    Ok(())
}
