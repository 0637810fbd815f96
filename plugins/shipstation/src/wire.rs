//! The V1 and V2 JSON the connector reads, as ShipStation sends it (camelCase in V1, snake_case in
//! V2). Ids, amounts and weights stay JSON values here (numbers are kept digit for digit: the
//! workspace builds serde_json with `arbitrary_precision`) until they are normalized;
//! times stay text until [`crate::pacific`] converts them. A page keeps its records as raw JSON, so
//! a polled shipment travels in its event exactly as ShipStation sent it.

use serde::Deserialize;
use serde_json::Value;

/// One page of a V1 list: `{"shipments"|"fulfillments": […], "total", "page", "pages"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Page {
    /// The shipments or fulfillments of the page.
    #[serde(default, rename = "shipments", alias = "fulfillments")]
    pub records: Vec<Value>,
    #[serde(default)]
    pub pages: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shipment {
    pub shipment_id: Value,
    pub order_id: Option<Value>,
    pub order_key: Option<String>,
    pub order_number: Option<String>,
    pub customer_email: Option<String>,
    pub create_date: String,
    pub ship_date: Option<String>,
    pub shipment_cost: Option<Value>,
    pub insurance_cost: Option<Value>,
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub is_return_label: bool,
    pub batch_number: Option<String>,
    pub carrier_code: Option<String>,
    pub service_code: Option<String>,
    pub package_code: Option<String>,
    pub warehouse_id: Option<Value>,
    #[serde(default)]
    pub voided: bool,
    pub void_date: Option<String>,
    pub ship_to: Option<Address>,
    pub weight: Option<Weight>,
    pub advanced_options: Option<AdvancedOptions>,
    pub shipment_items: Option<Vec<Item>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub name: Option<String>,
    pub company: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Weight {
    pub value: Option<Value>,
    pub units: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedOptions {
    pub store_id: Option<Value>,
    pub custom_field1: Option<String>,
    pub custom_field2: Option<String>,
    pub custom_field3: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub order_item_id: Option<Value>,
    pub line_item_key: Option<String>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: Option<Value>,
    pub unit_price: Option<Value>,
    pub weight: Option<Weight>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fulfillment {
    pub fulfillment_id: Value,
    pub order_id: Option<Value>,
    pub order_number: Option<String>,
    pub customer_email: Option<String>,
    pub tracking_number: Option<String>,
    pub create_date: String,
    pub ship_date: Option<String>,
    pub void_date: Option<String>,
    pub carrier_code: Option<String>,
    pub fulfillment_provider_code: Option<String>,
    pub fulfillment_service_code: Option<String>,
    pub fulfillment_fee: Option<Value>,
    #[serde(default)]
    pub voided: bool,
    pub ship_to: Option<Address>,
}

/// `GET /webhooks`: the account's subscriptions.
#[derive(Debug, Clone, Deserialize)]
pub struct Webhooks {
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Webhook {
    #[serde(rename = "HookType")]
    pub hook_type: Option<String>,
    #[serde(rename = "Active", default = "active")]
    pub active: bool,
}

fn active() -> bool {
    true
}

/// `GET /v2/labels`.
#[derive(Debug, Clone, Deserialize)]
pub struct Labels {
    #[serde(default)]
    pub labels: Vec<Label>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub label_id: String,
    pub tracking_number: Option<String>,
    pub created_at: Option<String>,
    pub shipment_cost: Option<Money>,
    pub insurance_cost: Option<Money>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Money {
    pub currency: Option<String>,
    pub amount: Value,
}
